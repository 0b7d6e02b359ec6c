package io.loomhub.benchmarks;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The whole benchmark suite in one process (run it pinned to CPU 1: it is the load generator, and JMH forks
 * inherit its affinity): JMH micro-benchmarks, the sleep wake-up probe, the interleaved ping-pong
 * ({@link InterleavedPingPong}, in a child JVM), the echo load rounds against every server
 * (each pinned to CPU 0, interleaved round by round), the idle-connection scale test, then docs/benchmarks.md and
 * its plots. Options: {@code --help}.
 */
public final class Suite {

    private Suite() { }

    /** Command-line settings; defaults fit the whole suite in under 20 minutes on 2 cores. */
    static final class Options {
        int rounds = 5;
        double warmupSeconds = 3;
        /**
         * Warm-up of a JVM server process when it starts, before its first measured window. The server has one CPU,
         * which its JIT compiler threads share: with 3 s, hub servers were still compiling (and recompiling after a
         * late deoptimisation) in the measured window, and their user time per request varied threefold between
         * rounds.
         */
        double jitWarmupSeconds = 8;
        double measureSeconds = 3;
        List<Integer> connections = List.of(100, 10_000);
        List<String> servers = null; // null: every server
        int scaleConnections = -1;   // -1: as many as the descriptor limit allows, at most 100,000
        int scaleChurn = CHURN_CONNECTIONS;
        List<String> scaleServers = null;
        boolean jmh = true;
        JmhSuite.Mode jmhMode = JmhSuite.Mode.FULL;
        String jmhInclude = JmhSuite.ALL;
        int sleepProbeSleeps = 2000;
        int pingPongPairs = 10;
        double pingPongRoundSeconds = 0.5;
        int pingPongWarmupPairs = 4;
        Path out = Path.of("docs/benchmarks.md");
        Path logDir = Path.of("benchmarks/target/bench-logs");
        Path goBinary = Path.of("benchmarks/target/echo-go");
        Path geventScript = Path.of("benchmarks/src/main/resources/echo/echo_gevent.py");
        String python = "/usr/bin/python3";
        Integer serverCpu = 0;
        String command = "scripts/bench";
        List<String> notes = new ArrayList<>();
        /** Extra JVM flags per server kind, for experiments (--server-flags KIND='-Dx=y ...'). */
        Map<String, List<String>> serverFlags = new LinkedHashMap<>();

        static Options parse(String[] args) {
            Options o = new Options();
            for (int i = 0; i < args.length; i++) {
                String a = args[i];
                String v = i + 1 < args.length ? args[i + 1] : null;
                switch (a) {
                    case "--rounds" -> { o.rounds = Integer.parseInt(v); i++; }
                    case "--warmup" -> { o.warmupSeconds = Double.parseDouble(v); i++; }
                    case "--jit-warmup" -> { o.jitWarmupSeconds = Double.parseDouble(v); i++; }
                    case "--measure" -> { o.measureSeconds = Double.parseDouble(v); i++; }
                    case "--connections" -> { o.connections = ints(v); i++; }
                    case "--servers" -> { o.servers = List.of(v.split(",")); i++; }
                    case "--scale" -> { o.scaleConnections = Integer.parseInt(v); i++; }
                    case "--scale-servers" -> { o.scaleServers = List.of(v.split(",")); i++; }
                    case "--scale-churn" -> { o.scaleChurn = Integer.parseInt(v); i++; }
                    case "--no-jmh" -> o.jmh = false;
                    case "--jmh-smoke" -> o.jmhMode = JmhSuite.Mode.SMOKE;
                    case "--jmh-include" -> { o.jmhInclude = v; i++; }
                    case "--sleep-probe" -> { o.sleepProbeSleeps = Integer.parseInt(v); i++; }
                    case "--pingpong-pairs" -> { o.pingPongPairs = Integer.parseInt(v); i++; }
                    case "--pingpong-round" -> { o.pingPongRoundSeconds = Double.parseDouble(v); i++; }
                    case "--pingpong-warmup" -> { o.pingPongWarmupPairs = Integer.parseInt(v); i++; }
                    case "--out" -> { o.out = Path.of(v); i++; }
                    case "--log-dir" -> { o.logDir = Path.of(v); i++; }
                    case "--go-binary" -> { o.goBinary = Path.of(v); i++; }
                    case "--gevent-script" -> { o.geventScript = Path.of(v); i++; }
                    case "--python" -> { o.python = v; i++; }
                    case "--no-pin" -> o.serverCpu = null;
                    case "--command" -> { o.command = v; i++; }
                    case "--note" -> { o.notes.add(v); i++; }
                    case "--server-flags" -> {
                        String[] kv = v.split("=", 2);
                        o.serverFlags.put(kv[0], List.of(kv[1].trim().split("\\s+")));
                        o.notes.add("Server '" + kv[0] + "' ran with extra JVM flags: " + kv[1]);
                        i++;
                    }
                    default -> throw new IllegalArgumentException("unknown option " + a + "\n" + USAGE);
                }
            }
            return o;
        }

