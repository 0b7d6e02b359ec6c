package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
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

    /** The comparator libc's qsort calls back: it parks, under qsort's native frame. */
    static int compareAfterParking(MemorySegment a, MemorySegment b) {
        LockSupport.parkNanos(Duration.ofMillis(5).toNanos());
        return Integer.compare(a.get(ValueLayout.JAVA_INT, 0), b.get(ValueLayout.JAVA_INT, 0));
    }

    /** Sorts two ints with libc's qsort and a Java comparator that parks: a park under a native frame. */
    static void sortInNativeCodeThatCallsBackAndParks() {
        Linker linker = Linker.nativeLinker();
        MethodHandle qsort = linker.downcallHandle(linker.defaultLookup().find("qsort").orElseThrow(),
                FunctionDescriptor.ofVoid(ValueLayout.ADDRESS, ValueLayout.JAVA_LONG, ValueLayout.JAVA_LONG,
                        ValueLayout.ADDRESS));
        try (Arena arena = Arena.ofConfined()) {
            MethodHandle compare = MethodHandles.lookup().findStatic(PinningTest.class, "compareAfterParking",
                    MethodType.methodType(int.class, MemorySegment.class, MemorySegment.class));
            FunctionDescriptor compareDescriptor = FunctionDescriptor.of(ValueLayout.JAVA_INT,
                    ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_INT),
                    ValueLayout.ADDRESS.withTargetLayout(ValueLayout.JAVA_INT));
            MemorySegment comparator = linker.upcallStub(compare, compareDescriptor, arena);
            MemorySegment ints = arena.allocateFrom(ValueLayout.JAVA_INT, 2, 1);
            qsort.invokeExact(ints, 2L, 4L, comparator);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void parkUnderANativeFrameIsCountedAsPinned() throws Exception {
        try (Hub hub = Hub.builder().name("native-pinning").reportPinning(true).build()) {
            Thread t = hub.spawn(PinningTest::sortInNativeCodeThatCallsBackAndParks);
            assertTrue(t.join(Duration.ofSeconds(10)));
            await().atMost(Duration.ofSeconds(15)).until(() -> hub.stats().pinnedParks() >= 1);
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
