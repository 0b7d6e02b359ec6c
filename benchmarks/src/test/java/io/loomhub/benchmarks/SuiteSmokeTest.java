package io.loomhub.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load harness end to end, tiny: echo servers started as processes, the load generator against each, the
 * scale test, the sleep probe and the interleaved ping-pong, then the report and its plots. Asserts that every part produced numbers; no
 * speed is asserted.
 */
class SuiteSmokeTest {

    @Test
    void harnessMeasuresEveryJvmServerAndWritesTheReportWithPlots(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("benchmarks.md");
        Suite.Options o = Suite.Options.parse(new String[] {
            "--no-jmh", "--no-pin", "--servers", "netty,hub-netty,hub-jdk,hub-jdk-patched,jdk", "--rounds", "1",
            "--warmup", "1", "--jit-warmup", "1",
            "--measure", "0.5", "--connections", "10,50", "--scale", "50", "--scale-churn", "100",
            "--sleep-probe", "20",
            "--pingpong-pairs", "2", "--pingpong-round", "0.05", "--pingpong-warmup", "1",
            "--out", out.toString(), "--log-dir", dir.resolve("logs").toString(), "--command", "SuiteSmokeTest"});
        Report report = assertTimeoutPreemptively(Duration.ofSeconds(120), () -> Suite.run(o));
        report.write(out);

        // Every server was measured at every connection count. How much each completed is a speed, which this test
        // does not judge (a loaded CI machine can stall a half-second window); that the harness measures at all is
        // checked on the total.
        double total = 0;
        for (String server : List.of("netty", "hub-netty", "hub-jdk", "hub-jdk-patched", "jdk")) {
            for (int conns : List.of(10, 50)) {
                Report.Spread tput = report.echoSpread(server, conns, LoadGenerator.Result::throughput);
                assertEquals(1, tput.n(), server + " at " + conns + " connections: notes " + report.notes);
                assertTrue(tput.median() >= 0, server + " at " + conns + " connections: " + tput.median());
                total += tput.median();
            }
        }
        assertTrue(total > 0, "no server completed a request: notes " + report.notes);
        assertEquals(5, report.scale.size(), "scale rows; notes: " + report.notes);
        assertEquals(2, report.sleepProbe.size(), "sleep probes; notes: " + report.notes);
        assertEquals(2, report.pingPong.size(), "interleaved ping-pong pairs; notes: " + report.notes);
        for (InterleavedPingPong.Pair p : report.pingPong) {
            assertTrue(p.hub().tripsPerSecond() > 0 && p.jdk().tripsPerSecond() > 0 && p.unbound().cpuNanosPerTrip() > 0
                    && p.bound().cpuNanosPerTrip() > 0, p.line());
        }

        String md = Files.readString(out);
        assertTrue(md.contains("| hub-jdk |") && md.contains("## Idle connections")
                && md.contains("## Ping-pong, interleaved in one JVM"), md);
        for (String png : List.of("throughput.png", "latency-10.png", "latency-50.png", "cpu-per-request.png")) {
            Path p = dir.resolve("benchmarks").resolve(png);
            assertTrue(Files.size(p) > 1000, "plot " + p + " missing or empty");
        }
        assertTrue(md.contains("| server CPU µs/req | user µs/req | kernel µs/req | CPU × netty | user × netty |"),
                "echo table header with the user / kernel split: " + md);

        // The per-round CSV: server CPU per request split into user and kernel, numbers that add up to the total.
        List<String> csv = Files.readAllLines(dir.resolve("benchmarks").resolve("echo-rounds.csv"));
        List<String> header = List.of(csv.get(0).split(","));
        int cpu = header.indexOf("server_cpu_us_per_req");
        int user = header.indexOf("server_user_cpu_us_per_req");
        int kernel = header.indexOf("server_kernel_cpu_us_per_req");
        assertTrue(cpu >= 0 && user >= 0 && kernel >= 0, "CSV header: " + csv.get(0));
        assertEquals(1 + 5 * 2, csv.size(), "one line per server × connection count (one round): " + csv);
        for (String line : csv.subList(1, csv.size())) {
            String[] f = line.split(",");
            double u = Double.parseDouble(f[user]);
            double k = Double.parseDouble(f[kernel]);
            double t = Double.parseDouble(f[cpu]);
            // NaN only when a stalled window completed no request; otherwise the parts add up to the total.
            assertTrue(Double.isNaN(t) || Math.abs(u + k - t) < 0.002, line);
        }
    }
}
