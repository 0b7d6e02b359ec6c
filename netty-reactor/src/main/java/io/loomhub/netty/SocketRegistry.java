package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetric;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub sockets of one hub, and which hub thread owns which (the seed's leaked-connection pitfall): when a hub
 * thread ends, the sockets it still owns are closed, counted and logged.
 *
 * <p>Ownership state is carrier-confined: it is touched only by this hub's threads (which run on the carrier)
 * and by carrier callbacks, never concurrently. The counters are atomics because any thread may read them.
 */
final class SocketRegistry {

    private static final Logger LOG = LoggerFactory.getLogger(HubSocket.class);

    /** Leaked sockets over every hub of this JVM. */
    static final AtomicLong LEAKED_TOTAL = new AtomicLong();

    private final Hub hub;
    private final Map<Thread, Set<HubChannel>> owned = new IdentityHashMap<>(); // carrier only
    final AtomicLong opened = new AtomicLong();
    final AtomicLong closed = new AtomicLong();
    final AtomicLong leaked = new AtomicLong();
    final AtomicLong handedOff = new AtomicLong();

    SocketRegistry(Hub hub) {
        this.hub = hub;
    }

    /** Connections opened and not closed yet. Any thread; never negative. */
    long open() {
        long c = closed.get(); // first: opened only grows, and never falls behind closed
        return opened.get() - c;
    }

    /** A snapshot of the counts. Any thread. */
    HubSocketStats stats() {
        long c = closed.get(); // before opened, as in open()
        long l = leaked.get();
        return new HubSocketStats(opened.get(), c, l, handedOff.get());
    }

    /**
     * These counts as hub metrics, which {@link NettyReactor}'s factory adds to the hub so that
     * {@code HubMetrics} exports them. Docs: docs/metrics.md and docs/sockets.md.
     */
    List<HubMetric> metrics() {
        String unit = "connections";
        return List.of(
                new HubMetric("loomhub.sockets.open", HubMetric.Type.GAUGE,
                        "hub socket connections open: opened and not yet closed by their user or the leak rule",
                        unit, this::open),
                new HubMetric("loomhub.sockets.opened", HubMetric.Type.COUNTER,
                        "hub socket connections created (connected, accepted or attempted)", unit, opened::get),
                new HubMetric("loomhub.sockets.closed", HubMetric.Type.COUNTER,
                        "hub socket connections closed, by their user or the leak rule", unit, closed::get),
                new HubMetric("loomhub.sockets.leaked", HubMetric.Type.COUNTER,
                        "hub socket connections closed because the hub thread that owned them ended without "
                                + "closing them", unit, leaked::get),
                new HubMetric("loomhub.sockets.handed.off", HubMetric.Type.COUNTER,
                        "hub socket connections handed off to the next hub thread that uses them", unit,
                        handedOff::get));
    }

    /**
     * Makes {@code thread} the owner of {@code socket} if it is a live virtual thread of this hub. Carrier only.
     *
     * @return whether the thread now owns the socket
     */
    boolean own(HubChannel socket, Thread thread) {
        if (!thread.isVirtual()) {
            return false;
        }
        Set<HubChannel> set = owned.get(thread);
        if (set == null) {
            // One exit action per thread, however many sockets it opens and closes.
            if (!hub.runWhenThreadEnds(thread, () -> threadEnded(thread))) {
                return false;
            }
            set = new LinkedHashSet<>();
            owned.put(thread, set);
        }
        set.add(socket);
        return true;
    }

    /** Forgets that {@code thread} owns {@code socket} (closed or handed off). Carrier only. */
    void disown(HubChannel socket, Thread thread) {
        Set<HubChannel> set = owned.get(thread);
        if (set != null) {
            set.remove(socket);
        }
    }

    /** Runs on the carrier right after a hub thread that owned sockets ended: closes what it still holds. */
    private void threadEnded(Thread thread) {
        Set<HubChannel> set = owned.remove(thread);
        if (set == null || set.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(set.size());
        for (HubChannel socket : new ArrayList<>(set)) {
            names.add(socket.describe());
            socket.closeLeaked();
        }
        leaked.addAndGet(names.size());
        LEAKED_TOTAL.addAndGet(names.size());
        LOG.warn("hub '{}': {} ended still holding {} hub socket(s); closed them (hand a socket off with "
                + "HubSocket.handOff() or detach() to let it outlive its thread): {}",
                hub.name(), thread, names.size(), names);
    }
}
