package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static io.loomhub.netty.NettyTestSupport.onCarrier;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/** Hub sockets carrying real traffic: many connections at once, and many connections over time. */
class HubSocketEchoTest {

    @Test
    void echoes200ConcurrentConnectionsOf1MiBWithIntactChecksumsOnTheCarrier() throws Exception {
        final int connections = 200;
        final int size = 1 << 20;
        try (Hub serverHub = Hub.builder().name("echo-server").build();
             Hub clientHub = Hub.builder().name("echo-client").build();
             TestEchoServer server = TestEchoServer.start(serverHub)) {
            int port = server.port();
            AtomicBoolean clientOffCarrier = new AtomicBoolean();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger intact = new AtomicInteger();
            List<Thread> clients = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                int seed = c;
                clients.add(clientHub.spawn(() -> {
                    try (HubSocket s = new HubSocket(InetAddress.getLoopbackAddress(), port)) {
                        CRC32 sent = new CRC32();
                        // One writer and one reader per connection: echoing 1 MiB needs both directions at once.
                        Thread writer = Thread.ofVirtual().start(() -> {
                            try {
                                OutputStream out = s.getOutputStream();
                                Random random = new Random(seed);
                                byte[] chunk = new byte[8192];
                                for (int done = 0; done < size; done += chunk.length) {
                                    random.nextBytes(chunk);
                                    out.write(chunk);
                                    sent.update(chunk);
                                }
                                s.shutdownOutput();
                            } catch (Exception e) {
                                failures.add("writer " + seed + ": " + e);
                                e.printStackTrace();
                            }
                        });
                        InputStream in = s.getInputStream();
                        CRC32 received = new CRC32();
                        byte[] buf = new byte[16 * 1024];
                        long total = 0;
                        int n;
                        int round = 0;
                        while ((n = in.read(buf)) > 0) {
                            received.update(buf, 0, n);
                            total += n;
                            if ((++round & 63) == 0 && !onCarrier(clientHub.carrierThread())) {
                                clientOffCarrier.set(true);
                            }
                        }
                        if (!writer.join(JOIN)) {
                            failures.add("writer " + seed + " did not finish");
                        }
                        if (total != size || received.getValue() != sent.getValue()) {
                            failures.add("connection " + seed + ": got " + total + " bytes, crc "
                                    + received.getValue() + " vs " + sent.getValue()
                                    + " (" + server.echoed(s.getLocalPort()) + ")");
                        } else {
                            intact.incrementAndGet();
                        }
                        if (!onCarrier(clientHub.carrierThread())) {
                            clientOffCarrier.set(true);
                        }
                    } catch (Exception e) {
                        failures.add("client " + seed + ": " + e);
                    }
                }));
            }
            for (Thread t : clients) {
                assertTrue(t.join(Duration.ofSeconds(120)), "a client did not finish; failures so far: " + failures);
            }
            assertTrue(failures.isEmpty(), failures.toString());
            assertEquals(connections, intact.get());
            await().atMost(Duration.ofSeconds(10)).until(() -> server.served.get() == connections);
            assertEquals(0, server.handlerErrors.get());
            assertFalse(clientOffCarrier.get(), "a client slice ran off the client hub's carrier");
            assertFalse(server.offCarrier.get(), "a server slice ran off the server hub's carrier");
        }
    }

    @Test
    void readRoundTripBetweenHubThreadsNeedsNoOtherThreadAndNoWakeup() throws Exception {
        // Two hub threads of one hub ping-pong over a hub socket. Every resume must come from the carrier itself
        // (a Netty callback or a carrier callback): the hub's external (MPSC) queue, the path of any other
        // thread and of wake-up syscalls, stays unused.
        final int rounds = 2000;
        try (Hub hub = Hub.builder().name("ping-pong").build()) {
            HubSocket[] pair = NettyTestSupport.onHub(hub, () -> {
                try (HubServerSocket server = new HubServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                    HubSocket client = new HubSocket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                    HubSocket accepted = (HubSocket) server.accept();
                    return new HubSocket[] {client.detach(), accepted.detach()};
                }
            });
            AtomicBoolean offCarrier = new AtomicBoolean();
            Thread ponger = hub.spawn(() -> {
                try {
                    InputStream in = pair[1].getInputStream();
                    OutputStream out = pair[1].getOutputStream();
                    for (int i = 0; i < rounds; i++) {
                        out.write(in.read() + 1);
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            // Counters are published when the carrier parks: let the ponger's start settle first.
            await().atMost(Duration.ofSeconds(5)).until(() -> ponger.getState() == Thread.State.WAITING
                    && hub.stats().queueDepth() == 0);
            long externalBefore = hub.stats().externalSubmissions();
            Thread pinger = hub.spawn(() -> {
                try {
                    InputStream in = pair[0].getInputStream();
                    OutputStream out = pair[0].getOutputStream();
                    for (int i = 0; i < rounds; i++) {
                        out.write(i & 0x7f);
                        if (in.read() != (i & 0x7f) + 1) {
                            throw new AssertionError("bad pong at round " + i);
                        }
                        if (!onCarrier(hub.carrierThread())) {
                            offCarrier.set(true);
                        }
                    }
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            long t0 = System.nanoTime();
            assertTrue(pinger.join(JOIN) && ponger.join(JOIN));
            System.out.println("ping-pong: " + (System.nanoTime() - t0) / 1000 / rounds + " us per round trip (upper bound); "
                    + hub.stats());
            long external = hub.stats().externalSubmissions() - externalBefore;
            // The spawn of the pinger itself comes from this test thread: that is the only foreign submission.
            assertTrue(external <= 1, external + " resumes went through the external queue in "
                    + rounds + " round trips");
            assertFalse(offCarrier.get());
            pair[0].close();
            pair[1].close();
        }
    }

    @Test
    void hubSocketsWorkOnTheNioTransportToo() throws Exception {
        try (Hub hub = Hub.builder().name("nio-sockets").reactor(NettyReactor.nio()).build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            byte[] sent = new byte[256 * 1024];
            new Random(7).nextBytes(sent);
            byte[] got = NettyTestSupport.onHub(hub, () -> {
                try (HubSocket s = new HubSocket(InetAddress.getLoopbackAddress(), server.port())) {
                    Thread writer = Thread.ofVirtual().start(() -> {
                        try {
                            s.getOutputStream().write(sent);
                            s.shutdownOutput();
                        } catch (Exception e) {
                            throw new RuntimeException(e);
                        }
                    });
                    byte[] all = s.getInputStream().readAllBytes();
                    assertTrue(writer.join(JOIN));
                    return all;
                }
            });
            org.junit.jupiter.api.Assertions.assertArrayEquals(sent, got);
            assertFalse(server.offCarrier.get());
        }
    }

    @Test
    void descriptorCountReturnsToBaselineAfter10000Connections() throws Exception {
        final int total = 10_000;
        final int concurrency = 50;
        try (Hub hub = Hub.builder().name("many-connections").build();
             TestEchoServer server = TestEchoServer.start(hub)) {
            int port = server.port();
            oneRoundTrip(hub, port); // warm-up: classes, pools, JDK internals
            await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
            int baseline = NettyTestSupport.openDescriptors();
            AtomicInteger next = new AtomicInteger();
            AtomicInteger ok = new AtomicInteger();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            List<Thread> workers = new ArrayList<>();
            for (int w = 0; w < concurrency; w++) {
                workers.add(hub.spawn(() -> {
                    byte[] buf = new byte[4];
                    while (next.getAndIncrement() < total) {
                        try (HubSocket s = new HubSocket(InetAddress.getLoopbackAddress(), port)) {
                            s.getOutputStream().write(new byte[] {1, 2, 3, 4});
                            InputStream in = s.getInputStream();
                            int got = 0;
                            while (got < 4) {
                                int n = in.read(buf, got, 4 - got);
                                if (n < 0) {
                                    break;
                                }
                                got += n;
                            }
                            if (got == 4 && buf[3] == 4) {
                                ok.incrementAndGet();
                            } else {
                                failures.add("short echo: " + got);
                            }
                        } catch (Exception e) {
                            failures.add(e.toString());
                        }
                    }
                }));
            }
            for (Thread t : workers) {
                assertTrue(t.join(Duration.ofSeconds(120)), "a worker did not finish: " + ok.get() + " done");
            }
            assertTrue(failures.isEmpty(), failures.size() + " failures, first: " + failures.peek());
            assertEquals(total, ok.get());
            await().atMost(Duration.ofSeconds(20)).until(() -> server.served.get() == total + 1);
            await().atMost(Duration.ofSeconds(20))
                    .until(() -> NettyTestSupport.openDescriptors() <= baseline);
            HubSocketStats stats = HubSocket.stats(hub);
            assertEquals(0, stats.leaked(), stats.toString());
        }
    }

    private static void oneRoundTrip(Hub hub, int port) throws Exception {
        NettyTestSupport.onHub(hub, () -> {
            try (HubSocket s = new HubSocket(InetAddress.getLoopbackAddress(), port)) {
                s.getOutputStream().write(7);
                return s.getInputStream().read();
            }
        });
    }
}
