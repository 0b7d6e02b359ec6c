package io.loomhub.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * A fixed-size log-linear histogram of nanosecond values (HdrHistogram's layout, cut down): each power of two is
 * split into {@value #SUB_BUCKETS} equal buckets, so a value is placed within 12.5% of itself, and the whole range
 * of a {@code long} fits in {@value #BUCKETS} counters. Recording is an index computation and four array writes:
 * no allocation, no lock.
 *
 * <p>Two ways to record: {@link #record(long)} for a single writer (the carrier) with plain writes, which readers
 * see at the writer's next release fence (the hub publishes at park points); {@link #recordConcurrent(long)} for
 * many writers (offload threads) with atomic adds. Do not mix them on one instance. Any thread may
 * {@linkplain #snapshot(long[]) read}.
 */
final class NanoHistogram {

    /** Bits of a value kept below its leading one: 3 bits, 8 buckets per power of two. */
    private static final int SUB_BITS = 3;
    static final int SUB_BUCKETS = 1 << SUB_BITS;
    /** Values below {@value #SUB_BUCKETS} get one bucket each; then 8 buckets per power of two up to 2^63. */
    static final int BUCKETS = (63 - SUB_BITS + 1) * SUB_BUCKETS;

    /** Indices after the buckets, in the same array, so a snapshot is one copy. */
    static final int COUNT = BUCKETS;
    static final int SUM = BUCKETS + 1;
    static final int MAX = BUCKETS + 2;
    /** Length of the array {@link #snapshot(long[])} fills. */
    static final int SNAPSHOT_LENGTH = BUCKETS + 3;

    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);

    private final long[] cells = new long[SNAPSHOT_LENGTH];

    /** The bucket of a value; negative values go to bucket 0. */
    static int indexOf(long value) {
        if (value < SUB_BUCKETS) {
            return value < 0 ? 0 : (int) value;
        }
        int exponent = 63 - Long.numberOfLeadingZeros(value);           // >= SUB_BITS
        int sub = (int) (value >>> (exponent - SUB_BITS)) & (SUB_BUCKETS - 1);
        return (exponent - SUB_BITS + 1) * SUB_BUCKETS + sub;
    }

    /** The smallest value that lands in a bucket. */
    static long lowerBound(int index) {
        if (index < SUB_BUCKETS) {
            return index;
        }
        int exponent = index / SUB_BUCKETS + SUB_BITS - 1;
        long sub = index % SUB_BUCKETS;
        return (SUB_BUCKETS + sub) << (exponent - SUB_BITS);
    }

    /** The largest value that lands in a bucket. */
    static long upperBound(int index) {
        return index + 1 >= BUCKETS ? Long.MAX_VALUE : lowerBound(index + 1) - 1;
    }

    /** Records one value. Single writer only; plain writes. */
    void record(long value) {
        long[] c = cells;
        c[indexOf(value)]++;
        c[COUNT]++;
        c[SUM] += value;
        if (value > c[MAX]) {
            c[MAX] = value;
        }
    }

    /** Records one value. Any number of writers; atomic adds. */
    void recordConcurrent(long value) {
        long[] c = cells;
        LONGS.getAndAdd(c, indexOf(value), 1L);
        LONGS.getAndAdd(c, COUNT, 1L);
        LONGS.getAndAdd(c, SUM, value);
        long max;
        while (value > (max = (long) LONGS.getVolatile(c, MAX)) && !LONGS.compareAndSet(c, MAX, max, value)) {
            Thread.onSpinWait();
        }
    }

    /** Values recorded so far. Any thread. */
    long count() {
        return (long) LONGS.getOpaque(cells, COUNT);
    }

    /** Sum of the values recorded so far, in nanoseconds. Any thread. */
    long sum() {
        return (long) LONGS.getOpaque(cells, SUM);
    }

    /** Largest value recorded so far. Any thread. */
    long max() {
        return (long) LONGS.getOpaque(cells, MAX);
    }

    /**
     * Copies the buckets, then count, sum and max, into {@code into} (at least {@link #SNAPSHOT_LENGTH} long).
     * Any thread; the copy is not atomic, so while the writer runs count may differ slightly from the buckets'
     * total.
     */
    long[] snapshot(long[] into) {
        VarHandle.acquireFence();
        for (int i = 0; i < SNAPSHOT_LENGTH; i++) {
            into[i] = (long) LONGS.getOpaque(cells, i);
        }
        return into;
    }

    /**
     * The value at a percentile of the values counted in {@code buckets} (the first {@link #BUCKETS} cells of a
     * snapshot, or of a difference of two snapshots): the upper bound of the bucket that holds it, capped at
     * {@code max}.
     *
     * @param buckets    bucket counts
     * @param percentile between 0 and 1
     * @param max        a cap (the largest value known), or {@link Long#MAX_VALUE}
     * @return the value in nanoseconds, or 0 when no value was counted
     */
    static long valueAtPercentile(long[] buckets, double percentile, long max) {
        long total = 0;
        for (int i = 0; i < BUCKETS; i++) {
            total += buckets[i];
        }
        if (total == 0) {
            return 0;
        }
        long rank = Math.max(1, (long) Math.ceil(percentile * total));
        long seen = 0;
        for (int i = 0; i < BUCKETS; i++) {
            seen += buckets[i];
            if (seen >= rank) {
                return Math.min(upperBound(i), max);
            }
        }
        return Math.min(upperBound(BUCKETS - 1), max);
    }

    /** The upper bound of the highest non-empty bucket, capped at {@code max}; 0 when empty. */
    static long highest(long[] buckets, long max) {
        for (int i = BUCKETS - 1; i >= 0; i--) {
            if (buckets[i] != 0) {
                return Math.min(upperBound(i), max);
            }
        }
        return 0;
    }
}
