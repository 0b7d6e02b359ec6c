package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.loomhub.scheduler.Hub;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class FanOutTest {

    @Test
    void fetchesEveryUrlWithNeverMoreThanThePoolSizeInFlight() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
                 Hub hub = Hub.builder().name("fanout-test").build()) {
                HttpServer server = FanOut.startSlowServer(serverThreads, Duration.ofMillis(2));
                try {
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    FanOut.Summary s = FanOut.run(hub, FanOut.urlsOf(server, 200), 5,
                            new PrintStream(bytes, true, StandardCharsets.UTF_8));
                    String text = bytes.toString(StandardCharsets.UTF_8);

                    assertEquals(200, s.ok(), text);
                    assertEquals(0, s.failed(), text);
                    assertTrue(s.maxInFlight() >= 1 && s.maxInFlight() <= 5, text);
                    assertTrue(s.bytes() > 200 * "<html>/page/0</html>".length() - 1, text);
                    assertEquals(10, text.lines().filter(l -> l.startsWith("progress: ")).count(), text);
                    assertTrue(text.contains("progress: 200/200 fetched (100%)"), text);
                    assertTrue(text.contains("summary: 200 URLs, 200 ok, 0 failed"), text);
                    // the pool's workers are the only hub threads: at most 5 were ever started
                    assertTrue(hub.stats().startedThreads() <= 5, text);
                } finally {
                    server.stop(0);
                }
            }
        });
    }
}
