package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.loomhub.scheduler.Hub;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** {@link NettyReactor#registeredIoCount()}: what {@code hub.dump()} relies on to call a hub stuck for ever. */
class RegisteredIoCountTest {

    @Test
    void countsOpenSocketsAndReturnsToItsStartWhenTheyClose() throws Exception {
        try (Hub hub = Hub.builder().name("io-count").build()) {
            NettyReactor reactor = NettyReactor.of(hub);
            int start = NettyTestSupport.onHub(hub, reactor::registeredIoCount);
            // One hub thread does it all: sockets still open when their thread ends are closed by the leak rule.
            int whileOpen = NettyTestSupport.onHub(hub, () -> {
                List<HubSocket> sockets = new ArrayList<>();
                try (HubServerSocket server = new HubServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
                    for (int i = 0; i < 20; i++) {
                        sockets.add(new HubSocket(InetAddress.getLoopbackAddress(), server.getLocalPort()));
                        sockets.add((HubSocket) server.accept());
                    }
                    int open = reactor.registeredIoCount();
                    for (HubSocket s : sockets) {
                        s.close();
                        s.close(); // a second close must not count twice
                    }
                    return open;
                }
            });
            assertEquals(start + 41, whileOpen, "1 listener + 20 clients + 20 accepted connections");
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> NettyTestSupport.onHub(hub, reactor::registeredIoCount) == start);
        }
    }
}
