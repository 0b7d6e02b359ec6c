package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static io.loomhub.netty.NettyTestSupport.onHub;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The leak rule: hub sockets die with the hub thread that holds them, unless handed off. */
class HubSocketOwnershipTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void socketsLeftOpenByAnEndingHubThreadAreClosedAndCounted() throws Exception {
        try (Hub hub = Hub.builder().name("leaky").build();
             Hub serverHub = Hub.builder().name("leak-peer").build();
             TestEchoServer server = TestEchoServer.start(serverHub)) {
            oneConnection(hub, server.port()); // warm-up, closed properly
            int baseline = NettyTestSupport.openDescriptors();
            long leakedBefore = HubSocket.leakedTotal();
            List<HubSocket> leaked = new ArrayList<>();
            Thread leaker = hub.ofVirtual().name("forgetful-thread").start(() -> {
                try {
                    for (int i = 0; i < 3; i++) {
                        HubSocket s = new HubSocket(LOOPBACK, server.port());
                        s.getOutputStream().write(i);
                        leaked.add(s); // never closed
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(leaker.join(JOIN));
            await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).leaked() == 3);
            assertEquals(3, HubSocket.leakedTotal() - leakedBefore);
            for (HubSocket s : leaked) {
                assertTrue(s.isClosed(), "a leaked socket was not closed");
            }
            // The peer sees the connections end (a reset, when unread echoes were left behind), and the
            // descriptors are released.
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> server.served.get() + server.handlerErrors.get() == 4);
            await().atMost(Duration.ofSeconds(10)).until(() -> NettyTestSupport.openDescriptors() <= baseline);
            assertEquals(0, HubSocket.stats(hub).open());
            // The same counts as Micrometer meters, through the hub's own binder (bound after the fact).
            io.micrometer.core.instrument.simple.SimpleMeterRegistry registry =
                    new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
            new io.loomhub.scheduler.HubMetrics(hub).bindTo(registry);
            assertEquals(3.0, registry.get("loomhub.sockets.leaked").tag("hub", "leaky").functionCounter().count());
            assertEquals(0.0, registry.get("loomhub.sockets.open").tag("hub", "leaky").gauge().value());
        }
    }

