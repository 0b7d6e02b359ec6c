package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Objects;

/**
 * Micrometer meters for the hub sockets of one hub, beside {@code io.loomhub.scheduler.HubMetrics}:
 * {@code new HubSocketMetrics(hub).bindTo(registry)}. Meters, tagged {@code hub=<name>}:
 * <ul>
 *   <li>{@code loomhub.sockets.opened} (counter): connections created;</li>
 *   <li>{@code loomhub.sockets.closed} (counter): connections closed by their user or the leak rule;</li>
 *   <li>{@code loomhub.sockets.leaked} (counter): connections closed because the hub thread that owned them
 *       ended without closing them (see {@code docs/sockets.md});</li>
 *   <li>{@code loomhub.sockets.open} (gauge): opened minus closed.</li>
 * </ul>
 * Reading the meters is cheap and safe from any thread. Requires micrometer-core on the class path (an optional
 * dependency of this module).
 */
public final class HubSocketMetrics implements MeterBinder {

    private final Hub hub;

    /**
     * @param hub a hub that runs a {@link NettyReactor}
     * @throws IllegalStateException if it does not
     */
    public HubSocketMetrics(Hub hub) {
        this.hub = Objects.requireNonNull(hub, "hub");
        NettyReactor.of(hub); // fail now, not at the first scrape
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        SocketRegistry r = NettyReactor.of(hub).sockets();
        Tags tags = Tags.of("hub", hub.name());
        FunctionCounter.builder("loomhub.sockets.opened", r, s -> s.opened.get())
                .description("hub socket connections created").baseUnit("connections").tags(tags).register(registry);
        FunctionCounter.builder("loomhub.sockets.closed", r, s -> s.closed.get())
                .description("hub socket connections closed").baseUnit("connections").tags(tags).register(registry);
        FunctionCounter.builder("loomhub.sockets.leaked", r, s -> s.leaked.get())
                .description("hub sockets closed because their owner thread ended holding them")
                .baseUnit("connections").tags(tags).register(registry);
        Gauge.builder("loomhub.sockets.open", r, s -> s.opened.get() - s.closed.get())
                .description("hub socket connections open").baseUnit("connections").tags(tags).register(registry);
    }
}
