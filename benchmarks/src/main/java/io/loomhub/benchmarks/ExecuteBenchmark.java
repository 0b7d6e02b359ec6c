package io.loomhub.benchmarks;

import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The scheduler entry itself: {@code execute(task)} of {@value #TASKS} plain tasks, submitted either by a virtual
 * thread running on the scheduler's own carrier (the hub's local queue: no atomics, no wake-up) or by a foreign
 * platform thread (the hub's MPSC queue plus a wake-up). Score: tasks submitted and run per second. For
 * {@code jdk} the executor is the JDK's default scheduler, a {@code ForkJoinPool} with one worker.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1,
        BenchFlags.JDK_MAX_POOL_1, BenchFlags.HEAP})
public class ExecuteBenchmark {

    static final int TASKS = 1000;

    @Param({Schedulers.HUB, Schedulers.JDK})
    public String scheduler;

    private Schedulers schedulers;

    @Setup(Level.Trial)
    public void open() {
        schedulers = Schedulers.open(scheduler);
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        schedulers.close();
    }

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
