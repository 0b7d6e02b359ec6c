package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OfVirtualTest {

    @Test
    void namedWorkersAndTheirPlainJdkChildrenAllRunOnTheHub() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (Hub hub = Hub.builder().name("of-virtual-test").build()) {
                List<String> lines = OfVirtual.run(hub, 3);
                String text = String.join("\n", lines);

                // 3 workers, each with two Thread.ofVirtual() children and one executor task
                assertEquals(12, lines.size(), text);
                for (String name : List.of("worker-0 ", "worker-1 ", "worker-2 ", "worker-0/child-a", "worker-2/child-b")) {
                    assertTrue(lines.stream().anyMatch(l -> l.startsWith(name)), name + " missing in\n" + text);
                }
                assertEquals(3, lines.stream().filter(l -> l.endsWith("[executor task]")).count(), text);
                assertTrue(lines.stream().allMatch(l -> l.contains("ran on @of-virtual-test-carrier, "
                        + "Hub.current() = of-virtual-test")), text);
                assertEquals(12, hub.stats().startedThreads(), text);
            }
        });
    }

    @Test
    void aVirtualThreadStartedOutsideTheHubDoesNotRunOnIt() {
        String line = assertTimeoutPreemptively(Duration.ofSeconds(10), OfVirtual::describeOutsideHub);
        assertTrue(line.contains("Hub.current() = none"), line);
        assertFalse(line.contains("-carrier"), line);
    }
}
