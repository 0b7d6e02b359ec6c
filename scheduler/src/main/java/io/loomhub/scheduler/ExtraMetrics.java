package io.loomhub.scheduler;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;

/** The {@link HubMetric}s other modules registered on one hub, and the binders to tell about new ones. */
final class ExtraMetrics {

    private final CopyOnWriteArrayList<HubMetric> metrics = new CopyOnWriteArrayList<>();
    private final CopyOnWriteArrayList<Consumer<HubMetric>> listeners = new CopyOnWriteArrayList<>();

    /** Adds a metric and tells the listeners. Any thread. */
    synchronized void add(HubMetric metric) {
        for (HubMetric m : metrics) {
            if (m.name().equals(metric.name())) {
                throw new IllegalArgumentException("a hub metric named '" + metric.name() + "' is already registered");
            }
        }
        metrics.add(metric);
        for (Consumer<HubMetric> l : listeners) {
            l.accept(metric);
        }
    }

    /** The registered metrics. Any thread. */
    List<HubMetric> list() {
        return List.copyOf(metrics);
    }

    /** Calls {@code listener} for every metric registered now and later, until {@link #unsubscribe}. */
    synchronized void subscribe(Consumer<HubMetric> listener) {
        listeners.add(listener);
        for (HubMetric m : metrics) {
            listener.accept(m);
        }
    }

    synchronized void unsubscribe(Consumer<HubMetric> listener) {
        listeners.remove(listener);
    }
}
