package io.loomhub.benchmarks;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** CPU times from /proc/PID/stat, split into user and kernel. */
class ProcStatsTest {

    @Test
    void readsUtimeAndStimeAfterACommandNameWithSpacesAndParentheses() {
        // Fields 14 (utime) and 15 (stime) are 250 and 1,000 clock ticks: 2.5 s and 10 s.
        String stat = "4242 (java (a) b) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 1000 0 0 20 0 30 0 100 "
                + "4000000000 50000 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";

        ProcStats.CpuTimes t = ProcStats.parseCpuTimes(stat);

        assertEquals(2.5, t.user(), 1e-9);
        assertEquals(10.0, t.system(), 1e-9);
        assertEquals(12.5, t.total(), 1e-9);
    }

    @Test
    void totalOfThisProcessIsUserPlusSystem() {
        long self = ProcessHandle.current().pid();
        ProcStats.CpuTimes t = ProcStats.cpuTimes(self);

        assertTrue(t.user() >= 0 && t.system() >= 0, t.toString());
        // This JVM has been compiling and loading classes: some user time, in whole 10 ms ticks.
        assertTrue(t.user() > 0, t.toString());
        assertEquals(Math.rint(t.user() * 100), t.user() * 100, 1e-6, t.toString());
        assertTrue(ProcStats.cpuSeconds(self) >= t.total(), "the total only grows");
    }
}
