package io.loomhub.scheduler;

import java.time.Duration;

/**
 * An immutable snapshot of what a {@link Hub} has done, from {@link Hub#stats()}. Counters are cumulative since
 * the hub started. The carrier publishes its counters at park points and between batches of slices, so a
 * snapshot taken while the hub is busy may lag the carrier by at most one batch.
 *
 * @param hubName              the hub's name
 * @param slices               slices run: a slice is one virtual thread running until it parks, yields or ends
 *                             (carrier-side callbacks, such as {@link Hub#execute} of a plain task, count too)
 * @param localSubmissions     resumes submitted on the carrier itself (no atomics, no wake-up)
 * @param externalSubmissions  resumes and tasks submitted from other threads (through the MPSC queue)
 * @param queueDepth           tasks ready to run when the snapshot was taken (local and external queues)
 * @param liveThreads          hub virtual threads started and not yet terminated
 * @param startedThreads       hub virtual threads ever started
 * @param reactorPolls         times the carrier polled its reactor (blocking or not)
 * @param ioEvents             I/O events and reactor tasks the reactor processed
 * @param timersArmed          timers armed on the hub (timed parks of hub threads when hub timers are in use)
 * @param timersFired          timers that fired (as opposed to being cancelled by an earlier wake-up)
 * @param blockedDetections    episodes in which one slice ran longer than the blocking threshold
 * @param longestSlice         the longest slice so far. The carrier times slices only while a {@link HubMetrics} is
 *                             bound (a clock read per slice costs an eighth of a context switch), so this is exact
 *                             for slices run while one is bound; the rest count as the watchdog saw them: from the
 *                             first to the last of its samples that saw the slice running, a lower bound short by
 *                             at most two sampling periods (a quarter of the blocking threshold each). Slices shorter
 *                             than one period are usually not seen; zero if nothing ever timed a slice (no binder,
 *                             watchdog disabled)
 * @param busyTime             time the carrier spent running slices and callbacks, counted per batch of slices (so
 *                             it includes the hub's own work between them, and its non-blocking reactor polls)
 * @param idleTime             time the carrier spent asleep in its reactor
 * @param offloadCalls         calls to {@link Hub#offload} that have started
 * @param pinnedParks          parks of hub threads while pinned to the carrier (each one stalled the whole hub),
 *                             as reported by JFR; counted only when {@link Hub.Builder#reportPinning} is on
 */
public record HubStats(
        String hubName,
        long slices,
        long localSubmissions,
        long externalSubmissions,
        int queueDepth,
        int liveThreads,
        long startedThreads,
        long reactorPolls,
        long ioEvents,
        long timersArmed,
        long timersFired,
        long blockedDetections,
        Duration longestSlice,
        Duration busyTime,
        Duration idleTime,
        long offloadCalls,
        long pinnedParks) {
}
