package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.net.SocketException;
import java.time.Duration;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * Runs a piece of socket state machine on a hub's carrier for a thread that is not on that carrier (a platform
 * thread, a default-scheduler virtual thread, a thread of another hub), and parks the caller until it has run.
 * Hub threads of the socket's own hub never come here: they run on the carrier already and call the state
 * machine directly.
 */
final class CarrierCall implements Runnable {

    /** A step of a socket's state machine: runs on the carrier, returns a count or a sentinel, may throw. */
    @FunctionalInterface
    interface Op {
        int run() throws IOException;
    }

    /** How often a waiting caller checks that the hub is still alive to run its call. */
    private static final long LIVENESS_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(50);

    private final Op op;
    private final Thread caller;
    private volatile boolean done;
    private int result;
    private Throwable failure;

    private CarrierCall(Op op, Thread caller) {
        this.op = op;
        this.caller = caller;
    }

    /**
     * Runs {@code op} on the hub's carrier (through the hub's MPSC queue) and returns its result. The caller
     * parks meanwhile; an interrupt does not cut the wait short (the call is short) and stays set.
     *
     * <p>The wait uses the caller's one park permit, so it can take the permit of an unpark meant for a later park:
     * when {@code op} registers the caller as a waiter (a reader, a writer, an acceptor) and the carrier wakes it as
     * such before it has seen the call done, the two unparks make one permit, and this wait consumes it. A caller
     * that parks after such a step must therefore first check a record of wake-ups it read before the step
     * ({@code HubChannel}'s and {@code HubServerSocket}'s wake counts). Handing the permit back after every wait
     * instead would make every such park return at once: a thread off the carrier waiting to read would spin
     * through carrier calls until data came.
     *
     * @throws SocketException if the hub has terminated, so no carrier will ever run the call
     */
    static int run(Hub hub, Op op) throws IOException {
        CarrierCall call = new CarrierCall(op, Thread.currentThread());
        try {
            hub.execute(call);
        } catch (RejectedExecutionException e) {
            throw hubGone(hub, e);
        }
        boolean interrupted = false;
        // A hub cannot terminate while one of its own threads waits here (and may not wait for its termination).
        boolean ownThread = hub.inHub();
        while (!call.done) {
            LockSupport.parkNanos(call, LIVENESS_CHECK_NANOS);
            if (Thread.interrupted()) {
                interrupted = true;
            }
            if (!call.done && !ownThread && terminated(hub)) {
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        if (!call.done) {
            throw hubGone(hub, null);
        }
        Throwable f = call.failure;
        if (f == null) {
            return call.result;
        }
        if (f instanceof IOException io) {
            throw io;
        }
        if (f instanceof RuntimeException re) {
            throw re;
        }
        throw (Error) f;
    }

    @Override
    public void run() {
        try {
            result = op.run();
        } catch (Throwable e) {
            failure = e;
        } finally {
            done = true;
            LockSupport.unpark(caller);
        }
    }

    private static boolean terminated(Hub hub) {
        try {
            return hub.awaitTermination(Duration.ZERO);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private static SocketException hubGone(Hub hub, Throwable cause) {
        SocketException e = new SocketException("Socket closed: hub '" + hub.name() + "' has terminated");
        if (cause != null) {
            e.initCause(cause);
        }
        return e;
    }

    @Override
    public String toString() {
        return "CarrierCall[for " + caller + "]";
    }
}
