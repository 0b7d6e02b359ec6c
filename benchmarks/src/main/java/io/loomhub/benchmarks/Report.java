package io.loomhub.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToDoubleFunction;

/**
 * What one suite run measured, and the Markdown page and PNG plots made from it. Every number on the page comes
 * from here; nothing is typed in by hand.
 */
final class Report {

    /** {@code heapByClass}: live heap bytes per connection by class (after − before, ≥ 16 B), JVM servers only. */
    record ScaleRow(ServerProcess.Spec server, int connections, long heapDelta, long rssDelta, double openSeconds,
                    Map<String, Long> heapByClass) {
        double heapPerConnection() {
            return heapDelta < 0 && !server.jvm() ? Double.NaN : heapDelta / (double) connections;
        }

        double rssPerConnection() {
            return rssDelta / (double) connections;
        }
    }

    /** min, median, max. */
    record Spread(double min, double median, double max, int n) {
        static Spread of(List<Double> values) {
            List<Double> v = new ArrayList<>(values.stream().filter(d -> !Double.isNaN(d)).toList());
            if (v.isEmpty()) {
                return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
            }
            Collections.sort(v);
            int n = v.size();
            double median = n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
            return new Spread(v.get(0), median, v.get(n - 1), n);
        }
    }

    final String command;
    final Suite.Machine machine;
    final Suite.Options options;
    final ZonedDateTime startedAt = ZonedDateTime.now(ZoneOffset.UTC);
    final List<String> notes = new ArrayList<>();
    List<JmhSuite.Row> jmh = List.of();
    final Map<String, double[]> sleepProbe = new LinkedHashMap<>();
    /** The interleaved ping-pong's recorded pairs; empty when skipped or failed. */
    List<InterleavedPingPong.Pair> pingPong = List.of();
    /** server name → connections → round → result. */
    final Map<String, Map<Integer, Map<Integer, LoadGenerator.Result>>> echo = new LinkedHashMap<>();
    final Map<String, ServerProcess.Spec> servers = new LinkedHashMap<>();
    final List<ScaleRow> scale = new ArrayList<>();
    Duration elapsed = Duration.ZERO;
    /** /proc/loadavg when the run ended: with the one at the start, how busy the machine was meanwhile. */
    String loadAverageAtEnd = "";

    Report(String command, Suite.Machine machine, Suite.Options options) {
        this.command = command;
        this.machine = machine;
        this.options = options;
        for (ServerProcess.Spec s : Servers.specs(options)) {
            if (s.available()) {
                servers.put(s.name(), s);
                echo.put(s.name(), new TreeMap<>());
            }
        }
    }

    void addEcho(ServerProcess.Spec spec, int round, LoadGenerator.Result r) {
        echo.computeIfAbsent(spec.name(), k -> new TreeMap<>())
                .computeIfAbsent(r.connections(), k -> new TreeMap<>()).put(round, r);
    }

    /** Spread over rounds of one figure of one server. */
    Spread echoSpread(String server, int connections, ToDoubleFunction<LoadGenerator.Result> figure) {
        Map<Integer, LoadGenerator.Result> rounds = echo.getOrDefault(server, Map.of()).getOrDefault(connections,
                Map.of());
        return Spread.of(rounds.values().stream().map(figure::applyAsDouble).toList());
    }

    /** Spread over rounds of (server's figure / reference's figure in the same round). */
    Spread echoRatio(String server, String reference, int connections, ToDoubleFunction<LoadGenerator.Result> figure) {
        Map<Integer, LoadGenerator.Result> a = echo.getOrDefault(server, Map.of()).getOrDefault(connections, Map.of());
        Map<Integer, LoadGenerator.Result> b = echo.getOrDefault(reference, Map.of()).getOrDefault(connections,
                Map.of());
        List<Double> ratios = new ArrayList<>();
        for (var e : a.entrySet()) {
            LoadGenerator.Result ref = b.get(e.getKey());
            if (ref != null) {
                ratios.add(figure.applyAsDouble(e.getValue()) / figure.applyAsDouble(ref));
            }
        }
        return Spread.of(ratios);
    }

    /** Spread over rounds of (server's figure at {@code many} connections / at {@code few}, same round). */
    Spread scaleRatio(String server, int many, int few) {
        Map<Integer, Map<Integer, LoadGenerator.Result>> byConns = echo.getOrDefault(server, Map.of());
        Map<Integer, LoadGenerator.Result> a = byConns.getOrDefault(many, Map.of());
        Map<Integer, LoadGenerator.Result> b = byConns.getOrDefault(few, Map.of());
        List<Double> ratios = new ArrayList<>();
        for (var e : a.entrySet()) {
            LoadGenerator.Result r = b.get(e.getKey());
            if (r != null) {
                ratios.add(e.getValue().throughput() / r.throughput());
            }
        }
        return Spread.of(ratios);
    }

