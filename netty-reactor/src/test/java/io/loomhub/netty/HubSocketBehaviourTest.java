package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static io.loomhub.netty.NettyTestSupport.onHub;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** java.net behaviour of hub sockets: errors, timeouts, half-close, options, ownership of directions. */
class HubSocketBehaviourTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Hub hub;

    @BeforeEach
    void startHub() {
        hub = Hub.builder().name("sockets").build();
    }

    @AfterEach
    void closeHub() {
        hub.close();
    }

    /** A connected pair on the hub: [client, server side]. */
    private HubSocket[] connectedPair() throws Exception {
        return onHub(hub, () -> {
            try (HubServerSocket server = new HubServerSocket(0, 10, LOOPBACK)) {
                HubSocket client = new HubSocket(LOOPBACK, server.getLocalPort());
                HubSocket accepted = (HubSocket) server.accept();
                // Owned by nobody: the test threads come and go.
                client.detach();
                accepted.detach();
                return new HubSocket[] {client, accepted};
            }
        });
    }

    @Test
    void readTimeoutThrowsSocketTimeoutExceptionAndSocketStaysUsable() throws Exception {
        HubSocket[] pair = connectedPair();
        String result = onHub(hub, () -> {
            pair[0].setSoTimeout(100);
            InputStream in = pair[0].getInputStream();
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, in::read);
            assertTrue(e.getMessage().contains("Read timed out"), e.getMessage());
            pair[1].getOutputStream().write('x');
            return String.valueOf((char) in.read());
        });
        assertEquals("x", result);
    }

    @Test
    void bytesCopiedIntoAReadersArrayJustAsItTimesOutAreReturnedNotDropped() throws Exception {
        // A reader off the hub's carrier runs each step as its own carrier call. Its last step before the timeout
        // finds nothing and leaves its array registered; the loop's read callback may copy bytes into that array
        // before the reader's next call, which ends the read. Those bytes are the read's result: they used to be
        // dropped while the reader got SocketTimeoutException. The test holds the carrier so that the callback runs
        // exactly between those two calls (it is invoked directly, as Netty would invoke it).
        HubSocket[] pair = connectedPair();
        HubChannel hc = pair[0].connection();
        int timeoutMillis = 1000;
        pair[0].setSoTimeout(timeoutMillis);
        byte[] late = "late".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[16];
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Thread reader = startParkedOn(hc, outcome, () -> pair[0].getInputStream().read(buf));
        long parkedBy = System.nanoTime(); // its deadline is at most this plus the timeout
        CompletableFuture<Void> held = new CompletableFuture<>();
        hub.execute(() -> {
            try {
                // Hold the carrier until the reader has passed its deadline and asked for its next step.
                long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                while (System.nanoTime() < giveUp && (System.nanoTime() - parkedBy < TimeUnit.MILLISECONDS.toNanos(timeoutMillis)
                        || !(java.util.concurrent.locks.LockSupport.getBlocker(reader) instanceof CarrierCall))) {
                    Thread.onSpinWait();
                }
                // Queue the read callback behind that step, from another thread: the hub's external queue is FIFO,
                // and the reader asks for its last call only once the step has answered.
                io.netty.channel.ChannelHandlerContext ctx = hc.channel().pipeline().context(hc);
                Thread queuer = Thread.ofPlatform().start(() -> hub.execute(() -> {
                    hc.channelRead(ctx, io.netty.buffer.Unpooled.wrappedBuffer(late));
                    hc.channelReadComplete(ctx);
                }));
                queuer.join(JOIN);
                held.complete(null);
            } catch (Throwable e) {
                held.completeExceptionally(e);
            }
        });
        held.get(30, TimeUnit.SECONDS);
        assertTrue(reader.join(JOIN));
        Object result = outcome.get(30, TimeUnit.SECONDS);
        assertEquals(late.length, result, "the read's result (not a timeout, not lost bytes)");
        assertArrayEquals(late, java.util.Arrays.copyOf(buf, late.length));
    }

    @Test
    void aReaderOffTheCarrierStaysParkedUntilDataComesInsteadOfPollingTheCarrier() throws Exception {
        // Each step of a reader off the carrier is a carrier call. The call used to hand its park permit back after
        // every wait, so the reader's park after a step returned at once and it went round through carrier calls,
        // parked on its socket only for moments, until data came.
        HubSocket[] pair = connectedPair();
        HubChannel hc = pair[0].connection();
        byte[] buf = new byte[16];
        CompletableFuture<Object> outcome = new CompletableFuture<>();
        Thread reader = startParkedOn(hc, outcome, () -> pair[0].getInputStream().read(buf));
        long slices = hub.stats().slices();
        // Parked on its socket, continuously, with the carrier left alone.
        await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                .until(() -> java.util.concurrent.locks.LockSupport.getBlocker(reader) == hc);
        assertTrue(hub.stats().slices() - slices < 20, "the carrier ran " + (hub.stats().slices() - slices)
                + " slices while the reader waited");
        onHub(hub, () -> {
            pair[1].getOutputStream().write('x');
            return null;
        });
        assertEquals(1, outcome.get(30, TimeUnit.SECONDS));
        assertEquals('x', buf[0]);
    }

    @Test
    void anAcceptorOffTheCarrierStaysParkedUntilAConnectionComes() throws Exception {
        // The accept loop's wait after a step had the same permit hand-back as a reader's (see above).
        HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 10, LOOPBACK));
        try {
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread acceptor = startParkedOn(server, outcome, () -> {
                try (java.net.Socket accepted = server.accept()) {
                    return accepted.getPort();
                }
            });
            long slices = hub.stats().slices();
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(1))
                    .until(() -> java.util.concurrent.locks.LockSupport.getBlocker(acceptor) == server);
            assertTrue(hub.stats().slices() - slices < 20, "the carrier ran " + (hub.stats().slices() - slices)
                    + " slices while the acceptor waited");
            try (java.net.Socket client = new java.net.Socket(LOOPBACK, server.getLocalPort())) {
                assertEquals(client.getLocalPort(), outcome.get(30, TimeUnit.SECONDS));
            }
        } finally {
            server.close();
        }
    }

    @Test
    void aWakeUpThatCoincidesWithTheCompletionOfAReadersStepIsNotLost() throws Exception {
        // The carrier completes a reader's step (which registers it to wait) and, before the reader has run again,
        // delivers bytes and wakes it once more. A virtual thread consumes its park permit when it resumes, so the
        // two unparks make one wake-up, taken by the step's own wait. The reader must not then park for good with
        // the bytes already in its array. The reader is a thread of a second hub, whose carrier the test holds
        // while the first hub's carrier runs both, so the two unparks land before it resumes, every time.
        HubSocket[] pair = connectedPair();
        HubChannel hc = pair[0].connection();
        byte[] sent = "coincident".getBytes(StandardCharsets.US_ASCII);
        byte[] buf = new byte[16];
        try (Hub other = Hub.builder().name("other").build()) {
            CompletableFuture<Void> releaseHub = hold(hub);
            CompletableFuture<Object> outcome = new CompletableFuture<>();
            Thread reader = other.spawn(() -> {
                try {
                    outcome.complete(pair[0].getInputStream().read(buf));
                } catch (Throwable e) {
                    outcome.complete(e);
                }
            });
            await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                    .until(() -> java.util.concurrent.locks.LockSupport.getBlocker(reader) instanceof CarrierCall);
            CompletableFuture<Void> releaseOther = hold(other);
            // Queued behind the reader's step on the first hub (its external queue is FIFO).
            io.netty.channel.ChannelHandlerContext ctx = hc.channel().pipeline().context(hc);
            CompletableFuture<Void> delivered = new CompletableFuture<>();
            hub.execute(() -> {
                hc.channelRead(ctx, io.netty.buffer.Unpooled.wrappedBuffer(sent));
                hc.channelReadComplete(ctx);
                delivered.complete(null);
            });
            releaseHub.complete(null);
            delivered.get(30, TimeUnit.SECONDS); // the step has completed and the bytes are in the reader's array
            releaseOther.complete(null);
            Object result = outcome.get(30, TimeUnit.SECONDS);
            assertEquals(sent.length, result, "the delivered bytes, not a reader parked for good");
            assertArrayEquals(sent, java.util.Arrays.copyOf(buf, sent.length));
        }
    }

    /**
     * Starts a platform thread that runs {@code call} into {@code outcome} (its result or what it threw), and returns
     * it once it is parked on {@code blocker}; fails if the call ends first.
     */
    private static Thread startParkedOn(Object blocker, CompletableFuture<Object> outcome,
                                        java.util.concurrent.Callable<Object> call) {
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                outcome.complete(call.call());
            } catch (Throwable e) {
                outcome.complete(e);
            }
        });
        await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
                .until(() -> java.util.concurrent.locks.LockSupport.getBlocker(t) == blocker || outcome.isDone());
        assertFalse(outcome.isDone(), () -> "it ended before it parked: " + outcome.getNow(null));
        return t;
    }

    /** Holds {@code h}'s carrier in a callback until the returned future completes; returns once it holds it. */
    private static CompletableFuture<Void> hold(Hub h) throws Exception {
        CompletableFuture<Void> release = new CompletableFuture<>();
        CompletableFuture<Void> holding = new CompletableFuture<>();
        h.execute(() -> {
            holding.complete(null);
            release.join();
        });
        holding.get(30, TimeUnit.SECONDS);
        return release;
    }

    @Test
    void aParkedReaderGetsTheFirstBytesStraightIntoItsArrayAndTheRestInOrder() throws Exception {
        HubSocket[] pair = connectedPair();
        byte[] sent = new byte[100];
        for (int i = 0; i < sent.length; i++) {
            sent[i] = (byte) i;
        }
        NettyReactor reactor = NettyReactor.of(hub);
        long before = NettyTestSupport.callOnCarrier(hub, () -> reactor.directReads);
        CompletableFuture<byte[]> got = new CompletableFuture<>();
        NettyTestSupport.Parked reader = NettyTestSupport.parkedIn(hub, () -> {
            InputStream in = pair[0].getInputStream();
            byte[] small = new byte[10]; // smaller than what arrives: the rest must wait in the queue
            int n = in.read(small);
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            all.write(small, 0, n);
            all.write(in.readNBytes(sent.length - n));
            got.complete(all.toByteArray());
            return n;
        });
        onHub(hub, () -> {
            pair[1].getOutputStream().write(sent);
            return null;
        });
        assertArrayEquals(sent, got.get(30, TimeUnit.SECONDS));
        assertEquals(null, reader.awaitEnding().error());
        assertTrue(NettyTestSupport.callOnCarrier(hub, () -> reactor.directReads) > before,
                "the parked reader's first bytes were copied into its array by the loop's callback");
    }

    @Test
    void connectRefusedThrowsConnectException() throws Exception {
        int port = onHub(hub, () -> {
            HubServerSocket s = new HubServerSocket(0, 1, LOOPBACK);
            int p = s.getLocalPort();
            s.close();
            return p;
        });
        ConnectException e = assertThrows(ConnectException.class,
                () -> onHub(hub, () -> new HubSocket(LOOPBACK, port)));
        assertTrue(e.getMessage().contains("Connection refused"), e.getMessage());
    }

    @Test
    void connectTimeoutThrowsSocketTimeoutException() throws Exception {
        // A listener that never accepts, with backlog 1: once its accept queue is full, the kernel drops new SYNs
        // and a connect waits until its timeout.
        try (HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 1, LOOPBACK))) {
            InetSocketAddress address = new InetSocketAddress(LOOPBACK, server.getLocalPort());
            SocketTimeoutException timedOut = onHub(hub, () -> {
                List<HubSocket> filling = new ArrayList<>();
                try {
                    for (int i = 0; i < 20; i++) {
                        HubSocket s = new HubSocket(hub);
                        try {
                            s.connect(address, 200);
                            filling.add(s);
                        } catch (SocketTimeoutException e) {
                            assertTrue(s.isClosed(), "a socket whose connect failed is closed");
                            return e;
                        }
                    }
                    return null;
                } finally {
                    for (HubSocket s : filling) {
                        s.close();
                    }
                }
            });
            assertNotNull(timedOut, "no connect timed out against a full accept queue");
            assertTrue(timedOut.getMessage().contains("Connect timed out"), timedOut.getMessage());
            assertEquals(0, server.readyCount(), "the server socket must not accept connections nobody asked for");
        }
    }

    @Test
    void halfCloseDeliversEndOfStreamAndStillCarriesTheReply() throws Exception {
        HubSocket[] pair = connectedPair();
        Thread server = hub.spawn(() -> {
            try {
                byte[] request = pair[1].getInputStream().readAllBytes(); // until the client's FIN
                pair[1].getOutputStream().write(("got " + request.length).getBytes(StandardCharsets.UTF_8));
                pair[1].close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        String reply = onHub(hub, () -> {
            pair[0].getOutputStream().write(new byte[5000]);
            pair[0].shutdownOutput();
            assertTrue(pair[0].isOutputShutdown());
            SocketException e = assertThrows(SocketException.class, () -> pair[0].getOutputStream());
            assertTrue(e.getMessage().contains("output is shutdown"), e.getMessage());
            return new String(pair[0].getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        });
        assertTrue(server.join(JOIN));
        assertEquals("got 5000", reply);
    }

    @Test
    void shutdownInputMakesReadsReturnEndOfStream() throws Exception {
        HubSocket[] pair = connectedPair();
        int r = onHub(hub, () -> {
            InputStream in = pair[0].getInputStream();
            pair[1].getOutputStream().write(1);
            pair[0].shutdownInput();
            return in.read();
        });
        assertEquals(-1, r);
        assertTrue(pair[0].isInputShutdown());
        SocketException e = assertThrows(SocketException.class, () -> pair[0].getInputStream());
        assertTrue(e.getMessage().contains("input is shutdown"), e.getMessage());
    }

    @Test
    void peerResetThrowsConnectionReset() throws Exception {
        HubSocket[] pair = connectedPair();
        SocketException e = assertThrows(SocketException.class, () -> onHub(hub, () -> {
            pair[1].setSoLinger(true, 0);
            pair[1].close(); // RST
            InputStream in = pair[0].getInputStream();
            return in.read();
        }));
        assertTrue(e.getMessage().contains("Connection reset"), e.getMessage());
    }

    @Test
    void closedSocketUseThrowsSocketException() throws Exception {
        HubSocket[] pair = connectedPair();
        InputStream in = onHub(hub, () -> pair[0].getInputStream());
        OutputStream out = onHub(hub, () -> pair[0].getOutputStream());
        pair[0].close();
        assertTrue(pair[0].isClosed());
        SocketException read = assertThrows(SocketException.class, () -> onHub(hub, in::read));
        assertTrue(read.getMessage().contains("Socket closed"), read.getMessage());
        SocketException write = assertThrows(SocketException.class, () -> onHub(hub, () -> {
            out.write(1);
            return null;
        }));
        assertTrue(write.getMessage().contains("Socket closed"), write.getMessage());
        SocketException stream = assertThrows(SocketException.class, pair[0]::getInputStream);
        assertTrue(stream.getMessage().contains("Socket is closed"), stream.getMessage());
        assertThrows(SocketException.class, () -> pair[0].setTcpNoDelay(true));
        pair[0].close(); // idempotent
    }

    @Test
    void twoConcurrentReadersGetAnExceptionNamingBoth() throws Exception {
        HubSocket[] pair = connectedPair();
        InputStream in = onHub(hub, () -> pair[0].getInputStream());
        AtomicReference<Integer> firstGot = new AtomicReference<>();
        Thread first = hub.ofVirtual().name("first-reader").start(() -> {
            try {
                firstGot.set(in.read());
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> first.getState() == Thread.State.WAITING);
        ConcurrentSocketUseException e = assertThrows(ConcurrentSocketUseException.class,
                () -> NettyTestSupport.onHub(hub, "second-reader", in::read));
        assertTrue(e.getMessage().contains("first-reader"), e.getMessage());
        assertTrue(e.getMessage().contains("second-reader"), e.getMessage());
        assertEquals(first, e.activeThread());
        // The first reader was not disturbed.
        onHub(hub, () -> {
            pair[1].getOutputStream().write(42);
            return null;
        });
        assertTrue(first.join(JOIN));
        assertEquals(42, firstGot.get());
    }

    @Test
    void twoConcurrentWritersGetAnExceptionNamingBoth() throws Exception {
        HubSocket[] pair = connectedPair();
        OutputStream out = onHub(hub, () -> pair[0].getOutputStream());
        // The peer never reads: the first writer fills the buffers and parks on back-pressure.
        Thread first = hub.ofVirtual().name("first-writer").start(() -> {
            try {
                out.write(new byte[8 << 20]);
            } catch (IOException expected) {
                // the socket is closed at the end of the test
            }
        });
        await().atMost(Duration.ofSeconds(10)).until(() -> first.getState() == Thread.State.WAITING);
        ConcurrentSocketUseException e = assertThrows(ConcurrentSocketUseException.class,
                () -> NettyTestSupport.onHub(hub, "second-writer", () -> {
                    out.write(1);
                    return null;
                }));
        assertTrue(e.getMessage().contains("first-writer") && e.getMessage().contains("second-writer"),
                e.getMessage());
        pair[0].close();
        assertTrue(first.join(JOIN));
    }

    @Test
    void closeFromAnotherThreadWakesParkedReaderWithSocketClosed() throws Exception {
        HubSocket[] pair = connectedPair();
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread reader = hub.spawn(() -> {
            try {
                pair[0].getInputStream().read();
            } catch (Throwable e) {
                got.set(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING);
        // Closed by a platform thread, not on the hub.
        Thread.ofPlatform().start(() -> {
            try {
                pair[0].close();
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        }).join(JOIN);
        assertTrue(reader.join(JOIN), "close() did not wake the parked reader");
        assertInstanceOf(SocketException.class, got.get());
        assertTrue(got.get().getMessage().contains("Socket closed"), got.get().getMessage());
    }

    @Test
    void interruptedReaderClosesTheSocketLikeJdkVirtualThreads() throws Exception {
        HubSocket[] pair = connectedPair();
        AtomicReference<Throwable> got = new AtomicReference<>();
        AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
        Thread reader = hub.spawn(() -> {
            try {
                pair[0].getInputStream().read();
            } catch (Throwable e) {
                got.set(e);
                stillInterrupted.set(Thread.currentThread().isInterrupted());
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING);
        reader.interrupt();
        assertTrue(reader.join(JOIN));
        assertInstanceOf(SocketException.class, got.get());
        assertEquals("Closed by interrupt", got.get().getMessage());
        assertTrue(stillInterrupted.get());
        assertTrue(pair[0].isClosed() || onHub(hub, () -> {
            assertThrows(SocketException.class, () -> pair[0].getInputStream().read());
            return true;
        }));
    }

    @Test
    void writerToAPeerThatStopsReadingIsHeldBackWithBoundedOutboundBytes() throws Exception {
        HubSocket[] pair = connectedPair();
        final long oneGiB = 1L << 30;
        AtomicLong written = new AtomicLong();
        AtomicReference<Throwable> writerEnd = new AtomicReference<>();
        Thread writer = hub.ofVirtual().name("gib-writer").start(() -> {
            try {
                OutputStream out = pair[0].getOutputStream();
                byte[] chunk = new byte[64 * 1024];
                while (written.get() < oneGiB) {
                    out.write(chunk);
                    written.addAndGet(chunk.length);
                }
            } catch (Throwable e) {
                writerEnd.set(e);
            }
        });
        // The peer reads a little, then stops reading.
        byte[] some = onHub(hub, () -> pair[1].getInputStream().readNBytes(1 << 20));
        assertEquals(1 << 20, some.length);
        // The writer must come to rest, parked on back-pressure, long before 1 GiB.
        await().atMost(Duration.ofSeconds(30)).until(() -> writer.getState() == Thread.State.WAITING
                && stable(written));
        long held = onHub(hub, () -> pair[0].connection().reactor.peakOutboundBytes); // the only socket writing
        long bound = HubChannel.WRITE_HIGH_WATER + HubChannel.WRITE_HIGH_WATER + HubChannel.WRITE_CHUNK;
        assertTrue(held <= bound, "the socket held " + held + " outbound bytes in user space; bound " + bound);
        assertTrue(written.get() < oneGiB / 8, "the writer was not held back: wrote " + written.get());
        // The reading side stopped reading from the kernel too (auto-read paused): bounded inbound bytes.
        int unread = onHub(hub, () -> pair[1].getInputStream().available());
        int inboundBound = HubChannel.READ_PAUSE_BYTES + HubChannel.READ_BUFFER_MAX;
        assertTrue(unread <= inboundBound, "the reader's socket holds " + unread + " unread bytes; bound " + inboundBound);
        // Closing the socket wakes the parked writer with the java.net exception.
        pair[0].close();
        assertTrue(writer.join(JOIN));
        assertInstanceOf(SocketException.class, writerEnd.get());
        assertTrue(writerEnd.get().getMessage().contains("Socket closed"), writerEnd.get().getMessage());
        pair[1].close();
    }

    /** True when the counter did not move over a short window (the writer is at rest, not merely slow). */
    private static boolean stable(AtomicLong counter) throws InterruptedException {
        long before = counter.get();
        CompletableFuture.runAsync(() -> { }, CompletableFuture.delayedExecutor(200, TimeUnit.MILLISECONDS)).join();
        return counter.get() == before;
    }

    @Test
    void tcpOptionsAreSetAndReadBack() throws Exception {
        HubSocket[] pair = connectedPair();
        HubSocket s = pair[0];
        s.setTcpNoDelay(false);
        assertFalse(s.getTcpNoDelay());
        s.setTcpNoDelay(true);
        assertTrue(s.getTcpNoDelay());
        s.setKeepAlive(true);
        assertTrue(s.getKeepAlive());
        s.setReuseAddress(true);
        assertTrue(s.getReuseAddress());
        s.setSendBufferSize(64 * 1024);
        assertTrue(s.getSendBufferSize() >= 64 * 1024, "SO_SNDBUF " + s.getSendBufferSize());
        s.setReceiveBufferSize(64 * 1024);
        assertTrue(s.getReceiveBufferSize() >= 64 * 1024, "SO_RCVBUF " + s.getReceiveBufferSize());
        s.setOption(StandardSocketOptions.SO_KEEPALIVE, false);
        assertFalse(s.getOption(StandardSocketOptions.SO_KEEPALIVE));
        s.setSoLinger(true, 5);
        assertEquals(5, s.getSoLinger());
        // Options given before connect apply at connect.
        HubSocket fresh = new HubSocket(hub);
        fresh.setTcpNoDelay(false);
        fresh.setKeepAlive(true);
        int port = onHub(hub, () -> {
            HubServerSocket server = new HubServerSocket(0, 1, LOOPBACK);
            fresh.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()), 1000);
            fresh.detach(); // this short-lived thread must not take the socket with it
            server.close();
            return server.getLocalPort();
        });
        assertTrue(port > 0);
        assertFalse(fresh.getTcpNoDelay());
        assertTrue(fresh.getKeepAlive());
        assertTrue(fresh.isConnected() && fresh.isBound());
        assertEquals(port, fresh.getPort());
        assertTrue(fresh.getLocalPort() > 0);
        fresh.close();
    }

    @Test
    void acceptBacklogKeepsPendingConnectionsInTheKernelUntilAccepted() throws Exception {
        try (HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 5, LOOPBACK))) {
            List<Socket> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int n = i;
                clients.add(onHub(hub, () -> {
                    HubSocket c = new HubSocket(LOOPBACK, server.getLocalPort());
                    c.detach();
                    c.getOutputStream().write(n);
                    return c;
                }));
            }
            assertEquals(0, server.readyCount(), "connections were accepted before anyone called accept()");
            for (int i = 0; i < 3; i++) {
                int got = onHub(hub, () -> {
                    try (Socket a = server.accept()) {
                        return a.getInputStream().read();
                    }
                });
                assertEquals(i, got, "accept() returns connections in arrival order");
            }
            for (Socket c : clients) {
                c.close();
            }
        }
    }

    @Test
    void acceptTimeoutThrowsSocketTimeoutException() throws Exception {
        try (HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 5, LOOPBACK))) {
            server.setSoTimeout(100);
            SocketTimeoutException e = assertThrows(SocketTimeoutException.class, () -> onHub(hub, server::accept));
            assertTrue(e.getMessage().contains("Accept timed out"));
        }
    }

    @Test
    void serverSocketCloseWakesParkedAccept() throws Exception {
        HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 5, LOOPBACK));
        AtomicReference<Throwable> got = new AtomicReference<>();
        Thread acceptor = hub.spawn(() -> {
            try {
                server.accept();
            } catch (Throwable e) {
                got.set(e);
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> acceptor.getState() == Thread.State.WAITING);
        server.close();
        assertTrue(acceptor.join(JOIN));
        assertInstanceOf(SocketException.class, got.get());
    }

    @Test
    void platformThreadCanUseAHubSocket() throws Exception {
        try (Hub other = Hub.builder().name("server-side").build();
             TestEchoServer server = TestEchoServer.start(other);
             HubSocket s = new HubSocket(hub, "127.0.0.1", server.port())) {
            // This test thread is a platform thread: its calls run on the hub's carrier as callbacks.
            s.getOutputStream().write("hello".getBytes(StandardCharsets.UTF_8));
            s.shutdownOutput();
            ByteArrayOutputStream got = new ByteArrayOutputStream();
            s.getInputStream().transferTo(got);
            assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), got.toByteArray());
        }
    }

    @Test
    void readerParkedWhileHoldingTheSocketsMonitorAndALockDoesNotStallTheCarrier() throws Exception {
        // Carrier-side code must never wait for a lock a parked hub thread holds (only this carrier could release
        // it). The reader parks inside synchronized(socket) and a ReentrantLock; the carrier must still deliver
        // its data, accept close() from another thread, and run other hub threads meanwhile.
        HubSocket[] pair = connectedPair();
        java.util.concurrent.locks.ReentrantLock lock = new java.util.concurrent.locks.ReentrantLock();
        AtomicReference<Integer> got = new AtomicReference<>();
        Thread reader = hub.spawn(() -> {
            synchronized (pair[0]) {
                lock.lock();
                try {
                    got.set(pair[0].getInputStream().read());
                } catch (IOException e) {
                    throw new RuntimeException(e);
                } finally {
                    lock.unlock();
                }
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING);
        assertEquals(5, (int) onHub(hub, () -> 5), "another hub thread must still run");
        onHub(hub, () -> {
            pair[1].getOutputStream().write(77);
            return null;
        });
        assertTrue(reader.join(JOIN), "the reader holding locks was not served");
        assertEquals(77, got.get());
        pair[0].close();
    }

    @Test
    void parkedReadersAndAcceptorLeaveTheHubIdle() throws Exception {
        // Reads on demand must not turn into a busy loop: with a reader parked on an idle connection and an
        // acceptor parked on an idle listener, the carrier sleeps in epoll_wait.
        HubSocket[] pair = connectedPair();
        HubServerSocket server = onHub(hub, () -> new HubServerSocket(0, 5, LOOPBACK));
        Thread reader = hub.spawn(() -> {
            try {
                pair[0].getInputStream().read();
            } catch (IOException expected) {
                // closed at the end
            }
        });
        Thread acceptor = hub.spawn(() -> {
            try {
                server.accept();
            } catch (IOException expected) {
                // closed at the end
            }
        });
        await().atMost(Duration.ofSeconds(5)).until(() -> reader.getState() == Thread.State.WAITING
                && acceptor.getState() == Thread.State.WAITING && hub.stats().queueDepth() == 0);
        long polls = hub.stats().reactorPolls();
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                .until(() -> hub.stats().reactorPolls() - polls <= 2);
        pair[0].close();
        server.close();
        assertTrue(reader.join(JOIN) && acceptor.join(JOIN));
    }

    @Test
    void blockingCallsOnTheBareCarrierAreRefused() throws Exception {
        HubSocket[] pair = connectedPair();
        CompletableFuture<Throwable> got = new CompletableFuture<>();
        hub.execute(() -> { // a carrier callback, outside any virtual thread
            try {
                pair[0].getInputStream().read();
                got.complete(null);
            } catch (Throwable e) {
                got.complete(e);
            }
        });
        Throwable e = got.get(5, TimeUnit.SECONDS);
        assertInstanceOf(IllegalStateException.class, e);
        assertTrue(e.getMessage().contains("would block the hub"), e.getMessage());
    }
}
