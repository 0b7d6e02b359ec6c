package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Set;
import org.junit.jupiter.api.Test;

class EchoTest {

    private static Echo.Outcome runEcho(String hubName, Echo.Sockets sockets, StringBuilder text) {
        return assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
            try (Hub hub = Hub.builder().name(hubName).build()) {
                ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                Echo.Outcome o = Echo.run(hub, sockets, 20, 50, new PrintStream(bytes, true, StandardCharsets.UTF_8));
                text.append(bytes.toString(StandardCharsets.UTF_8));
                return o;
            }
        });
    }

    @Test
    void everyLineComesBackOverJdkSocketsWithServerHandlersAndClientsOnOneCarrier() {
        StringBuilder text = new StringBuilder();
        Echo.Outcome o = runEcho("echo-jdk", Echo.JDK_SOCKETS, text);

        assertEquals(1000, o.lines(), text.toString());
        assertEquals(0, o.wrong(), text.toString());
        assertEquals(Set.of("echo-jdk-carrier"), o.carriers().keySet(), text.toString());
        // the server, 20 handlers started with plain Thread.ofVirtual(), 20 clients
        assertEquals(41, o.stats().startedThreads(), text.toString());
        assertTrue(text.toString().contains("20 clients echoed 1,000 lines"), text.toString());
    }
}
