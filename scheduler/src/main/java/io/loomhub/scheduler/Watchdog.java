package io.loomhub.scheduler;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * gevent's monitor thread, for one hub: a daemon platform thread that samples the slice the carrier is running
 * and reports a blocked hub when one slice has run longer than the threshold, once per episode (per slice).
 *
 * <p>It reads only what the carrier publishes with plain (opaque) stores, so the hub pays nothing but those
 * stores. A carrier asleep in its reactor is not in a slice, so it is never reported as blocked.
 *
 * <p>Per episode: one warning with the stack when the slice passes the threshold ({@link Hub#reportBlocked}), and
 * one info line when the watchdog next sees the carrier free, with how long the episode lasted (to within one
 * sampling period), since the warning only knows the time so far.
 */
final class Watchdog implements Runnable {

    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    private final Hub hub;
    private final long thresholdNanos;
    private final long periodNanos;
    private final Thread thread;

    Watchdog(Hub hub, Duration threshold) {
        this.hub = hub;
        this.thresholdNanos = threshold.toNanos();
        // Sample four times per threshold (at least every 50 ms, at most every 1 ms): a 100 ms threshold is
        // noticed within 125 ms.
        this.periodNanos = Math.max(TimeUnit.MILLISECONDS.toNanos(1),
                Math.min(TimeUnit.MILLISECONDS.toNanos(50), thresholdNanos / 4));
        this.thread = new Thread(this, hub.name() + "-watchdog");
        this.thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    @Override
    public void run() {
        long reportedSlice = -1;
        long reportedStart = 0;
        Thread reportedThread = null;
        boolean episodeOpen = false;
        while (!hub.isTerminated()) {
            LockSupport.parkNanos(this, periodNanos);
            // A slice is named by the number of slices completed before it: constant while it runs. Its start time
            // alone is not a name: a zero-length slice leaves the next one the same start.
            long slice = hub.slicesRun();
            long start = hub.sliceStartNanos();
            if (episodeOpen && (slice != reportedSlice || start != reportedStart)) {
                episodeOpen = false;
                LOG.info("hub '{}' unblocked: {} held the carrier for about {} ms in all", hub.name(),
                        reportedThread, (System.nanoTime() - reportedStart) / 1_000_000);
            }
            if (start == 0 || slice == reportedSlice) {
                continue;
            }
            long ranFor = System.nanoTime() - start;
            if (ranFor < thresholdNanos) {
                continue;
            }
            Thread offender = hub.sliceThread();
            Thread target = offender != null ? offender : hub.carrierThread();
            StackTraceElement[] stack = target.getStackTrace();
            // The slice may have ended while we looked (then the thread and stack may be the next slice's): only
            // report if it is still the same one.
            if (hub.sliceStartNanos() != start || hub.slicesRun() != slice || hub.sliceThread() != offender) {
                continue;
            }
            reportedSlice = slice;
            reportedStart = start;
            reportedThread = target;
            episodeOpen = true;
            hub.reportBlocked(new BlockedHubEvent(hub, target, Duration.ofNanos(ranFor), stack));
        }
    }
}