    JmhSuite.Row jmhRow(String benchmark, String scheduler) {
        return jmh.stream().filter(r -> r.benchmark().equals(benchmark) && r.scheduler().equals(scheduler))
                .findFirst().orElse(null);
    }

    // ---- writing ----

    void write(Path markdown) throws IOException {
        Path dir = markdown.toAbsolutePath().getParent();
        // The hand-written analysis sits in the repository's docs/; a report written elsewhere links back to it.
        Path analysis = Path.of("docs", "performance.md").toAbsolutePath();
        performanceLink = Files.exists(analysis) ? dir.relativize(analysis).toString().replace('\\', '/')
                : "performance.md";
        Path plotDir = dir.resolve("benchmarks");
        Files.createDirectories(plotDir);
        List<String> plots = Plots.write(this, plotDir);
        Files.writeString(plotDir.resolve("echo-rounds.csv"), echoCsv());
        Files.writeString(markdown, markdown(plots.stream().map(p -> "benchmarks/" + p).toList()));
    }

    /** Every echo measurement, one line per server × connections × round, for anyone who wants to recompute. */
    String echoCsv() {
        StringBuilder csv = new StringBuilder("server,connections,round,seconds,requests,req_per_s,p50_us,p99_us,"
                + "p999_us,server_cpu_us_per_req,server_user_cpu_us_per_req,server_kernel_cpu_us_per_req,"
                + "server_context_switches_per_req,load_generator_cpu,errors\n");
        echo.forEach((server, byConns) -> byConns.forEach((conns, rounds) -> rounds.forEach((round, r) ->
                csv.append(String.format(Locale.ROOT,
                        "%s,%d,%d,%.3f,%d,%.1f,%.1f,%.1f,%.1f,%.3f,%.3f,%.3f,%.4f,%.3f,%d%n",
                        server, conns, round + 1, r.seconds(), r.requests(), r.throughput(),
                        r.latency().getValueAtPercentile(50) / 1e3, r.latency().getValueAtPercentile(99) / 1e3,
                        r.latency().getValueAtPercentile(99.9) / 1e3, r.cpuMicrosPerRequest(),
                        r.userMicrosPerRequest(), r.kernelMicrosPerRequest(), r.contextSwitchesPerRequest(),
                        r.loadGeneratorUtilisation(), r.errors())))));
        return csv.toString();
    }

    /** Where {@code docs/performance.md} is, seen from the report's directory. */
    private String performanceLink = "performance.md";

