package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;

class PinningTest {

    /** A class whose initialiser parks: on JDK 25 a park under {@code <clinit>} still pins the carrier. */
    static final class ParksWhileInitialising {
        static final long PARKED_NANOS;
        static {
            long start = System.nanoTime();
            LockSupport.parkNanos(Duration.ofMillis(30).toNanos());
            PARKED_NANOS = System.nanoTime() - start;
        }

        static long touch() {
            return PARKED_NANOS;
        }
    }

    @Test
    void parkInsideClassInitialiserIsCountedAsPinned() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Hub hub = Hub.builder().name("pinning").reportPinning(true).build();
                HubMetrics metrics = new HubMetrics(hub)) {
            metrics.bindTo(registry);
            Thread t = hub.spawn(ParksWhileInitialising::touch);
            assertTrue(t.join(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(15)).until(() -> hub.stats().pinnedParks() >= 1);
            assertEquals(hub.stats().pinnedParks(),
                    registry.get("loomhub.pinned.parks").tag("hub", "pinning").functionCounter().count());
        }
    }

    @Test
    void ordinaryParksAndMonitorsAreNotCountedAsPinned() throws Exception {
        try (Hub hub = Hub.builder().name("not-pinning").reportPinning(true).build()) {
            Object lock = new Object();
            Thread t = hub.spawn(() -> {
                synchronized (lock) { // JDK 24+: parking while holding a monitor no longer pins
                    LockSupport.parkNanos(Duration.ofMillis(20).toNanos());
                }
            });
            assertTrue(t.join(Duration.ofSeconds(10)));
            // A pinned park would be reported within JFR's flush interval (about a second).
            await().during(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3))
                    .until(() -> hub.stats().pinnedParks() == 0);
        }
    }
}
