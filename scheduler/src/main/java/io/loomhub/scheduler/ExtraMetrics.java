package io.loomhub.scheduler;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/**
 * The {@link HubMetric}s other modules registered on one hub, and the binders to tell about new ones. Listeners are
 * called outside this object's lock (they take their binder's lock), each metric exactly once per listener.
 */
final class ExtraMetrics {

    private final CopyOnWriteArrayList<HubMetric> metrics = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Consumer<HubMetric>> listeners = new CopyOnWriteArrayList<>();

    /** Adds a metric and tells the listeners. Any thread. */
    void add(HubMetric metric) {
        List<Consumer<HubMetric>> toTell;
        synchronized (this) {
            for (HubMetric m : metrics) {
                if (m.name().equals(metric.name())) {
                    throw new IllegalArgumentException("a hub metric named '" + metric.name()
                            + "' is already registered");
                }
            }
            metrics.add(metric);
            toTell = List.copyOf(listeners);
        }
        for (Consumer<HubMetric> l : toTell) {
            l.accept(metric);
        }
    }

    /** The registered metrics. Any thread. */
    List<HubMetric> list() {
        return List.copyOf(metrics);
    }

    /** Calls {@code listener} for every metric registered now and later, until {@link #unsubscribe}. */
    void subscribe(Consumer<HubMetric> listener) {
        List<HubMetric> existing;
        synchronized (this) {
            listeners.add(listener);
            existing = List.copyOf(metrics);
        }
        for (HubMetric m : existing) {
            listener.accept(m);
        }
    }

    synchronized void unsubscribe(Consumer<HubMetric> listener) {
        listeners.remove(listener);
    }
}
