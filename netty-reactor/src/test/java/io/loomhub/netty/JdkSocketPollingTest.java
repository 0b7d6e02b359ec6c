package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.Pipe;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;

/**
 * Hub threads' waits on JDK sockets go to the hub's own epoll loop ({@link JdkSocketPolling}, {@link HubJdkPoller}):
 * the hub wakes them from carrier callbacks, no JDK poller thread takes part, every wake-up the JDK issues still
 * arrives (readiness, close, timeout, interrupt), threads of other schedulers keep the JDK's path, and nothing
 * leaks. Runs in the module's test JVM, which has {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED}.
 */
class JdkSocketPollingTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void aJavaNetEchoOnHubThreadsIsWokenByTheHubAlone() throws Exception {
        try (Hub hub = Hub.create()) {
            assertTrue(NettyReactor.pollsJdkSockets(hub), JdkSocketPolling.offReason());
            int connections = 20;
            int rounds = 200;
            AtomicBoolean offCarrier = new AtomicBoolean();
            ServerSocket server = NettyTestSupport.onHub(hub, () -> new ServerSocket(0, 64, LOOPBACK));
            assertEquals(ServerSocket.class, server.getClass(), "a plain JDK server socket");
            hub.spawn(() -> acceptAndEcho(hub, server, offCarrier));
            long externalBefore = hub.stats().externalSubmissions();
            List<CompletableFuture<Long>> clients = new ArrayList<>();
            for (int c = 0; c < connections; c++) {
                CompletableFuture<Long> done = new CompletableFuture<>();
                clients.add(done);
                hub.spawn(() -> {
                    try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                        done.complete(pingPong(s, rounds, 64));
                    } catch (Throwable e) {
                        done.completeExceptionally(e);
                    }
                });
            }
            for (CompletableFuture<Long> c : clients) {
                assertEquals(rounds, c.get(60, TimeUnit.SECONDS));
            }
            long external = hub.stats().externalSubmissions() - externalBefore;
            // Each echo request parks twice (server read, client read): 8,000 waits. Through the JDK's pollers each
            // would be a resume submitted by a poller thread; here only the test thread's spawns are external.
            assertTrue(external < 200, "resumes submitted by other threads: " + external);
            long wakeups = NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().wakeups());
            assertTrue(wakeups >= connections * rounds, "wake-ups by the hub's JDK-socket sets: " + wakeups);
            assertFalse(offCarrier.get(), "a hub thread ran off the carrier");
            server.close();
        }
    }

    @Test
    void threadsOfOtherSchedulersKeepTheJdkPathInTheSameJvm() throws Exception {
        try (Hub hub = Hub.create()) {
            ServerSocket server = NettyTestSupport.onHub(hub, () -> new ServerSocket(0, 64, LOOPBACK));
            hub.spawn(() -> acceptAndEcho(hub, server, new AtomicBoolean()));
            List<Thread> threads = new ArrayList<>();
            ConcurrentLinkedQueue<Throwable> errors = new ConcurrentLinkedQueue<>();
            AtomicInteger ok = new AtomicInteger();
            for (int c = 0; c < 8; c++) {
                Runnable client = () -> {
                    try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                        checksummedExchange(s, 256 * 1024);
                        ok.incrementAndGet();
                    } catch (Throwable e) {
                        errors.add(e);
                    }
                };
                threads.add(c % 2 == 0 ? Thread.ofVirtual().start(client) : Thread.ofPlatform().start(client));
            }
            for (Thread t : threads) {
                assertTrue(t.join(NettyTestSupport.JOIN));
            }
            assertTrue(errors.isEmpty(), () -> "client errors: " + errors);
            assertEquals(8, ok.get());
            server.close();
        }
    }

    @Test
    void closingASocketFromAnotherThreadWakesItsHubReader() throws Exception {
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            Socket s = NettyTestSupport.onHub(hub, () -> new Socket(LOOPBACK, listener.getLocalPort()));
            try (Socket peer = listener.accept()) {
                NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> s.getInputStream().read());
                assertEquals(1, NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().waiting()));
                s.close(); // the JDK's stopPoll: through the routing poller's shared map to the parked thread
                NettyTestSupport.Ending end = reader.awaitEnding();
                assertInstanceOf(SocketException.class, end.error());
                assertEquals(0, NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().waiting()));
            }
        }
    }

    @Test
    void aReadTimeoutEndsTheWaitAndTheNextReadStillWakes() throws Exception {
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            CompletableFuture<Socket> accepted = CompletableFuture.supplyAsync(() -> {
                try {
                    return listener.accept();
                } catch (IOException e) {
                    throw new RuntimeException(e);
                }
            });
            String result = NettyTestSupport.onHub(hub, () -> {
                try (Socket s = new Socket(LOOPBACK, listener.getLocalPort())) {
                    s.setSoTimeout(100);
                    InputStream in = s.getInputStream();
                    try {
                        in.read();
                        return "read returned without data";
                    } catch (SocketTimeoutException expected) {
                        // the descriptor left the hub's set (nothing polled it); the next wait arms it again
                    }
                    s.setSoTimeout(0);
                    Socket peer = accepted.get(10, TimeUnit.SECONDS);
                    Thread.ofPlatform().start(() -> {
                        try {
                            peer.getOutputStream().write(42);
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    });
                    int b = in.read();
                    peer.close();
                    return "read " + b;
                }
            });
            assertEquals("read 42", result);
        }
    }

    @Test
    void interruptingAHubReaderEndsItsWait() throws Exception {
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            Socket s = NettyTestSupport.onHub(hub, () -> new Socket(LOOPBACK, listener.getLocalPort()));
            try (Socket peer = listener.accept(); s) {
                NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> s.getInputStream().read());
                reader.thread().interrupt();
                NettyTestSupport.Ending end = reader.awaitEnding();
                assertInstanceOf(SocketException.class, end.error()); // "Closed by interrupt", as on any scheduler
                assertTrue(end.interrupted());
            }
        }
    }

    @Test
    void aWriterParkedOnAFullSocketAndAReaderOfTheSameSocketBothWake() throws Exception {
        int size = 16 * 1024 * 1024;
        byte[] payload = new byte[size];
        new Random(7).nextBytes(payload);
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            Socket s = NettyTestSupport.onHub(hub, () -> new Socket(LOOPBACK, listener.getLocalPort()));
            try (Socket peer = listener.accept(); s) {
                CompletableFuture<Void> written = new CompletableFuture<>();
                hub.spawn(() -> {
                    try {
                        s.getOutputStream().write(payload); // fills the socket buffers: parks for POLLOUT
                        written.complete(null);
                    } catch (Throwable e) {
                        written.completeExceptionally(e);
                    }
                });
                await().atMost(Duration.ofSeconds(10)).until(() -> NettyTestSupport.callOnCarrier(hub,
                        () -> NettyReactor.of(hub).jdkPoller().waiting()) == 1);
                assertFalse(written.isDone());
                // The same socket's read side, on another hub thread, while the writer waits for room.
                CompletableFuture<Integer> read = new CompletableFuture<>();
                hub.spawn(() -> {
                    try {
                        read.complete(s.getInputStream().read());
                    } catch (Throwable e) {
                        read.completeExceptionally(e);
                    }
                });
                peer.getOutputStream().write(7);
                assertEquals(7, read.get(10, TimeUnit.SECONDS));
                byte[] got = new byte[size];
                new DataInputStream(peer.getInputStream()).readFully(got);
                written.get(10, TimeUnit.SECONDS);
                assertArrayEquals(payload, got);
            }
        }
    }

    @Test
    void aBlockingPipeOnAHubThreadIsPolledByTheHubToo() throws Exception {
        try (Hub hub = Hub.create()) {
            Pipe pipe = Pipe.open();
            NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> {
                ByteBuffer b = ByteBuffer.allocate(1);
                return pipe.source().read(b);
            });
            long before = NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().wakeups());
            pipe.sink().write(ByteBuffer.wrap(new byte[] {1}));
            assertEquals(null, reader.awaitEnding().error());
            long after = NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().wakeups());
            assertEquals(before + 1, after);
            pipe.source().close();
            pipe.sink().close();
        }
    }

    /** A class whose initialiser reads a byte from a JDK socket: on JDK 25 a park under {@code <clinit>} pins. */
    static final class ReadsWhileInitialising {
        static final int BYTE;
        static {
            try {
                BYTE = SocketToRead.socket.getInputStream().read();
            } catch (IOException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }

    /** Holds the socket for {@link ReadsWhileInitialising}, whose own static field would initialise it early. */
    static final class SocketToRead {
        static volatile Socket socket;
    }

    @Test
    void aPinnedHubThreadWaitingOnAJdkSocketStillWakes() throws Exception {
        // A pinned park parks the carrier itself, so the hub's loop cannot poll the descriptor: the hub's watchdog
        // drains the hub's sets from its own thread while a slice holds the carrier.
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            Socket s = NettyTestSupport.onHub(hub, () -> new Socket(LOOPBACK, listener.getLocalPort()));
            try (Socket peer = listener.accept(); s) {
                SocketToRead.socket = s;
                NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> ReadsWhileInitialising.BYTE);
                peer.getOutputStream().write(5);
                assertEquals(null, reader.awaitEnding().error());
                assertEquals(5, ReadsWhileInitialising.BYTE);
                // The watchdog counts after it has woken the thread: wait for the count rather than race it.
                await().atMost(Duration.ofSeconds(10)).until(() -> NettyReactor.of(hub).jdkPoller().rescued() == 1);
                // and the hub runs on
                assertEquals("after", NettyTestSupport.onHub(hub, () -> "after"));
            }
        }
    }

    @Test
    void aDatagramReceiveOnAHubThreadIsPolledByTheHubToo() throws Exception {
        try (Hub hub = Hub.create(); java.net.DatagramSocket receiver = new java.net.DatagramSocket(0, LOOPBACK);
             java.net.DatagramSocket sender = new java.net.DatagramSocket(0, LOOPBACK)) {
            long before = NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().wakeups());
            NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> {
                java.net.DatagramPacket p = new java.net.DatagramPacket(new byte[16], 16);
                receiver.receive(p);
                return p.getLength();
            });
            byte[] hello = {1, 2, 3};
            sender.send(new java.net.DatagramPacket(hello, hello.length, receiver.getLocalSocketAddress()));
            assertEquals(null, reader.awaitEnding().error());
            assertEquals(before + 1,
                    NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().wakeups()));
        }
    }

    @Test
    void aParkedJdkSocketWaitCountsAsAnIoRegistrationAndTheSetsDoNot() throws Exception {
        try (Hub hub = Hub.create(); ServerSocket listener = new ServerSocket(0, 8, LOOPBACK)) {
            NettyReactor reactor = NettyReactor.of(hub);
            int idle = NettyTestSupport.callOnCarrier(hub, reactor::registeredIoCount);
            Socket s = NettyTestSupport.onHub(hub, () -> new Socket(LOOPBACK, listener.getLocalPort()));
            try (Socket peer = listener.accept(); s) {
                NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> s.getInputStream().read());
                // The connect waited in the write set, the read waits in the read set: both are on the loop.
                await().atMost(Duration.ofSeconds(10)).until(() -> NettyTestSupport.callOnCarrier(hub,
                        () -> reactor.jdkPoller().loopRegistrations()) == 2);
                assertEquals(idle + 1, NettyTestSupport.callOnCarrier(hub, reactor::registeredIoCount));
                peer.getOutputStream().write(1);
                assertEquals(null, reader.awaitEnding().error());
                assertEquals(idle, NettyTestSupport.callOnCarrier(hub, reactor::registeredIoCount));
            }
        }
    }

    @Test
    void aClosedHubLeavesNoDescriptorOrThreadBehind() throws Exception {
        // Warm up what the JVM opens once (the JDK's pollers, Netty's native library), then count.
        runEchoOnAHubAndClose(2);
        int fds = NettyTestSupport.openDescriptors();
        int threads = Thread.activeCount();
        for (int i = 0; i < 3; i++) {
            runEchoOnAHubAndClose(10);
        }
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertEquals(fds, NettyTestSupport.openDescriptors(), "open descriptors");
            assertTrue(Thread.activeCount() <= threads, "platform threads: " + Thread.activeCount() + " > " + threads);
        });
    }

    /** An echo server and {@code connections} clients, all hub threads on java.net sockets; closes the hub. */
    private static void runEchoOnAHubAndClose(int connections) throws Exception {
        Hub hub = Hub.create();
        try {
            ServerSocket server = NettyTestSupport.onHub(hub, () -> new ServerSocket(0, 64, LOOPBACK));
            hub.spawn(() -> acceptAndEcho(hub, server, new AtomicBoolean()));
            CountDownLatch done = new CountDownLatch(connections);
            for (int c = 0; c < connections; c++) {
                hub.spawn(() -> {
                    try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                        pingPong(s, 20, 64);
                        done.countDown();
                    } catch (IOException e) {
                        throw new RuntimeException(e);
                    }
                });
            }
            assertTrue(done.await(60, TimeUnit.SECONDS));
            assertEquals(2, NettyTestSupport.callOnCarrier(hub, () -> NettyReactor.of(hub).jdkPoller().openSets()),
                    "read and write sets open"); // accepts and reads used the read set, connects the write set
            server.close(); // ends the accept loop; the echo handlers end at their clients' end of stream
        } finally {
            hub.close();
        }
    }

    /** Accepts on {@code server} and echoes each connection on its own hub thread, until the server closes. */
    private static void acceptAndEcho(Hub hub, ServerSocket server, AtomicBoolean offCarrier) {
        try {
            while (true) {
                Socket s = server.accept();
                hub.spawn(() -> NettyTestSupport.echoUntilEnd(s, () -> {
                    if (!NettyTestSupport.onCarrier(hub.carrierThread())) {
                        offCarrier.set(true);
                    }
                }));
            }
        } catch (IOException closed) {
            // the server socket closed: the loop ends
        }
    }

    /** {@code rounds} request/response exchanges of {@code size} bytes; returns the rounds completed. */
    private static long pingPong(Socket s, int rounds, int size) throws IOException {
        byte[] request = new byte[size];
        byte[] response = new byte[size];
        DataInputStream in = new DataInputStream(s.getInputStream());
        OutputStream out = s.getOutputStream();
        long done = 0;
        for (int r = 0; r < rounds; r++) {
            request[0] = (byte) r;
            out.write(request);
            in.readFully(response);
            if (response[0] != (byte) r) {
                throw new IOException("round " + r + " came back as " + response[0]);
            }
            done++;
        }
        return done;
    }

    /** Writes {@code size} random bytes from another thread while reading the echo; checks the CRCs match. */
    private static void checksummedExchange(Socket s, int size) throws Exception {
        byte[] data = new byte[size];
        new Random(size).nextBytes(data);
        CRC32 sent = new CRC32();
        sent.update(data);
        Thread writer = Thread.ofVirtual().start(() -> {
            try {
                OutputStream out = s.getOutputStream();
                for (int off = 0; off < size; off += 1000) {
                    out.write(data, off, Math.min(1000, size - off));
                }
                s.shutdownOutput();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        CRC32 received = new CRC32();
        InputStream in = s.getInputStream();
        byte[] buf = new byte[4096];
        long total = 0;
        int n;
        while ((n = in.read(buf)) > 0) {
            received.update(buf, 0, n);
            total += n;
        }
        assertTrue(writer.join(NettyTestSupport.JOIN));
        assertEquals(size, total);
        assertEquals(sent.getValue(), received.getValue());
    }
}