    String markdown(List<String> plotFiles) {
        StringBuilder md = new StringBuilder();
        md.append("# Benchmarks\n\n");
        md.append("<!-- Written by `").append(command).append("` (io.loomhub.benchmarks.Suite). Do not edit by hand: "
                + "run the command again. -->\n\n");
        md.append("Generated by `").append(command).append("` on ")
                .append(startedAt.format(DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'")))
                .append(" in ").append(minutes(elapsed)).append(". Every number below was measured by that run.\n\n");
        md.append("Profiles of a request, the experiments behind the design and, for each target not met, why: "
                + "[performance](" + performanceLink + "), written by hand.\n\n");

        md.append("## Machine\n\n");
        md.append("| | |\n|---|---|\n");
        row(md, "CPUs online", Integer.toString(machine.cpus()));
        row(md, "CPU model", machine.cpuModel());
        row(md, "kernel", machine.kernel());
        row(md, "JDK", machine.jdk());
        row(md, "load average at start (1, 5, 15 min)", machine.loadAverage());
        row(md, "load average at end", loadAverageAtEnd);
        row(md, "Go", machine.go() == null ? "not installed" : machine.go());
        row(md, "gevent", machine.gevent() == null ? "not installed" : machine.gevent());
        md.append('\n');

        md.append("## Method\n\n");
        md.append("""
                - **Pinning.** The suite process (load generator and JMH, whose forks inherit its affinity) runs on \
                CPU 1 (`taskset -c 1`); every echo server runs on CPU 0 (`taskset -c 0`). Each scheduler therefore has \
                one core, and the load generator never competes with the server for it.
                - **JMH.** Each benchmark × scheduler in its own fork, JVM flags `%s`. `hub` is a loomhub hub \
                (default reactor); `jdk` is the JDK's default virtual-thread scheduler in a fork started with \
                `-Djdk.virtualThreadScheduler.parallelism=1 -Djdk.virtualThreadScheduler.maxPoolSize=1` (one carrier, \
                no compensating carriers). %s Figures are min / median / max over the measured iterations.
                - **Echo load.** A closed loop: each connection sends %d bytes, waits for all of them to come back, \
                records the round trip in an HdrHistogram, and sends again. The load generator is one Netty epoll \
                event loop (no thread per connection). Each server process is started once, when its turn first comes, \
                and served 100 connections for %.1f s (a JVM's JIT compiler threads share its one CPU: with 3 s, hub \
                servers were still compiling in the measured windows; servers without a JIT, %.1f s); it then keeps \
                running, idle between its turns, until the last round. Per server and connection count in a round: \
                the connections are opened, %.1f s warm-up, then %.1f s measured, then the connections are closed. \
                Throughput is completed round trips per second of the measured window; server CPU per \
                request is the server process's user + system time (`/proc/PID/stat`) over the window divided by the \
                requests, also shown split in two: user time (`utime`, field 14 of `/proc/PID/stat`) and kernel time \
                (`stime`, field 15), both counted in clock ticks of 10 ms; the split separates the runtime's own work \
                (JVM, scheduler, server code: user space) from the kernel's TCP work over loopback (system calls: most \
                of an echo server's CPU, and the part that varies most between runs). %d rounds; in each round every \
                server runs every connection count, and the order of servers rotates by one each round. Ratios to \
                the reference are taken within a round, then summarised over rounds as min / median / max. Every blocking-style server (Java, Go, gevent) reads \
                into a %d-byte buffer per connection and writes back what it read; raw Netty echoes its read buffers. \
                Every Java server runs with `%s`: the `sun.nio.ch` flag lets a hub poll its threads' JDK sockets on \
                its own loop (`hub-jdk`; without it they are woken through the JDK's poller threads). Also per request: the server's context switches (all its threads, `/proc/PID/task/*/status`), its CPU \
                by thread, and its system calls by kind (`perf stat -e syscalls:sys_enter_*`, where perf works).
                - **Scale.** Idle connections, each held open by the server (for blocking servers: one parked thread \
                per connection blocked in `read`, holding its %d-byte buffer). Each server runs in a process of its \
                own, started for this test, and first serves 100 connections for the start-up warm-up time, so its \
                read path is compiled as in service, then \
                accepts and closes %,d idle connections, and then 2,000 more at a time until its JIT compiles \
                nothing during three batches in a row (at most 20 more), so is the code it runs once per connection (a parked \
                virtual thread's stack copy is about twice as large while its frames are still interpreted). Heap is the \
                JVM heap used after `System.gc()`, before and after; RSS is `VmRSS` from `/proc/PID/status`. Per \
                connection = difference / connections; the table under it lists the classes that grew by at least \
                16 B per connection.
                - **Sleep probe.** One virtual thread sleeps 1 ms %d times in a fresh JVM; context switches of all \
                the JVM's threads (`/proc/PID/task/*/status`) and process CPU time over the loop, per wake-up.
                - **Interleaved ping-pong.** %s

                """.formatted(String.join(" ", BenchFlags.all().subList(0, 2)),
                options.jmhMode == JmhSuite.Mode.SMOKE ? "Smoke mode: one short iteration, numbers meaningless."
                        : "%d warm-up and %d measured iterations of 1 s.".formatted(options.jmhMode.warmups,
                                options.jmhMode.iterations),
                LoadGenerator.REQUEST_BYTES, Math.max(options.warmupSeconds, options.jitWarmupSeconds),
                options.warmupSeconds, options.warmupSeconds, options.measureSeconds, options.rounds,
                EchoServer.BUFFER_BYTES, Servers.serverFlags(), EchoServer.BUFFER_BYTES, options.scaleChurn,
                options.sleepProbeSleeps,
                pingPongMethod()));

        md.append("Servers:\n\n");
        for (ServerProcess.Spec s : servers.values()) {
            md.append("- `").append(s.name()).append("`: ").append(s.description()).append('\n');
        }
        md.append('\n');

        targets(md);
        jmhSection(md);
        pingPongSection(md);
        sleepSection(md);
        echoSection(md);
        scaleSection(md);

        if (!plotFiles.isEmpty()) {
            md.append("## Plots\n\n");
            for (String p : plotFiles) {
                md.append("![").append(p).append("](").append(p).append(")\n\n");
            }
        }
        md.append("Every echo measurement (each server, connection count and round) is in "
                + "[benchmarks/echo-rounds.csv](benchmarks/echo-rounds.csv).\n\n");
        if (!notes.isEmpty()) {
            md.append("## Notes from this run\n\n");
            for (String n : notes) {
                md.append("- ").append(n).append('\n');
            }
            md.append('\n');
        }
        return md.toString();
    }

    private void targets(StringBuilder md) {
        md.append("## Targets (issue 6), as measured in this run\n\n");
        md.append("| target | measured (median, min–max over rounds) | met |\n|---|---|---|\n");
        int few = options.connections.isEmpty() ? 100 : options.connections.get(0);
        int many = options.connections.size() > 1 ? options.connections.get(options.connections.size() - 1) : few;
        ratioTarget(md, "HubSocket echo ≥ 0.95× raw Netty throughput (" + few + " conns)",
                echoRatio("hub-netty", Servers.REFERENCE, few, LoadGenerator.Result::throughput), 0.95, true);
        // The verdict is on total CPU; the user and kernel ratios beside it show which side the difference is on.
        Spread userRatio = echoRatio("hub-netty", Servers.REFERENCE, few, LoadGenerator.Result::userMicrosPerRequest);
        Spread kernelRatio = echoRatio("hub-netty", Servers.REFERENCE, few,
                LoadGenerator.Result::kernelMicrosPerRequest);
        ratioTarget(md, "HubSocket echo ≤ 1.10× raw Netty server CPU per request (" + few + " conns)",
                echoRatio("hub-netty", Servers.REFERENCE, few, LoadGenerator.Result::cpuMicrosPerRequest), 1.10, false,
                userRatio.n() == 0 ? "" : String.format(Locale.ROOT, " (user space %s, kernel %s)",
                        medianRatio(userRatio), medianRatio(kernelRatio)));
        ratioTarget(md, "HubSocket echo ≥ 1.15× JDK default p=1 + java.net (" + few + " conns)",
                echoRatio("hub-netty", "jdk", few, LoadGenerator.Result::throughput), 1.15, true);
        ratioTarget(md, "HubSocket echo ahead of Go GOMAXPROCS=1 (" + few + " conns)",
                echoRatio("hub-netty", "go", few, LoadGenerator.Result::throughput), 1.0, true);
        ratioTarget(md, "java.net on the hub ≥ the same code on JDK default p=1 (" + few + " conns)",
                echoRatio("hub-jdk", "jdk", few, LoadGenerator.Result::throughput), 1.0, true);
        ratioTarget(md, "java.net on the hub, patched (JavaNetSockets.patch()), ≥ the same code on JDK default p=1 ("
                + few + " conns)", echoRatio("hub-jdk-patched", "jdk", few, LoadGenerator.Result::throughput), 1.0,
                true);
        if (!pingPong.isEmpty()) {
            Spread r = InterleavedPingPong.spread(pingPong, InterleavedPingPong.Pair::hubOverJdkThroughput);
            Spread hub = InterleavedPingPong.spread(pingPong, p -> p.hub().tripsPerSecond());
            Spread jdk = InterleavedPingPong.spread(pingPong, p -> p.jdk().tripsPerSecond());
            md.append(String.format(Locale.ROOT, "| ping-pong (park/unpark) hub ≥ 1.15× JDK default p=1, and ≥ 2.5 M "
                    + "round trips/s (interleaved in one JVM: per-pair hub/JDK throughput) | %s (hub %s, jdk %s round "
                    + "trips/s, medians) | %s |%n", ratioText(r), si(hub.median()), si(jdk.median()),
                    met(r.median() >= 1.15 && hub.median() >= 2.5e6)));
        } else {
            md.append("| ping-pong hub ≥ 1.15× JDK default p=1 (interleaved in one JVM) | not measured | n/a |\n");
        }
        double[] h = sleepProbe.get(Schedulers.HUB);
        double[] j = sleepProbe.get(Schedulers.JDK);
        if (h != null && j != null) {
            md.append(String.format(Locale.ROOT, "| sleep wake-up: fewer context switches and less CPU than JDK "
                    + "default | switches %.2f vs %.2f, CPU %.1f µs vs %.1f µs per wake-up | %s |%n", h[0], j[0], h[1],
                    j[1], met(h[0] < j[0] && h[1] < j[1])));
        } else {
            md.append("| sleep wake-up cost below JDK default | not measured | n/a |\n");
        }
        if (many != few) {
            Spread s = scaleRatio("hub-netty", many, few);
            md.append(String.format(Locale.ROOT, "| HubSocket %d connections ≥ 0.8× its %d-connection throughput "
                    + "| %s | %s |%n", many, few, ratioText(s), s.n() == 0 ? "n/a" : met(s.median() >= 0.8)));
        }
        ScaleRow nettyIdle = scale.stream().filter(r -> r.server().name().equals(Servers.REFERENCE)).findFirst()
                .orElse(null);
        // A parked hub thread holding a connection, over either of loomhub's socket paths.
        boolean anyIdle = false;
        for (String[] server : new String[][] {{"hub-netty", "HubSocket"}, {"hub-jdk", "java.net on the hub"}}) {
            ScaleRow hubIdle = scale.stream().filter(r -> r.server().name().equals(server[0])).findFirst()
                    .orElse(null);
            if (hubIdle != null && nettyIdle != null) {
                anyIdle = true;
                double rss = hubIdle.rssPerConnection() - nettyIdle.rssPerConnection();
                double heap = hubIdle.heapPerConnection() - nettyIdle.heapPerConnection();
                md.append(String.format(Locale.ROOT, "| %s idle connection within 2 KiB of raw Netty | heap %+.0f B, "
                        + "RSS %+.0f B per connection (%d connections) | %s |%n", server[1], heap, rss,
                        hubIdle.connections(), met(heap <= 2048 && rss <= 2048)));
            }
        }
        if (!anyIdle) {
            md.append("| idle connection within 2 KiB of raw Netty | not measured | n/a |\n");
        }
        md.append('\n');
    }

    private void ratioTarget(StringBuilder md, String target, Spread s, double bound, boolean atLeast) {
        ratioTarget(md, target, s, bound, atLeast, "");
    }

    /** {@code detail} follows the measured ratio in its cell. */
    private void ratioTarget(StringBuilder md, String target, Spread s, double bound, boolean atLeast,
                             String detail) {
        String measured = s.n() == 0 ? ratioText(s) : String.format(Locale.ROOT, "%s× (%.2f–%.2f, n=%d)",
                medianBeside(s.median(), bound), s.min(), s.max(), s.n());
        md.append("| ").append(target).append(" | ").append(measured).append(detail).append(" | ")
                .append(s.n() == 0 ? "n/a (not measured)" : met(atLeast ? s.median() >= bound : s.median() <= bound))
                .append(" |\n");
    }

    /**
     * A median to print beside its target's bound: two decimals, or as many more (up to four) as it takes not to
     * print the bound itself for a median just under it (0.9497 against 0.95 reads "0.9497", not "0.95" with a "no").
     */
    static String medianBeside(double median, double bound) {
        String text = String.format(Locale.ROOT, "%.2f", median);
        for (int decimals = 3; decimals <= 4 && median < bound
                && text.equals(String.format(Locale.ROOT, "%." + (decimals - 1) + "f", bound)); decimals++) {
            text = String.format(Locale.ROOT, "%." + decimals + "f", median);
        }
        return text;
    }

    private static String ratioText(Spread s) {
        return s.n() == 0 ? "not measured"
                : String.format(Locale.ROOT, "%.2f× (%.2f–%.2f, n=%d)", s.median(), s.min(), s.max(), s.n());
    }

    /** "1.23×", the median of per-round ratios; empty when there were none. */
    private static String medianRatio(Spread s) {
        return s.n() == 0 ? "" : String.format(Locale.ROOT, "%.2f×", s.median());
    }

    private static String met(boolean ok) {
        return ok ? "yes" : "**no**";
    }

    private void jmhSection(StringBuilder md) {
        if (jmh.isEmpty()) {
            return;
        }
        md.append("## JMH micro-benchmarks\n\n");
        md.append("| benchmark | scheduler | unit | min | median | max | hub ÷ jdk, or metrics on ÷ off (median; >1 = better) |\n");
        md.append("|---|---|---|---|---|---|---|\n");
        for (JmhSuite.Row r : jmh) {
            String ratio = "";
            String baseline = r.scheduler().equals(Schedulers.HUB) ? Schedulers.JDK
                    : r.scheduler().equals("hub, metrics on") ? "hub, metrics off" : null;
            if (baseline != null) {
                JmhSuite.Row base = jmhRow(r.benchmark(), baseline);
                if (base != null) {
                    double x = r.higherIsBetter() ? r.median() / base.median() : base.median() / r.median();
                    ratio = String.format(Locale.ROOT, "%.2f", x);
                }
            }
            md.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s | %s |%n", r.benchmark(),
                    r.scheduler(), r.unit(), si(r.min()), si(r.median()), si(r.max()), ratio));
        }
        md.append('\n');
        JmhSuite.Row on = jmh.stream().filter(r -> r.scheduler().equals("hub, metrics on")).findFirst().orElse(null);
        if (on != null) {
            JmhSuite.Row off = jmhRow(on.benchmark(), "hub, metrics off");
            String jmhRatio = off == null ? "n/a" : String.format(Locale.ROOT, "%.2f",
                    on.higherIsBetter() ? on.median() / off.median() : off.median() / on.median());
            String interleaved = pingPong.isEmpty() ? "not measured in this run"
                    : ratioText(InterleavedPingPong.spread(pingPong, InterleavedPingPong.Pair::boundOverUnboundCpu))
                            + " per-pair median (min–max)";
            md.append("Metrics cost, two measures: JMH `").append(on.benchmark()).append("` on ÷ off ")
                    .append(jmhRatio).append(" (separate forks; <1 = binding costs); interleaved ping-pong process CPU "
                            + "per round trip, bound ÷ unbound, ").append(interleaved)
                    .append(" (same JVM, alternating; >1 = binding costs).\n\n");
        }
    }

