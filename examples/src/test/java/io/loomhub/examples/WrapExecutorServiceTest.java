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
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

class WrapExecutorServiceTest {

    @Test
    void unchangedHandlersWithBlockingCallsRunOnHubThreads() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Hub hub = Hub.builder().name("wrap-test").build();
                 ExecutorService directoryThreads = Executors.newVirtualThreadPerTaskExecutor();
                 ExecutorService hubThreads = hub.newVirtualThreadPerTaskExecutor()) {
                HttpServer directory = WrapExecutorService.startDirectory(directoryThreads);
                HttpServer web = WrapExecutorService.startWebServer(hubThreads, LocalHttp.baseUrl(directory));
                try {
                    List<String> answers = WrapExecutorService.callFromOutside(LocalHttp.baseUrl(web),
                            List.of("ada", "grace", "linus", "someone"));
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    boolean allOnHub = WrapExecutorService.print(answers, hub,
                            new PrintStream(bytes, true, StandardCharsets.UTF_8));
                    String text = bytes.toString(StandardCharsets.UTF_8);

                    assertTrue(allOnHub, text);
                    assertTrue(answers.get(0).startsWith("hello Ada Lovelace (handled by VirtualThread["), text);
                    assertTrue(answers.get(1).startsWith("hello Grace Hopper ("), text);
                    assertTrue(answers.get(3).startsWith("hello someone ("), text);
                    assertTrue(answers.stream().allMatch(a -> a.contains("wrap-test-task-")
                            && a.endsWith("@wrap-test-carrier)")), text);
                    assertEquals(4, hub.stats().startedThreads(), text);
                } finally {
                    web.stop(0);
                    directory.stop(0);
                }
            }
        });
    }
}
