package io.loomhub.benchmarks;

import io.loomhub.scheduler.Hub;
import java.lang.reflect.Field;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadFactory;

/**
 * The two schedulers every benchmark compares: a loomhub {@link Hub} ({@code "hub"}) and the JDK's default
 * virtual-thread scheduler ({@code "jdk"}), which the benchmark forks run with
 * {@code -Djdk.virtualThreadScheduler.parallelism=1} so both get one carrier.
 *
 * <p>Not thread-safe to open or close concurrently; {@link #factory()} is safe from any thread.
 */
final class Schedulers implements AutoCloseable {

    static final String HUB = "hub";
    static final String JDK = "jdk";

    private final String kind;
    private final Hub hub;
    private final ThreadFactory factory;
    private final Executor executor;

    private Schedulers(String kind, Hub hub, ThreadFactory factory, Executor executor) {
        this.kind = kind;
        this.hub = hub;
        this.factory = factory;
        this.executor = executor;
    }

    /**
     * Opens the scheduler named {@code kind}.
     *
     * @throws IllegalArgumentException for an unknown kind
     * @throws IllegalStateException    for {@code "jdk"} when the JVM's default scheduler has more than one
     *                                  carrier (the comparison would not be one core against one core)
     */
    static Schedulers open(String kind) {
        return switch (kind) {
            case HUB -> {
                Hub h = Hub.builder().name("bench").build();
                yield new Schedulers(kind, h, h.ofVirtual().factory(), h);
            }
            case JDK -> {
                checkJdkParallelismIsOne();
                yield new Schedulers(kind, null, Thread.ofVirtual().factory(), jdkDefaultScheduler());
            }
            default -> throw new IllegalArgumentException("unknown scheduler '" + kind + "', expected hub or jdk");
        };
    }

    String kind() {
        return kind;
    }

    /** The hub, or null for the JDK's default scheduler. */
    Hub hub() {
        return hub;
    }

    /** A thread-safe factory of (unstarted) virtual threads on this scheduler. */
    ThreadFactory factory() {
        return factory;
    }

    /** Starts one virtual thread on this scheduler. */
    Thread start(Runnable task) {
        Thread t = factory.newThread(task);
        t.start();
        return t;
    }

    /** The scheduler's own {@link Executor}: the hub, or the JDK's default {@code ForkJoinPool}. */
    Executor executor() {
        return executor;
    }

    @Override
    public void close() throws InterruptedException {
        if (hub != null) {
            hub.close();
            if (!hub.awaitTermination(Duration.ofSeconds(10))) {
                throw new IllegalStateException("the benchmark hub did not terminate: " + hub);
            }
        }
    }

    /** The JDK's default virtual-thread scheduler (needs --add-opens java.base/java.lang=ALL-UNNAMED). */
    static Executor jdkDefaultScheduler() {
        try {
            Field f = Class.forName("java.lang.VirtualThread").getDeclaredField("DEFAULT_SCHEDULER");
            f.setAccessible(true);
            return (Executor) f.get(null);
        } catch (ReflectiveOperationException | RuntimeException e) {
            throw new IllegalStateException("cannot reach the JDK's default virtual-thread scheduler; run with "
                    + "--add-opens java.base/java.lang=ALL-UNNAMED", e);
        }
    }

    private static void checkJdkParallelismIsOne() {
        String p = System.getProperty("jdk.virtualThreadScheduler.parallelism");
        if (!"1".equals(p)) {
            throw new IllegalStateException("the 'jdk' baseline needs -Djdk.virtualThreadScheduler.parallelism=1 "
                    + "(was " + p + ")");
        }
    }
}