    private String pingPongMethod() {
        if (options.pingPongPairs <= 0) {
            return "Skipped in this run (`--pingpong-pairs 0`).";
        }
        return ("The park/unpark ping-pong (two virtual threads, `LockSupport`), with the hub and the JDK's default "
                + "scheduler (parallelism 1, max pool size 1) alternating in one JVM%s, round by round: %d warm-up "
                + "pairs, then %d pairs of %.2f s rounds, the order flipping each pair. A second comparison in the same "
                + "pairs: a hub with `HubMetrics` bound to a `SimpleMeterRegistry` against one without. Each round "
                + "gives round trips per second and process CPU time per round trip (all the JVM's threads, "
                + "`getProcessCpuTime()`, which on Linux counts in 10 ms clock ticks: about 2 %% of a 0.5 s round); ratios are taken within a pair, so load that changes slowly cancels out, "
                + "which JMH's separate forks one after the other cannot do. Standalone: `taskset -c 1 java %s "
                + "-jar benchmarks/target/benchmarks.jar pingpong %d %s %d`.").formatted(
                options.serverCpu == null ? "" : " (`taskset -c 1`)", options.pingPongWarmupPairs,
                options.pingPongPairs, options.pingPongRoundSeconds, String.join(" ", BenchFlags.ADD_OPENS,
                        BenchFlags.NATIVE_ACCESS, BenchFlags.JDK_PARALLELISM_1, BenchFlags.JDK_MAX_POOL_1),
                options.pingPongPairs, trimmed(options.pingPongRoundSeconds), options.pingPongWarmupPairs);
    }

