package io.loomhub.examples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.netty.HubSocket;
import io.loomhub.netty.HubSocketStats;
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
                if (sockets == Echo.HUB_SOCKETS) {
                    // Every connection was closed by the code that used it: none left open, none closed as a leak.
                    await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
                    HubSocketStats s = HubSocket.stats(hub);
                    assertEquals(0, s.leaked(), s + "\n" + text);
                    assertEquals(40, s.opened(), s + "\n" + text);   // 20 connected, 20 accepted
                    assertEquals(20, s.handedOff(), s + "\n" + text);
                }
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

    @Test
    void everyLineComesBackOverHubSocketsAsNettyEventsOnTheHubLoop() {
        StringBuilder text = new StringBuilder();
        Echo.Outcome o = runEcho("echo-hub", Echo.HUB_SOCKETS, text);

        assertEquals(1000, o.lines(), text.toString());
        assertEquals(0, o.wrong(), text.toString());
        assertEquals(Set.of("echo-hub-carrier"), o.carriers().keySet(), text.toString());
        assertEquals(41, o.stats().startedThreads(), text.toString());
        // the reads were resumed by the hub's own event loop, not by the JDK's poller
        assertTrue(o.stats().ioEvents() > 0, text.toString());
        assertTrue(text.toString().contains("hub sockets (io.loomhub.netty): 20 clients echoed 1,000 lines"),
                text.toString());
    }
}
