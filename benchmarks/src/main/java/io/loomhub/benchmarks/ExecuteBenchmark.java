package io.loomhub.benchmarks;

import java.util.concurrent.Executor;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * The scheduler entry itself: {@code execute(task)} of {@value #TASKS} plain tasks, submitted either by a virtual
 * thread running on the scheduler's own carrier (the hub's local queue: no atomics, no wake-up) or by a foreign
 * platform thread (the hub's MPSC queue plus a wake-up). Score: tasks submitted and run per second. For
 * {@code jdk} the executor is the JDK's default scheduler, a {@code ForkJoinPool} with one worker.
 */
public class ExecuteBenchmark extends SchedulerBenchmark {

    static final int TASKS = 1000;

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void fromCarrier() throws InterruptedException {
        Executor executor = schedulers.executor();
        Thread driver = schedulers.start(() -> submitAndWait(executor));
        driver.join();
    }

    @Benchmark
    @OperationsPerInvocation(TASKS)
    public void fromForeignThread() {
        submitAndWait(schedulers.executor());
    }

    /** Submits the tasks, then parks until the last one has run. */
    private static void submitAndWait(Executor executor) {
        Countdown countdown = new Countdown(Thread.currentThread(), TASKS);
        for (int i = 0; i < TASKS; i++) {
            executor.execute(countdown);
        }
        while (countdown.remaining != 0) {
            LockSupport.park(countdown);
        }
    }

    /** Runs on the scheduler's one carrier only, so a plain field decrement is enough; the last run wakes the waiter. */
    static final class Countdown implements Runnable {
        private final Thread waiter;
        volatile int remaining;

        Countdown(Thread waiter, int count) {
            this.waiter = waiter;
            this.remaining = count;
        }

        @Override
        public void run() {
            int left = remaining - 1;
            remaining = left;
            if (left == 0) {
                LockSupport.unpark(waiter);
            }
        }
    }
}