    private static String trimmed(double v) {
        return v == Math.rint(v) ? Long.toString((long) v) : Double.toString(v);
    }

    private void pingPongSection(StringBuilder md) {
        if (pingPong.isEmpty()) {
            return;
        }
        md.append("## Ping-pong, interleaved in one JVM\n\n");
        md.append("| figure | min | median | max |\n|---|---|---|---|\n");
        pingPongRow(md, "hub, round trips/s", p -> p.hub().tripsPerSecond(), true);
        pingPongRow(md, "jdk (default scheduler, p=1), round trips/s", p -> p.jdk().tripsPerSecond(), true);
        pingPongRow(md, "hub ÷ jdk throughput, per pair", InterleavedPingPong.Pair::hubOverJdkThroughput, false);
        pingPongRow(md, "hub, process CPU ns per round trip", p -> p.hub().cpuNanosPerTrip(), false);
        pingPongRow(md, "jdk, process CPU ns per round trip", p -> p.jdk().cpuNanosPerTrip(), false);
        pingPongRow(md, "jdk ÷ hub CPU per round trip, per pair (>1: the hub spends less)",
                InterleavedPingPong.Pair::jdkOverHubCpu, false);
        pingPongRow(md, "hub, metrics unbound, process CPU ns per round trip", p -> p.unbound().cpuNanosPerTrip(),
                false);
        pingPongRow(md, "hub, metrics bound, process CPU ns per round trip", p -> p.bound().cpuNanosPerTrip(), false);
        pingPongRow(md, "metrics bound ÷ unbound CPU per round trip, per pair (>1: binding costs)",
                InterleavedPingPong.Pair::boundOverUnboundCpu, false);
        md.append("\nn = ").append(pingPong.size()).append(" pairs (after ").append(options.pingPongWarmupPairs)
                .append(" warm-up pairs); each pair ran one round of each of the four sides.\n\n");
    }

