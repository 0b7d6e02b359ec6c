package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

/**
 * No wake-up is lost when other threads resume hub threads while the carrier goes to sleep. A lost wake-up
 * leaves a hub thread parked with its signal already sent: the test then never completes.
 */
class WakeupTest {

    private static final int PRODUCERS = 4;

    /** Ping-pong: every round trip makes the carrier sleep and a foreign thread wake it. */
    @Test
    void foreignUnparksNeverLoseAWakeupInPingPong() throws Exception {
        runPingPong(ReactorFactory.parking(), 50_000);
    }

    /** Floods: producers unpark as fast as they can while hub threads park and unpark each other. */
    @Test
    void millionsOfForeignUnparksAllArrive() throws Exception {
        try (Hub hub = Hub.builder().name("flood").reactor(ReactorFactory.parking()).build()) {
            final long signals = 500_000; // per producer: 2 M unparks in all
            List<Thread> consumers = new ArrayList<>();
            List<AtomicLong> produced = new ArrayList<>();
            for (int i = 0; i < PRODUCERS; i++) {
                AtomicLong p = new AtomicLong();
                produced.add(p);
                consumers.add(hub.spawn(() -> {
                    long consumed = 0;
                    while (consumed < signals) {
                        long now = p.get();
                        if (now > consumed) {
                            consumed = now;
                        } else {
                            LockSupport.park();
                        }
                    }
                }));
            }
            List<Thread> producers = new ArrayList<>();
            for (int i = 0; i < PRODUCERS; i++) {
                AtomicLong p = produced.get(i);
                Thread c = consumers.get(i);
                producers.add(Thread.ofPlatform().start(() -> {
                    for (long s = 0; s < signals; s++) {
                        p.incrementAndGet();
                        LockSupport.unpark(c);
                    }
                }));
            }
            for (Thread t : producers) {
                t.join();
            }
            for (Thread t : consumers) {
                assertTrue(t.join(Duration.ofSeconds(60)), "a hub thread missed its last wake-up: " + t);
            }
            assertTrue(hub.stats().externalSubmissions() > 0);
        }
    }

    static void runPingPong(ReactorFactory reactor, int roundTrips) throws Exception {
        try (Hub hub = Hub.builder().name("ping-pong").reactor(reactor).build()) {
            List<Thread> platform = new ArrayList<>();
            List<Thread> hubThreads = new ArrayList<>();
            AtomicLong completed = new AtomicLong();
            for (int i = 0; i < PRODUCERS; i++) {
                AtomicLong ball = new AtomicLong(); // odd: with the hub thread; even: with the platform thread
                Thread[] platformThread = new Thread[1];
                Thread hubThread = hub.spawn(() -> {
                    for (long n = 0; n < roundTrips; n++) {
                        while (ball.get() % 2 == 0) {
                            LockSupport.park();
                        }
                        ball.incrementAndGet();
                        LockSupport.unpark(platformThread[0]);
                    }
                    completed.incrementAndGet();
                });
                hubThreads.add(hubThread);
                platformThread[0] = Thread.ofPlatform().unstarted(() -> {
                    for (long n = 0; n < roundTrips; n++) {
                        ball.incrementAndGet();
                        LockSupport.unpark(hubThread);
                        while (ball.get() % 2 == 1) {
                            LockSupport.park();
                        }
                    }
                });
                platform.add(platformThread[0]);
            }
            platform.forEach(Thread::start);
            await().atMost(Duration.ofSeconds(60)).until(() -> completed.get() == PRODUCERS);
            for (Thread t : platform) {
                assertTrue(t.join(Duration.ofSeconds(10)));
            }
            assertEquals(PRODUCERS, completed.get());
        }
    }
}
