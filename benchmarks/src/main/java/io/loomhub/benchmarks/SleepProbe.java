package io.loomhub.benchmarks;

import java.lang.management.ManagementFactory;

/**
 * Counts what one {@code Thread.sleep(1 ms)} wake-up costs the whole process: context switches (all threads, from
 * /proc) and CPU time, over {@code N} sleeps of one virtual thread. Run in its own JVM, one per scheduler:
 * {@code SleepProbe hub|jdk N}. Prints {@code RESULT <switches per wake-up> <CPU µs per wake-up> <µs per sleep>}.
 */
public final class SleepProbe {

    private SleepProbe() { }

    public static void main(String[] args) throws Exception {
        String kind = args[0];
        int sleeps = Integer.parseInt(args[1]);
        long pid = ProcessHandle.current().pid();
        var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
        try (Schedulers s = Schedulers.open(kind)) {
            sleepLoop(s, sleeps / 4); // warm-up: JIT and the timer paths
            long switches = ProcStats.contextSwitches(pid);
            long cpu = os.getProcessCpuTime();
            long start = System.nanoTime();
            sleepLoop(s, sleeps);
            long elapsed = System.nanoTime() - start;
            long cpuUsed = os.getProcessCpuTime() - cpu;
            long switched = ProcStats.contextSwitches(pid) - switches;
            System.out.printf(java.util.Locale.ROOT, "RESULT %.3f %.3f %.3f%n", (double) switched / sleeps,
                    cpuUsed / 1e3 / sleeps, elapsed / 1e3 / sleeps);
        }
    }

    private static void sleepLoop(Schedulers s, int sleeps) throws InterruptedException {
        s.start(() -> {
            try {
                for (int i = 0; i < sleeps; i++) {
                    Thread.sleep(1);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }).join();
    }
}
