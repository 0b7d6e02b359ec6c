package io.loomhub.benchmarks;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What every hub-against-JDK benchmark shares: the {@code scheduler} parameter ({@code hub} or {@code jdk}), the
 * forks' JVM flags (the JDK's default scheduler gets one carrier), and opening and closing the scheduler once per
 * trial. Subclasses add their {@code @Benchmark} methods, and may override the run settings with their own
 * annotations (JMH takes the nearest one) or add set-up in {@link #opened()} and tear-down in {@link #closed()}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1,
        BenchFlags.JDK_MAX_POOL_1, BenchFlags.HEAP})
public abstract class SchedulerBenchmark {

    @Param({Schedulers.HUB, Schedulers.JDK})
    public String scheduler;

    /** The scheduler under test, open for the whole trial. */
    protected Schedulers schedulers;

    @Setup(Level.Trial)
    public void open() {
        schedulers = Schedulers.open(scheduler);
        opened();
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        schedulers.close();
        closed();
    }

    /** More set-up once {@link #schedulers} is open. */
    protected void opened() {
    }

    /** More tear-down after {@link #schedulers} has closed. */
    protected void closed() throws InterruptedException {
    }
}