    private void pingPongRow(StringBuilder md, String figure,
                             java.util.function.ToDoubleFunction<InterleavedPingPong.Pair> f, boolean rate) {
        Spread s = InterleavedPingPong.spread(pingPong, f);
        md.append("| ").append(figure).append(" | ");
        if (rate) {
            md.append(si(s.min())).append(" | ").append(si(s.median())).append(" | ").append(si(s.max()));
        } else {
            boolean ratio = s.median() < 10;
            String fmt = ratio ? "%.3f" : "%.0f";
            md.append(String.format(Locale.ROOT, fmt + " | " + fmt + " | " + fmt, s.min(), s.median(), s.max()));
        }
        md.append(" |\n");
    }

    private void sleepSection(StringBuilder md) {
        if (sleepProbe.isEmpty()) {
            return;
        }
        md.append("## Sleep wake-ups (1 ms, one virtual thread)\n\n");
        md.append("| scheduler | context switches per wake-up | process CPU µs per wake-up | µs per sleep(1 ms) |\n");
        md.append("|---|---|---|---|\n");
        for (var e : sleepProbe.entrySet()) {
            double[] v = e.getValue();
            md.append(String.format(Locale.ROOT, "| %s | %.2f | %.1f | %.1f |%n", e.getKey(), v[0], v[1], v[2]));
        }
        md.append('\n');
    }

