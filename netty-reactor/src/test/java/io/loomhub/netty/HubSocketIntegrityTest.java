package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.netty.channel.Channel;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Hub sockets never lose bytes silently: not after the peer's FIN (when Netty 4.2.18 takes the descriptor out of
 * the epoll set, see {@link RearmingEpollIoHandler}), and not on an unexpected channel error, which must reach
 * the user as an {@link java.io.IOException}. The peer is a plain JDK socket on the test thread, so the order of
 * events on the hub's loop is set by the test, not by timing.
 */
class HubSocketIntegrityTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Hub hub;

    @BeforeEach
    void startHub() {
        hub = Hub.builder().name("integrity").build();
    }

    @AfterEach
    void closeHub() {
        hub.close();
    }

    /**
     * Lets the hub's loop process every epoll event that is ready now: a task submitted to the loop runs after
     * the loop's next {@code epoll_wait}, which reports what the kernel already holds (on loopback a send has been
     * delivered when it returns). Twice, so one iteration that was already past its wait does not count.
     */
    private void letLoopSeePendingEvents() throws Exception {
        for (int i = 0; i < 2; i++) {
            NettyReactor.eventLoop(hub).submit(() -> { }).get(10, TimeUnit.SECONDS);
        }
    }

    /**
     * Starts a hub thread that accepts one connection (small send buffer), reads the request to its end and, once
     * {@code go} completes, writes {@code reply} and closes; then sends the client's one-byte request with a FIN and
     * returns when the hub thread has seen the end of stream.
     */
    private Thread replyAfterTheRequestsEnd(HubServerSocket server, Socket client, byte[] reply,
            CompletableFuture<Void> go) throws Exception {
        CompletableFuture<Void> eofSeen = new CompletableFuture<>();
        Thread serverThread = hub.spawn(() -> {
            try (Socket s = server.accept()) {
                s.setSendBufferSize(16 * 1024);
                InputStream in = s.getInputStream();
                while (in.read() >= 0) {
                    // the request: one byte
                }
                eofSeen.complete(null);
                go.get(30, TimeUnit.SECONDS);
                s.getOutputStream().write(reply);
            } catch (Throwable e) {
                eofSeen.completeExceptionally(e);
            }
        });
        client.getOutputStream().write('?');
        client.shutdownOutput();
        eofSeen.get(30, TimeUnit.SECONDS);
        return serverThread;
    }

    private static byte[] random(int size, long seed) {
        byte[] b = new byte[size];
        new Random(seed).nextBytes(b);
        return b;
    }

    @Test
    void writesAfterThePeersFinThatFillTheSendBufferAreAllDelivered() throws Exception {
        // The peer half-closes at once; the hub thread reads to end of stream (its channel then has no epoll
        // interest left) and only then answers with more than the kernel's send buffer holds, so Netty must ask
        // for EPOLLOUT on a channel whose peer is gone for reading.
        byte[] reply = random(4 * 1024 * 1024, 2);
        try (HubServerSocket server = NettyTestSupport.onHub(hub, () -> new HubServerSocket(0, 10, LOOPBACK));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024); // small kernel buffers: the reply cannot fit in them
            client.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
            CompletableFuture<Void> go = new CompletableFuture<>();
            Thread serverThread = replyAfterTheRequestsEnd(server, client, reply, go);
            letLoopSeePendingEvents(); // the read that found the end of stream has completed and cleared EPOLLIN
            go.complete(null);
            // Read only once the hub thread is parked in write (the kernel buffers are full: Netty wants EPOLLOUT)
            // or has finished writing.
            await().atMost(Duration.ofSeconds(30)).until(() -> serverThread.getState() == Thread.State.WAITING
                    || !serverThread.isAlive());
            byte[] got = client.getInputStream().readAllBytes();
            assertTrue(serverThread.join(JOIN));
            assertEquals(reply.length, got.length, "bytes the peer received before end of stream");
            assertArrayEquals(reply, got);
        }
    }

    @Test
    void bytesStillStagedWhenTheSocketClosesAfterThePeersFinAreAllDelivered() throws Exception {
        // The echo server's last step: it has read the request to its end, writes its last 64 KiB (staged, not yet
        // handed to Netty: the write returns at once) and closes. close() flushes them, the kernel's buffers are
        // full, Netty asks for EPOLLOUT. This lost exactly those 64 KiB per connection in HubSocketEchoTest.
        byte[] reply = random(HubChannel.WRITE_HIGH_WATER, 4);
        try (HubServerSocket server = NettyTestSupport.onHub(hub, () -> new HubServerSocket(0, 10, LOOPBACK));
             Socket client = new Socket()) {
            client.setReceiveBufferSize(16 * 1024);
            client.connect(new InetSocketAddress(LOOPBACK, server.getLocalPort()));
            CompletableFuture<Void> go = new CompletableFuture<>();
            Thread serverThread = replyAfterTheRequestsEnd(server, client, reply, go);
            letLoopSeePendingEvents();
            go.complete(null);
            assertTrue(serverThread.join(JOIN)); // written and closed before the client reads a byte
            letLoopSeePendingEvents(); // the close's flush has met the full kernel buffers
            byte[] got = client.getInputStream().readAllBytes();
            assertEquals(reply.length, got.length, "bytes the peer received before end of stream");
            assertArrayEquals(reply, got);
        }
    }

    @Test
    void unexpectedChannelErrorFailsTheParkedReaderWithSocketExceptionAndClosesTheConnection() throws Exception {
        // What Netty 4.2.18 fired when a read request met a descriptor missing from the epoll set: an
        // UncheckedIOException, and the channel closed under the reader, who then took the closure for the end of
        // the stream. The reader must get the failure instead.
        try (HubServerSocket server = NettyTestSupport.onHub(hub, () -> new HubServerSocket(0, 10, LOOPBACK));
             Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
            CompletableFuture<HubSocket> accepted = new CompletableFuture<>();
            CompletableFuture<Throwable> readOutcome = new CompletableFuture<>();
            Thread reader = hub.spawn(() -> {
                try (HubSocket s = (HubSocket) server.accept()) {
                    accepted.complete(s);
                    int n = s.getInputStream().read();
                    readOutcome.complete(new AssertionError("read returned " + n));
                } catch (Throwable e) {
                    accepted.completeExceptionally(e);
                    readOutcome.complete(e);
                }
            });
            Channel ch = accepted.get(30, TimeUnit.SECONDS).connection().channel();
            await().atMost(Duration.ofSeconds(10)).until(() -> reader.getState() == Thread.State.WAITING);
            UncheckedIOException error = new UncheckedIOException(new IOException("epoll_ctl(..) failed"));
            ch.eventLoop().execute(() -> ch.pipeline().fireExceptionCaught(error));
            Throwable e = readOutcome.get(10, TimeUnit.SECONDS);
            assertInstanceOf(SocketException.class, e, () -> "the reader got " + e);
            assertEquals(error, e.getCause());
            assertEquals(-1, client.getInputStream().read(), "the connection was not closed");
            assertTrue(reader.join(JOIN));
        }
    }
}
