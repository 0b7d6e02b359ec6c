package io.loomhub.scheduler;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * {@link Hub#newBoundedExecutor(int)}: at most {@code maxConcurrency} tasks run at once, each on its own hub
 * virtual thread; the rest wait in a FIFO queue and start in submission order (gevent's {@code Pool(n)}).
 *
 * <p>Workers are started on demand and end when the queue is empty, so an idle executor holds no threads.
 * states: RUNNING -> SHUTDOWN -> TERMINATED (running == 0 and the queue empty).
 */
final class BoundedExecutor extends AbstractExecutorService {

    private final Hub hub;
    private final int maxConcurrency;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition terminatedCondition = lock.newCondition();
    private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
    private final List<Thread> workers = new ArrayList<>();
    private boolean shutdown;

    BoundedExecutor(Hub hub, int maxConcurrency) {
        this.hub = hub;
        this.maxConcurrency = maxConcurrency;
    }

    @Override
    public void execute(Runnable task) {
        Objects.requireNonNull(task, "task");
        lock.lock();
        try {
            if (shutdown) {
                throw new RejectedExecutionException("this bounded executor of hub '" + hub.name() + "' is shut down");
            }
            queue.addLast(task);
            if (workers.size() < maxConcurrency) {
                // Workers always take from the head of the queue, so tasks start in submission order even when
                // an older worker frees up before a new one gets its first slice.
                Thread worker = hub.ofVirtual().name(hub.name() + "-pool-worker").unstarted(this::work);
                workers.add(worker);
                try {
                    worker.start();
                } catch (RuntimeException e) {
                    workers.remove(worker);
                    queue.removeLastOccurrence(task);
                    throw e;
                }
            }
        } finally {
            lock.unlock();
        }
    }

    /** A worker's life: take queued tasks in order and run them until none is left. */
    private void work() {
        Runnable task;
        while ((task = next()) != null) {
            try {
                task.run();
            } catch (Throwable e) {
                Thread t = Thread.currentThread();
                t.getUncaughtExceptionHandler().uncaughtException(t, e);
            }
            Thread.interrupted(); // an interrupt meant for one task must not leak into the next
        }
    }

    private Runnable next() {
        lock.lock();
        try {
            Runnable task = queue.pollFirst();
            if (task == null) {
                workers.remove(Thread.currentThread());
                if (shutdown && workers.isEmpty()) {
                    terminatedCondition.signalAll();
                }
            }
            return task;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public void shutdown() {
        lock.lock();
        try {
            shutdown = true;
            if (workers.isEmpty()) {
                terminatedCondition.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    @Override
    public List<Runnable> shutdownNow() {
        lock.lock();
        try {
            shutdown = true;
            List<Runnable> waiting = new ArrayList<>(queue);
            queue.clear();
            for (Thread w : workers) {
                w.interrupt();
            }
            if (workers.isEmpty()) {
                terminatedCondition.signalAll();
            }
            return waiting;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isShutdown() {
        lock.lock();
        try {
            return shutdown;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean isTerminated() {
        lock.lock();
        try {
            return shutdown && workers.isEmpty();
        } finally {
            lock.unlock();
        }
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) throws InterruptedException {
        long nanos = unit.toNanos(timeout);
        lock.lock();
        try {
            while (!(shutdown && workers.isEmpty())) {
                if (nanos <= 0) {
                    return false;
                }
                nanos = terminatedCondition.awaitNanos(nanos);
            }
            return true;
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        lock.lock();
        try {
            return "BoundedExecutor[hub=" + hub.name() + ", max=" + maxConcurrency + ", running=" + workers.size()
                    + ", waiting=" + queue.size() + (shutdown ? ", shut down" : "") + "]";
        } finally {
            lock.unlock();
        }
    }
}