        private static List<Integer> ints(String csv) {
            List<Integer> l = new ArrayList<>();
            for (String s : csv.split(",")) {
                l.add(Integer.parseInt(s.trim()));
            }
            return l;
        }
    }

    static final String USAGE = """
            options: --rounds N (5)  --warmup S (3)  --jit-warmup S (8)  --measure S (3)  --connections 100,10000
                     --servers a,b (all)  --scale N (0 skips; default: what the descriptor limit allows, <= 100000)
                     --scale-servers a,b  --scale-churn N (10000)  --no-jmh  --jmh-smoke  --jmh-include REGEX
                     --sleep-probe N (2000, 0 skips)  --pingpong-pairs N (10, 0 skips)  --pingpong-round S (0.5)  --pingpong-warmup N (4 pairs)
                     --out docs/benchmarks.md  --log-dir DIR  --go-binary PATH  --gevent-script PATH  --python PATH
                     --no-pin  --command TEXT (quoted in the report)  --note TEXT (added to the report)
                     --server-flags KIND='-Dflag=value ...' (extra JVM flags for one server kind; noted in the report)""";

    public static void main(String[] args) throws Exception {
        if (args.length > 0 && (args[0].equals("--help") || args[0].equals("-h"))) {
            System.out.println(USAGE);
            return;
        }
        Options o = Options.parse(args);
        Report report = run(o);
        report.write(o.out);
        log("wrote " + o.out.toAbsolutePath() + " and its plots");
    }

    /** Runs every part the options ask for and returns what was measured. */
    static Report run(Options o) throws Exception {
        Instant started = Instant.now();
        Report report = new Report(o.command, Machine.describe(), o);
        report.notes.addAll(o.notes);
        List<ServerProcess.Spec> specs = Servers.specs(o);
        for (ServerProcess.Spec s : Servers.allSpecs(o)) {
            if (!s.available()) {
                report.notes.add("Server '" + s.name() + "' skipped: " + s.unavailable());
            }
        }
        if (o.jmh) {
            log("JMH (" + o.jmhMode + ")");
            report.jmh = JmhSuite.run(o.jmhInclude, o.jmhMode);
        }
        if (o.sleepProbeSleeps > 0) {
            for (String kind : List.of(Schedulers.HUB, Schedulers.JDK)) {
                log("sleep probe " + kind);
                try {
                    report.sleepProbe.put(kind, sleepProbe(kind, o.sleepProbeSleeps));
                } catch (IOException e) {
                    log("    failed: " + e.getMessage());
                    report.notes.add("Sleep probe '" + kind + "' failed: " + e.getMessage());
                }
            }
        }
        if (o.pingPongPairs > 0) {
            log("interleaved ping-pong: " + o.pingPongWarmupPairs + " warm-up + " + o.pingPongPairs + " pairs of "
                    + o.pingPongRoundSeconds + " s rounds");
            try {
                report.pingPong = pingPong(o);
                InterleavedPingPong.summary(report.pingPong).forEach(l -> log("    " + l));
            } catch (IOException e) {
                log("    failed: " + e.getMessage());
                report.notes.add("Interleaved ping-pong failed: " + e.getMessage());
            }
        }
        List<ServerProcess.Spec> available = specs.stream().filter(ServerProcess.Spec::available).toList();
        try (LoadGenerator load = new LoadGenerator()) {
            try (EchoServers servers = new EchoServers(o, load, report)) {
                for (int round = 0; round < o.rounds; round++) {
                    for (int k = 0; k < available.size(); k++) {
                        ServerProcess.Spec spec = available.get((k + round) % available.size()); // rotate who goes first
                        ServerProcess server = servers.get(spec, round);
                        if (server != null) {
                            echoRound(o, load, server, round, report);
                        }
                    }
                }
            }
            int scale = o.scaleConnections >= 0 ? o.scaleConnections : defaultScale(report);
            if (scale > 0) {
                for (ServerProcess.Spec spec : available) {
                    if (o.scaleServers == null || o.scaleServers.contains(spec.name())) {
                        scaleRun(o, load, spec, scale, report);
                    }
                }
            }
        }
        report.elapsed = Duration.between(started, Instant.now());
        report.loadAverageAtEnd = Machine.describe().loadAverage();
        return report;
    }

