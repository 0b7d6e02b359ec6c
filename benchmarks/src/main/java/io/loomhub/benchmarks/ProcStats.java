package io.loomhub.benchmarks;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Reads what Linux knows of a process from /proc. */
final class ProcStats {

    /** The kernel's clock ticks per second for /proc/PID/stat times (USER_HZ: 100 on every Linux x86 build). */
    static final double CLOCK_TICKS = 100.0;

    private ProcStats() { }

    /**
     * CPU time of a process or thread so far, in seconds (10 ms resolution): {@code user} is time running the
     * process's own code (the JVM, the runtime, the application), {@code system} time the kernel spent on its behalf
     * (system calls: here mostly TCP over loopback).
     */
    record CpuTimes(double user, double system) {
        double total() {
            return user + system;
        }
    }

    /** User and system CPU time of a process so far. */
    static CpuTimes cpuTimes(long pid) {
        try {
            return parseCpuTimes(Files.readString(Path.of("/proc", Long.toString(pid), "stat")));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the CPU time of process " + pid, e);
        }
    }

    /** User plus system CPU time of a process so far, in seconds (10 ms resolution). */
    static double cpuSeconds(long pid) {
        return cpuTimes(pid).total();
    }

    /** utime and stime (fields 14 and 15 of proc(5), in clock ticks) of a /proc/PID[/task/TID]/stat line. */
    static CpuTimes parseCpuTimes(String stat) {
        // The command name (field 2) may hold spaces and parentheses; fields are counted after its last ')'.
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return new CpuTimes(Long.parseLong(f[11]) / CLOCK_TICKS, Long.parseLong(f[12]) / CLOCK_TICKS);
    }

    /**
     * CPU seconds (user + system) of each thread of a process so far, summed by thread name (the kernel's
     * 15-character {@code comm}, with trailing digits dropped so numbered pool threads add up).
     */
    static java.util.Map<String, Double> threadCpuSeconds(long pid) {
        java.util.Map<String, Double> byName = new java.util.TreeMap<>();
        String[] tasks = Path.of("/proc", Long.toString(pid), "task").toFile().list();
        if (tasks == null) {
            return byName;
        }
        for (String task : tasks) {
            try {
                String stat = Files.readString(Path.of("/proc", Long.toString(pid), "task", task, "stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')')).replaceAll("[-#\\d]+$", "");
                double cpu = parseCpuTimes(stat).total();
                byName.merge(name.isEmpty() ? "?" : name, cpu, Double::sum);
            } catch (IOException | RuntimeException e) {
                // The thread ended between the listing and the read.
            }
        }
        return byName;
    }

    /** Resident set size of a process, in bytes. */
    static long rssBytes(long pid) {
        return statusKiB(pid, "VmRSS:") * 1024;
    }

    /** Open file descriptors of a process. */
    static int openDescriptors(long pid) {
        String[] fds = Path.of("/proc", Long.toString(pid), "fd").toFile().list();
        return fds == null ? -1 : fds.length;
    }

    /** Voluntary plus involuntary context switches of all threads of a process so far. */
    static long contextSwitches(long pid) {
        long total = 0;
        String[] tasks = Path.of("/proc", Long.toString(pid), "task").toFile().list();
        if (tasks == null) {
            return -1;
        }
        for (String task : tasks) {
            try {
                for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "task", task, "status"))) {
                    if (line.startsWith("voluntary_ctxt_switches:") || line.startsWith("nonvoluntary_ctxt_switches:")) {
                        total += Long.parseLong(line.substring(line.indexOf(':') + 1).trim());
                    }
                }
            } catch (IOException e) {
                // The thread ended between the listing and the read: its switches are lost, and rare.
            }
        }
        return total;
    }

    private static long statusKiB(long pid, String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"));
            for (String line : lines) {
                if (line.startsWith(key)) {
                    return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
                }
            }
            return -1;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read /proc/" + pid + "/status", e);
        }
    }
}
