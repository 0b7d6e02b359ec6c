package io.loomhub.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/**
 * The report splits the server's CPU per request into user space and kernel, from made-up results with known
 * answers (no processes started): the echo table's columns, the CPU target's measured cell and the per-round CSV.
 */
class ReportCpuSplitTest {

    private static final long REQUESTS = 1_000_000;
    /** Per round: netty spends 2 µs/req in user space, hub-netty 3.6, 4 and 6 (ratios 1.8, 2.0, 3.0). */
    private static final double[] HUB_USER_SECONDS = {3.6, 4.0, 6.0};
    /** Per round: netty spends 8 µs/req in the kernel, hub-netty 8, 8.8 and 12 (ratios 1.0, 1.1, 1.5). */
    private static final double[] HUB_KERNEL_SECONDS = {8.0, 8.8, 12.0};

    @Test
    void echoTableShowsUserAndKernelCpuPerRequestAndTheUserRatioToNetty() {
        Report report = reportWithThreeRounds();
        String md = report.markdown(List.of());

        List<String> header = cells(line(md, "| server | req/s"));
        List<String> hub = cells(line(md, "| hub-netty | "));
        List<String> netty = cells(line(md, "| netty | "));
        assertEquals(header.size(), hub.size(), "hub-netty row: " + hub);
        // Medians over rounds, like the total CPU column: user 4.00, kernel 8.80, total 12.80 µs/req.
        assertEquals("12.80", hub.get(header.indexOf("server CPU µs/req")));
        assertEquals("4.00", hub.get(header.indexOf("user µs/req")));
        assertEquals("8.80", hub.get(header.indexOf("kernel µs/req")));
        assertEquals("2.00×", hub.get(header.indexOf("user × netty")));
        assertEquals("1.28×", hub.get(header.indexOf("CPU × netty")));
        assertEquals("2.00", netty.get(header.indexOf("user µs/req")));
        assertEquals("8.00", netty.get(header.indexOf("kernel µs/req")));
        assertEquals("1.00×", netty.get(header.indexOf("user × netty")));
        assertTrue(md.contains("field 14") && md.contains("field 15") && md.contains("10 ms"),
                "the method section says where user and kernel time come from");
    }

    @Test
    void cpuTargetKeepsItsVerdictOnTotalCpuAndShowsTheUserAndKernelRatios() {
        String md = reportWithThreeRounds().markdown(List.of());
        String target = line(md, "| HubSocket echo ≤ 1.10× raw Netty server CPU");

        List<String> cells = cells(target);
        // Total: per-round ratios 1.16, 1.28, 1.80, median 1.28 > 1.10: not met.
        assertTrue(cells.get(1).startsWith("1.28× (1.16–1.80, n=3) (user space 2.00×, kernel 1.10×)"), target);
        assertEquals("**no**", cells.get(2), target);
    }

    @Test
    void roundsCsvHasNumericUserAndKernelCpuPerRequest() {
        String[] lines = reportWithThreeRounds().echoCsv().split("\n");
        List<String> header = Arrays.asList(lines[0].split(","));
        int user = header.indexOf("server_user_cpu_us_per_req");
        int kernel = header.indexOf("server_kernel_cpu_us_per_req");
        int total = header.indexOf("server_cpu_us_per_req");
        assertTrue(user >= 0 && kernel >= 0, "CSV header: " + lines[0]);

        assertEquals(7, lines.length, "header and two servers × three rounds");
        for (String line : Arrays.asList(lines).subList(1, lines.length)) {
            String[] f = line.split(",");
            assertEquals(header.size(), f.length, line);
            assertEquals(Double.parseDouble(f[total]), Double.parseDouble(f[user]) + Double.parseDouble(f[kernel]),
                    0.002, line);
        }
        String[] firstHub = Arrays.stream(lines).filter(l -> l.startsWith("hub-netty,100,1,")).findFirst()
                .orElseThrow().split(",");
        assertEquals(3.6, Double.parseDouble(firstHub[user]), 1e-9);
        assertEquals(8.0, Double.parseDouble(firstHub[kernel]), 1e-9);
    }

    private static Report reportWithThreeRounds() {
        Suite.Options o = Suite.Options.parse(new String[] {"--servers", "netty,hub-netty", "--connections", "100",
            "--rounds", "3", "--pingpong-pairs", "0", "--sleep-probe", "0", "--no-jmh"});
        Suite.Machine machine = new Suite.Machine(2, "test CPU", "test kernel", "test JDK", "0 0 0", null, null);
        Report report = new Report("ReportCpuSplitTest", machine, o);
        Map<String, ServerProcess.Spec> specs = report.servers;
        for (int round = 0; round < 3; round++) {
            report.addEcho(specs.get("netty"), round, result(2.0, 8.0));
            report.addEcho(specs.get("hub-netty"), round, result(HUB_USER_SECONDS[round], HUB_KERNEL_SECONDS[round]));
        }
        return report;
    }

    /** One second's run at 100 connections that completed {@value #REQUESTS} requests. */
    private static LoadGenerator.Result result(double userSeconds, double kernelSeconds) {
        Histogram latency = new Histogram(3);
        latency.recordValue(50_000);
        return new LoadGenerator.Result(100, 1.0, REQUESTS, latency, userSeconds + kernelSeconds, userSeconds, 0,
                Map.of(), 0.5, Map.of(), 0);
    }

    private static String line(String md, String prefix) {
        return md.lines().filter(l -> l.startsWith(prefix)).findFirst()
                .orElseThrow(() -> new AssertionError("no line starting '" + prefix + "' in:\n" + md));
    }

    /** The cells of a Markdown table row, trimmed, without the empty ends. */
    private static List<String> cells(String row) {
        String[] parts = row.split("\\|", -1);
        return Arrays.stream(parts, 1, parts.length - 1).map(String::trim).toList();
    }
}
