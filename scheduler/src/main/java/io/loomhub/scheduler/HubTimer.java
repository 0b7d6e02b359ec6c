package io.loomhub.scheduler;

import java.util.concurrent.Delayed;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One timer on a hub's timer queue (a heap owned by the carrier). Its task runs on the carrier when the
 * deadline passes. {@link #cancel(boolean)} may be called from any thread; the carrier drops cancelled timers
 * lazily. states: WAITING -> FIRED | CANCELLED.
 */
final class HubTimer implements ScheduledFuture<Void> {

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(HubTimer.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final int WAITING = 0;
    private static final int FIRED = 1;
    private static final int CANCELLED = 2;

    final long deadlineNanos;
    final long sequence;
    private final Runnable task;
    private final Hub hub;
    private volatile int state;

    HubTimer(Hub hub, Runnable task, long deadlineNanos, long sequence) {
        this.hub = hub;
        this.task = task;
        this.deadlineNanos = deadlineNanos;
        this.sequence = sequence;
    }

    /** Marks the timer fired; returns the task to run, or null if it was cancelled first. Carrier only. */
    Runnable fire() {
        return STATE.compareAndSet(this, WAITING, FIRED) ? task : null;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
        if (STATE.compareAndSet(this, WAITING, CANCELLED)) {
            hub.timerCancelled();
            return true;
        }
        return false;
    }

    @Override
    public long getDelay(TimeUnit unit) {
        return unit.convert(deadlineNanos - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    @Override
    public int compareTo(Delayed other) {
        if (other instanceof HubTimer t) {
            int byDeadline = Long.compare(deadlineNanos - t.deadlineNanos, 0);
            return byDeadline != 0 ? byDeadline : Long.compare(sequence, t.sequence);
        }
        return Long.compare(getDelay(TimeUnit.NANOSECONDS), other.getDelay(TimeUnit.NANOSECONDS));
    }

    @Override
    public boolean isCancelled() {
        return state == CANCELLED;
    }

    @Override
    public boolean isDone() {
        return state != WAITING;
    }

    @Override
    public Void get() {
        throw new UnsupportedOperationException("hub timers cannot be waited for");
    }

    @Override
    public Void get(long timeout, TimeUnit unit) {
        throw new UnsupportedOperationException("hub timers cannot be waited for");
    }
}