    /**
     * The echo servers of the load rounds, each started once, on first use, and warmed then; closed together after
     * the last round. A server that keeps running from round to round is measured as it runs in service, with its
     * code compiled: the rounds then spend their time measuring instead of warming fresh processes (each fresh JVM
     * needs {@code --jit-warmup} seconds before its JIT leaves its one CPU alone), and a server is visited again
     * sooner, so slow changes in the machine's load fall more evenly on every server. Servers waiting for their turn
     * are idle on CPU 0: a parked event loop or thread costs the measured server nothing. Not thread-safe: the
     * suite's thread only.
     */
    static final class EchoServers implements AutoCloseable {
        private final Options o;
        private final LoadGenerator load;
        private final Report report;
        private final Map<String, ServerProcess> running = new LinkedHashMap<>();
        /** Servers that could not start or be warmed: skipped for the rest of the run (noted once). */
        private final Set<String> failed = new HashSet<>();

        EchoServers(Options o, LoadGenerator load, Report report) {
            this.o = o;
            this.load = load;
            this.report = report;
        }

        /**
         * The running server of {@code spec}, started and warmed if it is not running yet (or exited since its
         * last round, which is noted); null if it cannot start, which is noted too.
         */
        ServerProcess get(ServerProcess.Spec spec, int round) throws InterruptedException {
            ServerProcess server = running.get(spec.name());
            if (server != null && server.isAlive()) {
                return server;
            }
            if (server != null) {
                running.remove(spec.name());
                server.close();
                log("    server " + spec.name() + " exited; starting it again");
                report.notes.add("Round " + (round + 1) + ": server " + spec.name()
                        + " had exited since its last round and was started (and warmed) again.");
            }
            if (failed.contains(spec.name())) {
                return null;
            }
            double warmup = startWarmup(o, spec);
            log(String.format("start %s, warm-up %.0f s at 100 connections", spec.name(), warmup));
            try {
                server = ServerProcess.start(spec, o.serverCpu, o.logDir);
            } catch (IOException e) {
                log("    server failed: " + e);
                failed.add(spec.name());
                report.notes.add("Round " + (round + 1) + ": server " + spec.name() + " failed to start: "
                        + e.getMessage());
                return null;
            }
            try {
                load.run(server.address(), server.pid(), 100, warmup, 0.2);
            } catch (Exception e) {
                log("    warm-up failed: " + e);
                server.close();
                failed.add(spec.name());
                report.notes.add("Round " + (round + 1) + ": server " + spec.name() + " failed its warm-up: "
                        + e.getMessage());
                return null;
            }
            running.put(spec.name(), server);
            return server;
        }

        @Override
        public void close() throws InterruptedException {
            for (ServerProcess server : running.values()) {
                server.close();
            }
            running.clear();
        }
    }

    /** The load a server process gets when it starts, before anything is measured: longer for a JVM's JIT. */
    private static double startWarmup(Options o, ServerProcess.Spec spec) {
        return spec.jvm() ? Math.max(o.warmupSeconds, o.jitWarmupSeconds) : o.warmupSeconds;
    }

