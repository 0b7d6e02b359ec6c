package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetric;
import java.util.ArrayList;
import java.util.List;
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
     * Makes {@code thread} the owner of {@code socket} (which no thread owns now) if it is a live virtual thread of
     * this hub. Carrier only.
     *
     * @return whether the thread now owns the socket
     */
    boolean own(HubChannel socket, Thread thread) {
        if (!thread.isVirtual()) {
            return false;
        }
        // The owner entry is the thread's end action, kept in the hub's record of the thread: no map here (one
        // would cost every connection's thread about 13 B of table).
        Owner owner = hub.threadEndAction(thread, Owner.class);
        if (owner == null) {
            owner = new Owner();
            // One end action per thread, however many sockets it opens and closes.
            if (!hub.runWhenThreadEnds(thread, owner)) {
                return false;
            }
        }
        HubChannel first = owner.first;
        socket.ownerThread = thread;
        socket.ownedPrev = null;
        socket.ownedNext = first;
        if (first != null) {
            first.ownedPrev = socket;
        }
        owner.first = socket;
        return true;
    }

    /** Forgets who owns {@code socket} (closed, handed off or detached). Carrier only. */
    void disown(HubChannel socket) {
        Thread thread = socket.ownerThread;
        if (thread == null) {
            return;
        }
        HubChannel prev = socket.ownedPrev;
        HubChannel next = socket.ownedNext;
        if (prev == null) {
            // The head: its owner entry is found through the hub, which holds it until the thread's end actions
            // run (and those unlink every socket before closing any, so none comes back here).
            Owner owner = hub.threadEndAction(thread, Owner.class);
            if (owner != null && owner.first == socket) {
                owner.first = next;
            }
        } else {
            prev.ownedNext = next;
        }
        if (next != null) {
            next.ownedPrev = prev;
        }
        socket.ownerThread = null;
        socket.ownedPrev = null;
        socket.ownedNext = null;
    }

    /** Runs on the carrier right after a hub thread that owned sockets ended: closes what it still holds. */
    private void threadEnded(Owner owner) {
        Thread thread = owner.first.ownerThread;
        List<HubChannel> left = new ArrayList<>();
        for (HubChannel s = owner.first; s != null; ) {
            HubChannel next = s.ownedNext;
            s.ownerThread = null;
            s.ownedPrev = null;
            s.ownedNext = null;
            left.add(s);
            s = next;
        }
        owner.first = null;
        if (left.isEmpty()) {
            return;
        }
        List<String> names = new ArrayList<>(left.size());
        for (HubChannel socket : left) {
            names.add(socket.describe());
            socket.closeLeaked();
        }
        leaked.addAndGet(names.size());
        LEAKED_TOTAL.addAndGet(names.size());
        LOG.warn("hub '{}': {} ended still holding {} hub socket(s); closed them (hand a socket off with "
                + "HubSocket.handOff() or detach() to let it outlive its thread): {}",
                hub.name(), thread, names.size(), names);
    }

    /**
     * A hub thread that owns sockets: the head of their list, linked through {@link HubChannel#ownedNext} and
     * {@link HubChannel#ownedPrev}, and the action the hub runs when the thread ends. So owning costs a thread one
     * 16 B object and a socket three references (its owner thread and two links), instead of a set per thread (about
     * 150 B) and an entry per socket. The sockets name their thread and their registry (through their reactor), so
     * this holds only the head. Carrier-confined, like the sockets' ownership state.
     */
    static final class Owner implements Runnable {
        HubChannel first;

        @Override
        public void run() {
            HubChannel head = first;
            if (head != null) { // no socket left: nothing to close
                head.reactor.sockets().threadEnded(this);
            }
        }
    }
}