    @Test
    void handedOffSocketOutlivesItsOpenerAndBelongsToTheThreadThatUsesItNext() throws Exception {
        try (Hub hub = Hub.builder().name("hand-off").build()) {
            HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 5, LOOPBACK));
            HubSocket client = onHub(hub, () -> new HubSocket(LOOPBACK, server.getLocalPort()).detach());
            // The accepting thread hands the connection off and ends at once.
            HubSocket accepted = onHub(hub, () -> ((HubSocket) server.accept()).handOff());
            assertFalse(accepted.isClosed(), "a handed-off socket must survive its opener");
            assertNull(accepted.owner());
            AtomicReference<Thread> ownerWhileServing = new AtomicReference<>();
            Thread handler = hub.ofVirtual().name("handler").start(() -> {
                try {
                    InputStream in = accepted.getInputStream();
                    in.read(); // first use: this thread claims the socket
                    ownerWhileServing.set(accepted.owner());
                    // ... and forgets to close it.
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            onHub(hub, () -> {
                client.getOutputStream().write(1);
                return null;
            });
            assertTrue(handler.join(JOIN));
            assertSame(handler, ownerWhileServing.get());
            await().atMost(Duration.ofSeconds(10)).until(accepted::isClosed);
            assertEquals(1, HubSocket.stats(hub).leaked());
            assertEquals(-1, onHub(hub, () -> client.getInputStream().read()), "the peer sees the close");
            client.close();
            server.close();
        }
    }

    /**
     * One thread owns several sockets and lets go of them in every position of its list (the newest, the oldest,
     * one in the middle; by close, hand-off and detach): when it ends, exactly the ones it still owns are closed,
     * and a second action registered for the same thread's end still runs.
     */
    @Test
    void aThreadThatLetsGoOfSomeSocketsLeaksExactlyTheRest() throws Exception {
        try (Hub hub = Hub.builder().name("owner-list").build();
             Hub serverHub = Hub.builder().name("owner-list-peer").build();
             TestEchoServer server = TestEchoServer.start(serverHub)) {
            List<HubSocket> sockets = new ArrayList<>();
            AtomicReference<Thread> ownerSeen = new AtomicReference<>();
            java.util.concurrent.atomic.AtomicBoolean otherActionRan = new java.util.concurrent.atomic.AtomicBoolean();
            Thread owner = hub.ofVirtual().name("many-sockets").start(() -> {
                try {
                    for (int i = 0; i < 7; i++) {
                        sockets.add(new HubSocket(LOOPBACK, server.port()));
                    }
                    hub.runWhenThreadEnds(Thread.currentThread(), () -> otherActionRan.set(true));
                    sockets.get(6).close();   // the newest: the head of the thread's list
                    sockets.get(0).close();   // the oldest: its tail
                    sockets.get(3).close();   // one in the middle
                    sockets.get(2).handOff(); // let go without closing
                    sockets.get(4).detach();
                    ownerSeen.set(sockets.get(1).owner());
                    // 1 and 5 are still owned, and never closed.
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(owner.join(JOIN));
            assertSame(owner, ownerSeen.get());
            await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).leaked() == 2);
            assertTrue(sockets.get(1).isClosed());
            assertTrue(sockets.get(5).isClosed());
            assertFalse(sockets.get(2).isClosed(), "a handed-off socket outlives the thread");
            assertFalse(sockets.get(4).isClosed(), "a detached socket outlives the thread");
            assertTrue(otherActionRan.get(), "the thread's other end action did not run");
            assertEquals(2, HubSocket.stats(hub).leaked());
            // The survivors are usable from another hub thread, which then owns the handed-off one; it closes both.
            Thread claimer = onHub(hub, () -> {
                sockets.get(2).getOutputStream().write(5);
                assertEquals(5, sockets.get(2).getInputStream().read());
                Thread claimed = sockets.get(2).owner();
                sockets.get(2).close();
                sockets.get(4).close();
                return claimed;
            });
            assertTrue(claimer != null && claimer != owner, "the handed-off socket was not claimed: " + claimer);
            assertEquals(2, HubSocket.stats(hub).leaked());
            await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
        }
    }

    @Test
    void detachedSocketIsNeverClosedByAThreadEnd() throws Exception {
        try (Hub hub = Hub.builder().name("detached").build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            Socket s = onHub(hub, () -> new HubSocket(LOOPBACK, server.port()).detach());
            assertFalse(s.isClosed());
            assertEquals(0, HubSocket.stats(hub).leaked());
            // Still usable from another hub thread.
            int echoed = onHub(hub, () -> {
                s.getOutputStream().write(9);
                return s.getInputStream().read();
            });
            assertEquals(9, echoed);
            s.close();
            assertEquals(0, HubSocket.stats(hub).leaked());
        }
    }

    @Test
    void socketFactoryArgumentDetachesSockets() throws Exception {
        try (Hub hub = Hub.builder().name("factory").build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            HubSocketFactory factory = new HubSocketFactory("detach");
            Socket s = onHub(hub, () -> factory.createSocket(LOOPBACK, server.port()));
            assertFalse(s.isClosed());
            assertNull(((HubSocket) s).owner());
            s.close();
            Socket owned = onHub(hub, () -> {
                Socket o = HubSocketFactory.getDefault().createSocket("127.0.0.1", server.port());
                assertSame(Thread.currentThread(), ((HubSocket) o).owner());
                return o;
            });
            await().atMost(Duration.ofSeconds(10)).until(owned::isClosed);
        }
    }

    private static void oneConnection(Hub hub, int port) throws Exception {
        onHub(hub, () -> {
            try (HubSocket s = new HubSocket(LOOPBACK, port)) {
                s.getOutputStream().write(1);
                return s.getInputStream().read();
            }
        });
    }
}