    private static void echoRound(Options o, LoadGenerator load, ServerProcess server, int round, Report report)
            throws InterruptedException {
        ServerProcess.Spec spec = server.spec();
        for (int conns : o.connections) {
            log(String.format("round %d/%d  %-10s %6d connections", round + 1, o.rounds, spec.name(), conns));
            try {
                LoadGenerator.Result r = load.run(server.address(), server.pid(), conns, o.warmupSeconds,
                        o.measureSeconds);
                log(String.format("    %,.0f req/s  p50 %.0f µs  p99 %.0f µs  %.2f µs CPU/req (user %.2f, "
                        + "kernel %.2f)  %.3f cs/req  load generator %.0f%% CPU%s", r.throughput(),
                        r.latency().getValueAtPercentile(50) / 1e3, r.latency().getValueAtPercentile(99) / 1e3,
                        r.cpuMicrosPerRequest(), r.userMicrosPerRequest(), r.kernelMicrosPerRequest(),
                        r.contextSwitchesPerRequest(), r.loadGeneratorUtilisation() * 100,
                        r.errors() > 0 ? "  errors " + r.errors() : ""));
                report.addEcho(spec, round, r);
            } catch (Exception e) {
                log("    failed: " + e);
                report.notes.add("Round " + (round + 1) + ", " + spec.name() + ", " + conns
                        + " connections failed: " + e.getMessage());
            }
        }
    }