    private void echoSection(StringBuilder md) {
        md.append("## Echo, ").append(LoadGenerator.REQUEST_BYTES).append(" bytes, closed loop\n\n");
        for (int conns : options.connections) {
            md.append("### ").append(conns).append(" connections\n\n");
            md.append("| server | req/s min / median / max | × netty (median, min–max) | p50 µs | p99 µs | p99.9 µs "
                    + "| server CPU µs/req | user µs/req | kernel µs/req | CPU × netty | user × netty "
                    + "| server context switches/req | load generator CPU | errors |\n");
            md.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
            for (String server : servers.keySet()) {
                Spread tput = echoSpread(server, conns, LoadGenerator.Result::throughput);
                if (tput.n() == 0) {
                    md.append("| ").append(server).append(" | no result | | | | | | | | | | | | |\n");
                    continue;
                }
                Spread ratio = echoRatio(server, Servers.REFERENCE, conns, LoadGenerator.Result::throughput);
                Spread p50 = echoSpread(server, conns, r -> r.latency().getValueAtPercentile(50) / 1e3);
                Spread p99 = echoSpread(server, conns, r -> r.latency().getValueAtPercentile(99) / 1e3);
                Spread p999 = echoSpread(server, conns, r -> r.latency().getValueAtPercentile(99.9) / 1e3);
                Spread cpu = echoSpread(server, conns, LoadGenerator.Result::cpuMicrosPerRequest);
                Spread user = echoSpread(server, conns, LoadGenerator.Result::userMicrosPerRequest);
                Spread kernel = echoSpread(server, conns, LoadGenerator.Result::kernelMicrosPerRequest);
                Spread cpuRatio = echoRatio(server, Servers.REFERENCE, conns,
                        LoadGenerator.Result::cpuMicrosPerRequest);
                Spread userRatio = echoRatio(server, Servers.REFERENCE, conns,
                        LoadGenerator.Result::userMicrosPerRequest);
                Spread errors = echoSpread(server, conns, r -> r.errors());
                Spread switches = echoSpread(server, conns, LoadGenerator.Result::contextSwitchesPerRequest);
                Spread loadCpu = echoSpread(server, conns, LoadGenerator.Result::loadGeneratorUtilisation);
                md.append(String.format(Locale.ROOT, "| %s | %s / **%s** / %s | %s | %.0f | %.0f | %.0f | %.2f | %.2f "
                        + "| %.2f | %s | %s | %.3f | %.0f%% | %.0f |%n",
                        server, si(tput.min()), si(tput.median()), si(tput.max()), ratioText(ratio), p50.median(),
                        p99.median(), p999.median(), cpu.median(), user.median(), kernel.median(),
                        medianRatio(cpuRatio), medianRatio(userRatio), switches.median(), loadCpu.median() * 100,
                        errors.max()));
            }
            md.append("\nLatency and CPU columns are medians over rounds of each round's figure; user and kernel "
                    + "µs/req split server CPU µs/req into the server's own code and the kernel's work for it, and "
                    + "the × netty columns are medians of per-round ratios. Load generator CPU is its "
                    + "own process's CPU over the window (100% = its one core busy: then it, not the server, limits "
                    + "throughput, and server CPU per request is the figure to compare).\n\n");
            threadCpuTable(md, conns);
            syscallTable(md, conns);
        }
        if (options.connections.size() > 1) {
            int few = options.connections.get(0);
            int many = options.connections.get(options.connections.size() - 1);
            md.append("Throughput at ").append(many).append(" connections ÷ at ").append(few)
                    .append(" (same round, same server process):\n\n| server | ratio (median, min–max) |\n|---|---|\n");
            for (String server : servers.keySet()) {
                md.append("| ").append(server).append(" | ").append(ratioText(scaleRatio(server, many, few)))
                        .append(" |\n");
            }
            md.append('\n');
        }
    }

    /** System calls per request by kind (perf), medians over rounds; left out when perf could not count. */
    private void syscallTable(StringBuilder md, int conns) {
        StringBuilder rows = new StringBuilder();
        for (String server : servers.keySet()) {
            Map<Integer, LoadGenerator.Result> rounds = echo.getOrDefault(server, Map.of()).getOrDefault(conns,
                    Map.of());
            StringBuilder row = new StringBuilder("| " + server + " |");
            boolean any = false;
            for (String call : SyscallCounter.CALLS) {
                Spread s = Spread.of(rounds.values().stream().map(r -> r.syscallsPerRequest(call)).toList());
                any |= s.n() > 0;
                row.append(s.n() == 0 ? " |" : String.format(Locale.ROOT, " %.2f |", s.median()));
            }
            if (any) {
                rows.append(row).append('\n');
            }
        }
        if (rows.length() == 0) {
            return;
        }
        md.append("Server system calls per request (`perf stat` on the kernel's syscall tracepoints over the measured "
                + "window, median over rounds):\n\n| server |");
        SyscallCounter.CALLS.forEach(c -> md.append(' ').append(c).append(" |"));
        md.append("\n|---|");
        SyscallCounter.CALLS.forEach(c -> md.append("---|"));
        md.append('\n').append(rows).append('\n');
    }

