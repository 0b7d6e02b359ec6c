package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SliceRecorderTest {

    @Test
    void externalSampleIsMatchedToItsOwnTaskInQueueOrder() {
        SliceRecorder r = new SliceRecorder();
        r.binderBound(true);
        Runnable sampled = () -> { };
        Runnable other = () -> { };
        long before = System.nanoTime();
        r.offeringExternal(sampled);          // claims the slot: stamped now
        long after = System.nanoTime();
        r.offeringExternal(other);            // slot taken: not sampled
        r.enqueuedFromExternal(other);        // queue position 0
        r.enqueuedFromExternal(sampled);      // queue position 1: the sample
        r.sliceStarting();                    // position 0 runs: no record
        assertEquals(0, r.schedulingLatency.count());
        long spinUntil = after + 1_000_000;
        while (System.nanoTime() - spinUntil < 0) {
            Thread.onSpinWait();
        }
        r.sliceStarting();                    // position 1 runs: recorded from the producer's stamp
        long end = System.nanoTime();
        assertEquals(1, r.schedulingLatency.count());
        long latency = r.schedulingLatency.sum();
        assertTrue(latency >= 1_000_000 && latency <= end - before, "latency " + latency);
    }

    @Test
    void oneLocalSubmissionInSixteenIsSampledAndNoneWhenUnbound() {
        SliceRecorder r = new SliceRecorder();
        r.enqueuedLocal();                    // submission 0, unbound
        r.sliceStarting();
        assertEquals(0, r.schedulingLatency.count(), "unbound: no samples");
        r.binderBound(true);
        for (int i = 0; i < 32; i++) {        // submissions 1..32: 16 and 32 are sampled
            r.enqueuedLocal();
            r.sliceStarting();
            r.sliceEnded(100);
        }
        assertEquals(2, r.schedulingLatency.count());
        assertEquals(32, r.sliceLength.count());
        // A deep queue: every 16th submission is sampled, at most 8 in flight.
        for (int i = 0; i < 1000; i++) {
            r.enqueuedLocal();
        }
        for (int i = 0; i < 1000; i++) {
            r.sliceStarting();
        }
        assertEquals(2 + SliceRecorder.IN_FLIGHT, r.schedulingLatency.count());
    }
}
