package io.loomhub.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every JMH benchmark still runs, on the hub and on the JDK baseline, in a real fork: one short iteration each
 * ({@code -f 1 -wi 0 -i 1 -r 50ms}). Asserts only that each produced a score; no speed is asserted.
 */
class JmhSmokeTest {

    @Test
    void everyBenchmarkRunsOnBothSchedulersAndReportsAScore() {
        List<JmhSuite.Row> rows = assertTimeoutPreemptively(Duration.ofSeconds(150),
                () -> JmhSuite.run(JmhSuite.ALL, JmhSuite.Mode.SMOKE));

        Set<String> benchmarks = new TreeSet<>();
        rows.forEach(r -> benchmarks.add(r.benchmark()));
        assertTrue(benchmarks.containsAll(List.of("PingPongBenchmark.parkUnpark",
                "PingPongBenchmark.synchronousQueue", "SpawnJoinBenchmark.spawnAndJoin",
                "ExecuteBenchmark.fromCarrier", "ExecuteBenchmark.fromForeignThread", "SleepBenchmark.sleep0ms",
                "SleepBenchmark.sleep1ms", "MetricsBenchmark.parkUnpark", "FutureAwaitBenchmark.alreadyCompleted",
                "FutureAwaitBenchmark.completedLater")), "benchmarks that ran: " + benchmarks);
        for (String b : benchmarks) {
            long schedulers = rows.stream().filter(r -> r.benchmark().equals(b)).map(JmhSuite.Row::scheduler)
                    .distinct().count();
            assertEquals(rows.stream().filter(r -> r.benchmark().equals(b)).count(), schedulers,
                    "one row per scheduler for " + b);
        }
        for (JmhSuite.Row r : rows) {
            assertTrue(r.samples() >= 1 && r.median() > 0 && Double.isFinite(r.median()), "no score: " + r);
        }
    }
}
