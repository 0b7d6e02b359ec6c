package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class HubDumpTest {

    private static Hub newHub(String name) {
        return Hub.builder().name(name).reactor(ReactorFactory.parking()).shutdownTimeout(Duration.ofSeconds(2))
                .build();
    }

    /** Waits on the latch; its name shows up in the dumped stacks. */
    static void waitForLatch(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static boolean allWaiting(List<Thread> threads) {
        return threads.stream().allMatch(t -> t.getState() == Thread.State.WAITING);
    }

    /** Spawns {@code n} hub threads that wait for {@code release}, and returns once all of them wait. */
    private static List<Thread> spawnWaiting(Hub hub, int n, CountDownLatch release) {
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            threads.add(hub.spawn(() -> waitForLatch(release)));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> allWaiting(threads));
        return threads;
    }

    @Test
    void dumpListsHundredParkedThreadsWithStatesBlockersAndStacks() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Hub hub = newHub("dump-100")) {
            List<Thread> threads = spawnWaiting(hub, 100, release);
            HubDump dump = hub.dump();
            assertEquals(100, dump.threads().size());
            for (HubDump.ThreadInfo info : dump.threads()) {
                assertTrue(threads.contains(info.thread()));
                assertEquals(Thread.State.WAITING, info.state());
                assertTrue(info.waitingFor().startsWith("java.util.concurrent.CountDownLatch$Sync"), info.waitingFor());
                assertNotNull(info.waited(), "how long it waited is known");
                assertTrue(Arrays.stream(info.stackTrace()).anyMatch(f -> f.getMethodName().equals("waitForLatch")),
                        () -> Arrays.toString(info.stackTrace()));
            }
            String text = dump.toString();
            assertEquals(100, text.split("at io\\.loomhub\\.scheduler\\.HubDumpTest\\.waitForLatch", -1).length - 1);
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            dump.print(new PrintStream(out, true, StandardCharsets.UTF_8));
            assertEquals(text, out.toString(StandardCharsets.UTF_8));
            release.countDown();
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(5)));
            }
        }
    }

    /**
     * Thousands of parked threads (the hub's record table grows past its first size as they start): every one
     * has a known wait, and the first wave's waits cover the time since they had all parked.
     */
    @Test
    void dumpKnowsHowLongEachOfThousandsOfParkedThreadsHasWaited() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (Hub hub = newHub("dump-many")) {
            List<Thread> first = spawnWaiting(hub, 1500, release);
            long firstParked = System.nanoTime();
            List<Thread> second = spawnWaiting(hub, 1500, release);
            long sinceFirst = System.nanoTime() - firstParked; // the dump looks later still
            HubDump dump = hub.dump();
            java.util.Set<Thread> firstWave = new java.util.HashSet<>(first);
            assertEquals(3000, dump.threads().size());
            for (HubDump.ThreadInfo info : dump.threads()) {
                assertNotNull(info.waited(), "how long it waited is known: " + info.thread());
                if (firstWave.contains(info.thread())) {
                    assertTrue(info.waited().toNanos() >= sinceFirst,
                            () -> info.thread() + " waited " + info.waited() + ", parked before " + sinceFirst + " ns");
                }
            }
            release.countDown();
            for (Thread t : first) {
                assertTrue(t.join(Duration.ofSeconds(5)));
            }
            for (Thread t : second) {
                assertTrue(t.join(Duration.ofSeconds(5)));
            }
        }
    }

    @Test
    void threadsWaitingOnLatchesNobodyCountsDownAreReportedAsBlockingForever() throws Exception {
        CountDownLatch a = new CountDownLatch(1);
        CountDownLatch b = new CountDownLatch(1);
        try (Hub hub = newHub("dump-deadlock")) {
            Thread first = hub.spawn(() -> waitForLatch(a));
            Thread second = hub.spawn(() -> waitForLatch(b));
            await().atMost(Duration.ofSeconds(5)).until(() -> allWaiting(List.of(first, second)));
            HubDump dump = hub.dump();
            assertTrue(dump.blocksForever(), dump::toString);
            assertEquals(0, dump.readyTasks());
            assertEquals(0, dump.timersArmed());
            assertEquals(0, dump.registeredIo());
            assertTrue(dump.toString().contains("this would block forever"), dump::toString);
            dump.print(System.out); // an example for the docs, in the test's output file
            // Let the hub close: the test is the "thread outside the hub" the verdict mentions.
            a.countDown();
            b.countDown();
        }
    }

    @Test
    void sleepingThreadIsNotReportedAsBlockingForever() throws Exception {
        CountDownLatch never = new CountDownLatch(1);
        try (Hub hub = newHub("dump-sleep")) {
            Thread waiter = hub.spawn(() -> waitForLatch(never));
            Thread sleeper = hub.spawn(() -> {
                try {
                    Thread.sleep(30_000); // under test: a sleeper has a timer, so it is no deadlock
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            await().atMost(Duration.ofSeconds(5)).until(() -> waiter.getState() == Thread.State.WAITING
                    && sleeper.getState() == Thread.State.TIMED_WAITING);
            HubDump dump = hub.dump();
            assertFalse(dump.blocksForever(), dump::toString);
            assertFalse(dump.toString().contains("block forever"), dump::toString);
            assertTrue(dump.threads().stream().anyMatch(t -> t.thread() == sleeper
                    && t.state() == Thread.State.TIMED_WAITING), dump::toString);
            never.countDown();
            sleeper.interrupt();
        }
    }

    @Test
    void dumpTakenByAHubThreadListsItAsRunnable() throws Exception {
        try (Hub hub = newHub("dump-self")) {
            AtomicReference<HubDump> seen = new AtomicReference<>();
            Thread t = hub.spawn(() -> seen.set(hub.dump()));
            assertTrue(t.join(Duration.ofSeconds(10)));
            HubDump dump = seen.get();
            assertEquals(1, dump.threads().size());
            assertEquals(Thread.State.RUNNABLE, dump.threads().get(0).state());
            assertFalse(dump.blocksForever());
        }
    }

    @Test
    void dumpOfABlockedCarrierNamesTheThreadHoldingIt() throws Exception {
        try (Hub hub = newHub("dump-blocked")) {
            Thread spinner = hub.spawn(() -> WatchdogTest.spinWithoutParking(Duration.ofMillis(2500)));
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.sliceThread() == spinner);
            HubDump dump = hub.dump();
            assertEquals(-1, dump.readyTasks());
            assertFalse(dump.blocksForever());
            assertTrue(dump.verdict().contains("blocked") && dump.verdict().contains(spinner.toString().split("/")[0]),
                    dump::toString);
            // The same slice ran all the while the dump waited for the carrier: the dump knows that much of its length.
            assertTrue(dump.verdict().contains("has held the carrier for at least"), dump::toString);
            assertTrue(dump.threads().stream().anyMatch(i -> Arrays.stream(i.stackTrace())
                    .anyMatch(f -> f.getMethodName().equals("spinWithoutParking"))), dump::toString);
            assertTrue(spinner.join(Duration.ofSeconds(10)));
        }
    }
}
