package io.loomhub.scheduler;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * The scheduler object the JDK's virtual threads of a hub hold. It is a {@link ForkJoinPool} only because
 * JDK 25's {@code VirtualThread} sends a timed park ({@code Thread.sleep}, {@code parkNanos}, timed waits) to
 * {@code ForkJoinPool.schedule} when its scheduler is one, and to the JDK's own unparker thread otherwise.
 * Overriding {@link #schedule(Runnable, long, TimeUnit)} puts those timers on the hub's timer queue, so a
 * sleeping hub thread wakes from the hub loop itself: no other thread, no wake-up system call.
 *
 * <p>The pool is never started: {@link #execute(Runnable)} and {@link #schedule(Runnable, long, TimeUnit)}
 * go to the hub, and every other pool operation throws, because it would start real worker threads.
 */
final class HubScheduler extends ForkJoinPool {

    private final Hub hub;

    HubScheduler(Hub hub) {
        super(1);
        this.hub = hub;
    }

    Hub hub() {
        return hub;
    }

    @Override
    public void execute(Runnable task) {
        hub.execute(task);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delay, TimeUnit unit) {
        return hub.scheduleTimer(task, unit.toNanos(delay));
    }

    private UnsupportedOperationException notForUse() {
        return new UnsupportedOperationException("the scheduler of hub '" + hub.name()
                + "' only runs that hub's virtual threads; use the Hub's own methods");
    }

    @Override public void execute(ForkJoinTask<?> task) { throw notForUse(); }
    @Override public <T> T invoke(ForkJoinTask<T> task) { throw notForUse(); }
    @Override public <T> ForkJoinTask<T> submit(ForkJoinTask<T> task) { throw notForUse(); }
    @Override public <T> ForkJoinTask<T> submit(Callable<T> task) { throw notForUse(); }
    @Override public <T> ForkJoinTask<T> submit(Runnable task, T result) { throw notForUse(); }
    @Override public ForkJoinTask<?> submit(Runnable task) { throw notForUse(); }
    @Override public <T> ForkJoinTask<T> externalSubmit(ForkJoinTask<T> task) { throw notForUse(); }
    @Override public <T> ForkJoinTask<T> lazySubmit(ForkJoinTask<T> task) { throw notForUse(); }
    @Override public int setParallelism(int size) { throw notForUse(); }
    @Override public <T> List<Future<T>> invokeAllUninterruptibly(Collection<? extends Callable<T>> tasks) { throw notForUse(); }
    @Override public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks) { throw notForUse(); }
    @Override public <T> List<Future<T>> invokeAll(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) { throw notForUse(); }
    @Override public <T> T invokeAny(Collection<? extends Callable<T>> tasks) { throw notForUse(); }
    @Override public <T> T invokeAny(Collection<? extends Callable<T>> tasks, long timeout, TimeUnit unit) { throw notForUse(); }
    @Override public <V> ScheduledFuture<V> schedule(Callable<V> callable, long delay, TimeUnit unit) { throw notForUse(); }
    @Override public ScheduledFuture<?> scheduleAtFixedRate(Runnable command, long initialDelay, long period, TimeUnit unit) { throw notForUse(); }
    @Override public ScheduledFuture<?> scheduleWithFixedDelay(Runnable command, long initialDelay, long delay, TimeUnit unit) { throw notForUse(); }
    @Override public <V> ForkJoinTask<V> submitWithTimeout(Callable<V> callable, long timeout, TimeUnit unit, Consumer<? super ForkJoinTask<V>> timeoutAction) { throw notForUse(); }
    @Override public void shutdown() { throw notForUse(); }
    @Override public List<Runnable> shutdownNow() { throw notForUse(); }
    @Override public void close() { throw notForUse(); }

    @Override
    public String toString() {
        return "HubScheduler[" + hub.name() + "]";
    }
}
