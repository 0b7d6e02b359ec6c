package io.loomhub.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * The carrier's recorder of slice lengths and scheduling latencies, for {@link HubMetrics}. Owned by the carrier
 * (plain fields, no atomics on the hot path); it records only while at least one {@link HubMetrics} is bound, so
 * a hub nobody measures pays one plain load per batch of slices and per submission.
 *
 * <h2>Slice length</h2>
 * Every slice: from the end of the previous slice (or the start of the batch) to the moment the task returns (the
 * virtual thread parked, yielded or ended). The hub reads the clock after each slice only while this recorder is
 * {@linkplain #enabled() enabled} (it checks once per batch); otherwise it reads it once per batch.
 *
 * <h2>Scheduling latency, sampled</h2>
 * From the call to {@link Hub#execute} that submitted a resume (an unpark, a timer firing, a thread start) to the
 * start of the slice that runs it. Stamping every submission would need a clock read and somewhere to keep the
 * stamp; instead:
 * <ul>
 *   <li>Local submissions (on the carrier) are sampled: every {@value #SAMPLE_EVERY}th submission while fewer
 *       than {@value #IN_FLIGHT} samples are in flight. A sample is the
 *       submission's position in the FIFO run queue and its time; since the queue is FIFO, the slice whose
 *       dequeue number equals that position is the sampled one. Two plain counters and a compare per task.</li>
 *   <li>External submissions (other threads) are sampled through one slot: one producer offer in
 *       {@value #SAMPLE_EVERY} (a racy counter) that finds it empty
 *       claims it, writes its time and its task, then enqueues; the carrier, as it moves each task from the MPSC
 *       queue to the run queue, compares the task with the slot (one load), and a match becomes an in-flight
 *       sample with the producer's time. So the external time includes the wait in the MPSC queue.</li>
 * </ul>
 * A sampled slice reads the clock when it starts (the hub's own slice start is the end of the previous slice,
 * which may precede a producer's stamp). Both are exact for the tasks they sample; what is sampled is a subset, so the latency histogram's count is a
 * sample count, not a submission count.
 */
final class SliceRecorder {

    /** Most samples in flight at once (a power of two). */
    static final int IN_FLIGHT = 8;
    /** With samples already in flight, one local submission in this many starts another (a power of two). */
    static final int SAMPLE_EVERY = 16;

    private static final Runnable CLAIMED = () -> { };
    private static final VarHandle EXTERNAL_TASK;
    private static final VarHandle ENABLED;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            EXTERNAL_TASK = l.findVarHandle(SliceRecorder.class, "externalTask", Runnable.class);
            ENABLED = l.findVarHandle(SliceRecorder.class, "enabled", boolean.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    final NanoHistogram sliceLength = new NanoHistogram();
    final NanoHistogram schedulingLatency = new NanoHistogram();

    // ---- carrier only ----
    private long enqueued;
    private long dequeued;
    private final long[] sampleSeq = new long[IN_FLIGHT];
    private final long[] sampleStamp = new long[IN_FLIGHT];
    private int head;
    private int inFlight;

    // ---- shared ----
    @SuppressWarnings("unused") // through EXTERNAL_TASK
    private volatile Runnable externalTask;
    private long externalStamp;                 // written before externalTask is released, read after it is acquired
    /** External offers seen, for sampling one in {@link #SAMPLE_EVERY}; racy on purpose (a lost count only shifts
     *  which offer is sampled), so producers pay no atomic for it. */
    private long externalOffers;
    private int binders;                        // guarded by this
    @SuppressWarnings("unused") // through ENABLED
    private volatile boolean enabled;

    /** Whether a metrics binder wants the histograms. Any thread; a plain load. */
    boolean enabled() {
        return (boolean) ENABLED.getOpaque(this);
    }

    /** A binder starts or stops wanting the histograms. Any thread. */
    synchronized void binderBound(boolean bound) {
        binders += bound ? 1 : -1;
        ENABLED.setVolatile(this, binders > 0);
    }

    /** A task was put on the carrier's run queue by the carrier itself. Carrier only. */
    void enqueuedLocal() {
        long seq = enqueued++;
        // One submission in SAMPLE_EVERY: a sample costs two clock reads (about 30 ns each on a VM), which on every
        // submission cost a third of a ping-pong's throughput (MetricsBenchmark).
        if ((seq & (SAMPLE_EVERY - 1)) == 0 && inFlight < IN_FLIGHT && enabled()) {
            addSample(seq, System.nanoTime());
        }
    }

    /** Another thread is about to offer {@code task} to the MPSC queue. Any thread but the carrier. */
    void offeringExternal(Runnable task) {
        if (enabled() && (externalOffers++ & (SAMPLE_EVERY - 1)) == 0
                && EXTERNAL_TASK.getOpaque(this) == null && EXTERNAL_TASK.compareAndSet(this, null, CLAIMED)) {
            externalStamp = System.nanoTime();
            EXTERNAL_TASK.setRelease(this, task);
        }
    }

    /** A task taken from the MPSC queue was put on the run queue. Carrier only. */
    void enqueuedFromExternal(Runnable task) {
        long seq = enqueued++;
        if (task == EXTERNAL_TASK.getAcquire(this)) {
            long stamp = externalStamp;
            EXTERNAL_TASK.setRelease(this, null);
            if (inFlight < IN_FLIGHT) {
                addSample(seq, stamp);
            }
        }
    }

    /**
     * The next task of the run queue starts its slice. Carrier only. The hub's own slice start time is the end of
     * the previous slice, which can precede an external producer's stamp (the carrier read the clock, then drained
     * the task); a sampled slice reads the clock afresh.
     */
    void sliceStarting() {
        long seq = dequeued++;
        // Samples are in queue order; one behind the queue (none should be) is dropped rather than kept for ever.
        while (inFlight != 0 && sampleSeq[head] - seq <= 0) {
            if (sampleSeq[head] == seq) {
                schedulingLatency.record(Math.max(0, System.nanoTime() - sampleStamp[head]));
            }
            head = (head + 1) & (IN_FLIGHT - 1);
            inFlight--;
        }
    }

    /** A slice ran for {@code nanos}. Carrier only. */
    void sliceEnded(long nanos) {
        if (enabled()) {
            sliceLength.record(nanos);
        }
    }

    private void addSample(long seq, long stamp) {
        int tail = (head + inFlight) & (IN_FLIGHT - 1);
        sampleSeq[tail] = seq;
        sampleStamp[tail] = stamp;
        inFlight++;
    }
}
