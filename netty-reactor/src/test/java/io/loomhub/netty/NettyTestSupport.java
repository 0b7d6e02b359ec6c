package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.File;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/** Shared checks for the Netty module's tests. */
final class NettyTestSupport {

    private NettyTestSupport() { }

    /**
     * Whether the calling virtual thread is mounted on {@code carrier}. Reads the JDK's own description of a
     * virtual thread ({@code VirtualThread[#id]/runnable@carrier-name}), independent of the hub's code.
     */
    static boolean onCarrier(Thread carrier) {
        Thread t = Thread.currentThread();
        return t == carrier || t.isVirtual() && t.toString().endsWith("@" + carrier.getName());
    }

    /** Open file descriptors of this process. */
    static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    /** Runs {@code call} on a new hub thread and returns its result (or throws its exception), bounded in time. */
    static <T> T onHub(Hub hub, Callable<T> call) throws Exception {
        return onHub(hub::spawn, call);
    }

    /** As {@link #onHub(Hub, Callable)}, on a hub thread with the given name. */
    static <T> T onHub(Hub hub, String threadName, Callable<T> call) throws Exception {
        return onHub(task -> hub.ofVirtual().name(threadName).start(task), call);
    }

    private static <T> T onHub(java.util.function.Function<Runnable, Thread> start, Callable<T> call) throws Exception {
        CompletableFuture<T> result = new CompletableFuture<>();
        start.apply(() -> {
            try {
                result.complete(call.call());
            } catch (Throwable e) {
                result.completeExceptionally(e);
            }
        });
        try {
            return result.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof Exception ex) {
                throw ex;
            }
            throw e;
        }
    }

    /** A bound on every join in these tests. */
    static final Duration JOIN = Duration.ofSeconds(60);
}
