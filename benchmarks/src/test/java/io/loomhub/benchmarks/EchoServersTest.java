package io.loomhub.benchmarks;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The echo rounds' servers: one process per server for the whole run, started again only if it exited, and every
 * process ended when the rounds are over.
 */
class EchoServersTest {

    private static Suite.Options options(Path dir) {
        return Suite.Options.parse(new String[] {"--no-pin", "--servers", "netty", "--warmup", "0.3", "--jit-warmup",
            "0.3", "--log-dir", dir.resolve("logs").toString()});
    }

    @Test
    void aServerKeepsItsProcessFromRoundToRoundAndIsStartedAgainOnlyIfItExited(@TempDir Path dir) throws Exception {
        Suite.Options o = options(dir);
        Report report = new Report("EchoServersTest", Suite.Machine.describe(), o);
        ServerProcess.Spec netty = Servers.specs(o).get(0);
        ServerProcess first;
        ServerProcess again;
        try (LoadGenerator load = new LoadGenerator(); Suite.EchoServers servers = new Suite.EchoServers(o, load, report)) {
            first = servers.get(netty, 0);
            assertNotNull(first, "notes: " + report.notes);
            assertSame(first, servers.get(netty, 1), "a running server is reused");
            assertTrue(report.notes.isEmpty(), "notes: " + report.notes);

            long pid = first.pid();
            ProcessHandle.of(pid).orElseThrow().destroyForcibly();
            await().atMost(Duration.ofSeconds(10)).until(() -> !first.isAlive());
            again = servers.get(netty, 2);
            assertNotNull(again, "notes: " + report.notes);
            assertNotEquals(pid, again.pid(), "an exited server gets a new process");
            assertEquals(1, report.notes.size(), "notes: " + report.notes);
            assertTrue(report.notes.get(0).contains("Round 3") && report.notes.get(0).contains("netty"),
                    report.notes.get(0));
        }
        assertFalse(again.isAlive(), "closing the rounds' servers ends their processes");
    }

    @Test
    void aServerThatCannotStartIsNotedOnceAndSkipped(@TempDir Path dir) throws Exception {
        Suite.Options o = options(dir);
        Report report = new Report("EchoServersTest", Suite.Machine.describe(), o);
        ServerProcess.Spec broken = new ServerProcess.Spec("broken", "exits at once", List.of("false"), Map.of(),
                false, null);
        try (LoadGenerator load = new LoadGenerator(); Suite.EchoServers servers = new Suite.EchoServers(o, load, report)) {
            assertNull(servers.get(broken, 0));
            assertNull(servers.get(broken, 1));
        }
        assertEquals(1, report.notes.size(), "notes: " + report.notes);
        assertTrue(report.notes.get(0).contains("broken") && report.notes.get(0).contains("failed to start"),
                report.notes.get(0));
    }
}
