package io.loomhub.benchmarks;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.LongAdder;
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
 * gevent's {@code joinall(spawn(...) for ...)}: a virtual thread on the scheduler starts {@value #THREADS} short
 * threads and joins each. Score: threads started and joined per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1,
        BenchFlags.JDK_MAX_POOL_1, BenchFlags.HEAP})
public class SpawnJoinBenchmark {

    static final int THREADS = 1000;

    @Param({Schedulers.HUB, Schedulers.JDK})
    public String scheduler;

    private Schedulers schedulers;
    private final LongAdder work = new LongAdder();

    @Setup(Level.Trial)
    public void open() {
        schedulers = Schedulers.open(scheduler);
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        schedulers.close();
    }

    @Benchmark
    @OperationsPerInvocation(THREADS)
    public void spawnAndJoin() throws InterruptedException {
        ThreadFactory factory = schedulers.factory();
        Thread driver = schedulers.start(() -> {
            Thread[] threads = new Thread[THREADS];
            for (int i = 0; i < THREADS; i++) {
                threads[i] = factory.newThread(work::increment);
                threads[i].start();
            }
            try {
                for (Thread t : threads) {
                    t.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        driver.join();
    }
}
