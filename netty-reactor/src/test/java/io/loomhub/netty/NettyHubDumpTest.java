package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubDump;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * {@code hub.dump()} on a Netty hub: the reactor counts the I/O registered on its loop, so a hub whose threads all
 * wait for I/O is told apart from one that can never wake.
 */
class NettyHubDumpTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void threadParkedInHubSocketReadIsNotReportedAsBlockedForever() throws Exception {
        try (Hub hub = Hub.builder().name("dump-io").build();
             ServerSocket peer = new ServerSocket(0, 50, LOOPBACK)) { // a JDK peer on this platform thread
            peer.setSoTimeout(10_000);
            AtomicInteger got = new AtomicInteger(-2);
            Thread reader = hub.ofVirtual().name("reader").start(() -> {
                try (HubSocket s = new HubSocket(LOOPBACK, peer.getLocalPort())) {
                    got.set(s.getInputStream().read());
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            try (Socket accepted = peer.accept()) {
                HubDump dump = await().atMost(WAIT).until(hub::dump, NettyHubDumpTest::allWaitWithoutTimeout);
                assertFalse(dump.blocksForever(), dump::toString);
                assertEquals(1, dump.registeredIo(), dump::toString);
                assertTrue(dump.verdict().contains("1 I/O registration(s) may wake them"), dump::toString);
                accepted.getOutputStream().write(7);
                assertTrue(reader.join(JOIN));
            }
            assertEquals(7, got.get());
            // The socket closed and left the loop.
            await().atMost(WAIT).until(() -> hub.dump().registeredIo() == 0);
        }
    }

    @Test
    void twoHubThreadsDeadlockedOnLatchesWithNoChannelsWouldBlockForever() throws Exception {
        try (Hub hub = Hub.builder().name("dump-deadlock-netty").build()) {
            NettyReactor.eventLoop(hub); // a Netty hub, not the parking reactor
            CountDownLatch first = new CountDownLatch(1);
            CountDownLatch second = new CountDownLatch(1);
            Thread a = hub.spawn(() -> awaitThenCountDown(first, second));
            Thread b = hub.spawn(() -> awaitThenCountDown(second, first));
            HubDump dump = await().atMost(WAIT).until(hub::dump, HubDump::blocksForever);
            assertEquals(0, dump.registeredIo(), dump::toString);
            assertEquals(2, dump.threads().size(), dump::toString);
            assertTrue(dump.toString().contains("DEADLOCK"), dump::toString);
            first.countDown(); // a thread outside the hub is the only way out
            assertTrue(a.join(JOIN));
            assertTrue(b.join(JOIN));
        }
    }

    @ParameterizedTest
    @EnumSource(NettyReactor.Transport.class)
    void channelsRegisteredDirectlyOnTheHubLoopAndHubServerSocketsCountAsIo(NettyReactor.Transport transport)
            throws Exception {
        try (Hub hub = Hub.builder().name("dump-user-" + transport)
                .reactor(transport == NettyReactor.Transport.EPOLL ? NettyReactor.epoll() : NettyReactor.nio())
                .build()) {
            assertEquals(transport, NettyReactor.transport(hub));
            IoEventLoop loop = NettyReactor.eventLoop(hub);
            boolean epoll = transport == NettyReactor.Transport.EPOLL;
            assertEquals(0, hub.dump().registeredIo());

            // A user's server channel, straight on the hub's loop (not through any loomhub class).
            Channel server = new ServerBootstrap().group(loop, loop)
                    .channel(epoll ? EpollServerSocketChannel.class : NioServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress(LOOPBACK, 0)).sync().channel();
            assertEquals(1, hub.dump().registeredIo());

            // A user's client channel: it and the server's accepted child make three.
            Channel client = new Bootstrap().group(loop)
                    .channel(epoll ? EpollSocketChannel.class : NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter())
                    .connect(server.localAddress()).sync().channel();
            await().atMost(WAIT).until(() -> hub.dump().registeredIo() == 3);

            // A hub server socket: one more.
            HubServerSocket hubServer = new HubServerSocket(hub, 0, 50, LOOPBACK);
            assertEquals(4, hub.dump().registeredIo());

            // With only those registered, a hub thread waiting on a latch may still be woken by I/O.
            CountDownLatch never = new CountDownLatch(1);
            Thread waiter = hub.spawn(() -> {
                try {
                    never.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            HubDump dump = await().atMost(WAIT).until(hub::dump, NettyHubDumpTest::allWaitWithoutTimeout);
            assertFalse(dump.blocksForever(), dump::toString);
            assertEquals(4, dump.registeredIo(), dump::toString);

            // Closing them takes them off the count: the client, then its peer child (closed by Netty on EOF).
            client.close().sync();
            await().atMost(WAIT).until(() -> hub.dump().registeredIo() == 2);
            hubServer.close();
            server.close().sync();
            await().atMost(WAIT).until(() -> hub.dump().registeredIo() == 0);
            HubDump stuck = await().atMost(WAIT).until(hub::dump, HubDump::blocksForever);
            assertEquals(1, stuck.threads().size(), stuck::toString);
            never.countDown();
            assertTrue(waiter.join(JOIN));
        }
    }

    /** Every live thread waits with no timeout and nothing is queued: the dump's verdict turns on I/O alone. */
    private static boolean allWaitWithoutTimeout(HubDump d) {
        return !d.threads().isEmpty() && d.readyTasks() == 0
                && d.threads().stream().allMatch(HubDump.ThreadInfo::waitsWithoutTimeout);
    }

    private static void awaitThenCountDown(CountDownLatch awaited, CountDownLatch released) {
        try {
            awaited.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        }
        released.countDown();
    }
}
