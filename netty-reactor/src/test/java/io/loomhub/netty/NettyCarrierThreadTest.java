package io.loomhub.netty;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.ReactorFactory;
import io.netty.util.concurrent.FastThreadLocal;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The Netty reactor makes the hub's carrier a Netty {@link FastThreadLocalThread}, as Netty's own loops are. */
class NettyCarrierThreadTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    static Stream<Arguments> nettyFactories() {
        return Stream.of(
                Arguments.of("service-loader", (Supplier<Hub>) () -> Hub.builder().name("ftl-default").build()),
                Arguments.of("auto", (Supplier<Hub>) () -> Hub.builder().name("ftl-auto")
                        .reactor(NettyReactor.auto()).build()),
                Arguments.of("epoll", (Supplier<Hub>) () -> Hub.builder().name("ftl-epoll")
                        .reactor(NettyReactor.epoll()).build()),
                Arguments.of("nio", (Supplier<Hub>) () -> Hub.builder().name("ftl-nio")
                        .reactor(NettyReactor.nio()).build()));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nettyFactories")
    void theCarrierIsAFastThreadLocalThreadThatWillCleanUpItsFastThreadLocals(String factory, Supplier<Hub> hubs)
            throws Exception {
        try (Hub hub = hubs.get()) {
            Thread carrier = hub.carrierThread();
            assertInstanceOf(FastThreadLocalThread.class, carrier);
            assertEquals(hub.name() + "-carrier", carrier.getName());
            assertTrue(carrier.isDaemon());
            assertTrue(NettyReactor.eventLoop(hub).inEventLoop(carrier), "the carrier must own the loop");

            // On the carrier, as a callback submitted from this platform thread: what Netty's allocator and
            // recycler ask before they take their thread-local fast paths.
            CompletableFuture<Object[]> seen = new CompletableFuture<>();
            hub.execute(() -> seen.complete(new Object[] {
                    Thread.currentThread(),
                    FastThreadLocalThread.currentThreadWillCleanupFastThreadLocals(),
                    Hub.current().orElse(null)}));
            Object[] s = seen.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertSame(carrier, s[0]);
            assertEquals(true, s[1], "currentThreadWillCleanupFastThreadLocals() on the carrier");
            assertSame(hub, s[2], "Hub.current() on a FastThreadLocalThread carrier");
        }
    }

    @Test
    void theCarriersFastThreadLocalsAreRemovedWhenTheHubEnds() throws Exception {
        AtomicReference<Object> removed = new AtomicReference<>();
        FastThreadLocal<Object> local = new FastThreadLocal<>() {
            @Override
            protected void onRemoval(Object value) {
                removed.set(value);
            }
        };
        Object value = new Object();
        Hub hub = Hub.builder().name("ftl-cleanup").build();
        try {
            CompletableFuture<Void> set = new CompletableFuture<>();
            hub.execute(() -> {
                local.set(value);
                set.complete(null);
            });
            set.get(BOUND.toSeconds(), TimeUnit.SECONDS);
        } finally {
            hub.close();
        }
        // FastThreadLocal.removeAll() runs when the loop returns, as on Netty's own event-loop threads.
        await().atMost(BOUND).until(() -> removed.get() != null);
        assertSame(value, removed.get());
        await().atMost(BOUND).until(() -> !hub.carrierThread().isAlive());
    }

    @Test
    void theServiceLoaderProviderForwardsTheCarrierThread() {
        ReactorFactory provider = new NettyReactorProvider();
        Thread t = provider.newCarrierThread(() -> { }, "provider-carrier");
        assertInstanceOf(FastThreadLocalThread.class, t);
        assertEquals(Thread.State.NEW, t.getState());
        assertEquals("provider-carrier", t.getName());
    }
}
