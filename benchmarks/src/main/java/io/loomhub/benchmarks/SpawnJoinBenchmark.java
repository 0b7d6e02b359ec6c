package io.loomhub.benchmarks;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * gevent's {@code joinall(spawn(...) for ...)}: a virtual thread on the scheduler starts {@value #THREADS} short
 * threads and joins each. Score: threads started and joined per second.
 */
public class SpawnJoinBenchmark extends SchedulerBenchmark {

    static final int THREADS = 1000;

    private final LongAdder work = new LongAdder();

    @Benchmark
    @OperationsPerInvocation(THREADS)
    public void spawnAndJoin() throws InterruptedException {
        ThreadFactory factory = schedulers.factory();
        Thread driver = schedulers.start(() -> {
            Thread[] threads = new Thread[THREADS];
            for (int i = 0; i < THREADS; i++) {
                threads[i] = factory.newThread(work::increment);
                threads[i].start();
            }
            try {
                for (Thread t : threads) {
                    t.join();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        driver.join();
    }
}
