package io.loomhub.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Warmup;

/**
 * A virtual thread sleeping in a loop: the time one {@code Thread.sleep} takes, wake-up included. With 0 ms it is
 * the cost of a yield through the scheduler; with 1 ms, anything above 1000 µs is the timer's overshoot (the hub
 * fires its own timers on the carrier; the JDK's default scheduler has its timers fired by a separate thread).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
public class SleepBenchmark extends SchedulerBenchmark {

    static final int ZERO_SLEEPS = 1000;
    static final int MILLI_SLEEPS = 20;

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
