package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class NanoHistogramTest {

    @Test
    void everyValueLandsInABucketWhoseBoundsHoldItWithinAnEighth() {
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        for (int i = 0; i < 100_000; i++) {
            long v = rnd.nextLong(Long.MAX_VALUE) >>> rnd.nextInt(63);
            int index = NanoHistogram.indexOf(v);
            assertTrue(index >= 0 && index < NanoHistogram.BUCKETS);
            long lo = NanoHistogram.lowerBound(index);
            long hi = NanoHistogram.upperBound(index);
            assertTrue(lo <= v && v <= hi, v + " in [" + lo + ", " + hi + "]");
            assertTrue(hi - lo <= Math.max(0, lo / 8), "bucket width of " + v);
        }
        assertEquals(NanoHistogram.BUCKETS - 1, NanoHistogram.indexOf(Long.MAX_VALUE));
        assertEquals(0, NanoHistogram.indexOf(-5));
    }

    @Test
    void percentilesOfAUniformRangeAreWithinBucketPrecision() {
        NanoHistogram h = new NanoHistogram();
        for (long v = 1; v <= 10_000; v++) {
            h.record(v * 1_000);
        }
        long[] snap = h.snapshot(new long[NanoHistogram.SNAPSHOT_LENGTH]);
        assertEquals(10_000, snap[NanoHistogram.COUNT]);
        assertEquals(10_000_000, snap[NanoHistogram.MAX]);
        long p50 = NanoHistogram.valueAtPercentile(snap, 0.5, h.max());
        long p99 = NanoHistogram.valueAtPercentile(snap, 0.99, h.max());
        assertTrue(Math.abs(p50 - 5_000_000) <= 5_000_000 / 8, "p50 " + p50);
        assertTrue(Math.abs(p99 - 9_900_000) <= 9_900_000 / 8, "p99 " + p99);
        assertEquals(10_000_000, NanoHistogram.highest(snap, h.max()));
    }
}
