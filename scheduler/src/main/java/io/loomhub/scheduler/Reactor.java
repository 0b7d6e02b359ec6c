package io.loomhub.scheduler;

/**
 * The I/O and wake-up engine a {@link Hub} drives from its carrier thread: gevent's libev loop, as a plug.
 *
 * <p>Threading contract: {@link #poll(long)}, {@link #pollNow()} and {@link #close()} are called only by the
 * hub's carrier thread, outside any virtual thread. {@link #wakeup()} may be called by any thread at any time,
 * including before, during or after {@code poll}, and must make the current or the next {@code poll} return
 * promptly: a wake-up is never lost. Implementations must never block the carrier on a lock that a hub
 * virtual thread could hold while parked (only this carrier could release it).
 *
 * <p>Before a blocking {@code poll} the hub publishes that it is about to sleep and re-checks its queues, and
 * producers publish work before they call {@code wakeup()}: that store-load hand-shake is the hub's. A reactor
 * whose {@code poll} re-checks {@link ReactorFactory.Host#hasReadyWork()} right before blocking gets a second
 * guard for free.
 */
public interface Reactor extends AutoCloseable {

    /**
     * Waits for I/O, a {@link #wakeup()}, or the timeout, then runs the callbacks of the I/O that is ready.
     * Carrier thread only.
     *
     * @param timeoutNanos how long to wait at most; {@code 0} means do not wait, a negative value means no limit
     * @return the number of I/O events (and reactor tasks) processed
     */
    int poll(long timeoutNanos);

    /**
     * Processes the I/O that is ready now, without waiting. Carrier thread only.
     *
     * @return the number of I/O events (and reactor tasks) processed
     */
    int pollNow();

    /**
     * How many I/O sources (channels, descriptors) are registered with this reactor, that is, how many things
     * could still produce an event and wake a hub thread. {@link Hub#dump()} uses it to tell "every hub thread
     * waits and nothing can wake them" from "they wait for I/O". Carrier thread only.
     *
     * @return the count, or -1 when this reactor cannot tell (the default)
     */
    default int registeredIoCount() {
        return -1;
    }

    /**
     * One slice has held the carrier for at least {@code heldNanos}, so this reactor's {@code poll} cannot run until
     * it ends. Called by the hub's watchdog thread at each of its samples that sees the same slice still running
     * (the first after one sampling period), and never when the watchdog is disabled. A reactor may use it to
     * deliver, from this other thread, the wake-ups that the slice itself may be waiting for: a hub thread that
     * parks while pinned parks the carrier, so a wake-up only the carrier's loop would deliver never comes. The
     * default does nothing. Watchdog thread only; must not block (it delays the watchdog's next sample).
     *
     * @param heldNanos how long the slice has held the carrier, at least
     */
    default void carrierHeld(long heldNanos) {
    }

    /** Makes a {@link #poll(long)} in progress, or the next one, return promptly. Any thread; never blocks. */
    void wakeup();

    /** Releases the reactor's resources (descriptors, buffers). Carrier thread only, once, after the last poll. */
    @Override
    void close();
}
