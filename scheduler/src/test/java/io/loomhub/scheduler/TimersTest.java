package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/** Timed parks of hub threads are hub timers: they fire on the carrier, with no JDK timer thread. */
class TimersTest {

    @Test
    void sleepsAndTimedParksAreHubTimersFiredOnTheCarrier() throws Exception {
        try (Hub hub = Hub.create()) {
            ConcurrentLinkedQueue<String> problems = new ConcurrentLinkedQueue<>();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                final int n = i;
                threads.add(hub.spawn(() -> {
                    long start = System.nanoTime();
                    try {
                        Thread.sleep(10 + n % 5);
                    } catch (InterruptedException e) {
                        problems.add("interrupted");
                    }
                    long sleptMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
                    if (sleptMillis < 10 + n % 5) {
                        problems.add("woke early: " + sleptMillis + " ms");
                    }
                    // (JDK 25 leaves a park permit after a sleep: the first parkNanos after it returns at once.)
                    LockSupport.parkNanos(1);
                    start = System.nanoTime();
                    LockSupport.parkNanos(2_000_000);
                    if (System.nanoTime() - start < 2_000_000) {
                        problems.add("parkNanos woke early"); // a spurious wake-up would be legal but is not expected
                    }
                    if (!HubTestSupport.onCarrier(hub.carrierThread())) {
                        problems.add("off carrier");
                    }
                }));
            }
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(10)));
            }
            assertEquals(List.of(), List.copyOf(problems));
            HubStats s = hub.stats();
            assertTrue(s.timersArmed() >= 200, s.toString()); // 100 sleeps and 100 timed parks
            assertTrue(s.timersFired() >= 200, s.toString());
            boolean jdkUnparker = Thread.getAllStackTraces().keySet().stream()
                    .anyMatch(t -> t.getName().contains("VirtualThread-unparker"));
            assertTrue(!jdkUnparker, "the JDK's unparker thread was started");
        }
    }

    @Test
    void anEarlyUnparkCancelsTheTimerAndTheThreadRunsAtOnce() throws Exception {
        try (Hub hub = Hub.create()) {
            Thread t = hub.spawn(() -> LockSupport.parkNanos(TimeUnit.SECONDS.toNanos(30)));
            org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> t.getState() == Thread.State.TIMED_WAITING);
            LockSupport.unpark(t);
            assertTrue(t.join(Duration.ofSeconds(5)));
        }
    }

    /** With -Dloomhub.jdkTimers=true the JDK's own timer path is used; sleeps still work. */
    public static final class JdkTimers {
        public static void main(String[] args) throws Exception {
            try (Hub hub = Hub.create()) {
                Thread t = hub.spawn(() -> {
                    try {
                        Thread.sleep(20);
                    } catch (InterruptedException e) {
                        throw new RuntimeException(e);
                    }
                });
                System.out.println(t.join(Duration.ofSeconds(10)) ? "SLEPT armed=" + hub.stats().timersArmed() : "HUNG");
            }
        }
    }

    @Test
    void theJdkTimerFallbackStillWakesSleepers() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, JdkTimers.class, "-Dloomhub.jdkTimers=true");
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("SLEPT armed=0"), r.output());
    }
}
