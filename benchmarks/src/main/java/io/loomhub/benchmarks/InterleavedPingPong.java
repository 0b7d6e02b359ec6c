package io.loomhub.benchmarks;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetrics;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.locks.LockSupport;

/**
 * The park/unpark ping-pong of {@link PingPongBenchmark}, measured so that machine load cancels out of the ratios:
 * the two sides of a comparison alternate in ONE JVM, round by round (about 0.5 s each, the order flipping every
 * pair), and each ratio is taken within a pair, then summarised over pairs. JMH instead runs each side in its own
 * fork one after the other, so on a shared machine its hub/JDK ratio drifts with whatever else runs meanwhile.
 *
 * <p>Two comparisons, each a round of every side per pair:
 * <ul>
 *   <li>a hub against the JDK's default scheduler (which must have one carrier: run with
 *       {@code -Djdk.virtualThreadScheduler.parallelism=1 -Djdk.virtualThreadScheduler.maxPoolSize=1});</li>
 *   <li>a hub with {@link HubMetrics} bound to a {@link SimpleMeterRegistry} against one without.</li>
 * </ul>
 * A round measures round trips per second (wall clock) and process CPU time per round trip
 * ({@code com.sun.management.OperatingSystemMXBean.getProcessCpuTime()}: every thread of the JVM, so JIT, GC and
 * the watchdog count too, for both sides alike; on Linux it counts in 10 ms clock ticks, so a 0.5 s round resolves
 * CPU per round trip to about 2 %). Pin the JVM to one CPU ({@code taskset -c 1}) so each scheduler's
 * one carrier has one core and the other side's idle threads cannot run beside it.
 *
 * <p>Standalone: {@code taskset -c 1 java --add-opens=java.base/java.lang=ALL-UNNAMED
 * --enable-native-access=ALL-UNNAMED -Djdk.virtualThreadScheduler.parallelism=1
 * -Djdk.virtualThreadScheduler.maxPoolSize=1 -jar benchmarks/target/benchmarks.jar pingpong [pairs [round-seconds
 * [warm-up pairs]]]} (defaults 10, 0.5, 4). The suite runs it in a child JVM with those flags and parses the
 * {@code PAIR} lines.
 */
public final class InterleavedPingPong {

    /** Round trips per batch: the two threads are made afresh for each batch, as in the prototype's rounds. */
    private static final int TRIPS_PER_BATCH = 10_000;

    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private InterleavedPingPong() { }

    /** One round of one side: round trips per second and process CPU nanoseconds per round trip. */
    record Round(double tripsPerSecond, double cpuNanosPerTrip) { }

    /** One pair of each comparison, measured back to back. */
    record Pair(Round hub, Round jdk, Round unbound, Round bound) {
        double hubOverJdkThroughput() {
            return hub.tripsPerSecond() / jdk.tripsPerSecond();
        }

        /** > 1: the hub spends less CPU per round trip than the JDK's scheduler. */
        double jdkOverHubCpu() {
            return jdk.cpuNanosPerTrip() / hub.cpuNanosPerTrip();
        }

        /** > 1: binding metrics costs CPU per round trip. */
        double boundOverUnboundCpu() {
            return bound.cpuNanosPerTrip() / unbound.cpuNanosPerTrip();
        }

        /** The line the suite parses: {@code PAIR hub/s jdk/s hubNs jdkNs unbound/s bound/s unboundNs boundNs}. */
        String line() {
            return String.format(Locale.ROOT, "PAIR %.1f %.1f %.2f %.2f %.1f %.1f %.2f %.2f", hub.tripsPerSecond(),
                    jdk.tripsPerSecond(), hub.cpuNanosPerTrip(), jdk.cpuNanosPerTrip(), unbound.tripsPerSecond(),
                    bound.tripsPerSecond(), unbound.cpuNanosPerTrip(), bound.cpuNanosPerTrip());
        }

        static Pair parse(String line) {
            String[] f = line.trim().split("\\s+");
            double[] v = new double[8];
            for (int i = 0; i < 8; i++) {
                v[i] = Double.parseDouble(f[i + 1]);
            }
            return new Pair(new Round(v[0], v[2]), new Round(v[1], v[3]), new Round(v[4], v[6]),
                    new Round(v[5], v[7]));
        }
    }

    /** Two virtual threads handing a turn back and forth with park/unpark. */
    private static final class Rally {
        private volatile int turn; // 1: pong's move, 0: ping's
        private volatile Thread ping;
        private volatile Thread pong;

        void play(ThreadFactory factory, int trips) throws InterruptedException {
            pong = factory.newThread(() -> {
                for (int i = 0; i < trips; i++) {
                    while (turn != 1) {
                        LockSupport.park();
                    }
                    turn = 0;
                    LockSupport.unpark(ping);
                }
            });
            ping = factory.newThread(() -> {
                for (int i = 0; i < trips; i++) {
                    turn = 1;
                    LockSupport.unpark(pong);
                    while (turn != 0) {
                        LockSupport.park();
                    }
                }
            });
            pong.start();
            ping.start();
            ping.join();
            pong.join();
        }
    }

    /** Plays batches on {@code factory}'s scheduler for about {@code seconds}, called from a platform thread. */
    static Round round(ThreadFactory factory, double seconds) throws InterruptedException {
        long cpu0 = OS.getProcessCpuTime();
        long start = System.nanoTime();
        long end = start + (long) (seconds * 1e9);
        long trips = 0;
        do {
            new Rally().play(factory, TRIPS_PER_BATCH);
            trips += TRIPS_PER_BATCH;
        } while (System.nanoTime() < end);
        long elapsed = System.nanoTime() - start;
        long cpu = OS.getProcessCpuTime() - cpu0;
        return new Round(trips / (elapsed / 1e9), (double) cpu / trips);
    }

