package io.loomhub.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.junit.jupiter.api.Test;

/** The targets table prints a median that just misses its bound so that it does not read as the bound. */
class ReportTargetsTest {

    @Test
    void aMedianJustUnderItsBoundIsPrintedWithTheDigitsThatShowIt() {
        assertEquals("0.9497", Report.medianBeside(0.94968, 0.95));
        assertEquals("0.949", Report.medianBeside(0.9494, 0.95));
        assertEquals("0.95", Report.medianBeside(0.95, 0.95));
        assertEquals("0.95", Report.medianBeside(0.9503, 0.95), "met: the bound's own digits are enough");
        assertEquals("0.93", Report.medianBeside(0.93, 0.95));
        assertEquals("1.15", Report.medianBeside(1.1512, 1.15));
        assertEquals("1.1498", Report.medianBeside(1.14983, 1.15));
    }

    @Test
    void throughputTargetJustMissedShowsMoreDigitsAndNo() {
        Suite.Options o = Suite.Options.parse(new String[] {"--servers", "netty,hub-netty", "--connections", "100",
            "--rounds", "1", "--pingpong-pairs", "0", "--sleep-probe", "0", "--no-jmh"});
        Suite.Machine machine = new Suite.Machine(2, "test CPU", "test kernel", "test JDK", "0 0 0", null, null);
        Report report = new Report("ReportTargetsTest", machine, o);
        report.addEcho(report.servers.get("netty"), 0, result(100_000));
        report.addEcho(report.servers.get("hub-netty"), 0, result(94_970));
        String row = report.markdown(List.of()).lines()
                .filter(l -> l.startsWith("| HubSocket echo ≥ 0.95× raw Netty throughput")).findFirst().orElseThrow();
        assertTrue(row.contains("| 0.9497× (0.95–0.95, n=1) | **no** |"), row);
    }

    private static LoadGenerator.Result result(long requests) {
        Histogram latency = new Histogram(3);
        latency.recordValue(50_000);
        return new LoadGenerator.Result(100, 1.0, requests, latency, 1.0, 0.2, 0, Map.of(), 0.5, Map.of(), 0);
    }
}
