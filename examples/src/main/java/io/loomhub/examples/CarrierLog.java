package io.loomhub.examples;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * Records which carrier thread ran each sampled slice, from the JDK's own description of a mounted virtual thread
 * ({@code VirtualThread[#22,name]/runnable@carrier-name}), so the proof that everything ran on the hub's carrier
 * does not depend on loomhub's code. Safe for any number of threads at once.
 */
public final class CarrierLog {

    private final ConcurrentHashMap<String, LongAdder> seen = new ConcurrentHashMap<>();

    /** Records the carrier of the calling thread; call it once in each slice worth checking. */
    public void note() {
        seen.computeIfAbsent(carrierOf(Thread.currentThread()), k -> new LongAdder()).increment();
    }

    /**
     * The carrier a thread is mounted on, as the JDK prints it: the text after the last {@code @} of a virtual
     * thread's {@code toString()}. A platform thread is described as such, since it has no carrier.
     */
    public static String carrierOf(Thread thread) {
        if (!thread.isVirtual()) {
            return "platform thread '" + thread.getName() + "'";
        }
        String s = thread.toString();
        int at = s.lastIndexOf('@');
        return at < 0 ? "unmounted" : s.substring(at + 1);
    }

    /** Samples taken so far, by carrier name (sorted). */
    public Map<String, Long> byCarrier() {
        Map<String, Long> m = new TreeMap<>();
        seen.forEach((k, v) -> m.put(k, v.sum()));
        return m;
    }

    /** All samples taken so far. */
    public long samples() {
        return seen.values().stream().mapToLong(LongAdder::sum).sum();
    }

    /** Whether at least one sample was taken and every sample ran on {@code carrier}. */
    public boolean allOn(Thread carrier) {
        Map<String, Long> m = byCarrier();
        return !m.isEmpty() && m.keySet().equals(java.util.Set.of(carrier.getName()));
    }
}
