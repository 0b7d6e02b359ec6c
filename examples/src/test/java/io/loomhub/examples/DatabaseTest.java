package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DatabaseTest {

    @Test
    void manyHubThreadsQueryPostgresOverASmallPoolWithCorrectAnswersOnOneCarrier() {
        assertTimeoutPreemptively(Duration.ofSeconds(120), () -> {
            try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
                String url = Database.jdbcUrl(pg.getPort());
                Database.createTable(url, 1000);
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                Database.Outcome o = Database.run(url, 20, 10, 4, new PrintStream(bytes, true, StandardCharsets.UTF_8));
                String text = bytes.toString(StandardCharsets.UTF_8);

                assertEquals(200, o.queries(), text);
                assertEquals(0, o.wrong(), text);
                assertTrue(o.maxInFlight() >= 1 && o.maxInFlight() <= 4, text);
                assertEquals(Set.of("db-carrier"), o.carriers().keySet(), text);
                assertTrue(text.contains("200 queries from 20 hub threads over 4 connections"), text);
            }
        });
    }
}
