package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.ReactorFactory;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.IoEventLoop;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandle;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.io.DataInputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class NettyReactorTest {

    @Test
    void hubCreateDrivesNettyEpollLoopFoundByServiceLoader() {
        assertTrue(Epoll.isAvailable(), "this machine is Linux x86_64: Netty's native epoll must load");
        try (Hub hub = Hub.create()) {
            IoEventLoop loop = NettyReactor.eventLoop(hub);
            assertEquals(NettyReactor.Transport.EPOLL, NettyReactor.transport(hub),
                    "Hub.create() should drive an epoll loop: " + loop);
            assertTrue(loop.isCompatible(EpollIoHandle.class), "the loop's handler should take epoll handles");
            assertTrue(loop.inEventLoop(hub.carrierThread()), "the carrier must own the loop");
        }
    }

    @Test
    void eventLoopOfHubWithoutNettyReactorIsAClearError() {
        try (Hub hub = Hub.builder().reactor(ReactorFactory.parking()).build()) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> NettyReactor.eventLoop(hub));
            assertTrue(e.getMessage().contains("does not run a NettyReactor"), e.getMessage());
        }
    }

    @Test
    void closedHubHasTerminatedLoopAndNoEventLoop() {
        Hub hub = Hub.create();
        IoEventLoop loop = NettyReactor.eventLoop(hub);
        hub.close();
        assertTrue(loop.isTerminated(), "closing the hub must terminate its Netty loop");
        assertThrows(IllegalStateException.class, () -> NettyReactor.eventLoop(hub));
    }

    @Test
    void closeRacingWithCarrierFallingAsleepIsNotLost() throws Exception {
        // close() changes the hub's state, not its queues: the reactor's wake-up must be sticky, or a close that
        // lands while the carrier is on its way into epoll_wait leaves it asleep until the shutdown timeout.
        for (int i = 0; i < 200; i++) {
            Hub hub = Hub.builder().name("close-race-" + i).shutdownTimeout(Duration.ofSeconds(1)).build();
            Thread t = hub.spawn(Thread::yield);
            assertTrue(t.join(Duration.ofSeconds(5)));
            // Right after the join the carrier is finishing the thread's last slice and heading for epoll_wait.
            hub.close(); // returns after termination, or after twice the shutdown timeout
            assertTrue(hub.awaitTermination(Duration.ZERO),
                    "close() of a hub falling asleep lost its wake-up: the carrier still sleeps (round " + i + ")");
        }
    }

    @Test
    void idleHubDoesNotSpin() throws Exception {
        try (Hub hub = Hub.create()) {
            Thread t = hub.spawn(() -> {
                try {
                    Thread.sleep(10); // arms and fires a hub timer: the hub must go idle after it too
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            assertTrue(t.join(Duration.ofSeconds(5)));
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.stats().liveThreads() == 0);
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long polls0 = hub.stats().reactorPolls();
            long cpu0 = mx.getThreadCpuTime(hub.carrierThread().threadId());
            // Idle for a full second: the poll count must stay (nearly) where it was the whole time.
            await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(3))
                    .until(() -> hub.stats().reactorPolls() - polls0 <= 2);
            long cpuMillis = TimeUnit.NANOSECONDS.toMillis(mx.getThreadCpuTime(hub.carrierThread().threadId()) - cpu0);
            assertTrue(cpuMillis < 100, "an idle carrier used " + cpuMillis + " ms of CPU in one second");
        }
    }

    @Test
    void nettyScheduledTaskFiresOnIdleHub() {
        try (Hub hub = Hub.create()) {
            IoEventLoop loop = NettyReactor.eventLoop(hub);
            AtomicReference<Thread> ranOn = new AtomicReference<>();
            long start = System.nanoTime();
            AtomicLong firedAfter = new AtomicLong(-1);
            // The hub has no timer of its own, so it would sleep without limit unless Netty's deadline counts.
            loop.schedule(() -> {
                firedAfter.set(System.nanoTime() - start);
                ranOn.set(Thread.currentThread());
            }, 50, TimeUnit.MILLISECONDS);
            await().atMost(Duration.ofSeconds(5)).until(() -> ranOn.get() != null);
            assertEquals(hub.carrierThread(), ranOn.get());
            assertTrue(firedAfter.get() >= TimeUnit.MILLISECONDS.toNanos(50), "fired early: " + firedAfter.get());
        }
    }

    @Test
    void externalWakeupsToIdleHubAreNotLost() throws Exception {
        // No timer is armed on the hub here: a lost wake-up leaves the carrier asleep for good and the test fails.
        try (Hub hub = Hub.create()) {
            pingPong(hub, 4, 20_000, 50_000);
        }
    }

    @Test
    void externalWakeupsToBusyHubAreNotLost() throws Exception {
        try (Hub hub = Hub.create()) {
            AtomicBoolean done = new AtomicBoolean();
            // Load: hub threads that only yield, so the carrier stays busy and polls Netty without blocking.
            List<Thread> load = new ArrayList<>();
            for (int i = 0; i < 2; i++) {
                load.add(hub.spawn(() -> {
                    while (!done.get()) {
                        Thread.yield();
                    }
                }));
            }
            try {
                pingPong(hub, 4, 5_000, 50_000);
            } finally {
                done.set(true);
            }
            for (Thread t : load) {
                assertTrue(t.join(Duration.ofSeconds(10)));
            }
        }
    }

    /**
     * Each of {@code pairs} platform threads wakes a parked hub thread {@code rounds} times from outside the hub
     * (a semaphore ping-pong), while another platform thread submits {@code nettyTasks} tasks to the hub's Netty
     * loop. Everything must complete, and every hub slice must run on the carrier.
     */
    private static void pingPong(Hub hub, int pairs, int rounds, int nettyTasks) throws Exception {
        IoEventLoop loop = NettyReactor.eventLoop(hub);
        AtomicBoolean offCarrier = new AtomicBoolean();
        List<Thread> hubSide = new ArrayList<>();
        List<Thread> platformSide = new ArrayList<>();
        AtomicInteger completedRounds = new AtomicInteger();
        for (int p = 0; p < pairs; p++) {
            Semaphore toHub = new Semaphore(0);
            Semaphore toPlatform = new Semaphore(0);
            hubSide.add(hub.spawn(() -> {
                for (int r = 0; r < rounds; r++) {
                    toHub.acquireUninterruptibly();
                    completedRounds.incrementAndGet();
                    toPlatform.release();
                    if (!NettyTestSupport.onCarrier(hub.carrierThread())) {
                        offCarrier.set(true);
                    }
                }
            }));
            platformSide.add(Thread.ofPlatform().name("waker-" + p).start(() -> {
                for (int r = 0; r < rounds; r++) {
                    toHub.release();
                    toPlatform.acquireUninterruptibly();
                }
            }));
        }
        AtomicInteger nettyRan = new AtomicInteger();
        Thread submitter = Thread.ofPlatform().name("netty-submitter").start(() -> {
            for (int i = 0; i < nettyTasks; i++) {
                loop.execute(nettyRan::incrementAndGet);
            }
        });
        try {
            for (Thread t : platformSide) {
                assertTrue(t.join(Duration.ofSeconds(60)),
                        "a wake-up was lost: " + completedRounds.get() + " of " + pairs * rounds + " rounds done");
            }
            for (Thread t : hubSide) {
                assertTrue(t.join(Duration.ofSeconds(10)));
            }
            assertTrue(submitter.join(Duration.ofSeconds(30)));
            await().atMost(Duration.ofSeconds(10)).until(() -> nettyRan.get() == nettyTasks);
        } finally {
            // Unstick whatever is left so the hub can close within the test's bound.
            for (Thread t : platformSide) {
                t.interrupt();
            }
        }
        assertEquals(pairs * rounds, completedRounds.get());
        assertFalse(offCarrier.get(), "a hub thread ran off the carrier");
    }

    @ParameterizedTest
    @EnumSource(NettyReactor.Transport.class)
    void userRegisteredNettyEchoServerServesHubThreadClients(NettyReactor.Transport transport) throws Exception {
        ReactorFactory factory = transport == NettyReactor.Transport.EPOLL ? NettyReactor.epoll() : NettyReactor.nio();
        try (Hub hub = Hub.builder().name("echo-" + transport).reactor(factory).build()) {
            IoEventLoop loop = NettyReactor.eventLoop(hub);
            assertEquals(transport, NettyReactor.transport(hub));
            assertTrue(loop.isCompatible(transport == NettyReactor.Transport.EPOLL ? EpollIoHandle.class
                    : NioIoHandle.class));
            AtomicBoolean handlerOffCarrier = new AtomicBoolean();
            Class<? extends ServerChannel> serverClass = transport == NettyReactor.Transport.EPOLL
                    ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
            Channel server = new ServerBootstrap()
                    .group(loop, loop)
                    .channel(serverClass)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel ch) {
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    if (Thread.currentThread() != hub.carrierThread()) {
                                        handlerOffCarrier.set(true);
                                    }
                                    ctx.write(msg);
                                }

                                @Override
                                public void channelReadComplete(ChannelHandlerContext ctx) {
                                    ctx.flush();
                                }
                            });
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            int port = ((InetSocketAddress) server.localAddress()).getPort();

            int clients = 20;
            int size = 64 * 1024;
            AtomicInteger echoed = new AtomicInteger();
            AtomicBoolean clientOffCarrier = new AtomicBoolean();
            List<Thread> threads = new ArrayList<>();
            for (int c = 0; c < clients; c++) {
                int seed = c;
                threads.add(hub.spawn(() -> {
                    byte[] sent = new byte[size];
                    new Random(seed).nextBytes(sent);
                    try (Socket s = new Socket("127.0.0.1", port)) {
                        OutputStream out = s.getOutputStream();
                        InputStream in = s.getInputStream();
                        out.write(sent);
                        out.flush();
                        byte[] got = new byte[size];
                        new DataInputStream(in).readFully(got);
                        assertArrayEquals(sent, got);
                        if (!NettyTestSupport.onCarrier(hub.carrierThread())) {
                            clientOffCarrier.set(true);
                        }
                        echoed.incrementAndGet();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(30)));
            }
            assertEquals(clients, echoed.get());
            assertFalse(handlerOffCarrier.get(), "a Netty handler ran off the carrier");
            assertFalse(clientOffCarrier.get(), "a hub client thread ran off the carrier");
            server.close().sync();
        }
    }

    @Test
    void closeReleasesEpollDescriptors() throws Exception {
        // Warm up: native library, JDK poller and class loading open descriptors once.
        openAndCloseHubWithChannels();
        int baseline = NettyTestSupport.openDescriptors();
        for (int i = 0; i < 5; i++) {
            openAndCloseHubWithChannels();
        }
        await().atMost(Duration.ofSeconds(5))
                .until(() -> NettyTestSupport.openDescriptors() <= baseline);
    }

    /** A hub with a bound server channel and a connected client channel left open: close must release all. */
    private static void openAndCloseHubWithChannels() throws Exception {
        Hub hub = Hub.create();
        IoEventLoop loop = NettyReactor.eventLoop(hub);
        Channel server = new ServerBootstrap().group(loop, loop).channel(EpollServerSocketChannel.class)
                .childHandler(new ChannelInboundHandlerAdapter())
                .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        Channel client = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                .handler(new ChannelInboundHandlerAdapter())
                .connect(server.localAddress()).sync().channel();
        assertTrue(client.isActive());
        int during = NettyTestSupport.openDescriptors();
        assertTrue(during > 0);
        hub.close();
        assertTrue(hub.awaitTermination(Duration.ofSeconds(5)));
        assertFalse(client.isOpen(), "closing the hub must close the channels on its loop");
        assertFalse(server.isOpen());
    }

    @Test
    void nioFactoryBuildsNioLoop() {
        try (Hub hub = Hub.builder().reactor(NettyReactor.nio()).build()) {
            assertEquals(NettyReactor.Transport.NIO, NettyReactor.transport(hub));
            assertTrue(NettyReactor.eventLoop(hub).isCompatible(NioIoHandle.class));
            assertFalse(NettyReactor.eventLoop(hub).isCompatible(EpollIoHandle.class));
            // NIO channels can be registered on it.
            Channel ch = new Bootstrap().group(NettyReactor.eventLoop(hub)).channel(NioSocketChannel.class)
                    .handler(new ChannelInboundHandlerAdapter()).register().syncUninterruptibly().channel();
            assertTrue(ch.isRegistered());
            ch.close().syncUninterruptibly();
        }
    }
}
