package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class HubSmokeTest {

    @Test
    void runsAThreadAndSleepsOnTheCarrier() throws Exception {
        try (Hub hub = Hub.builder().name("smoke").build()) {
            AtomicBoolean onCarrier = new AtomicBoolean();
            Thread t = hub.spawn(() -> {
                try {
                    Thread.sleep(20); // the behaviour under test: a sleep is a hub timer, woken on the carrier
                } catch (InterruptedException e) {
                    throw new RuntimeException(e);
                }
                onCarrier.set(HubTestSupport.onCarrier(hub.carrierThread()));
            });
            assertTrue(t.join(Duration.ofSeconds(5)));
            assertTrue(onCarrier.get());
            HubStats s = hub.stats();
            assertEquals(1, s.startedThreads());
        }
    }
}
