package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ExecutorsTest {

    @Test
    void boundedExecutorNeverRunsMoreThanItsLimitAndStartsTasksInSubmissionOrder() throws Exception {
        try (Hub hub = Hub.create(); ExecutorService pool = hub.newBoundedExecutor(3)) {
            AtomicInteger running = new AtomicInteger();
            AtomicInteger maxRunning = new AtomicInteger();
            ConcurrentLinkedQueue<Integer> startOrder = new ConcurrentLinkedQueue<>();
            ConcurrentLinkedQueue<String> offCarrier = new ConcurrentLinkedQueue<>();
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                final int n = i;
                futures.add(pool.submit(() -> {
                    startOrder.add(n);
                    int now = running.incrementAndGet();
                    maxRunning.accumulateAndGet(now, Math::max);
                    if (!HubTestSupport.onCarrier(hub.carrierThread())) {
                        offCarrier.add(Thread.currentThread().toString());
                    }
                    // Stay running across a few switches, so the other workers get to start meanwhile.
                    for (int y = 0; y < 1 + n % 3; y++) {
                        Thread.yield();
                    }
                    running.decrementAndGet();
                    return null;
                }));
            }
            for (Future<?> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(3, maxRunning.get());
            List<Integer> expected = new ArrayList<>();
            for (int i = 0; i < 200; i++) {
                expected.add(i);
            }
            assertEquals(expected, List.copyOf(startOrder));
            assertEquals(List.of(), List.copyOf(offCarrier));
        }
    }

    @Test
    void boundedExecutorShutdownNowInterruptsRunningAndReturnsWaitingTasks() throws Exception {
        try (Hub hub = Hub.create()) {
            ExecutorService pool = hub.newBoundedExecutor(2);
            CountDownLatch bothRunning = new CountDownLatch(2);
            AtomicInteger interrupted = new AtomicInteger();
            for (int i = 0; i < 2; i++) {
                pool.execute(() -> {
                    bothRunning.countDown();
                    try {
                        new CountDownLatch(1).await(); // blocked until shutdownNow interrupts it
                    } catch (InterruptedException e) {
                        interrupted.incrementAndGet();
                    }
                });
            }
            for (int i = 0; i < 5; i++) {
                pool.execute(() -> { });
            }
            assertTrue(bothRunning.await(10, TimeUnit.SECONDS));
            List<Runnable> waiting = pool.shutdownNow();
            assertEquals(5, waiting.size());
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
            assertEquals(2, interrupted.get());
            assertThrows(RejectedExecutionException.class, () -> pool.execute(() -> { }));
        }
    }

    @Test
    void boundedExecutorRejectsALimitBelowOne() {
        try (Hub hub = Hub.create()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hub.newBoundedExecutor(0));
            assertTrue(e.getMessage().contains("at least 1"));
        }
    }

    @Test
    void threadPerTaskExecutorRunsExistingExecutorServiceCodeOnTheHub() throws Exception {
        try (Hub hub = Hub.create()) {
            List<Callable<Boolean>> calls = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                calls.add(() -> {
                    Thread.sleep(1); // the blocking call under test: it parks, and resumes on the carrier
                    return HubTestSupport.onCarrier(hub.carrierThread());
                });
            }
            try (ExecutorService ex = hub.newVirtualThreadPerTaskExecutor()) {
                for (Future<Boolean> f : ex.invokeAll(calls)) {
                    assertTrue(f.get());
                }
            }
            assertEquals(1000, hub.stats().startedThreads());
        }
    }

    @Test
    void offloadKeepsOtherHubThreadsRunningWhileABlockingCallRuns() throws Exception {
        try (Hub hub = Hub.create()) {
            AtomicInteger ticks = new AtomicInteger();
            CountDownLatch offloadStarted = new CountDownLatch(1);
            Thread ticker = hub.spawn(() -> {
                while (!Thread.currentThread().isInterrupted()) {
                    ticks.incrementAndGet();
                    try {
                        Thread.sleep(5); // a ticker on hub timers: what must keep running during the offload
                    } catch (InterruptedException e) {
                        return;
                    }
                }
            });
            int[] ticksDuringCall = new int[1];
            String[] ranOn = new String[2];
            Thread caller = hub.spawn(() -> {
                try {
                    String result = hub.offload(() -> {
                        int before = ticks.get();
                        ranOn[0] = Thread.currentThread().getName();
                        offloadStarted.countDown();
                        long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
                        while (System.nanoTime() < end) {
                            Thread.onSpinWait(); // blocks its thread, not the hub
                        }
                        ticksDuringCall[0] = ticks.get() - before;
                        return "done";
                    });
                    ranOn[1] = HubTestSupport.onCarrier(hub.carrierThread()) + ":" + result;
                } catch (Exception e) {
                    throw new AssertionError(e);
                }
            });
            assertTrue(caller.join(Duration.ofSeconds(10)));
            ticker.interrupt();
            assertTrue(ticker.join(Duration.ofSeconds(10)));
            assertTrue(ranOn[0].startsWith(hub.name() + "-offload-"), ranOn[0]);
            assertEquals("true:done", ranOn[1]); // resumed on the carrier
            assertTrue(ticksDuringCall[0] >= 5, "the hub stalled during the offloaded call: " + ticksDuringCall[0]);
            assertEquals(1, hub.stats().offloadCalls());
        }
    }

    @Test
    void offloadRethrowsTheCallsExceptionUnwrapped() throws Exception {
        try (Hub hub = Hub.create()) {
            Object[] caught = new Object[1];
            hub.spawn(() -> {
                try {
                    hub.offload(() -> {
                        throw new java.io.FileNotFoundException("no such file: x");
                    });
                } catch (Exception e) {
                    caught[0] = e;
                }
            }).join();
            assertTrue(caught[0] instanceof java.io.FileNotFoundException, String.valueOf(caught[0]));
        }
    }

    @Test
    void offloadOnTheCarrierOutsideAThreadIsRefusedClearly() throws Exception {
        try (Hub hub = Hub.create()) {
            Object[] caught = new Object[1];
            hub.execute(() -> {
                try {
                    hub.offload(() -> "x");
                } catch (Exception e) {
                    caught[0] = e;
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> caught[0] != null);
            assertTrue(caught[0] instanceof IllegalStateException);
            assertTrue(((Exception) caught[0]).getMessage().contains("would block the hub"));
        }
    }
}
