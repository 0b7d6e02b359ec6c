package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The hub's table of thread records: lookups never miss a live record, even while other threads add and grow it. */
class ThreadTableTest {

    private static List<Thread> unstarted(int n) {
        List<Thread> threads = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            threads.add(Thread.ofVirtual().unstarted(() -> { }));
        }
        return threads;
    }

    @Test
    void addsFindsAndRemovesThroughGrowth() {
        ThreadTable table = new ThreadTable();
        List<Thread> threads = unstarted(5_000); // past the first slots many times over: the table doubles
        for (Thread t : threads) {
            table.add(new Hub.ThreadRecord(t));
        }
        assertEquals(5_000, table.size());
        for (Thread t : threads) {
            assertSame(t, table.get(t).thread);
        }
        assertEquals(new HashSet<>(threads), new HashSet<>(table.threads()));
        for (int i = 0; i < threads.size(); i += 2) {
            assertSame(threads.get(i), table.remove(threads.get(i)).thread);
        }
        assertNull(table.remove(threads.get(0)), "a second removal finds nothing");
        for (int i = 0; i < threads.size(); i++) {
            Hub.ThreadRecord r = table.get(threads.get(i));
            if (i % 2 == 0) {
                assertNull(r);
            } else {
                assertSame(threads.get(i), r.thread);
            }
        }
        assertEquals(2_500, table.size());
    }

    /**
     * Threads whose ids share a slot (ids a table length apart) chain in it; removing the head, middle or tail of a
     * chain leaves the others found.
     */
    @Test
    void chainsInOneSlot() {
        ThreadTable table = new ThreadTable();
        List<Thread> all = unstarted(2_000);
        // 256 slots while it holds at most 256: ids 256 apart land in one slot.
        List<Thread> sameSlot = new ArrayList<>();
        long base = all.get(0).threadId();
        for (Thread t : all) {
            if ((t.threadId() - base) % 256 == 0 && sameSlot.size() < 5) {
                sameSlot.add(t);
            }
        }
        assertEquals(5, sameSlot.size());
        for (Thread t : sameSlot) {
            table.add(new Hub.ThreadRecord(t));
        }
        table.remove(sameSlot.get(4)); // the chain's head (added last)
        table.remove(sameSlot.get(2)); // its middle
        table.remove(sameSlot.get(0)); // its tail
        assertSame(sameSlot.get(1), table.get(sameSlot.get(1)).thread);
        assertSame(sameSlot.get(3), table.get(sameSlot.get(3)).thread);
        assertNull(table.get(sameSlot.get(0)));
        assertEquals(2, table.threads().size());
    }

    /**
     * Four threads add records (growing the table many times) while one, as the carrier does, removes each record
     * it is handed, after checking that a lock-free lookup finds it. Without the locked second look a lookup racing
     * with a resize misses live records.
     */
    @Test
    void concurrentAddsNeverHideALiveRecord() throws Exception {
        ThreadTable table = new ThreadTable();
        int adders = 4;
        int perAdder = 20_000;
        ConcurrentLinkedQueue<Thread> added = new ConcurrentLinkedQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int a = 0; a < adders; a++) {
            workers.add(Thread.ofPlatform().start(() -> {
                try {
                    go.await();
                    for (Thread t : unstarted(perAdder)) {
                        table.add(new Hub.ThreadRecord(t));
                        added.add(t);
                    }
                } catch (Throwable e) {
                    failure.compareAndSet(null, e);
                }
            }));
        }
        int removed = 0;
        int misses = 0;
        go.countDown();
        while (removed < adders * perAdder && failure.get() == null) {
            Thread t = added.poll();
            if (t == null) {
                Thread.onSpinWait();
                continue;
            }
            Hub.ThreadRecord r = table.get(t);
            if (r == null || r.thread != t) {
                misses++;
            }
            if (table.remove(t) == null) {
                misses++;
            }
            removed++;
        }
        for (Thread w : workers) {
            w.join();
        }
        assertNull(failure.get());
        assertEquals(0, misses, "live records not found");
        assertEquals(0, table.size());
        assertTrue(table.threads().isEmpty());
    }
}
