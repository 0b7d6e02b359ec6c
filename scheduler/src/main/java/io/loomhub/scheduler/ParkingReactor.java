package io.loomhub.scheduler;

import java.util.concurrent.locks.LockSupport;

/**
 * The reactor of a hub without an I/O engine: the carrier parks until woken or until its next timer.
 * {@link LockSupport#unpark} leaves a permit when the carrier is not parked yet, so no wake-up is lost.
 */
final class ParkingReactor implements Reactor {

    private final Thread carrier;

    ParkingReactor(Thread carrier) {
        this.carrier = carrier;
    }

    @Override
    public int poll(long timeoutNanos) {
        if (timeoutNanos < 0) {
            LockSupport.park(this);
        } else if (timeoutNanos > 0) {
            LockSupport.parkNanos(this, timeoutNanos);
        }
        return 0;
    }

    @Override
    public int pollNow() {
        return 0;
    }

    /** No I/O of its own: only timers and wake-ups. */
    @Override
    public int registeredIoCount() {
        return 0;
    }

    @Override
    public void wakeup() {
        LockSupport.unpark(carrier);
    }

    @Override
    public void close() {
        // nothing held
    }

    @Override
    public String toString() {
        return "ParkingReactor";
    }
}
