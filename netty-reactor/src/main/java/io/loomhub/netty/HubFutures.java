package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.netty.util.concurrent.Future;
import io.netty.util.concurrent.GenericFutureListener;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/**
 * Blocking-style waits on asynchronous results, for hub threads: the caller parks (its carrier runs other hub
 * threads meanwhile) and is resumed by a completion callback. When a Netty future on the hub's own event loop
 * completes, its listener runs on the carrier and the resume goes to the hub's local queue: no thread hop, no
 * wake-up syscall. This lets blocking-style code use any Netty-based asynchronous client on the same loop.
 *
 * <p>Threading contract: any thread may call these methods except the bare carrier of a hub (outside a virtual
 * thread), where parking would stall every hub thread: there they throw {@link IllegalStateException} unless the
 * future is already complete. A platform thread simply parks.
 *
 * <p>Results follow {@link java.util.concurrent.Future#get()}: the value on success, {@link ExecutionException}
 * with the cause on failure, {@link CancellationException} if cancelled. The interruptible forms throw
 * {@link InterruptedException} (interrupt status cleared) and leave the future untouched; the timed forms throw
 * {@link TimeoutException} and leave it untouched too.
 */
public final class HubFutures {

    private HubFutures() { }

    /**
     * Parks until the Netty future completes.
     *
     * @throws InterruptedException if the caller is interrupted while waiting
     * @throws ExecutionException   if the future failed
     */
    public static <V> V await(Future<V> future) throws InterruptedException, ExecutionException {
        try {
            return awaitNetty(future, 0, true);
        } catch (TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Parks until the Netty future completes, or the timeout passes.
     *
     * @throws TimeoutException     if the future is not complete in time
     * @throws InterruptedException if the caller is interrupted while waiting
     * @throws ExecutionException   if the future failed
     */
    public static <V> V await(Future<V> future, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        return awaitNetty(future, positiveNanos(timeout), true);
    }

    /**
     * Parks until the Netty future completes, ignoring interrupts (the interrupt status is kept).
     *
     * @throws ExecutionException if the future failed
     */
    public static <V> V awaitUninterruptibly(Future<V> future) throws ExecutionException {
        try {
            return awaitNetty(future, 0, false);
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Parks until the stage completes (a {@link CompletableFuture}, or any other {@link CompletionStage}).
     *
     * @throws InterruptedException if the caller is interrupted while waiting
     * @throws ExecutionException   if the stage completed exceptionally
     */
    public static <V> V await(CompletionStage<V> stage) throws InterruptedException, ExecutionException {
        try {
            return awaitStage(stage, 0, true);
        } catch (TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * Parks until the stage completes, or the timeout passes.
     *
     * @throws TimeoutException     if the stage is not complete in time
     * @throws InterruptedException if the caller is interrupted while waiting
     * @throws ExecutionException   if the stage completed exceptionally
     */
    public static <V> V await(CompletionStage<V> stage, Duration timeout)
            throws InterruptedException, ExecutionException, TimeoutException {
        return awaitStage(stage, positiveNanos(timeout), true);
    }

    /**
     * Parks until the stage completes, ignoring interrupts (the interrupt status is kept).
     *
     * @throws ExecutionException if the stage completed exceptionally
     */
    public static <V> V awaitUninterruptibly(CompletionStage<V> stage) throws ExecutionException {
        try {
            return awaitStage(stage, 0, false);
        } catch (InterruptedException | TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    // ------------------------------------------------------------------------------------------------

    /** The parked thread, and whether its completion callback has fired. */
    private static final class Waiter<V> implements GenericFutureListener<Future<V>> {
        final Thread thread = Thread.currentThread();
        volatile boolean done;
        V value;
        Throwable failure;

        @Override
        public void operationComplete(Future<V> f) {
            done = true;
            LockSupport.unpark(thread);
        }

        void complete(V v, Throwable t) {
            value = v;
            failure = t;
            done = true;
            LockSupport.unpark(thread);
        }
    }

    private static <V> V awaitNetty(Future<V> future, long timeoutNanos, boolean interruptible)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(future, "future");
        if (!future.isDone()) {
            checkMayPark();
            Waiter<V> w = new Waiter<>();
            future.addListener(w);
            try {
                parkUntil(w, timeoutNanos, interruptible);
            } finally {
                if (!w.done) {
                    future.removeListener(w);
                }
            }
        }
        if (future.isCancelled()) {
            throw new CancellationException("the future was cancelled");
        }
        if (!future.isSuccess()) {
            throw new ExecutionException(future.cause());
        }
        return future.getNow();
    }

    private static <V> V awaitStage(CompletionStage<V> stage, long timeoutNanos, boolean interruptible)
            throws InterruptedException, ExecutionException, TimeoutException {
        Objects.requireNonNull(stage, "stage");
        if (stage instanceof CompletableFuture<V> cf && cf.isDone()) {
            return resultOf(cf);
        }
        checkMayPark();
        Waiter<V> w = new Waiter<>();
        // Runs on the completing thread: from the carrier it is a local resume, from elsewhere an external one.
        stage.whenComplete(w::complete);
        parkUntil(w, timeoutNanos, interruptible);
        Throwable t = w.failure;
        if (t == null) {
            return w.value;
        }
        if (t instanceof CompletionException && t.getCause() != null) {
            t = t.getCause();
        }
        if (t instanceof CancellationException ce) {
            throw ce;
        }
        throw new ExecutionException(t);
    }

    private static <V> V resultOf(CompletableFuture<V> cf) throws ExecutionException {
        try {
            return cf.join();
        } catch (CompletionException e) {
            throw new ExecutionException(e.getCause() != null ? e.getCause() : e);
        }
    }

    private static void parkUntil(Waiter<?> w, long timeoutNanos, boolean interruptible)
            throws InterruptedException, TimeoutException {
        long deadline = timeoutNanos > 0 ? System.nanoTime() + timeoutNanos : 0;
        boolean interrupted = false;
        try {
            while (!w.done) {
                if (deadline == 0) {
                    LockSupport.park(w);
                } else {
                    long left = deadline - System.nanoTime();
                    if (left <= 0) {
                        throw new TimeoutException("not complete after " + Duration.ofNanos(timeoutNanos));
                    }
                    LockSupport.parkNanos(w, left);
                }
                if (Thread.interrupted()) {
                    if (interruptible) {
                        throw new InterruptedException();
                    }
                    interrupted = true;
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static void checkMayPark() {
        Thread t = Thread.currentThread();
        if (!t.isVirtual()) {
            Hub hub = Hub.current().orElse(null);
            if (hub != null && hub.carrierThread() == t) {
                throw new IllegalStateException("waiting on the carrier of hub '" + hub.name() + "' outside a "
                        + "virtual thread would block the hub; wait from a hub thread, or add a listener");
            }
        }
    }

    private static long positiveNanos(Duration timeout) {
        Objects.requireNonNull(timeout, "timeout");
        if (timeout.isNegative() || timeout.isZero()) {
            return 1; // already due: one check, then TimeoutException unless complete
        }
        return timeout.toNanos();
    }
}
