package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.junit.jupiter.api.Test;

/** JDK sockets ({@code java.net.Socket}) used by hub threads: they park, and the JDK's poller resumes them. */
class JdkSocketTest {

    @Test
    void jdkSocketEchoBetweenHubThreadsWorksOnTheCarrier() throws Exception {
        try (Hub hub = Hub.create();
             ServerSocket server = new ServerSocket(0, 128, InetAddress.getLoopbackAddress())) {
            ConcurrentLinkedQueue<String> offCarrier = new ConcurrentLinkedQueue<>();
            Thread acceptor = hub.spawn(() -> {
                try {
                    while (!server.isClosed()) {
                        Socket s = server.accept();
                        hub.spawn(() -> echo(s, hub, offCarrier));
                    }
                } catch (Exception closed) {
                    // server closed: done
                }
            });
            List<Thread> clients = new ArrayList<>();
            List<Throwable> failures = new java.util.concurrent.CopyOnWriteArrayList<>();
            for (int c = 0; c < 50; c++) {
                final int seed = c;
                clients.add(hub.spawn(() -> {
                    try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        byte[] sent = new byte[64 * 1024];
                        new Random(seed).nextBytes(sent);
                        Thread writer = hub.spawn(() -> {
                            try {
                                s.getOutputStream().write(sent);
                                s.shutdownOutput();
                            } catch (Exception e) {
                                failures.add(e);
                            }
                        });
                        byte[] got = new DataInputStream(s.getInputStream()).readNBytes(sent.length);
                        writer.join();
                        assertArrayEquals(sent, got);
                        if (!HubTestSupport.onCarrier(hub.carrierThread())) {
                            offCarrier.add(Thread.currentThread().toString());
                        }
                    } catch (Throwable e) {
                        failures.add(e);
                    }
                }));
            }
            for (Thread t : clients) {
                assertTrue(t.join(Duration.ofSeconds(30)), "client did not finish");
            }
            server.close();
            assertTrue(acceptor.join(Duration.ofSeconds(10)));
            assertEquals(List.of(), failures);
            assertEquals(List.of(), List.copyOf(offCarrier));
        }
    }

    private static void echo(Socket s, Hub hub, ConcurrentLinkedQueue<String> offCarrier) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                if (!HubTestSupport.onCarrier(hub.carrierThread())) {
                    offCarrier.add(Thread.currentThread().toString());
                }
            }
        } catch (Exception e) {
            offCarrier.add("echo failed: " + e);
        }
    }

    /**
     * In a fresh JVM, a hub thread is the first to use a JDK socket; the hub is closed; then virtual threads on
     * the JDK's default scheduler use sockets. They must keep working: the JDK's socket pollers must not have
     * been captured by the hub.
     */
    public static final class PollerCapture {
        public static void main(String[] args) throws Exception {
            try (Hub hub = Hub.builder().reactor(ReactorFactory.parking()).build()) {
                Thread t = hub.spawn(() -> roundTrip("hub"));
                t.join();
            }
            Thread plain = Thread.ofVirtual().start(() -> roundTrip("default"));
            if (!plain.join(Duration.ofSeconds(10))) {
                System.out.println("DEFAULT-SCHEDULER SOCKET HUNG");
                System.exit(4);
            }
            System.out.println("OK");
            System.exit(0);
        }

        static void roundTrip(String who) {
            try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
                Thread peer = Thread.ofVirtual().start(() -> {
                    try (Socket a = server.accept()) {
                        a.getOutputStream().write(a.getInputStream().read());
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                });
                try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                    s.getOutputStream().write(42);
                    if (s.getInputStream().read() != 42) {
                        throw new AssertionError(who + ": bad echo");
                    }
                }
                peer.join();
                System.out.println(who + " round trip ok");
            } catch (Exception e) {
                throw new RuntimeException(e);
            }
        }
    }

    @Test
    void closingAHubThatUsedJdkSocketsFirstLeavesJdkSocketsWorkingForTheJvm() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, PollerCapture.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("default round trip ok"), r.output());
    }
}
