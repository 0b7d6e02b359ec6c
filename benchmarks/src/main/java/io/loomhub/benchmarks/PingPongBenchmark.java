package io.loomhub.benchmarks;

import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.locks.LockSupport;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.OperationsPerInvocation;

/**
 * Two virtual threads on one scheduler hand a token back and forth: the cost of one switch pair
 * (thread → scheduler → thread, twice). Score: round trips per second. Each invocation starts the pair and does
 * {@value #ROUND_TRIPS} round trips, so the start and join cost is amortised to a few nanoseconds.
 */
public class PingPongBenchmark extends SchedulerBenchmark {

    static final int ROUND_TRIPS = 10_000;

    /** The token is a volatile int; the threads wake each other with {@link LockSupport#unpark}. */
    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void parkUnpark() throws InterruptedException {
        runParkPair(schedulers);
    }

    /** Starts a {@link ParkPair} on {@code schedulers} and waits until it has done its round trips. */
    static void runParkPair(Schedulers schedulers) throws InterruptedException {
        ParkPair pair = new ParkPair();
        Thread pong = schedulers.factory().newThread(pair::pong);
        pair.pong = pong;
        Thread ping = schedulers.factory().newThread(pair::ping);
        pair.ping = ping;
        pong.start();
        ping.start();
        ping.join();
        pong.join();
    }

    /** The token goes through one {@link SynchronousQueue}: each hand-off parks the one and unparks the other. */
    @Benchmark
    @OperationsPerInvocation(ROUND_TRIPS)
    public void synchronousQueue() throws InterruptedException {
        SynchronousQueue<Integer> queue = new SynchronousQueue<>();
        Integer token = 1;
        Thread pong = schedulers.start(() -> {
            try {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    queue.put(queue.take());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        Thread ping = schedulers.start(() -> {
            try {
                for (int i = 0; i < ROUND_TRIPS; i++) {
                    queue.put(token);
                    queue.take();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        ping.join();
        pong.join();
    }

    /** turn: 1 = pong's move, 0 = ping's move. */
    static final class ParkPair {
        volatile int turn;
        volatile Thread ping;
        volatile Thread pong;

        void ping() {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                turn = 1;
                LockSupport.unpark(pong);
                while (turn != 0) {
                    LockSupport.park(this);
                }
            }
        }

        void pong() {
            for (int i = 0; i < ROUND_TRIPS; i++) {
                while (turn != 1) {
                    LockSupport.park(this);
                }
                turn = 0;
                LockSupport.unpark(ping);
            }
        }
    }
}
