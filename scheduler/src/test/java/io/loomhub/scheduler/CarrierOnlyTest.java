package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import org.junit.jupiter.api.Test;

/** The carrier is the only thread that ever runs hub virtual threads, whatever they do. */
class CarrierOnlyTest {

    private static final int THREADS = 10_000;

    @Test
    void everySliceOfTenThousandBusyThreadsRunsOnTheCarrier() throws Exception {
        try (Hub hub = Hub.builder().name("carrier-only").build()) {
            Thread carrier = hub.carrierThread();
            ConcurrentLinkedQueue<String> offCarrier = new ConcurrentLinkedQueue<>();
            AtomicInteger checks = new AtomicInteger();
            Runnable check = () -> {
                checks.incrementAndGet();
                if (!HubTestSupport.onCarrier(carrier)) {
                    offCarrier.add(Thread.currentThread().toString());
                }
            };
            ReentrantLock lock = new ReentrantLock();
            Object monitor = new Object();
            int[] sharedCounter = new int[1];
            AtomicInteger children = new AtomicInteger();

            List<Thread> threads = new ArrayList<>(THREADS);
            for (int i = 0; i < THREADS; i++) {
                final int n = i;
                threads.add(hub.ofVirtual().name("w-", i).start(() -> {
                    check.run();
                    LockSupport.parkNanos(1_000);                       // timed park (hub timer)
                    check.run();
                    Thread.yield();
                    check.run();
                    try {
                        Thread.sleep(n % 3);                            // sleep, including sleep(0)
                    } catch (InterruptedException e) {
                        throw new AssertionError(e);
                    }
                    check.run();
                    lock.lock();                                        // contended ReentrantLock
                    try {
                        check.run();
                        Thread.yield();                                 // yield while holding it
                        check.run();
                    } finally {
                        lock.unlock();
                    }
                    synchronized (monitor) {                            // contended monitor
                        sharedCounter[0]++;
                        Thread.yield();
                        check.run();
                    }
                    if (n % 10 == 0) {
                        // Children made with the plain JDK APIs inherit the hub.
                        Thread child = Thread.ofVirtual().start(() -> {
                            check.run();
                            children.incrementAndGet();
                        });
                        try (ExecutorService ex = Executors.newVirtualThreadPerTaskExecutor()) {
                            Future<?> f = ex.submit(() -> {
                                check.run();
                                children.incrementAndGet();
                            });
                            f.get();
                            child.join();
                        } catch (Exception e) {
                            throw new AssertionError(e);
                        }
                        check.run();
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(60)), "thread did not finish: " + t);
            }
            assertEquals(List.of(), List.copyOf(offCarrier), "slices ran off the carrier");
            assertEquals(THREADS, sharedCounter[0]);
            assertEquals(THREADS / 10 * 2, children.get());
            assertTrue(checks.get() >= THREADS * 7);
            HubStats stats = hub.stats();
            assertEquals(THREADS + THREADS / 10 * 2, stats.startedThreads());
            assertTrue(stats.slices() >= THREADS * 5L, stats.toString());
        }
    }

    @Test
    void currentFindsTheHubFromItsThreadsAndItsCarrierOnly() throws Exception {
        try (Hub hub = Hub.create()) {
            assertTrue(Hub.current().isEmpty());
            Object[] seen = new Object[3];
            Thread t = hub.spawn(() -> {
                seen[0] = Hub.current().orElse(null);
                seen[1] = hub.inHub();
                hub.execute(() -> seen[2] = Hub.current().orElse(null)); // a carrier callback
            });
            assertTrue(t.join(Duration.ofSeconds(5)));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5)).until(() -> seen[2] != null);
            assertEquals(hub, seen[0]);
            assertEquals(true, seen[1]);
            assertEquals(hub, seen[2]);
            assertTrue(!hub.inHub());
        }
    }
}
