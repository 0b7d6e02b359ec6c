package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class CloseTest {

    @Test
    void closeWithParkedSleepingAndRunningThreadsEndsWithinItsBoundAndLeaksNothing() throws Exception {
        int fdsBefore = HubTestSupport.openDescriptors();
        Hub hub = Hub.builder().name("closing").shutdownTimeout(Duration.ofMillis(300)).build();
        Set<String> hubPlatformThreads = HubTestSupport.platformThreadsNamed("closing-");
        assertTrue(hubPlatformThreads.contains("closing-carrier"), hubPlatformThreads.toString());

        AtomicInteger interruptedOrDone = new AtomicInteger();
        CountDownLatch allStarted = new CountDownLatch(3);
        hub.spawn(() -> {                                   // parked for ever, until interrupted
            allStarted.countDown();
            while (!Thread.currentThread().isInterrupted()) {
                LockSupport.park();
            }
            interruptedOrDone.incrementAndGet();
        });
        hub.spawn(() -> {                                   // sleeping for a minute
            allStarted.countDown();
            try {
                Thread.sleep(60_000);
            } catch (InterruptedException e) {
                interruptedOrDone.incrementAndGet();
            }
        });
        hub.spawn(() -> {                                   // running: yields in a loop
            allStarted.countDown();
            while (!Thread.currentThread().isInterrupted()) {
                Thread.yield();
            }
            interruptedOrDone.incrementAndGet();
        });
        hub.spawn(() -> { });                               // ends by itself
        assertTrue(allStarted.await(10, TimeUnit.SECONDS));

        long start = System.nanoTime();
        assertTimeoutPreemptively(Duration.ofSeconds(10), hub::close);
        long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertTrue(hub.awaitTermination(Duration.ZERO), "close() returned before the hub terminated");
        assertTrue(tookMillis >= 250, "close() did not give threads their grace period: " + tookMillis + " ms");
        assertEquals(3, interruptedOrDone.get());
        assertEquals(0, hub.stats().liveThreads());

        await().atMost(Duration.ofSeconds(10)).until(() -> !hub.carrierThread().isAlive());
        assertThrows(RejectedExecutionException.class, () -> hub.spawn(() -> { }));
        assertThrows(RejectedExecutionException.class, () -> hub.ofVirtual().start(() -> { }));
        try (ExecutorService ex = hub.newVirtualThreadPerTaskExecutor()) {
            assertThrows(RejectedExecutionException.class, () -> ex.submit(() -> { }));
        }
        ExecutorService bounded = hub.newBoundedExecutor(2);
        assertThrows(RejectedExecutionException.class, () -> bounded.execute(() -> { }));
        hub.close(); // idempotent

        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            assertEquals(Set.of(), HubTestSupport.platformThreadsNamed("closing-"));
            assertEquals(fdsBefore, HubTestSupport.openDescriptors());
        });
    }

    @Test
    void threadsThatEndWithinTheGracePeriodAreNotInterrupted() throws Exception {
        Hub hub = Hub.builder().shutdownTimeout(Duration.ofSeconds(5)).build();
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean finished = new AtomicBoolean();
        CountDownLatch started = new CountDownLatch(1);
        hub.spawn(() -> {
            started.countDown();
            try {
                Thread.sleep(200);
                finished.set(true);
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        assertTrue(started.await(5, TimeUnit.SECONDS));
        hub.close();
        assertTrue(finished.get());
        assertFalse(interrupted.get());
    }

    @Test
    void aParkedThreadResumedAfterCloseStillRuns() throws Exception {
        Hub hub = Hub.builder().shutdownTimeout(Duration.ofSeconds(5)).build();
        CountDownLatch parked = new CountDownLatch(1);
        AtomicBoolean resumed = new AtomicBoolean();
        Thread t = hub.spawn(() -> {
            parked.countDown();
            LockSupport.park();
            resumed.set(true);
        });
        assertTrue(parked.await(5, TimeUnit.SECONDS));
        Thread closer = Thread.ofPlatform().start(hub::close);
        await().atMost(Duration.ofSeconds(5)).until(hub::isClosed);
        LockSupport.unpark(t); // from a foreign thread, after close: must not be rejected
        assertTrue(t.join(Duration.ofSeconds(5)));
        assertTrue(resumed.get());
        closer.join();
        assertTrue(hub.awaitTermination(Duration.ofSeconds(5)));
    }

    @Test
    void closeFromAHubThreadStartsShutdownAndReturns() throws Exception {
        Hub hub = Hub.create();
        AtomicBoolean returned = new AtomicBoolean();
        Object[] awaitError = new Object[1];
        Thread t = hub.spawn(() -> {
            hub.close();
            returned.set(true);
            try {
                hub.awaitTermination(Duration.ofSeconds(1));
            } catch (Exception e) {
                awaitError[0] = e;
            }
        });
        assertTrue(t.join(Duration.ofSeconds(5)));
        assertTrue(returned.get());
        assertTrue(awaitError[0] instanceof IllegalStateException, String.valueOf(awaitError[0]));
        assertTrue(hub.awaitTermination(Duration.ofSeconds(10)));
    }
}
