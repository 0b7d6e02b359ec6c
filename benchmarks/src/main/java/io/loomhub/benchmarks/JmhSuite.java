package io.loomhub.benchmarks;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * Runs the JMH benchmarks of this module through JMH's {@link Runner}, each parameter combination in its own
 * fork (which inherits this process's CPU affinity and gets the flags of the benchmark's {@code @Fork}).
 */
final class JmhSuite {

    /** Every benchmark class of the module ends with "Benchmark". */
    static final String ALL = "io\\.loomhub\\.benchmarks\\..*Benchmark\\..*";

    /** How long to run: {@code FULL} for the report, {@code SMOKE} to prove the benchmarks still run. */
    enum Mode {
        FULL(2, 1000, 4, 1000),
        SMOKE(0, 0, 1, 50);

        final int warmups;
        final int warmupMillis;
        final int iterations;
        final int iterationMillis;

        Mode(int warmups, int warmupMillis, int iterations, int iterationMillis) {
            this.warmups = warmups;
            this.warmupMillis = warmupMillis;
            this.iterations = iterations;
            this.iterationMillis = iterationMillis;
        }
    }

    /**
     * One benchmark × parameter combination: its score statistics over all measured iterations. {@code scheduler}
     * is {@code hub} or {@code jdk}, or for {@link MetricsBenchmark} {@code hub, metrics off|on}.
     */
    record Row(String benchmark, String scheduler, String unit, boolean higherIsBetter, double min, double median,
               double max, long samples) {
    }

    private JmhSuite() { }

    static List<Row> run(String includeRegex, Mode mode) throws RunnerException {
        ChainedOptionsBuilder b = new OptionsBuilder()
                .include(includeRegex)
                .forks(1)
                .shouldFailOnError(true)
                .measurementIterations(mode.iterations)
                .measurementTime(TimeValue.milliseconds(mode.iterationMillis))
                .warmupIterations(mode.warmups);
        if (mode.warmups > 0) {
            b.warmupTime(TimeValue.milliseconds(mode.warmupMillis));
        }
        Collection<RunResult> results = new Runner(b.build()).run();
        List<Row> rows = new ArrayList<>();
        for (RunResult r : results) {
            String label = r.getParams().getBenchmark();
            label = label.substring(label.lastIndexOf('.', label.lastIndexOf('.') - 1) + 1);
            String scheduler = r.getParams().getParam("scheduler");
            String metrics = r.getParams().getParam("metrics");
            if (scheduler == null && metrics != null) {
                scheduler = "hub, metrics " + metrics;
            }
            Statistics s = r.getPrimaryResult().getStatistics();
            boolean higher = r.getParams().getMode() == org.openjdk.jmh.annotations.Mode.Throughput;
            rows.add(new Row(label, scheduler == null ? "-" : scheduler, r.getPrimaryResult().getScoreUnit(), higher,
                    s.getMin(), s.getPercentile(50), s.getMax(), s.getN()));
        }
        return rows;
    }
}
