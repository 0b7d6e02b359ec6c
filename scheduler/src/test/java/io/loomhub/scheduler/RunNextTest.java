package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** {@link ReactorFactory.Host#runNext}: work that finishes a slice runs as soon as that slice ends. */
class RunNextTest {

    /** Captures the host the hub hands its reactor. */
    private static final class CapturingFactory implements ReactorFactory {
        final CompletableFuture<Host> host = new CompletableFuture<>();

        @Override
        public Reactor create(Host h) {
            host.complete(h);
            return ReactorFactory.parking().create(h);
        }
    }

    @Test
    void runsRightAfterTheSliceThatQueuedItAheadOfThreadsQueuedEarlier() throws Exception {
        CapturingFactory factory = new CapturingFactory();
        try (Hub hub = Hub.builder().name("run-next").reactor(factory).build()) {
            ReactorFactory.Host host = factory.host.get(10, TimeUnit.SECONDS);
            List<String> order = new CopyOnWriteArrayList<>();
            CountDownLatch done = new CountDownLatch(2);
            hub.spawn(() -> {
                // Queue B behind this slice, then ask for a callback: it must run before B.
                hub.ofVirtual().start(() -> {
                    order.add("B");
                    done.countDown();
                });
                host.runNext(() -> order.add("after A"));
                order.add("A");
                done.countDown();
            });
            assertEquals(true, done.await(10, TimeUnit.SECONDS));
            assertEquals(List.of("A", "after A", "B"), order);
        }
    }

    @Test
    void aFailingCallbackDoesNotStopTheHub() throws Exception {
        CapturingFactory factory = new CapturingFactory();
        try (Hub hub = Hub.builder().name("run-next-fail").reactor(factory).build()) {
            ReactorFactory.Host host = factory.host.get(10, TimeUnit.SECONDS);
            hub.spawn(() -> host.runNext(() -> {
                throw new IllegalStateException("expected by the test");
            })).join(Duration.ofSeconds(10));
            CompletableFuture<String> after = new CompletableFuture<>();
            hub.spawn(() -> after.complete("ran"));
            assertEquals("ran", after.get(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void refusedOffTheCarrier() throws Exception {
        CapturingFactory factory = new CapturingFactory();
        try (Hub hub = Hub.builder().name("run-next-foreign").reactor(factory).build()) {
            ReactorFactory.Host host = factory.host.get(10, TimeUnit.SECONDS);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> host.runNext(() -> { }));
            assertEquals(true, e.getMessage().contains("run-next-foreign"));
        }
    }
}
