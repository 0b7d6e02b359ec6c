package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.util.ReferenceCountUtil;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A plain Netty channel on the hub's epoll loop after the peer's FIN, when its epoll interest has gone empty
 * (Netty then deletes the descriptor from the epoll set): asking for events again must work. Without
 * {@link RearmingEpollIoHandler}, Netty 4.2.18 answers with {@code epoll_ctl(MOD)} failing with {@code ENOENT}:
 * a read request closes the channel, a write that needs {@code EPOLLOUT} loses its bytes.
 */
class RearmingEpollIoHandlerTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    private Hub hub;
    private ServerSocket peerServer;
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final AtomicBoolean inputShutdown = new AtomicBoolean();

    @BeforeEach
    void setUp() throws Exception {
        assertTrue(Epoll.isAvailable(), "this machine is Linux x86_64: Netty's native epoll must load");
        hub = Hub.builder().name("rearm").reactor(NettyReactor.epoll()).build();
        peerServer = new ServerSocket();
        peerServer.setReceiveBufferSize(16 * 1024); // accepted sockets inherit it: a 4 MiB write cannot fit
        peerServer.bind(new InetSocketAddress(LOOPBACK, 0));
    }

    @AfterEach
    void tearDown() throws Exception {
        peerServer.close();
        hub.close();
    }

    /** A channel on the hub's loop, connected to a JDK socket that has already sent its FIN and been seen to. */
    private Channel channelWhosePeerHalfClosed(Socket[] peer) throws Exception {
        IoEventLoop loop = NettyReactor.eventLoop(hub);
        Channel ch = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .option(ChannelOption.AUTO_READ, false)
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .option(ChannelOption.SO_SNDBUF, 16 * 1024)
                .handler(new ChannelInboundHandlerAdapter() {
                    @Override
                    public void channelRead(ChannelHandlerContext ctx, Object msg) {
                        ReferenceCountUtil.release(msg);
                    }

                    @Override
                    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
                        if (evt instanceof ChannelInputShutdownEvent) {
                            inputShutdown.set(true);
                        }
                    }

                    @Override
                    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                        errors.add(cause);
                    }
                })
                .connect(peerServer.getLocalSocketAddress()).sync().channel();
        peer[0] = peerServer.accept();
        peer[0].shutdownOutput();
        // Netty reads to the end of stream when EPOLLRDHUP arrives, read requested or not, then drops EPOLLRDHUP:
        // with no read requested and nothing to flush, the channel's interest is empty from then on.
        await().atMost(Duration.ofSeconds(10)).untilTrue(inputShutdown);
        settle(loop);
        return ch;
    }

    /** Runs two rounds of the loop (each polls epoll, then runs tasks), so what was ready has been handled. */
    private static void settle(IoEventLoop loop) throws Exception {
        for (int i = 0; i < 2; i++) {
            loop.submit(() -> { }).get(10, TimeUnit.SECONDS);
        }
    }

    @Test
    void readRequestAfterThePeersFinLeavesTheChannelOpen() throws Exception {
        Socket[] peer = new Socket[1];
        Channel ch = channelWhosePeerHalfClosed(peer);
        try (Socket p = peer[0]) {
            ch.eventLoop().submit(() -> ch.read()).get(10, TimeUnit.SECONDS);
            settle((IoEventLoop) ch.eventLoop()); // Netty reports a failed read request from a later task
            assertEquals(List.of(), errors, "errors on the channel");
            assertTrue(ch.isOpen(), "a read request closed the channel");
            // and it still writes: the peer gets the bytes, then our FIN
            ch.writeAndFlush(Unpooled.wrappedBuffer(new byte[] {42})).sync();
            ch.close().sync();
            InputStream in = p.getInputStream();
            assertEquals(42, in.read());
            assertEquals(-1, in.read());
        }
    }

    @Test
    void writeThatFillsTheSendBufferAfterThePeersFinIsDeliveredWhole() throws Exception {
        Socket[] peer = new Socket[1];
        Channel ch = channelWhosePeerHalfClosed(peer);
        byte[] data = new byte[4 * 1024 * 1024];
        new Random(3).nextBytes(data);
        try (Socket p = peer[0]) {
            // More than both kernel buffers hold while the peer does not read: Netty must ask for EPOLLOUT.
            ChannelFuture written = ch.writeAndFlush(Unpooled.wrappedBuffer(data));
            await().atMost(Duration.ofSeconds(10)).until(() -> written.isDone() || !ch.isWritable());
            byte[] got = p.getInputStream().readNBytes(data.length);
            assertTrue(written.await(10, TimeUnit.SECONDS), "the write did not complete");
            assertTrue(written.isSuccess(), () -> "the write failed: " + written.cause());
            assertEquals(List.of(), errors, "errors on the channel");
            assertArrayEquals(data, got);
            ch.close().sync();
            assertEquals(-1, p.getInputStream().read());
        }
    }
}
