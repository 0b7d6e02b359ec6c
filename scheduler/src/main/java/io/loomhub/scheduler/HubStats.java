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
 * @param longestSlice         the longest slice so far
 * @param busyTime             time the carrier spent running slices and callbacks
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
