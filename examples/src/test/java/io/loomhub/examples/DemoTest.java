package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class DemoTest {

    @Test
    void servesEveryRequestOnOneCarrierAndReportsWhatTheHubDid() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        Demo.Report r = assertTimeoutPreemptively(Duration.ofSeconds(60),
                () -> Demo.run(new Demo.Options(300, 8, Duration.ofMillis(1)), out));
        String text = bytes.toString(StandardCharsets.UTF_8);

        assertAll(
                () -> assertEquals(300, r.ok(), text),
                () -> assertEquals(0, r.failed(), text),
                () -> assertEquals(300, r.apiServed(), text),
                () -> assertEquals(300, r.stockServed(), text),
                // client tasks, api and stock handlers and the probe each noted their carrier several times
                () -> assertTrue(r.carriers().values().stream().mapToLong(Long::longValue).sum() >= 300 * 6, text),
                () -> assertEquals(Set.of("demo-carrier"), r.carriers().keySet(), text),
                () -> assertTrue(r.stats().startedThreads() >= 600, text),
                () -> assertTrue(r.stats().slices() > r.stats().startedThreads(), text),
                () -> assertTrue(r.latencyNanos().length > 0, text),
                () -> assertTrue(r.success(), text),
                () -> assertTrue(text.contains("requests served     300 of 300"), text),
                () -> assertTrue(text.contains("scheduling latency  p50 "), text),
                () -> assertTrue(text.contains("one carrier         yes: all "), text));
    }
}
