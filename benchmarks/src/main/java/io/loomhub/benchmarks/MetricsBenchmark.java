package io.loomhub.benchmarks;

import io.loomhub.scheduler.HubMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
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
 * What binding {@link HubMetrics} costs the hot path: the park/unpark ping-pong of {@link PingPongBenchmark} on a
 * hub, with no metrics ({@code off}) and with {@code new HubMetrics(hub).bindTo(registry)} ({@code on}). Score:
 * round trips per second.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {BenchFlags.ADD_OPENS, BenchFlags.NATIVE_ACCESS, BenchFlags.HEAP})
public class MetricsBenchmark {

    @Param({"off", "on"})
    public String metrics;

    private Schedulers schedulers;
    private HubMetrics bound;

    @Setup(Level.Trial)
    public void open() {
        schedulers = Schedulers.open(Schedulers.HUB);
        if (metrics.equals("on")) {
            bound = new HubMetrics(schedulers.hub());
            bound.bindTo(new SimpleMeterRegistry());
        }
    }

    @TearDown(Level.Trial)
    public void close() throws InterruptedException {
        if (bound != null) {
            bound.close();
        }
        schedulers.close();
    }

    @Benchmark
    @OperationsPerInvocation(PingPongBenchmark.ROUND_TRIPS)
    public void parkUnpark() throws InterruptedException {
        PingPongBenchmark.runParkPair(schedulers);
    }
}
