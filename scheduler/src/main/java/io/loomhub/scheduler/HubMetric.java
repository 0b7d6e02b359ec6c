package io.loomhub.scheduler;

import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * A named value that another module contributes to a hub's metrics, so {@link HubMetrics} exports it without the
 * scheduler knowing that module: the Netty reactor registers its socket counts this way. Register it with
 * {@link Hub#addMetric(HubMetric)}, best from {@link ReactorFactory#create}; binders that are already bound pick
 * it up too.
 *
 * @param name        the meter name, starting with {@code loomhub.} (for example {@code loomhub.sockets.open})
 * @param type        a monotonic {@link Type#COUNTER} or a {@link Type#GAUGE} that goes up and down
 * @param description what it counts, for the meter's description
 * @param baseUnit    the unit ({@code "sockets"}, {@code "bytes"}), or {@code null}
 * @param value       reads the current value; called on the metrics registry's thread, so it must be thread-safe,
 *                    fast and non-blocking
 */
public record HubMetric(String name, Type type, String description, String baseUnit, LongSupplier value) {

    /** How a value behaves. */
    public enum Type {
        /** Only ever grows (events since the hub started). */
        COUNTER,
        /** Goes up and down (something currently open, queued, held). */
        GAUGE
    }

    /**
     * Checks the arguments.
     *
     * @throws IllegalArgumentException if the name does not start with {@code loomhub.}
     * @throws NullPointerException     if the name, type, description or value is null
     */
    public HubMetric {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(description, "description");
        Objects.requireNonNull(value, "value");
        if (!name.startsWith("loomhub.") || name.length() == "loomhub.".length()) {
            throw new IllegalArgumentException("a hub metric's name starts with 'loomhub.', was '" + name + "'");
        }
    }
}
