package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static io.loomhub.netty.NettyTestSupport.onHub;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.IoEventLoop;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.util.concurrent.Promise;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HubFuturesTest {

    @Test
    void awaitsANettyChannelFutureAndResumesFromTheHubCallback() throws Exception {
        try (Hub hub = Hub.create()) {
            IoEventLoop loop = NettyReactor.eventLoop(hub);
            Channel server = new ServerBootstrap().group(loop, loop).channel(EpollServerSocketChannel.class)
                    .childHandler(new ChannelInboundHandlerAdapter())
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            long externalBefore = hub.stats().externalSubmissions();
            Channel client = onHub(hub, () -> {
                ChannelFuture f = new Bootstrap().group(loop).channel(EpollSocketChannel.class)
                        .handler(new ChannelInboundHandlerAdapter()).connect(server.localAddress());
                HubFutures.await(f);
                Channel ch = f.channel();
                assertTrue(NettyTestSupport.onCarrier(hub.carrierThread()));
                return ch;
            });
            assertTrue(client.isActive());
            // The resume came from the loop's listener on the carrier: a local submission, not an external one.
            // (onHub's own spawn is the only external submission allowed.)
            assertTrue(hub.stats().externalSubmissions() - externalBefore <= 1,
                    "the waiter was resumed through the external queue");
            client.close().sync();
            server.close().sync();
        }
    }

    @Test
    void failedNettyFutureThrowsExecutionExceptionWithTheCause() throws Exception {
        try (Hub hub = Hub.create()) {
            Promise<String> p = NettyReactor.eventLoop(hub).newPromise();
            Thread waiter = hub.spawn(() -> {
                ExecutionException e = assertThrows(ExecutionException.class, () -> HubFutures.await(p));
                assertInstanceOf(IOException.class, e.getCause());
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.WAITING);
            p.setFailure(new IOException("boom"));
            assertTrue(waiter.join(JOIN));
        }
    }

    @Test
    void awaitsACompletableFutureCompletedFromAnotherThread() throws Exception {
        try (Hub hub = Hub.create()) {
            CompletableFuture<String> cf = new CompletableFuture<>();
            AtomicReference<String> got = new AtomicReference<>();
            AtomicReference<Boolean> onCarrier = new AtomicReference<>();
            Thread waiter = hub.spawn(() -> {
                try {
                    got.set(HubFutures.await(cf));
                    onCarrier.set(NettyTestSupport.onCarrier(hub.carrierThread()));
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.WAITING);
            Thread.ofPlatform().start(() -> cf.complete("done")).join(JOIN);
            assertTrue(waiter.join(JOIN));
            assertEquals("done", got.get());
            assertTrue(onCarrier.get());
        }
    }

    @Test
    void timeoutAndInterruptVariantsLeaveTheFutureUntouched() throws Exception {
        try (Hub hub = Hub.create()) {
            CompletableFuture<String> cf = new CompletableFuture<>();
            Promise<String> p = NettyReactor.eventLoop(hub).newPromise();
            onHub(hub, () -> {
                assertThrows(TimeoutException.class, () -> HubFutures.await(cf, Duration.ofMillis(50)));
                assertThrows(TimeoutException.class, () -> HubFutures.await(p, Duration.ofMillis(50)));
                return null;
            });
            AtomicReference<Throwable> interrupted = new AtomicReference<>();
            Thread waiter = hub.spawn(() -> {
                try {
                    HubFutures.await(p);
                } catch (Throwable e) {
                    interrupted.set(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.WAITING);
            waiter.interrupt();
            assertTrue(waiter.join(JOIN));
            assertInstanceOf(InterruptedException.class, interrupted.get());
            assertTrue(!cf.isDone() && !p.isDone());
            // Uninterruptible form: an interrupt does not end the wait, and stays set.
            AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
            AtomicReference<String> value = new AtomicReference<>();
            Thread patient = hub.spawn(() -> {
                try {
                    value.set(HubFutures.awaitUninterruptibly(cf));
                    stillInterrupted.set(Thread.currentThread().isInterrupted());
                } catch (ExecutionException e) {
                    throw new RuntimeException(e);
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.getState() == Thread.State.WAITING);
            patient.interrupt();
            await().atMost(Duration.ofSeconds(5)).until(() -> patient.getState() == Thread.State.WAITING);
            cf.complete("late");
            assertTrue(patient.join(JOIN));
            assertSame("late", value.get());
            assertTrue(stillInterrupted.get());
        }
    }
}
