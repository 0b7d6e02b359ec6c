package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** {@link Hub#runWhenThreadEnds} and {@link Hub#threadEndAction}: per-thread end actions, and finding them again. */
class ThreadEndActionsTest {

    private Hub hub;

    @BeforeEach
    void start() {
        hub = Hub.builder().name("end-actions").reactor(ReactorFactory.parking())
                .shutdownTimeout(Duration.ofSeconds(2)).build();
    }

    @AfterEach
    void stop() throws InterruptedException {
        hub.close();
        assertTrue(hub.awaitTermination(Duration.ofSeconds(10)));
    }

    /** An end action that records where it ran. */
    private record Recording(String name, List<String> ran, Thread carrier) implements Runnable {
        @Override
        public void run() {
            ran.add(name + (Thread.currentThread() == carrier ? "@carrier" : "@" + Thread.currentThread()));
        }
    }

    /** Another class of end action, so a lookup by class has something to tell apart. */
    private record Other(List<String> ran) implements Runnable {
        @Override
        public void run() {
            ran.add("other");
        }
    }

    @Test
    void actionsAreFoundByClassUntilTheyRunOnceOnTheCarrier() throws Exception {
        List<String> ran = new CopyOnWriteArrayList<>();
        CountDownLatch release = new CountDownLatch(1);
        CompletableFuture<Thread> started = new CompletableFuture<>();
        Thread t = hub.spawn(() -> {
            started.complete(Thread.currentThread());
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        assertSame(t, started.get(10, TimeUnit.SECONDS));
        assertNull(hub.threadEndAction(t, Recording.class), "nothing registered yet");

        Recording first = new Recording("first", ran, hub.carrierThread());
        Recording second = new Recording("second", ran, hub.carrierThread());
        Other other = new Other(ran);
        assertTrue(hub.runWhenThreadEnds(t, first));
        assertSame(first, hub.threadEndAction(t, Recording.class), "the only action is found");
        assertNull(hub.threadEndAction(t, Other.class), "no action of another class");
        assertTrue(hub.runWhenThreadEnds(t, other));
        assertTrue(hub.runWhenThreadEnds(t, second));
        assertSame(first, hub.threadEndAction(t, Recording.class), "the first of its class, among several");
        assertSame(other, hub.threadEndAction(t, Other.class));
        assertSame(first, hub.threadEndAction(t, Runnable.class), "a supertype matches too");

        release.countDown();
        assertTrue(t.join(Duration.ofSeconds(10)));
        org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(10)).until(() -> ran.size() == 3);
        assertEquals(List.of("first@carrier", "other", "second@carrier"), ran, "each ran once, in order");
        assertNull(hub.threadEndAction(t, Recording.class), "an ended thread has no actions");
        assertFalse(hub.runWhenThreadEnds(t, first), "nor takes new ones");
    }

    @Test
    void threadsOfNoHubHaveNoActions() throws Exception {
        Thread platform = Thread.currentThread();
        assertNull(hub.threadEndAction(platform, Runnable.class));
        assertFalse(hub.runWhenThreadEnds(platform, () -> { }));
        Thread foreign = Thread.ofVirtual().start(() -> { });
        foreign.join();
        assertNull(hub.threadEndAction(foreign, Runnable.class));
    }
}
