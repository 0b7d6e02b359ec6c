package io.loomhub.examples;

import io.loomhub.scheduler.Hub;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Measures the hub's scheduling latency from outside, while a workload runs: a platform thread sends a time stamp
 * to a parked hub thread every {@code interval}, and the hub thread records how long it took from the send (which
 * unparks it) to the moment it runs again. That is the time a resume waits in the hub's queues behind other
 * slices, plus the carrier's wake-up when it slept.
 *
 * <p>Create and close it from a platform thread.
 */
final class LatencyProbe implements AutoCloseable {

    private static final long STOP = Long.MIN_VALUE;

    private final LinkedBlockingQueue<Long> pings = new LinkedBlockingQueue<>();
    private final Thread probe;
    private final Thread pinger;
    private volatile boolean running = true;
    // Written by the probe thread only; read after it has been joined.
    private long[] samples = new long[4096];
    private int count;

    LatencyProbe(Hub hub, CarrierLog carriers, Duration interval) {
        this.probe = hub.ofVirtual().name("latency-probe").start(() -> {
            try {
                for (long sent; (sent = pings.take()) != STOP; ) {
                    record(System.nanoTime() - sent);
                    carriers.note();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        long intervalNanos = interval.toNanos();
        this.pinger = Thread.ofPlatform().name("latency-pinger").daemon().start(() -> {
            while (running) {
                LockSupport.parkNanos(intervalNanos);
                pings.offer(System.nanoTime());
            }
            pings.offer(STOP);
        });
    }

    private void record(long nanos) {
        if (count == samples.length) {
            samples = Arrays.copyOf(samples, count * 2);
        }
        samples[count++] = nanos;
    }

    /** Stops the probe and waits (at most 5 s) for both of its threads. */
    @Override
    public void close() throws InterruptedException {
        running = false;
        if (!pinger.join(Duration.ofSeconds(5)) || !probe.join(Duration.ofSeconds(5))) {
            throw new IllegalStateException("the latency probe did not stop within 5 s");
        }
    }

    /** The latencies recorded, sorted, in nanoseconds. Call after {@link #close()}. */
    long[] sortedSamples() {
        long[] s = Arrays.copyOf(samples, count);
        Arrays.sort(s);
        return s;
    }

    /** The q-quantile (0..1) of sorted samples, nearest-rank; 0 when there are none. */
    static long quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
    }

    static String millis(long nanos) {
        return String.format("%.3f ms", nanos / (double) TimeUnit.MILLISECONDS.toNanos(1));
    }
}
