package io.loomhub.benchmarks;

import java.util.concurrent.TimeUnit;
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
 * A virtual thread sleeping in a loop: the time one {@code Thread.sleep} takes, wake-up included. With 0 ms it is
 * the cost of a yield through the scheduler; with 1 ms, anything above 1000 µs is the timer's overshoot (the hub
 * fires its own timers on the carrier; the JDK's default scheduler has its timers fired by a separate thread).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1,
        BenchFlags.JDK_MAX_POOL_1, BenchFlags.HEAP})
public class SleepBenchmark {

    static final int ZERO_SLEEPS = 1000;
    static final int MILLI_SLEEPS = 20;

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
    @OperationsPerInvocation(ZERO_SLEEPS)
    public void sleep0ms() throws InterruptedException {
        sleepLoop(ZERO_SLEEPS, 0);
    }

    @Benchmark
    @OperationsPerInvocation(MILLI_SLEEPS)
    public void sleep1ms() throws InterruptedException {
        sleepLoop(MILLI_SLEEPS, 1);
    }

    private void sleepLoop(int count, long millis) throws InterruptedException {
        Thread t = schedulers.start(() -> {
            try {
                for (int i = 0; i < count; i++) {
                    Thread.sleep(millis);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        t.join();
    }
}
