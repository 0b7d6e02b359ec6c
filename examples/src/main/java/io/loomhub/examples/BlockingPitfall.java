package io.loomhub.examples;

import io.loomhub.scheduler.BlockedHubEvent;
import io.loomhub.scheduler.Hub;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.ArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;

/**
 * The pitfall of every single-carrier scheduler, caught: a request handler that computes for a while without
 * parking (a CPU loop here; a file read, a native call or a library that blocks in C does the same) holds the one
 * carrier, so every other hub thread waits. A "ticker" hub thread that ticks every 5 ms shows it: it stops.
 *
 * <ol>
 *   <li>The pitfall: the handler runs the work on its hub thread. The watchdog
 *       ({@code Hub.builder().blockingThreshold(...)}) reports the hub as blocked, with the offender's stack, to
 *       the log and to the {@code onBlocked} listener; the ticker does not tick during the call.</li>
 *   <li>The fix: the same work inside {@code hub.offload(...)}. It runs on a platform thread of the offload pool
 *       while the handler's hub thread parks; the ticker keeps ticking and nothing is reported.</li>
 * </ol>
 *
 * <p>Run: {@code scripts/run-example BlockingPitfall}.
 */
public final class BlockingPitfall {

    /**
     * One run of the handler.
     *
     * @param offloaded whether the work ran in {@code hub.offload}
     * @param ticks     ticks of the ticker while the handler ran
     * @param reports   blocked-hub reports the watchdog made during the call
     */
    public record Outcome(boolean offloaded, int ticks, List<BlockedHubEvent> reports) { }

    /** Long enough to cross the threshold, short enough for a quick example. */
    static final Duration WORK = Duration.ofMillis(300);
    static final Duration THRESHOLD = Duration.ofMillis(50);

    private BlockingPitfall() { }

    public static void main(String[] args) throws Exception {
        List<Outcome> outcomes = run(System.out);
        boolean asExpected = !outcomes.get(0).reports().isEmpty() && outcomes.get(1).reports().isEmpty();
        System.exit(asExpected ? 0 : 1);
    }

    /** Runs the handler twice (blocking, then offloaded) on a new hub and prints what happened. */
    public static List<Outcome> run(PrintStream out) throws Exception {
        LinkedBlockingQueue<BlockedHubEvent> reports = new LinkedBlockingQueue<>();
        try (Hub hub = Hub.builder()
                .name("pitfall")
                .blockingThreshold(THRESHOLD)                   // report a slice that holds the carrier > 50 ms
                .onBlocked(reports::add)                        // called on the watchdog thread
                .build()) {
            AtomicInteger ticks = new AtomicInteger();
            Thread ticker = hub.ofVirtual().name("ticker").start(() -> {
                try {
                    while (true) {
                        Thread.sleep(5);
                        ticks.incrementAndGet();
                    }
                } catch (InterruptedException e) {
                    // asked to stop
                }
            });
            try {
                out.printf("1. the pitfall: a handler computes for %d ms on its hub thread (watchdog threshold %d ms)%n",
                        WORK.toMillis(), THRESHOLD.toMillis());
                Outcome bad = handleOnHub(hub, ticks, reports, false);
                out.printf("   the ticker ticked %d times during the call: every other hub thread waited%n", bad.ticks());
                for (BlockedHubEvent e : bad.reports()) {
                    out.printf("   watchdog: %s had held the carrier for %d ms when it reported; its stack:%n", e.offender().getName(),
                            e.blockedFor().toMillis());
                    Arrays.stream(e.stackTrace()).limit(4).forEach(f -> out.println("       at " + f));
                }

                out.printf("2. the fix: the same work in hub.offload(...)%n");
                Outcome good = handleOnHub(hub, ticks, reports, true);
                out.printf("   the ticker ticked %d times during the call; watchdog reports: %d%n", good.ticks(),
                        good.reports().size());
                return List.of(bad, good);
            } finally {
                ticker.interrupt();
                ticker.join(Duration.ofSeconds(5));
            }
        }
    }

    /** Runs the handler on a new hub thread and waits for it; counts ticks and reports made meanwhile. */
    private static Outcome handleOnHub(Hub hub, AtomicInteger ticks, LinkedBlockingQueue<BlockedHubEvent> reports,
                                       boolean offload) throws Exception {
        reports.clear();
        int[] ticked = new int[1];
        Exception[] failure = new Exception[1];
        Thread handler = hub.ofVirtual().name(offload ? "handler-offloaded" : "handler-blocking").start(() -> {
            int before = ticks.get();
            try {
                long checksum = offload ? hub.offload(() -> checksumFor(WORK)) : checksumFor(WORK);
                Blackhole.consume(checksum); // a real handler would put it in its response
            } catch (Exception e) {
                failure[0] = e;
            }
            ticked[0] = ticks.get() - before;
        });
        if (!handler.join(Duration.ofSeconds(10))) {
            throw new IllegalStateException("the handler did not end within 10 s");
        }
        if (failure[0] != null) {
            throw failure[0];
        }
        List<BlockedHubEvent> made = new ArrayList<>();
        if (!offload) {
            // The watchdog samples a few times per threshold and the call ran six thresholds long, so it reported
            // the episode while the call ran; its listener call (on the watchdog thread) may still be finishing.
            BlockedHubEvent first = reports.poll(5, TimeUnit.SECONDS);
            if (first != null) {
                made.add(first);
            }
        }
        reports.drainTo(made);
        return new Outcome(offload, ticked[0], List.copyOf(made));
    }

    /** Keeps a result alive, so the JIT cannot drop the work that made it. */
    private static final class Blackhole {
        static volatile long sink;

        static void consume(long value) {
            sink = value;
        }
    }

    /** CPU work that never parks: CRC32 over a buffer until {@code d} has passed. */
    static long checksumFor(Duration d) {
        byte[] buffer = new byte[64 * 1024];
        Arrays.fill(buffer, (byte) 42);
        CRC32 crc = new CRC32();
        long until = System.nanoTime() + d.toNanos();
        while (System.nanoTime() - until < 0) {
            crc.update(buffer);
        }
        return crc.getValue();
    }
}
