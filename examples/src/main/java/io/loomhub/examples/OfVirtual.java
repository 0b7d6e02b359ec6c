package io.loomhub.examples;

import io.loomhub.scheduler.Hub;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The hub as the scheduler of {@code Thread.ofVirtual}: {@code hub.ofVirtual()} is the JDK's own
 * {@code Thread.Builder.OfVirtual}, so names, factories and uncaught-exception handlers work as usual. Virtual
 * threads that hub threads create with the plain JDK API ({@code Thread.ofVirtual()},
 * {@code Executors.newVirtualThreadPerTaskExecutor()}) inherit the hub: library code that starts its own virtual
 * threads stays on the hub without knowing it.
 *
 * <p>Run: {@code scripts/run-example OfVirtual}. Each line names a thread, the carrier it ran on (from the JDK's
 * own {@code toString()}), and the hub {@code Hub.current()} reports. The last line is a contrast: a virtual thread
 * started from {@code main} runs on the JDK's default scheduler.
 */
public final class OfVirtual {

    private OfVirtual() { }

    public static void main(String[] args) throws Exception {
        try (Hub hub = Hub.builder().name("builder-demo").build()) {
            List<String> lines = run(hub, 3);
            lines.forEach(System.out::println);
            String outside = describeOutsideHub();
            System.out.println(outside);
            boolean ok = lines.stream().allMatch(l -> l.contains("@" + hub.carrierThread().getName()));
            System.out.println(ok ? "every worker and child ran on '" + hub.carrierThread().getName() + "'"
                    : "NOT every worker and child ran on the hub");
            if (!ok) {
                System.exit(1);
            }
        }
    }

    /**
     * Starts {@code workers} threads named worker-0, worker-1, ... on the hub; each starts two children with
     * {@code Thread.ofVirtual()} and one task with {@code Executors.newVirtualThreadPerTaskExecutor()}, and waits for
     * them. Returns one line per thread, sorted. Call from outside the hub.
     */
    public static List<String> run(Hub hub, int workers) throws InterruptedException {
        ConcurrentLinkedQueue<String> lines = new ConcurrentLinkedQueue<>();
        List<Thread> started = new ArrayList<>();
        Thread.Builder.OfVirtual builder = hub.ofVirtual().name("worker-", 0);
        for (int i = 0; i < workers; i++) {
            started.add(builder.start(() -> {
                lines.add(describe(Thread.currentThread()));
                String me = Thread.currentThread().getName();
                // Plain JDK API, as library code would write it: no hub in sight.
                Thread a = Thread.ofVirtual().name(me + "/child-a").start(() -> lines.add(describe(Thread.currentThread())));
                Thread b = Thread.ofVirtual().name(me + "/child-b").start(() -> lines.add(describe(Thread.currentThread())));
                try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
                    pool.submit(() -> lines.add(describe(Thread.currentThread()) + "  [executor task]"));
                }
                try {
                    a.join();
                    b.join();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }));
        }
        for (Thread t : started) {
            if (!t.join(Duration.ofSeconds(10))) {
                throw new IllegalStateException(t + " did not end within 10 s");
            }
        }
        return lines.stream().sorted().toList();
    }

    /** A line for the calling thread: its name, its carrier and its hub. */
    static String describe(Thread t) {
        String name = t.getName().isEmpty() ? "(unnamed)" : t.getName();
        return String.format("%-22s ran on @%s, Hub.current() = %s", name, CarrierLog.carrierOf(t),
                Hub.current().map(Hub::name).orElse("none"));
    }

    /** The contrast: a plain virtual thread started from a platform thread runs on the JDK's default scheduler. */
    static String describeOutsideHub() throws InterruptedException {
        String[] line = new String[1];
        Thread t = Thread.ofVirtual().name("started-from-main").start(() -> line[0] = describe(Thread.currentThread()));
        t.join();
        return line[0] + "  [contrast: not on the hub]";
    }
}
