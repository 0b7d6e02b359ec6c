package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static io.loomhub.netty.NettyTestSupport.onCarrier;
import static io.loomhub.netty.NettyTestSupport.onHub;
import static io.loomhub.netty.NettyTestSupport.parkedIn;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.netty.NettyTestSupport.Ending;
import io.loomhub.netty.NettyTestSupport.Parked;
import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.ReactorFactory;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plain {@code java.net.Socket} and {@code ServerSocket} after {@link JavaNetSockets#patch()}: hub sockets on hub
 * threads, the JDK's own everywhere else. The patch is JVM-wide and permanent, so this class runs in a surefire
 * execution of its own ({@code java-net-patched} in this module's pom), never in the JVM of the other tests.
 */
@EnabledIfSystemProperty(named = "loomhub.test.patchedJvm", matches = "true")
class JavaNetPatchedTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final VarHandle SOCKET_IMPL;
    private static final VarHandle SERVER_IMPL;
    static {
        try {
            SOCKET_IMPL = MethodHandles.privateLookupIn(Socket.class, MethodHandles.lookup())
                    .findVarHandle(Socket.class, "impl", SocketImpl.class);
            SERVER_IMPL = MethodHandles.privateLookupIn(ServerSocket.class, MethodHandles.lookup())
                    .findVarHandle(ServerSocket.class, "impl", SocketImpl.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Hub hub;

    @BeforeAll
    static void patch() {
        JavaNetSockets.patch();
    }

    @BeforeEach
    void startHub() {
        hub = Hub.builder().name("patched").build();
    }

    @AfterEach
    void closeHub() {
        hub.close();
    }

    private static SocketImpl implOf(Socket s) {
        return (SocketImpl) SOCKET_IMPL.get(s);
    }

    private static SocketImpl implOf(ServerSocket s) {
        return (SocketImpl) SERVER_IMPL.get(s);
    }

    /** Echoes every connection of {@code server} on a thread of its own, until the server socket closes. */
    private static void serveEcho(ServerSocket server, Thread.Builder threads) {
        threads.start(() -> {
            while (true) {
                Socket s;
                try {
                    s = server.accept();
                } catch (IOException closed) {
                    return;
                }
                threads.start(() -> NettyTestSupport.echoUntilEnd(s, () -> { }));
            }
        });
    }

    private static void echoRoundTrip(Socket s, int bytes, long seed) throws IOException {
        byte[] sent = new byte[bytes];
        new Random(seed).nextBytes(sent);
        CRC32 crc = new CRC32();
        crc.update(sent);
        OutputStream out = s.getOutputStream();
        DataInputStream in = new DataInputStream(s.getInputStream());
        byte[] back = new byte[bytes];
        for (int off = 0; off < bytes; off += 1024) {
            out.write(sent, off, Math.min(1024, bytes - off));
        }
        in.readFully(back);
        CRC32 got = new CRC32();
        got.update(back);
        assertEquals(crc.getValue(), got.getValue(), "echo corrupted the bytes");
    }

    @Test
    void echoBetweenHubThreadsRunsOnHubSocketsOnTheCarrier() throws Exception {
        int connections = 200;
        HubSocketStats before = HubSocket.stats(hub);
        AtomicBoolean offCarrier = new AtomicBoolean();
        AtomicInteger hubImpls = new AtomicInteger();
        long externalBefore = hub.stats().externalSubmissions();
        onHub(hub, () -> {
            try (ServerSocket server = new ServerSocket(0, 256, LOOPBACK)) {
                assertInstanceOf(HubServerSocketImpl.class, implOf(server));
                assertNull(server.getChannel());
                serveEcho(server, Thread.ofVirtual());
                List<Thread> clients = new ArrayList<>();
                for (int i = 0; i < connections; i++) {
                    long seed = i;
                    clients.add(Thread.ofVirtual().start(() -> {
                        try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                            if (implOf(s) instanceof HubSocketImpl) {
                                hubImpls.incrementAndGet();
                            }
                            for (int round = 0; round < 4; round++) {
                                echoRoundTrip(s, 8 * 1024, seed * 31 + round);
                                if (!onCarrier(hub.carrierThread())) {
                                    offCarrier.set(true);
                                }
                            }
                        } catch (IOException e) {
                            throw new RuntimeException(e);
                        }
                    }));
                }
                for (Thread t : clients) {
                    assertTrue(t.join(JOIN));
                }
            }
            return null;
        });
        assertEquals(connections, hubImpls.get(), "every client socket made on the hub is a hub socket");
        assertFalse(offCarrier.get(), "a slice ran off the carrier");
        HubSocketStats after = HubSocket.stats(hub);
        assertEquals(2L * connections, after.opened() - before.opened(), "client and accepted sides are hub sockets");
        assertEquals(0, after.leaked() - before.leaked(), "patched sockets belong to no thread");
        // JDK sockets on a hub are resumed by the JDK's poller threads, through the hub's external queue; hub sockets
        // by the hub's own loop. Only the test's spawn of the first hub thread comes from outside.
        assertTrue(hub.stats().externalSubmissions() - externalBefore <= 2,
                "resumes came from outside the hub: " + hub.stats());
        await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
    }

    /** The same program on a platform thread and on a default-scheduler virtual thread. */
    private static void jdkEcho(String who) throws Exception {
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            assertEquals("sun.nio.ch.NioSocketImpl", implOf(server).getClass().getName(), who);
            serveEcho(server, Thread.ofVirtual());
            try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                assertEquals("java.net.SocksSocketImpl", implOf(s).getClass().getName(),
                        who + ": the JDK's own client socket, as without a factory");
                echoRoundTrip(s, 64 * 1024, 42);
            }
        }
    }

    private static void onDefaultScheduler(String who) throws Exception {
        CompletableFuture<Void> done = new CompletableFuture<>();
        Thread.ofVirtual().start(() -> {
            try {
                jdkEcho(who);
                done.complete(null);
            } catch (Throwable e) {
                done.completeExceptionally(e);
            }
        });
        done.get(30, TimeUnit.SECONDS);
    }

    @Test
    void platformAndDefaultSchedulerThreadsKeepJdkSocketsEvenWhileTheHubIsBlockedOrClosed() throws Exception {
        jdkEcho("platform thread");
        onDefaultScheduler("default-scheduler virtual thread");

        CountDownLatch spinning = new CountDownLatch(1);
        AtomicBoolean release = new AtomicBoolean();
        hub.spawn(() -> {
            spinning.countDown();
            while (!release.get()) {
                Thread.onSpinWait(); // holds the carrier: nothing else runs on the hub
            }
        });
        assertTrue(spinning.await(10, TimeUnit.SECONDS));
        try {
            jdkEcho("platform thread, hub blocked");
            onDefaultScheduler("default-scheduler virtual thread, hub blocked");
        } finally {
            release.set(true);
        }

        onHub(hub, () -> {
            try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
                serveEcho(server, Thread.ofVirtual());
                try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                    echoRoundTrip(s, 4096, 1);
                }
            }
            return null;
        });
        hub.close();
        assertTrue(hub.awaitTermination(JOIN));
        jdkEcho("platform thread, hub closed");
        onDefaultScheduler("default-scheduler virtual thread, hub closed");
    }

    /** A connected pair of patched sockets made on the hub: [client, accepted]. */
    private Socket[] connectedPair() throws Exception {
        return onHub(hub, () -> {
            try (ServerSocket server = new ServerSocket(0, 10, LOOPBACK)) {
                Socket client = new Socket(LOOPBACK, server.getLocalPort());
                Socket accepted = server.accept();
                assertInstanceOf(HubSocketImpl.class, implOf(accepted));
                assertEquals(client.getLocalPort(), accepted.getPort());
                assertEquals(server.getLocalPort(), client.getPort());
                return new Socket[] {client, accepted};
            }
        });
    }

    @Test
    void readTimeoutThrowsSocketTimeoutExceptionAndTheSocketStaysUsable() throws Exception {
        Socket[] pair = connectedPair();
        onHub(hub, () -> {
            pair[0].setSoTimeout(100);
            assertEquals(100, pair[0].getSoTimeout());
            assertThrows(SocketTimeoutException.class, () -> pair[0].getInputStream().read());
            pair[1].getOutputStream().write(7);
            assertEquals(7, pair[0].getInputStream().read());
            return null;
        });
        pair[0].close();
        pair[1].close();
    }

    @Test
    void closeFromAnotherThreadWakesAParkedReader() throws Exception {
        Socket[] pair = connectedPair();
        Parked reader = parkedIn(hub, () -> pair[0].getInputStream().read());
        pair[0].close(); // from this platform thread
        SocketException e = assertInstanceOf(SocketException.class, reader.awaitEnding().error());
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        assertTrue(pair[0].isClosed());
        pair[1].close();
    }

    @Test
    void interruptedReaderClosesTheSocketAsJdkSocketsDo() throws Exception {
        Socket[] pair = connectedPair();
        Parked reader = parkedIn(hub, () -> pair[0].getInputStream().read());
        reader.thread().interrupt();
        Ending ending = reader.awaitEnding();
        SocketException e = assertInstanceOf(SocketException.class, ending.error());
        assertEquals("Closed by interrupt", e.getMessage());
        assertTrue(ending.interrupted());
        assertTrue(pair[0].isClosed(), "java.net.Socket itself is closed, as after a JDK socket's interrupt");
        pair[1].close();
    }

    @Test
    void halfCloseDeliversEndOfStreamAndStillCarriesTheReply() throws Exception {
        Socket[] pair = connectedPair();
        onHub(hub, () -> {
            pair[0].getOutputStream().write(new byte[] {1, 2, 3});
            pair[0].shutdownOutput();
            assertTrue(pair[0].isOutputShutdown());
            assertThrows(SocketException.class, () -> pair[0].getOutputStream().write(4));
            InputStream in = pair[1].getInputStream();
            assertEquals(1, in.read());
            assertEquals(2, in.read());
            assertEquals(3, in.read());
            assertEquals(-1, in.read());
            pair[1].getOutputStream().write(9);
            InputStream clientIn = pair[0].getInputStream();
            assertEquals(9, clientIn.read());
            pair[0].shutdownInput();
            assertTrue(pair[0].isInputShutdown());
            assertEquals(-1, clientIn.read());
            return null;
        });
        pair[0].close();
        pair[1].close();
    }

    @Test
    void connectionRefusedThrowsConnectExceptionAndClosesTheSocket() throws Exception {
        int port;
        try (ServerSocket free = new ServerSocket(0, 1, LOOPBACK)) { // this platform thread: a JDK socket
            port = free.getLocalPort();
        }
        onHub(hub, () -> {
            Socket s = new Socket();
            assertThrows(ConnectException.class, () -> s.connect(new InetSocketAddress(LOOPBACK, port), 5000));
            assertTrue(s.isClosed());
            return null;
        });
    }

    @Test
    void connectTimeoutThrowsSocketTimeoutExceptionAndClosesTheSocket() throws Exception {
        // Made on this platform thread, so a JDK listener; it never accepts, so once its backlog of one is full the
        // kernel drops further SYNs and a connect waits for its timeout.
        try (ServerSocket full = new ServerSocket(0, 1, LOOPBACK)) {
            InetSocketAddress address = new InetSocketAddress(LOOPBACK, full.getLocalPort());
            List<Socket> connected = new ArrayList<>();
            try {
                SocketTimeoutException timedOut = onHub(hub, () -> {
                    for (int i = 0; i < 20; i++) {
                        Socket s = new Socket();
                        try {
                            s.connect(address, 200);
                            connected.add(s);
                        } catch (SocketTimeoutException e) {
                            assertTrue(s.isClosed());
                            return e;
                        }
                    }
                    return null;
                });
                assertTrue(timedOut != null && timedOut.getMessage().contains("Connect timed out"),
                        "no patched connect timed out against a full accept queue: " + timedOut);
            } finally {
                for (Socket s : connected) {
                    s.close();
                }
            }
        }
    }

    @Test
    void socketOptionsReachTheConnection() throws Exception {
        Socket[] pair = connectedPair();
        Socket s = pair[0];
        onHub(hub, () -> {
            for (boolean on : new boolean[] {false, true}) { // the legacy setters, read back both ways
                s.setTcpNoDelay(on);
                s.setKeepAlive(on);
                assertEquals(on, s.getOption(StandardSocketOptions.TCP_NODELAY));
                assertEquals(on, s.getKeepAlive());
            }
            s.setReceiveBufferSize(64 * 1024);
            assertTrue(s.getReceiveBufferSize() >= 64 * 1024);
            s.setOption(StandardSocketOptions.SO_SNDBUF, 32 * 1024);
            assertTrue(s.getSendBufferSize() >= 32 * 1024);
            s.setSoLinger(true, 5);
            assertEquals(5, s.getSoLinger());
            s.setSoLinger(false, 0);
            assertEquals(-1, s.getSoLinger());
            assertTrue(s.supportedOptions().contains(StandardSocketOptions.TCP_NODELAY));
            assertThrows(UnsupportedOperationException.class,
                    () -> s.setOption(StandardSocketOptions.IP_MULTICAST_LOOP, true));
            SocketException urgent = assertThrows(SocketException.class, () -> s.sendUrgentData(1));
            assertTrue(urgent.getMessage().contains("Urgent data not supported"), urgent.getMessage());
            assertNull(s.getChannel());
            assertEquals(LOOPBACK, s.getInetAddress());
            assertEquals(LOOPBACK, s.getLocalAddress());
            return null;
        });
        s.close();
        assertThrows(SocketException.class, () -> s.getInputStream());
        assertThrows(SocketException.class, () -> s.setTcpNoDelay(true));
        pair[1].close();
    }

    @Test
    void aPatchedSocketOutlivesTheHubThreadThatOpenedItAndServesOtherThreads() throws Exception {
        Socket[] pair = connectedPair(); // opened by a hub thread that has ended since
        onHub(hub, () -> {
            pair[0].getOutputStream().write(5);
            return null;
        });
        // A platform thread reads and writes the hub socket: its calls run on the carrier.
        assertEquals(5, pair[1].getInputStream().read());
        pair[1].getOutputStream().write(6);
        assertEquals(6, pair[0].getInputStream().read());
        assertEquals(0, HubSocket.stats(hub).leaked());
        pair[0].close();
        pair[1].close();
    }

    @Test
    void aServerSocketMadeOnTheHubAcceptsHubSocketsOnAnyThread() throws Exception {
        ServerSocket server = onHub(hub, () -> new ServerSocket(0, 10, LOOPBACK));
        Socket client = onHub(hub, () -> new Socket(LOOPBACK, server.getLocalPort()));
        Socket accepted = server.accept(); // this platform thread: the accept runs on the carrier
        assertInstanceOf(HubSocketImpl.class, implOf(accepted));
        assertEquals(client.getLocalPort(), accepted.getPort());
        client.getOutputStream().write(3);
        assertEquals(3, accepted.getInputStream().read());
        accepted.close();
        client.close();
        server.close();
        assertTrue(server.isClosed());
    }

    @Test
    void serverSocketTimeoutAndCloseBehaveAsJavaNet() throws Exception {
        ServerSocket server = onHub(hub, () -> new ServerSocket(0, 10, LOOPBACK));
        onHub(hub, () -> {
            server.setSoTimeout(50);
            assertThrows(SocketTimeoutException.class, server::accept);
            assertTrue(server.getReuseAddress());
            return null;
        });
        server.setSoTimeout(0);
        Parked acceptor = parkedIn(hub, server::accept);
        server.close();
        assertInstanceOf(SocketException.class, acceptor.awaitEnding().error());
        assertTrue(server.isClosed());
    }

    @Test
    void descriptorsReturnToTheBaselineAfterManyConnections() throws Exception {
        int baseline = NettyTestSupport.openDescriptors();
        onHub(hub, () -> {
            try (ServerSocket server = new ServerSocket(0, 256, LOOPBACK)) {
                serveEcho(server, Thread.ofVirtual());
                for (int i = 0; i < 300; i++) {
                    try (Socket s = new Socket(LOOPBACK, server.getLocalPort())) {
                        echoRoundTrip(s, 256, i);
                    }
                }
            }
            return null;
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
        await().atMost(Duration.ofSeconds(10)).until(() -> NettyTestSupport.openDescriptors() <= baseline);
    }

    /** A TLS context whose key and trust are one throwaway self-signed certificate, made with the JDK's keytool. */
    private static SSLContext selfSignedTls(Path dir) throws Exception {
        Path store = dir.resolve("tls.p12");
        char[] password = "changeit".toCharArray();
        Process keytool = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "keytool").toString(),
                "-genkeypair", "-keyalg", "EC", "-alias", "test", "-dname", "CN=localhost", "-validity", "1",
                "-storetype", "PKCS12", "-keystore", store.toString(), "-storepass", "changeit")
                .redirectErrorStream(true).start();
        String out = new String(keytool.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(keytool.waitFor(60, TimeUnit.SECONDS) && keytool.exitValue() == 0, "keytool failed: " + out);
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(store)) {
            ks.load(in, password);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(ks, password);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(ks);
        SSLContext tls = SSLContext.getInstance("TLS");
        tls.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return tls;
    }

    @Test
    void tlsSocketsMadeOnTheHubRunOverPatchedSockets(@TempDir Path dir) throws Exception {
        SSLContext tls = selfSignedTls(dir);
        long opened = HubSocket.stats(hub).opened();
        onHub(hub, () -> {
            try (ServerSocket server = tls.getServerSocketFactory().createServerSocket(0, 10, LOOPBACK)) {
                assertInstanceOf(HubServerSocketImpl.class, implOf(server));
                serveEcho(server, Thread.ofVirtual());
                try (Socket s = tls.getSocketFactory().createSocket(LOOPBACK, server.getLocalPort())) {
                    assertInstanceOf(HubSocketImpl.class, implOf(s));
                    echoRoundTrip(s, 64 * 1024, 3);
                }
            }
            return null;
        });
        assertEquals(2, HubSocket.stats(hub).opened() - opened, "the TLS client and the accepted side");
    }

    @Test
    void theBareCarrierAndAHubWithoutTheNettyReactorKeepJdkSockets() throws Exception {
        CompletableFuture<String> onCarrier = new CompletableFuture<>();
        hub.execute(() -> { // a carrier callback, outside any virtual thread: a JDK socket would block the hub
            try (Socket s = new Socket()) {
                onCarrier.complete(implOf(s).getClass().getName());
            } catch (Throwable e) {
                onCarrier.completeExceptionally(e);
            }
        });
        assertEquals("java.net.SocksSocketImpl", onCarrier.get(10, TimeUnit.SECONDS));
        try (Hub parking = Hub.builder().name("no-netty").reactor(ReactorFactory.parking()).build()) {
            String impl = onHub(parking, () -> {
                try (Socket s = new Socket()) {
                    return implOf(s).getClass().getName();
                }
            });
            assertEquals("java.net.SocksSocketImpl", impl, "no Netty loop to serve it: the JDK's own");
        }
    }

    @Test
    void patchIsIdempotent() {
        assertTrue(JavaNetSockets.isPatched());
        JavaNetSockets.patch();
        assertTrue(JavaNetSockets.isPatched());
    }
}
