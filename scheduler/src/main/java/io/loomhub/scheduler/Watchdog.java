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
 * <p>The carrier reads no clock for it. It publishes, with plain (opaque) stores, the task of the running slice
 * (null between slices, and so while it sleeps in its reactor) and the count of slices run, which is constant while
 * one slice runs, so (count, task) names a slice. The watchdog times slices on its own clock: a slice it sees in
 * consecutive samples has run at least from the first sample that saw it. So a slice is reported once it has been
 * seen running for the threshold: between the threshold and the threshold plus two sampling periods after it
 * started. A carrier asleep in its reactor is not in a slice, so it is never reported as blocked.
 *
 * <p>Per episode: one warning with the stack when the slice passes the threshold ({@link Hub#reportBlocked}), and
 * one info line when the watchdog next sees the carrier free, with how long the episode lasted (to within one
 * sampling period), since the warning only knows the time so far.
 *
 * <p>At each sample that sees the same slice still running it tells the reactor ({@link Reactor#carrierHeld}), which
 * may deliver from this thread the wake-ups a pinned park on the carrier waits for.
 *
 * <p>It also gives {@link HubStats#longestSlice()} its figure while no {@link HubMetrics} times slices: each slice
 * it saw in two or more samples ran at least from the first to the last of them ({@link Hub#observedSlice}).
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
        // noticed within 150 ms of the slice's start.
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
        // The slice seen in the last sample: its count and task (null: none), when it was first and last seen, and
        // the sample before it was first seen (it started after that one).
        long seenSlice = -1;
        Runnable seenTask = null;
        long firstSeen = System.nanoTime();
        long lastSeen = firstSeen;
        long sampleBefore = firstSeen;
        boolean reported = false;
        Thread reportedThread = null;
        while (!hub.isTerminated()) {
            LockSupport.parkNanos(this, periodNanos);
            long now = System.nanoTime();
            // Count first, then task: a count that has not moved by the next sample means the task read after it
            // is still running, so a (count, task) pair seen twice is one slice.
            long slice = hub.slicesRun();
            Runnable task = hub.sliceTask();
            if (task != null && task == seenTask && slice == seenSlice) {
                lastSeen = now;
                hub.carrierHeld(now - firstSeen);
                if (!reported && now - firstSeen >= thresholdNanos) {
                    reported = report(slice, task, now - firstSeen);
                    if (reported) {
                        reportedThread = offender(task);
                    }
                }
                continue;
            }
            // The slice seen last time (if any) has ended since.
            if (seenTask != null && lastSeen != firstSeen) {
                hub.observedSlice(lastSeen - firstSeen);
            }
            if (reported) {
                // It started between sampleBefore and firstSeen, and ended between lastSeen and now: take the middle.
                long about = ((lastSeen - firstSeen) + (now - sampleBefore)) / 2;
                LOG.info("hub '{}' unblocked: {} held the carrier for about {} ms in all", hub.name(),
                        reportedThread, about / 1_000_000);
            }
            sampleBefore = lastSeen;
            seenSlice = slice;
            seenTask = task;
            firstSeen = now;
            lastSeen = now;
            reported = false;
            reportedThread = null;
        }
    }

    /** Reports the slice as blocking, unless it ended while its stack was taken. Returns whether it reported. */
    private boolean report(long slice, Runnable task, long ranFor) {
        Thread target = offender(task);
        StackTraceElement[] stack = target.getStackTrace();
        // The slice may have ended while we looked (then the stack may be the next slice's): only report if it is
        // still the same one; the next sample sees the new slice.
        if (hub.slicesRun() != slice || hub.sliceTask() != task) {
            return false;
        }
        hub.reportBlocked(new BlockedHubEvent(hub, target, Duration.ofNanos(ranFor), stack));
        return true;
    }

    /** The thread to blame for a slice: its virtual thread, or the carrier for a plain callback. */
    private Thread offender(Runnable task) {
        Thread vthread = VirtualThreadAccess.threadOf(task);
        return vthread != null ? vthread : hub.carrierThread();
    }
}
