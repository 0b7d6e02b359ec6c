package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/** {@link ReactorFactory#newCarrierThread}: the reactor chooses the carrier's thread object; the hub checks it. */
class CarrierThreadFactoryTest {

    private static final Duration BOUND = Duration.ofSeconds(10);

    /** A carrier of a type the hub does not know, as Netty's FastThreadLocalThread is to the scheduler. */
    static final class CustomCarrier extends Thread {
        CustomCarrier(Runnable loop, String name) {
            super(loop, name);
        }
    }

    /** A parking reactor whose carrier thread comes from {@code threads}; remembers what it made and saw. */
    static final class CarrierMaking implements ReactorFactory {
        private final BiFunction<Runnable, String, Thread> threads;
        final AtomicReference<Thread> made = new AtomicReference<>();
        final AtomicReference<Thread> createdOn = new AtomicReference<>();
        final AtomicReference<Thread> askedOn = new AtomicReference<>();

        CarrierMaking(BiFunction<Runnable, String, Thread> threads) {
            this.threads = threads;
        }

        @Override
        public Thread newCarrierThread(Runnable loop, String name) {
            askedOn.set(Thread.currentThread());
            Thread t = threads.apply(loop, name);
            made.set(t);
            return t;
        }

        @Override
        public Reactor create(Host host) {
            createdOn.set(Thread.currentThread());
            return ReactorFactory.parking().create(host);
        }
    }

    @Test
    void hubThreadsAndCallbacksRunOnTheThreadObjectTheFactoryMade() throws Exception {
        CarrierMaking factory = new CarrierMaking(CustomCarrier::new);
        try (Hub hub = Hub.builder().name("custom").reactor(factory).build()) {
            Thread carrier = hub.carrierThread();
            assertSame(factory.made.get(), carrier);
            assertTrue(carrier instanceof CustomCarrier, carrier.getClass().getName());
            assertSame(Thread.currentThread(), factory.askedOn.get(), "asked on the thread that builds the hub");
            assertSame(carrier, factory.createdOn.get(), "the reactor is created on the factory's thread");
            assertEquals("custom-carrier", carrier.getName());
            assertTrue(carrier.isDaemon());
            assertTrue(carrier.isAlive());

            CompletableFuture<Boolean> onCarrier = new CompletableFuture<>();
            hub.spawn(() -> onCarrier.complete(HubTestSupport.onCarrier(carrier) && hub.inHub()));
            assertTrue(onCarrier.get(BOUND.toSeconds(), TimeUnit.SECONDS), "the hub thread ran off the carrier");

            // A carrier callback submitted from this platform thread: Hub.current() must know the custom carrier.
            CompletableFuture<Object[]> callback = new CompletableFuture<>();
            hub.execute(() -> callback.complete(new Object[] {Thread.currentThread(), Hub.current().orElse(null)}));
            Object[] seen = callback.get(BOUND.toSeconds(), TimeUnit.SECONDS);
            assertSame(carrier, seen[0]);
            assertSame(hub, seen[1]);
            assertTrue(Hub.current().isEmpty(), "this platform thread is no hub's");
        }
    }

    @Test
    void theDefaultCarrierIsAPlainDaemonPlatformThreadThatCurrentKnows() throws Exception {
        try (Hub hub = Hub.builder().name("plain").reactor(ReactorFactory.parking()).build()) {
            Thread carrier = hub.carrierThread();
            assertEquals(Thread.class, carrier.getClass());
            assertEquals("plain-carrier", carrier.getName());
            assertTrue(carrier.isDaemon());
            assertFalse(carrier.isVirtual());
            CompletableFuture<Hub> callback = new CompletableFuture<>();
            hub.execute(() -> callback.complete(Hub.current().orElse(null)));
            assertSame(hub, callback.get(BOUND.toSeconds(), TimeUnit.SECONDS));
        }
    }

    @Test
    void aCarrierThatIsAlreadyStartedIsRefusedAndLeavesNoHubThreadRunning() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        CarrierMaking factory = new CarrierMaking((loop, name) -> {
            Thread t = new Thread(() -> awaitQuietly(release), name);
            t.setDaemon(true);
            t.start();
            return t;
        });
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Hub.builder().name("started-carrier").reactor(factory).build());
            assertTrue(e.getMessage().contains("already started"), e.getMessage());
            // Only the factory's own thread runs; the hub started none (no watchdog, no loop on it).
            assertEquals(Set.of("started-carrier-carrier"), HubTestSupport.platformThreadsNamed("started-carrier"));
        } finally {
            release.countDown();
        }
        assertTrue(factory.made.get().join(BOUND));
        assertEquals(Set.of(), HubTestSupport.platformThreadsNamed("started-carrier"));
    }

    @Test
    void aFactoryThatReturnsNoThreadIsRefusedAndNoHubThreadStarts() {
        // Every thread a hub starts is named after it (carrier, watchdog, offload, closer).
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Hub.builder().name("null-carrier").reactor(new CarrierMaking((loop, name) -> null)).build());
        assertTrue(e.getMessage().contains("null"), e.getMessage());
        assertEquals(Set.of(), HubTestSupport.platformThreadsNamed("null-carrier"));
    }

    @Test
    void aVirtualCarrierIsRefused() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Hub.builder().name("virtual-carrier")
                        .reactor(new CarrierMaking((loop, name) -> Thread.ofVirtual().name(name).unstarted(loop)))
                        .build());
        assertTrue(e.getMessage().contains("virtual"), e.getMessage());
        assertEquals(Set.of(), HubTestSupport.platformThreadsNamed("virtual-carrier"));
    }

    @Test
    void aCarrierThatEndsWithoutRunningTheLoopFailsTheBuildInsteadOfHangingIt() {
        CarrierMaking factory = new CarrierMaking((loop, name) -> new Thread(() -> { }, name));
        IllegalStateException e = assertTimeoutPreemptively(BOUND, () -> assertThrows(IllegalStateException.class,
                () -> Hub.builder().name("loopless").reactor(factory).build()));
        assertTrue(e.getMessage().contains("without running the loop"), e.getMessage());
        await().atMost(BOUND).until(() -> HubTestSupport.platformThreadsNamed("loopless").isEmpty());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await(BOUND.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
