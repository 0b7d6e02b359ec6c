package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;

class WatchdogTest {

    /** Holds the carrier without parking, for {@code d}. */
    static void spinWithoutParking(Duration d) {
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() - until < 0) {
            Thread.onSpinWait();
        }
    }

    @Test
    void spinningHubThreadIsReportedOnceWithItsOwnStack() throws Exception {
        List<BlockedHubEvent> events = new CopyOnWriteArrayList<>();
        try (Hub hub = Hub.builder().name("wd-spin").blockingThreshold(Duration.ofMillis(100))
                .onBlocked(events::add).build()) {
            Thread spinner = hub.spawn(() -> spinWithoutParking(Duration.ofMillis(300)));
            assertTrue(spinner.join(Duration.ofSeconds(10)));
            // Exactly one episode, and it stays one.
            await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> events.size() == 1);
            BlockedHubEvent e = events.get(0);
            assertSame(spinner, e.offender(), "the offender is the hub thread, not the carrier");
            assertTrue(Arrays.stream(e.stackTrace()).anyMatch(f -> f.getMethodName().equals("spinWithoutParking")),
                    () -> "the recorded stack holds the spinning method:\n" + e.stackTraceText());
            assertTrue(e.blockedFor().compareTo(Duration.ofMillis(100)) >= 0);
            assertEquals(1, hub.stats().blockedDetections());
        }
    }

    @Test
    void withoutMetricsTheLongestSliceIsWhatTheWatchdogSaw() throws Exception {
        List<BlockedHubEvent> events = new CopyOnWriteArrayList<>();
        try (Hub hub = Hub.builder().name("wd-longest").blockingThreshold(Duration.ofMillis(100))
                .onBlocked(events::add).build()) {
            long[] spun = new long[1];
            Thread spinner = hub.spawn(() -> {
                long t0 = System.nanoTime();
                spinWithoutParking(Duration.ofMillis(300));
                spun[0] = System.nanoTime() - t0;
            });
            assertTrue(spinner.join(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
            // The watchdog records the slice when it next sees the carrier free: at least from the first to the last
            // sample that saw it running, so no less than what it reported, and never more than the slice itself
            // (the spin plus the few microseconds of the thread's start and end around it).
            Duration reported = events.get(0).blockedFor();
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.stats().longestSlice().compareTo(reported) >= 0);
            Duration longest = hub.stats().longestSlice();
            assertTrue(longest.toNanos() <= spun[0] + Duration.ofMillis(20).toNanos(),
                    () -> "longest " + longest + " is at most the spin of " + Duration.ofNanos(spun[0]));
        }
    }

    @Test
    void blockedCarrierCallbackIsReportedOnceWithTheCarrierAsOffender() throws Exception {
        List<BlockedHubEvent> events = new CopyOnWriteArrayList<>();
        try (Hub hub = Hub.builder().name("wd-callback").blockingThreshold(Duration.ofMillis(50))
                .onBlocked(events::add).build()) {
            CountDownLatch done = new CountDownLatch(1);
            hub.execute(() -> {
                spinWithoutParking(Duration.ofMillis(200));
                done.countDown();
            });
            assertTrue(done.await(10, java.util.concurrent.TimeUnit.SECONDS));
            await().atMost(Duration.ofSeconds(5)).until(() -> events.size() == 1);
            await().during(Duration.ofMillis(300)).atMost(Duration.ofSeconds(2)).until(() -> events.size() == 1);
            assertSame(hub.carrierThread(), events.get(0).offender(), "a plain callback has no thread but the carrier");
        }
    }

    @Test
    void idleHubWithParkedThreadsIsNeverReportedBlocked() throws Exception {
        List<BlockedHubEvent> events = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        try (Hub hub = Hub.builder().name("wd-idle").onBlocked(events::add).build()) {
            // A parked thread and a sleeping one: the carrier sleeps in its reactor, with live threads on it and a
            // timer armed, for the whole two seconds.
            Thread parked = hub.spawn(() -> {
                try {
                    release.await();
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            Thread sleeper = hub.spawn(() -> {
                try {
                    Thread.sleep(60_000); // a sleeping thread (a hub timer armed) is part of the idle hub under test
                } catch (InterruptedException ignored) {
                    Thread.currentThread().interrupt();
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> parked.getState() == Thread.State.WAITING
                    && sleeper.getState() == Thread.State.TIMED_WAITING);
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> events.isEmpty() && hub.stats().blockedDetections() == 0);
            release.countDown();
            sleeper.interrupt();
            assertTrue(parked.join(Duration.ofSeconds(5)));
            assertTrue(sleeper.join(Duration.ofSeconds(5)));
        }
    }

    @Test
    void zeroThresholdDisablesTheWatchdog() throws Exception {
        try (Hub hub = Hub.builder().name("wd-off").blockingThreshold(Duration.ZERO).build()) {
            assertTrue(HubTestSupport.platformThreadsNamed("wd-off-watchdog").isEmpty());
            Thread spinner = hub.spawn(() -> spinWithoutParking(Duration.ofMillis(150)));
            assertTrue(spinner.join(Duration.ofSeconds(10)));
            assertEquals(0, hub.stats().blockedDetections());
        }
    }
    /** A parking reactor that records what the watchdog tells it through {@link Reactor#carrierHeld}. */
    static final class HeldRecording implements ReactorFactory {
        final List<Long> held = new CopyOnWriteArrayList<>();
        final List<Thread> callers = new CopyOnWriteArrayList<>();

        @Override
        public Reactor create(Host host) {
            Reactor parking = ReactorFactory.parking().create(host);
            return new Reactor() {
                @Override public int poll(long timeoutNanos) { return parking.poll(timeoutNanos); }
                @Override public int pollNow() { return parking.pollNow(); }
                @Override public void wakeup() { parking.wakeup(); }
                @Override public void close() { parking.close(); }
                @Override public void carrierHeld(long heldNanos) {
                    held.add(heldNanos);
                    callers.add(Thread.currentThread());
                }
            };
        }
    }

    @Test
    void theReactorHearsFromTheWatchdogWhileOneSliceHoldsTheCarrier() throws Exception {
        HeldRecording reactor = new HeldRecording();
        try (Hub hub = Hub.builder().name("wd-held").reactor(reactor).blockingThreshold(Duration.ofMillis(40))
                .build()) {
            assertTrue(hub.spawn(() -> spinWithoutParking(Duration.ofMillis(200))).join(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(5)).until(() -> reactor.held.size() >= 2);
            // Growing times within the one slice, all from the watchdog's thread.
            assertTrue(reactor.held.get(1) > reactor.held.get(0), reactor.held::toString);
            assertTrue(reactor.callers.stream().allMatch(t -> t.getName().equals("wd-held-watchdog")),
                    reactor.callers::toString);
        }
    }

    @Test
    void withTheWatchdogDisabledTheReactorNeverHearsOfHeldSlices() throws Exception {
        HeldRecording reactor = new HeldRecording();
        try (Hub hub = Hub.builder().name("wd-off").reactor(reactor).blockingThreshold(Duration.ZERO).build()) {
            assertTrue(hub.spawn(() -> spinWithoutParking(Duration.ofMillis(200))).join(Duration.ofSeconds(10)));
            assertTrue(reactor.held.isEmpty(), reactor.held::toString);
        }
    }
}