    /** Both rounds of one comparison, {@code aFirst} choosing the order; returns {a, b}. */
    private static Round[] alternate(ThreadFactory a, ThreadFactory b, boolean aFirst, double seconds)
            throws InterruptedException {
        if (aFirst) {
            Round ra = round(a, seconds);
            return new Round[] {ra, round(b, seconds)};
        }
        Round rb = round(b, seconds);
        return new Round[] {round(a, seconds), rb};
    }

    /**
     * Runs {@code warmupPairs} unrecorded pairs, then {@code pairs} recorded ones, each round about
     * {@code roundSeconds}; {@code onPair} sees each recorded pair as it completes.
     *
     * @throws IllegalStateException if the JDK's default scheduler does not have exactly one carrier
     */
    static List<Pair> run(int pairs, int warmupPairs, double roundSeconds, java.util.function.Consumer<Pair> onPair)
            throws InterruptedException {
        List<Pair> recorded = new ArrayList<>();
        try (Schedulers hub = Schedulers.open(Schedulers.HUB);
             Schedulers jdk = Schedulers.open(Schedulers.JDK);
             Schedulers unbound = Schedulers.open(Schedulers.HUB);
             Schedulers bound = Schedulers.open(Schedulers.HUB);
             HubMetrics metrics = new HubMetrics(bound.hub())) {
            metrics.bindTo(new SimpleMeterRegistry());
            for (int i = 0; i < warmupPairs + pairs; i++) {
                boolean firstGoesFirst = i % 2 == 0; // flip the order so neither side always follows the other
                Round[] vs = alternate(hub.factory(), jdk.factory(), firstGoesFirst, roundSeconds);
                Round[] metered = alternate(unbound.factory(), bound.factory(), firstGoesFirst, roundSeconds);
                if (i >= warmupPairs) {
                    Pair p = new Pair(vs[0], vs[1], metered[0], metered[1]);
                    recorded.add(p);
                    onPair.accept(p);
                }
            }
        }
        return recorded;
    }

    /** Summary lines for a human, from recorded pairs. */
    static List<String> summary(List<Pair> pairs) {
        Report.Spread hub = spread(pairs, p -> p.hub().tripsPerSecond() / 1e6);
        Report.Spread jdk = spread(pairs, p -> p.jdk().tripsPerSecond() / 1e6);
        Report.Spread ratio = spread(pairs, Pair::hubOverJdkThroughput);
        Report.Spread hubCpu = spread(pairs, p -> p.hub().cpuNanosPerTrip());
        Report.Spread jdkCpu = spread(pairs, p -> p.jdk().cpuNanosPerTrip());
        Report.Spread cpuRatio = spread(pairs, Pair::jdkOverHubCpu);
        Report.Spread unboundCpu = spread(pairs, p -> p.unbound().cpuNanosPerTrip());
        Report.Spread boundCpu = spread(pairs, p -> p.bound().cpuNanosPerTrip());
        Report.Spread metricsRatio = spread(pairs, Pair::boundOverUnboundCpu);
        return List.of(
                String.format(Locale.ROOT, "%d pairs; min / median / max over pairs", pairs.size()),
                String.format(Locale.ROOT, "round trips/s (M): hub %s  jdk %s  hub/jdk per pair %s", mmm(hub, 2),
                        mmm(jdk, 2), mmm(ratio, 3)),
                String.format(Locale.ROOT, "CPU ns per round trip: hub %s  jdk %s  jdk/hub per pair %s", mmm(hubCpu, 0),
                        mmm(jdkCpu, 0), mmm(cpuRatio, 3)),
                String.format(Locale.ROOT, "metrics, CPU ns per round trip: unbound %s  bound %s  bound/unbound per "
                        + "pair %s", mmm(unboundCpu, 0), mmm(boundCpu, 0), mmm(metricsRatio, 3)));
    }

    static Report.Spread spread(List<Pair> pairs, java.util.function.ToDoubleFunction<Pair> figure) {
        return Report.Spread.of(pairs.stream().map(figure::applyAsDouble).toList());
    }

    private static String mmm(Report.Spread s, int decimals) {
        String f = "%." + decimals + "f";
        return String.format(Locale.ROOT, f + " / " + f + " / " + f, s.min(), s.median(), s.max());
    }

    /** {@code pingpong [pairs [round-seconds [warm-up pairs]]]}; see the class comment for the JVM flags. */
    public static void main(String[] args) throws Exception {
        int pairs = args.length > 0 ? Integer.parseInt(args[0]) : 10;
        double roundSeconds = args.length > 1 ? Double.parseDouble(args[1]) : 0.5;
        int warmupPairs = args.length > 2 ? Integer.parseInt(args[2]) : 4;
        if (pairs < 1 || roundSeconds <= 0 || warmupPairs < 0) {
            throw new IllegalArgumentException("usage: pingpong [pairs >= 1 [round-seconds > 0 [warm-up pairs >= 0]]]");
        }
        System.out.printf(Locale.ROOT, "interleaved ping-pong: %d warm-up + %d pairs, rounds of %.2f s, on %d CPU(s)"
                + "%n", warmupPairs, pairs, roundSeconds, Runtime.getRuntime().availableProcessors());
        System.out.println("columns of each PAIR line: hub/s jdk/s hub-ns jdk-ns unbound/s bound/s unbound-ns bound-ns");
        List<Pair> recorded = run(pairs, warmupPairs, roundSeconds, p -> {
            System.out.println(p.line());
            System.out.flush();
        });
        summary(recorded).forEach(System.out::println);
    }
}
