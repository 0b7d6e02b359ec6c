package io.loomhub.scheduler;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * What {@link Hub#dump()} saw: every live hub thread, and whether anything can still wake the ones that wait.
 * {@link #toString()} is the printable report; {@link #print(PrintStream)} writes it.
 *
 * <p>The hub keeps running while the dump is taken, so the threads' states and the hub's counts are each exact
 * when read but not one atomic picture.
 *
 * @param hubName         the hub's name
 * @param takenAt         when the dump was taken
 * @param threads         the live hub threads, oldest (first created) first
 * @param readyTasks      resumes and callbacks queued to run on the carrier, or -1 if the carrier did not answer
 * @param timersArmed     timers armed on the hub (timed parks), or -1 if the carrier did not answer
 * @param registeredIo    I/O sources registered with the reactor, or -1 if unknown (the reactor cannot tell, or the
 *                        carrier did not answer)
 * @param offloadInFlight {@link Hub#offload} calls queued or running
 * @param blocksForever   true when every live hub thread waits with no timeout and nothing on the hub can wake
 *                        them: no ready work, no timer, no registered I/O, no offload call. Only a thread outside
 *                        the hub could still wake one of them
 * @param verdict         one or two sentences on the state of the hub, for humans
 */
public record HubDump(
        String hubName,
        Instant takenAt,
        List<ThreadInfo> threads,
        int readyTasks,
        long timersArmed,
        int registeredIo,
        int offloadInFlight,
        boolean blocksForever,
        String verdict) {

    /**
     * One live hub thread.
     *
     * @param thread     the thread
     * @param state      its state when the dump looked ({@code RUNNABLE} covers queued to run)
     * @param waitingFor what it is parked on ({@link java.util.concurrent.locks.LockSupport#getBlocker}), or null
     * @param waited     how long since it last left the carrier, when it waits and that is known; else null
     * @param stackTrace its stack
     */
    public record ThreadInfo(Thread thread, Thread.State state, String waitingFor, Duration waited,
            StackTraceElement[] stackTrace) {

        /** Whether the thread waits with no timeout (parked, joined, waiting for a monitor). */
        public boolean waitsWithoutTimeout() {
            return state == Thread.State.WAITING || state == Thread.State.BLOCKED;
        }
    }

    public HubDump {
        threads = List.copyOf(threads);
    }

    /** Writes {@link #toString()} to {@code out}. */
    public void print(PrintStream out) {
        out.print(this);
        out.flush();
    }

    /** The report: a header with the verdict, then each thread with its state, what it waits for and its stack. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        sb.append("Hub '").append(hubName).append("' dump at ").append(takenAt).append(": ")
                .append(threads.size()).append(" live thread(s), ")
                .append(readyTasks < 0 ? "?" : readyTasks).append(" ready task(s), ")
                .append(timersArmed < 0 ? "?" : timersArmed).append(" timer(s) armed, ")
                .append(registeredIo < 0 ? "unknown" : registeredIo).append(" I/O registration(s), ")
                .append(offloadInFlight).append(" offload call(s) in flight\n");
        sb.append(blocksForever ? "DEADLOCK: " : "").append(verdict).append("\n\n");
        for (ThreadInfo t : threads) {
            sb.append('"').append(t.thread().getName().isEmpty() ? "<unnamed>" : t.thread().getName())
                    .append("\" #").append(t.thread().threadId()).append(" virtual ").append(t.state());
            if (t.waitingFor() != null) {
                sb.append(" on ").append(t.waitingFor());
            }
            if (t.waited() != null) {
                sb.append(", waiting for ").append(t.waited().toMillis()).append(" ms");
            }
            sb.append('\n');
            for (StackTraceElement e : t.stackTrace()) {
                sb.append("\tat ").append(e).append('\n');
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
