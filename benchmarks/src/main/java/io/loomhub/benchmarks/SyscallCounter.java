package io.loomhub.benchmarks;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Counts a process's system calls of a few kinds over a window with {@code perf stat} and the kernel's syscall
 * tracepoints (needs perf and root, or a permissive perf_event_paranoid; when either is missing the counts are
 * simply absent). One instance per window; not thread-safe.
 */
final class SyscallCounter {

    /** The calls an echo server makes per request: readiness, socket I/O and thread wake-ups. */
    static final List<String> CALLS = List.of("epoll_ctl", "epoll_wait", "epoll_pwait", "epoll_pwait2", "read", "write", "recvfrom",
            "sendto", "futex");

    private final Process perf;

    private SyscallCounter(Process perf) {
        this.perf = perf;
    }

    /** Starts counting the calls of {@code pid} for {@code seconds}; null if perf cannot be started. */
    static SyscallCounter start(long pid, double seconds) {
        List<String> cmd = new ArrayList<>(List.of("perf", "stat", "-x", ",", "-p", Long.toString(pid)));
        for (String call : CALLS) {
            cmd.add("-e");
            cmd.add("syscalls:sys_enter_" + call);
        }
        cmd.addAll(List.of("--", "sleep", String.format(Locale.ROOT, "%.3f", seconds)));
        try {
            return new SyscallCounter(new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start());
        } catch (IOException e) {
            return null;
        }
    }

    /** Waits for the window to end; returns calls by name (empty if perf could not count them). */
    Map<String, Long> counts() {
        Map<String, Long> counts = new LinkedHashMap<>();
        try {
            String out = new String(perf.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!perf.waitFor(30, TimeUnit.SECONDS) || perf.exitValue() != 0) {
                perf.destroyForcibly();
                return counts;
            }
            // "<count>,<unit>,syscalls:sys_enter_<call>,..." or "<not counted>,..." when the process made none.
            for (String line : out.split("\n")) {
                String[] f = line.split(",");
                if (f.length >= 3 && f[2].startsWith("syscalls:sys_enter_")) {
                    String call = f[2].substring("syscalls:sys_enter_".length());
                    long n = f[0].matches("\\d+") ? Long.parseLong(f[0]) : 0;
                    counts.put(call, n);
                }
            }
        } catch (IOException | InterruptedException e) {
            perf.destroyForcibly();
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        return counts;
    }
}