    /** Where each server's CPU went: µs per request by thread name, medians over rounds. */
    private void threadCpuTable(StringBuilder md, int conns) {
        md.append("Server CPU per request by thread (µs, median over rounds; thread names as the kernel shows them, "
                + "numbers dropped; threads under 0.1 µs left out):\n\n| server | threads |\n|---|---|\n");
        for (String server : servers.keySet()) {
            Map<Integer, LoadGenerator.Result> rounds = echo.getOrDefault(server, Map.of()).getOrDefault(conns,
                    Map.of());
            if (rounds.isEmpty()) {
                continue;
            }
            java.util.Set<String> names = new java.util.TreeSet<>();
            rounds.values().forEach(r -> names.addAll(r.serverThreadCpuSeconds().keySet()));
            List<Map.Entry<String, Double>> perThread = new ArrayList<>();
            for (String name : names) {
                Spread s = Spread.of(rounds.values().stream().map(r -> r.requests() == 0 ? Double.NaN
                        : r.serverThreadCpuSeconds().getOrDefault(name, 0.0) * 1e6 / r.requests()).toList());
                if (s.median() >= 0.1) {
                    perThread.add(Map.entry(name, s.median()));
                }
            }
            perThread.sort(Map.Entry.<String, Double>comparingByValue().reversed());
            StringBuilder cell = new StringBuilder();
            for (var e : perThread) {
                cell.append(cell.length() == 0 ? "" : ", ").append('`').append(e.getKey()).append("` ")
                        .append(String.format(Locale.ROOT, "%.1f", e.getValue()));
            }
            md.append("| ").append(server).append(" | ").append(cell).append(" |\n");
        }
        md.append('\n');
    }

    private void scaleSection(StringBuilder md) {
        if (scale.isEmpty()) {
            return;
        }
        md.append("## Idle connections\n\n");
        md.append("| server | connections | heap B/conn | RSS B/conn | RSS − netty's, B/conn | time to open, s |\n");
        md.append("|---|---|---|---|---|---|\n");
        ScaleRow ref = scale.stream().filter(r -> r.server().name().equals(Servers.REFERENCE)).findFirst().orElse(null);
        for (ScaleRow r : scale) {
            md.append(String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %s | %.1f |%n", r.server().name(),
                    r.connections(), r.server().jvm() ? String.format(Locale.ROOT, "%.0f", r.heapPerConnection()) : "n/a",
                    r.rssPerConnection(),
                    ref == null ? "" : String.format(Locale.ROOT, "%+.0f", r.rssPerConnection() - ref.rssPerConnection()),
                    r.openSeconds()));
        }
        md.append("\nRSS also counts heap pages the JVM touched and keeps (garbage from opening the connections), so "
                + "for JVM servers the heap column is the sharper figure. Where the heap per connection goes "
                + "(live bytes after a full GC, after − before, classes of at least 16 B per connection):\n\n"
                + "| server | bytes per connection by class |\n|---|---|\n");
        for (ScaleRow r : scale) {
            if (r.heapByClass().isEmpty()) {
                continue;
            }
            StringBuilder cell = new StringBuilder();
            r.heapByClass().entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                    .limit(14).forEach(e -> cell.append(cell.length() == 0 ? "" : ", ").append('`')
                            .append(e.getKey().replace("java.lang.", "").replace("io.netty.channel.", "netty.")
                                    .replace("jdk.internal.vm.", "")).append("` ").append(e.getValue()));
            md.append("| ").append(r.server().name()).append(" | ").append(cell).append(" |\n");
        }
        md.append('\n');
    }

    private static void row(StringBuilder md, String k, String v) {
        md.append("| ").append(k).append(" | ").append(v.replace("|", "/").replace("\n", " ")).append(" |\n");
    }

    private static String minutes(Duration d) {
        return String.format(Locale.ROOT, "%d min %02d s", d.toMinutes(), d.toSecondsPart());
    }

    /** 2.28 M, 951 k, 12.3: three significant figures. */
    static String si(double v) {
        if (Double.isNaN(v)) {
            return "n/a";
        }
        double a = Math.abs(v);
        if (a >= 1e9) {
            return String.format(Locale.ROOT, "%.3g G", v / 1e9);
        }
        if (a >= 1e6) {
            return String.format(Locale.ROOT, "%.3g M", v / 1e6);
        }
        if (a >= 1e3) {
            return String.format(Locale.ROOT, "%.3g k", v / 1e3);
        }
        if (a >= 100) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        return String.format(Locale.ROOT, "%.3g", v);
    }
}
