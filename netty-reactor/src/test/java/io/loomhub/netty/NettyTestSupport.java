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

    /**
     * Runs {@code call} as a carrier callback of {@code hub} (where the reactor's carrier-confined state may be read)
     * and returns its result, bounded in time.
     */
    static <T> T callOnCarrier(Hub hub, Callable<T> call) throws Exception {
        return onHub(task -> {
            hub.execute(task);
            return null;
        }, call);
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

    /** How a call on a hub thread ended: what it threw (null if it returned) and whether the thread was interrupted. */
    record Ending(Throwable error, boolean interrupted) { }

    /** A hub thread parked in a call, and how that call ends. */
    record Parked(Thread thread, CompletableFuture<Ending> ending) {
        /** Waits (bounded) for the call to end. */
        Ending awaitEnding() throws Exception {
            return ending.get(30, TimeUnit.SECONDS);
        }
    }

    /**
     * Starts {@code call} on a new hub thread and returns once that thread has parked (in the call, for the tests
     * that use it: a read or an accept with nothing to take).
     */
    static Parked parkedIn(Hub hub, Callable<?> call) {
        CompletableFuture<Ending> ending = new CompletableFuture<>();
        Thread t = hub.spawn(() -> {
            try {
                call.call();
                ending.complete(new Ending(null, Thread.currentThread().isInterrupted()));
            } catch (Throwable e) {
                ending.complete(new Ending(e, Thread.currentThread().isInterrupted()));
            }
        });
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10))
                .until(() -> t.getState() == Thread.State.WAITING || ending.isDone());
        return new Parked(t, ending);
    }

    /** A bound on every join in these tests. */
    static final Duration JOIN = Duration.ofSeconds(60);

    /**
     * Runs {@code main} in a child JVM (this JVM's java and class path, the hub's flags plus {@code extra}) and
     * returns its output with {@code "\nexit=<code>"} appended; bounded at 60 s.
     */
    static String childJvm(Class<?> main, String... extra) throws java.io.IOException, InterruptedException {
        java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(
                java.nio.file.Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-opens=java.base/java.lang=ALL-UNNAMED", "--enable-native-access=ALL-UNNAMED"));
        cmd.addAll(java.util.List.of(extra));
        cmd.addAll(java.util.List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        p.getOutputStream().close();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError("child JVM did not end within 60 s:\n" + out);
        }
        return out + "\nexit=" + p.exitValue();
    }

    /**
     * Echoes what {@code s} reads back to it until the peer's end of stream (or until the peer goes away), running
     * {@code afterEachWrite} after each write; closes {@code s}.
     */
    static void echoUntilEnd(java.net.Socket s, Runnable afterEachWrite) {
        try (s) {
            java.io.InputStream in = s.getInputStream();
            java.io.OutputStream out = s.getOutputStream();
            byte[] buf = new byte[8192];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
                afterEachWrite.run();
            }
        } catch (java.io.IOException e) {
            // the peer went away
        }
    }
}