    private static void scaleRun(Options o, LoadGenerator load, ServerProcess.Spec spec, int connections,
                                 Report report) throws InterruptedException {
        log("scale " + spec.name() + ": " + connections + " idle connections");
        try (ServerProcess server = ServerProcess.start(spec, o.serverCpu, o.logDir)) {
            // Load first, as long as the echo warm-up, so the server is measured as it runs in service: its read
            // path compiled, and lazily created parts (buffers, pollers) made before the baseline. A parked
            // virtual thread's stack is a copy of its frames, and interpreted frames are about twice the size
            // of compiled ones: after a 0.3 s warm-up a hub-netty connection measured 2,209 B of stack chunk,
            // after a warm one 1,034 B.
            load.run(server.address(), server.pid(), 100, startWarmup(o, spec), 0.2);
            churn(load, server, o.scaleChurn);
            int fds0 = settledDescriptors(server);
            Map<String, Long> histogram0 = server.classHistogram();
            long heap0 = server.heapAfterGc();
            long rss0 = ProcStats.rssBytes(server.pid());
            long t0 = System.nanoTime();
            List<LoadGenerator.Conn> conns = load.openIdle(server.address(), connections, 20_000);
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                int open;
                while ((open = server.openConnections(fds0)) < connections) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("the server holds only " + open + " of " + connections
                                + " connections after 60 s");
                    }
                    Thread.sleep(100); // polling another process: there is nothing to await
                }
                double openSeconds = (System.nanoTime() - t0) / 1e9;
                Thread.sleep(500); // let the server's threads reach their read and park
                long heap1 = server.heapAfterGc();
                long rss1 = ProcStats.rssBytes(server.pid());
                Map<String, Long> perConnection = new LinkedHashMap<>();
                StringBuilder small = new StringBuilder();
                server.classHistogram().forEach((cls, bytes) -> {
                    long delta = (bytes - histogram0.getOrDefault(cls, 0L)) / connections;
                    if (delta >= 16) {
                        perConnection.put(cls, delta);
                    } else if (delta > 0) {
                        small.append(' ').append(cls).append(' ').append(delta);
                    }
                });
                // The report lists the large classes; the log keeps the rest, for finding where the last bytes go.
                log("    per connection, all classes: " + perConnection + small);
                report.scale.add(new Report.ScaleRow(spec, connections, heap0 < 0 ? -1 : heap1 - heap0, rss1 - rss0,
                        openSeconds, perConnection));
                log(String.format("    heap %+.0f B/conn (%,d -> %,d), RSS %+.0f B/conn (%,d -> %,d), opened in %.1f s",
                        heap0 < 0 ? Double.NaN : (heap1 - heap0) / (double) connections, heap0, heap1,
                        (rss1 - rss0) / (double) connections, rss0, rss1, openSeconds));
            } finally {
                LoadGenerator.closeAll(conns);
            }
        } catch (Exception e) {
            log("    failed: " + e);
            report.notes.add("Scale test on " + spec.name() + " failed: " + e.getMessage());
        }
    }

    /**
     * Connections the scale test opens and closes before its baseline. The code a server runs once per connection
     * (accept, a thread's start, the echo loop's entry, socket set-up) is not compiled by 100 connections of load:
     * the first thousands of idle connections would then park interpreted frames, about twice the size of compiled
     * ones, and their number decides the average (a hub-netty connection's stack chunk measured 703 to 1,253 B
     * between runs). A server that has been up a while has compiled it; so does this one before it is measured.
     */
    static final int CHURN_CONNECTIONS = 10_000;
    private static final int CHURN_BATCH = 2_000;
    /**
     * Batches the churn adds, at most, until {@link #CHURN_QUIET_BATCHES} pass in a row in which the JIT compiled
     * nothing. A fixed churn left the per-connection code half compiled in some runs: C2 compiled {@code echo} itself
     * only after 10,000 connections, under the idle ones, and a hub-netty connection's stack chunk measured 383 to
     * 688 B between runs.
     */
    private static final int CHURN_SETTLE_BATCHES = 20;
    /**
     * Quiet batches in a row that end the churn. One was not enough: a churn that stopped after one quiet batch
     * (14,000 connections) left {@code echo} in C1's code until the idle connections themselves got it compiled,
     * and their stack chunks averaged 911 B against 384 and 399 B in two runs that churned on.
     */
    private static final int CHURN_QUIET_BATCHES = 3;

    /**
     * Opens {@code total} idle connections in batches, waits until the server holds each batch, and closes it; then
     * adds batches until the server's JIT compiled nothing during {@link #CHURN_QUIET_BATCHES} in a row (a JVM
     * server's per-connection code is then as compiled as it gets), at most {@link #CHURN_SETTLE_BATCHES}.
     */
    private static void churn(LoadGenerator load, ServerProcess server, int total) throws Exception {
        int fds0 = settledDescriptors(server);
        for (int done = 0; done < total; done += CHURN_BATCH) {
            churnBatch(load, server, Math.min(CHURN_BATCH, total - done), fds0);
        }
        if (total <= 0 || !server.spec().jvm()) {
            return;
        }
        int batch = Math.min(CHURN_BATCH, total); // a smoke run's small churn settles in small batches
        long jit = server.jitMillis();
        int quiet = 0;
        for (int extra = 1; extra <= CHURN_SETTLE_BATCHES; extra++) {
            churnBatch(load, server, batch, fds0);
            long now = server.jitMillis();
            quiet = now == jit ? quiet + 1 : 0;
            if (quiet == CHURN_QUIET_BATCHES) {
                log("    churn: JIT quiet after " + (total + extra * batch) + " connections");
                return;
            }
            jit = now;
        }
        log("    churn: JIT still compiling after " + (total + CHURN_SETTLE_BATCHES * batch) + " connections");
    }

    private static void churnBatch(LoadGenerator load, ServerProcess server, int batch, int fds0) throws Exception {
        List<LoadGenerator.Conn> conns = load.openIdle(server.address(), batch, 20_000);
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (server.openConnections(fds0) < batch && System.nanoTime() < deadline) {
                Thread.sleep(50); // polling another process: there is nothing to await
            }
        } finally {
            LoadGenerator.closeAll(conns);
        }
    }

    /** The server's descriptor count once the warm-up connections it still closes are gone. */
    private static int settledDescriptors(ServerProcess server) throws IOException, InterruptedException {
        int last = -1;
        int now = ProcStats.openDescriptors(server.pid());
        for (int i = 0; i < 50 && (now != last || server.spec().jvm() && server.openConnections(0) != 0); i++) {
            Thread.sleep(100);
            last = now;
            now = ProcStats.openDescriptors(server.pid());
        }
        return now;
    }

    /** As many idle connections as both processes' descriptor limits allow, at most 100,000. */
    private static int defaultScale(Report report) {
        long limit = ((com.sun.management.UnixOperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getMaxFileDescriptorCount();
        int n = (int) Math.min(100_000, (limit - 1000) / 1000 * 1000);
        if (n < 100_000) {
            report.notes.add("Scale test: " + n + " idle connections instead of 100,000, because the open-file "
                    + "limit here is " + limit + " (ulimit -n; raising the hard limit needs CAP_SYS_RESOURCE, "
                    + "which this machine does not grant). Client and server each hold one descriptor per connection.");
        }
        return Math.max(n, 0);
    }

    /** Runs {@link SleepProbe} in its own JVM; returns {switches, CPU µs, µs per sleep} per wake-up. */
    private static double[] sleepProbe(String kind, int sleeps) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(Servers.javaCommand());
        cmd.addAll(1, List.of(BenchFlags.JDK_PARALLELISM_1, BenchFlags.JDK_MAX_POOL_1)); // as in the JMH forks
        cmd.add(SleepProbe.class.getName());
        cmd.add(kind);
        cmd.add(Integer.toString(sleeps));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String output = new String(p.getInputStream().readAllBytes());
        p.waitFor(60, TimeUnit.SECONDS);
        for (String line : output.split("\n")) {
            if (line.startsWith("RESULT ")) {
                String[] f = line.substring(7).trim().split(" ");
                return new double[] {Double.parseDouble(f[0]), Double.parseDouble(f[1]), Double.parseDouble(f[2])};
            }
        }
        throw new IOException("sleep probe '" + kind + "' printed no RESULT:\n" + output);
    }

    /**
     * Runs {@link InterleavedPingPong} in its own JVM, with the JDK scheduler's flags of the JMH forks and, when
     * pinning, on CPU 1 (the suite's own CPU: nothing else of the suite runs meanwhile); returns its recorded pairs.
     */
    private static List<InterleavedPingPong.Pair> pingPong(Options o) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        if (o.serverCpu != null) {
            cmd.addAll(List.of("taskset", "-c", "1"));
        }
        cmd.addAll(Servers.javaCommand());
        cmd.addAll(cmd.indexOf(BenchFlags.ADD_OPENS), List.of(BenchFlags.JDK_PARALLELISM_1, BenchFlags.JDK_MAX_POOL_1));
        cmd.add(InterleavedPingPong.class.getName());
        cmd.add(Integer.toString(o.pingPongPairs));
        cmd.add(Double.toString(o.pingPongRoundSeconds));
        cmd.add(Integer.toString(o.pingPongWarmupPairs));
        Files.createDirectories(o.logDir);
        Path log = o.logDir.resolve("pingpong.log");
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
        // Each pair is four rounds; a batch can overrun its round a little on a loaded machine.
        long budget = (long) ((o.pingPongPairs + o.pingPongWarmupPairs) * 4 * o.pingPongRoundSeconds * 3) + 60;
        if (!p.waitFor(budget, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new IOException("the ping-pong JVM did not exit within " + budget + " s; its output is in " + log);
        }
        String output = Files.readString(log);
        List<InterleavedPingPong.Pair> pairs = new ArrayList<>();
        for (String line : output.split("\n")) {
            if (line.startsWith("PAIR ")) {
                pairs.add(InterleavedPingPong.Pair.parse(line));
            }
        }
        if (p.exitValue() != 0 || pairs.size() != o.pingPongPairs) {
            throw new IOException("the ping-pong JVM exited with " + p.exitValue() + " after " + pairs.size() + " of "
                    + o.pingPongPairs + " pairs:\n" + output);
        }
        return pairs;
    }

    static void log(String line) {
        System.out.println("[bench " + java.time.LocalTime.now().withNano(0) + "] " + line);
        System.out.flush();
    }

    /** The machine the numbers come from. */
    record Machine(int cpus, String cpuModel, String kernel, String jdk, String loadAverage, String go,
                   String gevent) {
        static Machine describe() {
            return new Machine(onlineCpus(), readCpuModel(), read("/proc/sys/kernel/osrelease"),
                    System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"),
                    read("/proc/loadavg"), output("go", "version"),
                    output("/usr/bin/python3", "-c", "import gevent; print('gevent', gevent.__version__)"));
        }

        private static int onlineCpus() {
            // availableProcessors() would say 1 under taskset.
            String online = read("/sys/devices/system/cpu/online");
            int n = 0;
            for (String part : online.split(",")) {
                String[] r = part.trim().split("-");
                n += r.length == 1 ? 1 : Integer.parseInt(r[1]) - Integer.parseInt(r[0]) + 1;
            }
            return n;
        }

        private static String readCpuModel() {
            try {
                return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("model name"))
                        .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse("unknown");
            } catch (IOException e) {
                return "unknown";
            }
        }

        private static String read(String file) {
            try {
                return Files.readString(Path.of(file)).trim();
            } catch (IOException e) {
                return "unknown";
            }
        }

        static String output(String... command) {
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
                String s = new String(p.getInputStream().readAllBytes()).trim();
                return p.waitFor() == 0 ? s : null;
            } catch (IOException | InterruptedException e) {
                return null;
            }
        }
    }

    /** Key: a server's name; value: results by connection count, one per round. */
    static Map<String, Map<Integer, List<LoadGenerator.Result>>> newEchoTable() {
        return new LinkedHashMap<>();
    }
}
