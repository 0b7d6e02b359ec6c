package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetric;
import io.loomhub.scheduler.Reactor;
import io.loomhub.scheduler.ReactorFactory;
import io.netty.channel.IoEventLoop;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.ManualIoEventLoop;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.util.concurrent.FastThreadLocalThread;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * The hub's reactor on Netty 4.2: the hub's carrier thread owns and drives a {@link ManualIoEventLoop} with
 * {@link EpollIoHandler} (or {@link NioIoHandler} where epoll is missing), so every Netty channel registered on it
 * has its I/O events, tasks and scheduled tasks run on the carrier, between slices of hub threads. This is
 * gevent's hub running its libev loop.
 *
 * <h2>How the hub drives the loop</h2>
 * <ul>
 *   <li>{@link #poll(long)} with a positive timeout runs {@code loop.run(timeout)}; with a negative timeout
 *       {@code loop.run(0)}, which blocks until I/O or a wake-up; with zero {@code loop.runNow()}. Netty folds the
 *       deadline of its own next scheduled task into the wait, and runs its task queue and due scheduled tasks
 *       after the I/O, so {@code eventLoop(hub).schedule(...)} and {@code execute(...)} behave as on any event
 *       loop.</li>
 *   <li>{@link #pollNow()} is {@code loop.runNow()}: what the hub runs between batches of slices.</li>
 *   <li>{@link #wakeup()} is {@code loop.wakeup()} (an {@code eventfd} write, only when the loop sleeps).</li>
 *   <li>The loop's {@code canBlock()} is overridden to also say "the hub has no ready work": the hub publishes
 *       "sleeping" and re-checks its queues before it polls, Netty publishes its wake-up deadline and then asks
 *       {@code canBlock()} before {@code epoll_wait}, so a submission racing with the sleep is never lost.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Netty's {@code inEventLoop()} is true only on the carrier itself, outside any virtual thread. Inside a hub
 * virtual thread it is false (the current thread is the virtual thread), so a channel operation called there
 * becomes a Netty task: correct, but a hop through Netty's task queue. Hub sockets avoid it by submitting their
 * channel operations with {@link Hub#execute(Runnable)} when {@link Hub#inHub()} is true: that goes to the hub's
 * local queue (no atomics, no syscall) and runs on the carrier, where {@code inEventLoop()} is true.
 *
 * <h2>The carrier is a Netty thread</h2>
 * The factories make the hub's carrier a {@link FastThreadLocalThread} ({@link ReactorFactory#newCarrierThread}),
 * the class of Netty's own event-loop threads, built with a {@code Runnable} so that Netty frees its
 * {@code FastThreadLocal}s when the carrier ends and
 * {@link FastThreadLocalThread#currentThreadWillCleanupFastThreadLocals()} is true on it. Code that runs on the
 * carrier outside a virtual thread (channel reads, handlers, flushes, hub-socket operations submitted with
 * {@link Hub#execute}) then gets Netty's event-loop fast paths: {@code InternalThreadLocalMap.get()} is a field
 * read instead of a {@code ThreadLocal} probe; the adaptive allocator serves receive buffers from a magazine of
 * the carrier's own, without the shared magazines' lock; and {@code Recycler} pools its objects (outbound-buffer
 * entries, for instance) instead of allocating new ones. Inside a hub virtual thread the current thread is the
 * virtual thread, so none of this applies there.
 *
 * <h2>What the hub can see</h2>
 * The reactor adds its hub's socket counts to the hub's metrics ({@link Hub#addMetric}) when it is created, so
 * {@code new HubMetrics(hub).bindTo(registry)} exports {@code loomhub.sockets.*} beside the scheduling meters, and
 * it counts the I/O registered on its loop ({@link #registeredIoCount()}), so {@link Hub#dump()} can tell threads
 * waiting for I/O from threads nothing can wake.
 *
 * <p>Instances are created by the hub, on its carrier, from one of the factories below; {@link Hub#create()}
 * finds {@link #auto()} through {@link java.util.ServiceLoader} when this module is on the class path.
 */
public final class NettyReactor implements Reactor {

    /** Priority of the factory registered with {@link java.util.ServiceLoader}; the parking reactor has 0. */
    static final int SERVICE_PRIORITY = 100;

    /**
     * Longest single wait handed to Netty. Longer hub waits are cut into pieces of this size: the hub treats an
     * early return as a spurious wake-up, and Netty's deadline arithmetic ({@code now + wait}) cannot overflow.
     */
    private static final long MAX_WAIT_NANOS = TimeUnit.HOURS.toNanos(1);

    /** The Netty reactor of each running hub, for {@link #eventLoop(Hub)} and the hub sockets. */
    private static final Map<Hub, NettyReactor> BY_HUB = new ConcurrentHashMap<>();

    /** The I/O transport a reactor uses. */
    public enum Transport {
        /** Linux epoll, through Netty's native transport. */
        EPOLL,
        /** Java NIO selectors: portable, used where epoll is missing. */
        NIO
    }

    private final Hub hub;
    private final Transport transport;
    private final HubEventLoop loop;
    /** The loop's I/O handler, which counts the registrations on the loop. */
    private final CountingIoHandler io;
    private final SocketRegistry sockets;
    /** Where this hub's threads wait on JDK sockets ({@link JdkSocketPolling}); null on NIO or with routing off. */
    private final HubJdkPoller jdkPoller;
    /**
     * Set by {@link #wakeup()}, consumed by the next blocking {@link #poll}. Netty's own wake-up only writes the
     * eventfd when the loop has already published that it sleeps; a wake-up that comes earlier (for instance
     * the hub's close, which changes no queue) would otherwise be lost. This flag makes it sticky.
     */
    private volatile boolean wakeRequested;
    private boolean closed; // carrier only
    /** Where the hub's sockets stage small writes (see {@link WriteArena}); made on first use. Carrier only. */
    private WriteArena writeArena;
    private boolean writeArenaUnavailable;
    /**
     * Regions sent straight from the write arena, and those of them the kernel took only part of (or none of),
     * whose rest went through Netty; for tests. Carrier only.
     */
    long writeArenaSends;
    long writeArenaShortSends;
    /** Received buffers copied straight into a parked reader's array (see {@code HubChannel.channelRead}). */
    long directReads;
    /**
     * Most bytes one socket held outbound at once (staged in it plus pending in Netty), over all of them, for tests:
     * kept here, since a field in each socket would cost every idle connection 8 B. Carrier only.
     */
    long peakOutboundBytes;

    private NettyReactor(ReactorFactory.Host host, Transport transport) {
        this.hub = host.hub();
        this.transport = transport;
        // Netty 4.2.18's epoll handler loses a descriptor whose interest went empty: see RearmingEpollIoHandler.
        CountingIoHandler.Factory handlers = new CountingIoHandler.Factory(transport == Transport.EPOLL
                ? RearmingEpollIoHandler.wrap(EpollIoHandler.newFactory())
                : NioIoHandler.newFactory());
        this.loop = new HubEventLoop(this, host, handlers.factory());
        this.io = handlers.handler(); // made by the loop's constructor
        this.sockets = new SocketRegistry(hub);
        this.jdkPoller = transport == Transport.EPOLL && JdkSocketPolling.install() ? new HubJdkPoller(this) : null;
    }

    // ------------------------------------------------------------------------------------------------
    // Factories
    // ------------------------------------------------------------------------------------------------

    /**
     * A factory for reactors on Linux epoll (Netty's native transport).
     *
     * @return the factory
     * @throws UnsupportedOperationException if Netty's native epoll transport cannot load here; the message
     *         carries Netty's reason
     */
    public static ReactorFactory epoll() {
        if (!Epoll.isAvailable()) {
            throw new UnsupportedOperationException("Netty's native epoll transport is not available here ("
                    + Epoll.unavailabilityCause() + "); use NettyReactor.nio() or NettyReactor.auto()",
                    Epoll.unavailabilityCause());
        }
        return new Factory(Transport.EPOLL, SERVICE_PRIORITY);
    }

    /**
     * A factory for reactors on Java NIO selectors: works everywhere, costs more per event than epoll.
     *
     * @return the factory
     */
    public static ReactorFactory nio() {
        return new Factory(Transport.NIO, SERVICE_PRIORITY);
    }

    /**
     * A factory that picks epoll when {@link Epoll#isAvailable()}, else NIO. This is what {@link Hub#create()}
     * uses when this module is on the class path.
     *
     * @return the factory
     */
    public static ReactorFactory auto() {
        return new Factory(Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO, SERVICE_PRIORITY);
    }

    // ------------------------------------------------------------------------------------------------
    // Finding a hub's loop
    // ------------------------------------------------------------------------------------------------

    /**
     * The Netty event loop the hub's carrier drives, so users can register their own Netty channels on it
     * ({@code bootstrap.group(NettyReactor.eventLoop(hub))}): their handlers then run on the carrier, between
     * slices of hub threads, and must never block. Any thread may call it.
     *
     * <p>The loop belongs to the hub: do not shut it down; it shuts down when the hub terminates. Its channels
     * count as I/O registrations for {@link Hub#dump()}. Its I/O handler is Netty's wrapped in a counting one, so
     * {@code isIoType(EpollIoHandler.class)} is false: ask {@link #transport(Hub)} which channel classes to use.
     *
     * @param hub a running hub
     * @return its event loop
     * @throws IllegalStateException if the hub does not run a {@code NettyReactor}, or has terminated
     */
    public static IoEventLoop eventLoop(Hub hub) {
        return of(hub).loop;
    }

    /**
     * Whether this hub's own event loop wakes its threads that wait on JDK sockets ({@code java.net.Socket},
     * {@code ServerSocket}, NIO channels in blocking mode, pipes), instead of the JDK's poller threads. When it does,
     * such a wait arms the descriptor in one of the hub's epoll sets and the thread resumes from a carrier callback,
     * as for a {@link HubSocket}; no other thread takes part. It does on the epoll transport when the JVM runs with
     * {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED} and {@code -Dloomhub.pollJdkSockets} is not
     * {@code false}; otherwise the JDK's poller wakes them through the hub's external queue (logged once at INFO with
     * the reason). See {@code docs/sockets.md}. Any thread; never blocks.
     *
     * @param hub a running hub
     * @return true if the hub polls its threads' JDK sockets itself
     * @throws IllegalStateException if the hub does not run a {@code NettyReactor}, or has terminated
     */
    public static boolean pollsJdkSockets(Hub hub) {
        return of(hub).jdkPoller != null;
    }

    /**
     * The transport of a hub's loop, to pick the channel classes to register on {@link #eventLoop(Hub)}
     * ({@code EpollSocketChannel} or {@code NioSocketChannel}). Any thread; never blocks.
     *
     * @param hub a running hub
     * @return its loop's transport
     * @throws IllegalStateException if the hub does not run a {@code NettyReactor}, or has terminated
     */
    public static Transport transport(Hub hub) {
        return of(hub).transport;
    }

    /**
     * The Netty reactor of a hub. Any thread.
     *
     * @throws IllegalStateException if the hub does not run a {@code NettyReactor}, or has terminated
     */
    static NettyReactor of(Hub hub) {
        Objects.requireNonNull(hub, "hub");
        NettyReactor r = BY_HUB.get(hub);
        if (r == null) {
            throw new IllegalStateException("hub '" + hub.name() + "' does not run a NettyReactor"
                    + (hub.isClosed() ? " (it is closed)" : "")
                    + ": build it with Hub.builder().reactor(NettyReactor.auto()), or use Hub.create() with "
                    + "loomhub-netty-reactor on the class path");
        }
        return r;
    }

    /** The Netty reactor of a hub, or null if it runs none (or has terminated). Any thread; never blocks. */
    static NettyReactor find(Hub hub) {
        return BY_HUB.get(hub);
    }

    /** Where this hub's threads wait on JDK sockets, or null if the JDK's poller wakes them. */
    HubJdkPoller jdkPoller() {
        return jdkPoller;
    }

    /** The hub that drives this reactor. */
    Hub hub() {
        return hub;
    }

    /** The event loop this reactor drives. */
    ManualIoEventLoop loop() {
        return loop;
    }

    /**
     * Registers a channel on this reactor's loop. Call it on the carrier (the registration then completes before
     * this returns). Goes through the {@code EventLoopGroup} interface, as Netty's own bootstraps do:
     * {@code ManualIoEventLoop} marks its override deprecated in favour of {@code IoHandle} registration.
     */
    io.netty.channel.ChannelFuture register(io.netty.channel.Channel channel) {
        io.netty.channel.EventLoopGroup group = loop;
        return group.register(channel);
    }

    /**
     * The hub's write arena, if {@code channel}'s writes can be sent from it: a channel on a native descriptor,
     * direct memory with an address, and a reactor that is not closed. Carrier only.
     *
     * @return the arena, or {@code null} when the channel's small writes take Netty buffers
     */
    WriteArena writeArena(io.netty.channel.Channel channel) {
        if (closed || writeArenaUnavailable || !WriteArena.supports(channel)) {
            return null;
        }
        if (writeArena == null) {
            WriteArena made = WriteArena.allocate(channel.alloc());
            // The allocation may park a hub thread, and another may make the arena meanwhile: the first one made
            // is the hub's (sockets hold regions of it), a second is given back; so is one made while the reactor
            // closed, which released the arena it had.
            if (writeArena == null && !writeArenaUnavailable && !closed) {
                writeArena = made;
                writeArenaUnavailable = made == null;
            } else if (made != null) {
                made.release();
            }
        }
        return closed ? null : writeArena;
    }

    /**
     * The write arena if one was made, even once the reactor has closed: a socket that holds a region of it takes
     * the region back through this. Carrier only.
     */
    WriteArena writeArenaIfMade() {
        return writeArena;
    }

    /** The hub sockets of this reactor's hub and their owners. */
    SocketRegistry sockets() {
        return sockets;
    }

    /** A new, unregistered client socket channel of this reactor's transport. */
    io.netty.channel.socket.SocketChannel newSocketChannel() {
        return transport == Transport.EPOLL ? new io.netty.channel.epoll.EpollSocketChannel()
                : new io.netty.channel.socket.nio.NioSocketChannel();
    }

    /** A new, unregistered server socket channel of this reactor's transport. */
    io.netty.channel.socket.ServerSocketChannel newServerSocketChannel() {
        return transport == Transport.EPOLL ? new io.netty.channel.epoll.EpollServerSocketChannel()
                : new io.netty.channel.socket.nio.NioServerSocketChannel();
    }

    /** The I/O transport of this reactor. */
    public Transport transport() {
        return transport;
    }

    // ------------------------------------------------------------------------------------------------
    // Reactor
    // ------------------------------------------------------------------------------------------------

    /** {@inheritDoc} Carrier only: {@link ManualIoEventLoop} checks its owning thread. */
    @Override
    public int poll(long timeoutNanos) {
        if (timeoutNanos == 0 || consumeWakeRequest()) {
            return loop.runNow();
        }
        // ManualIoEventLoop.run(waitNanos): 0 blocks without limit, a negative value does not block at all.
        long wait = timeoutNanos < 0 ? 0 : Math.min(timeoutNanos, MAX_WAIT_NANOS);
        return loop.run(wait);
    }

    /** {@inheritDoc} Carrier only. */
    @Override
    public int pollNow() {
        return loop.runNow();
    }

    /**
     * {@inheritDoc} Counts every registration on the hub's loop, whoever made it: hub sockets, hub server sockets,
     * channels registered through {@link #eventLoop(Hub)}, bare {@code IoHandle}s. A channel stops counting when it
     * deregisters, which Netty does in a loop task right after its close. Carrier only, as the SPI says (it is also
     * safe, though possibly a moment stale, on other threads).
     */
    @Override
    public int registeredIoCount() {
        HubJdkPoller p = jdkPoller;
        return p == null ? io.liveRegistrations() : io.liveRegistrations() - p.loopRegistrations() + p.waiting();
    }

    /** {@inheritDoc} Any thread; an {@code eventfd} write only when the loop is asleep in {@code epoll_wait}. */
    @Override
    public void wakeup() {
        wakeRequested = true; // before Netty reads the loop's published deadline: see canBlock()
        loop.wakeup();
    }

    /**
     * {@inheritDoc} Wakes the hub threads whose JDK sockets turned ready meanwhile ({@link HubJdkPoller#rescue()}):
     * one that parked while pinned holds the carrier until then. Watchdog thread only.
     */
    @Override
    public void carrierHeld(long heldNanos) {
        HubJdkPoller p = jdkPoller;
        if (p != null) {
            p.rescue();
        }
    }

    /** Takes a pending wake-up request, if any. Carrier only. */
    private boolean consumeWakeRequest() {
        if (!wakeRequested) {
            return false;
        }
        wakeRequested = false;
        return true;
    }

    /**
     * Shuts the loop down on the carrier: closes every channel still registered on it (their close futures
     * complete and their handlers run), runs the remaining tasks and releases the epoll, eventfd and timerfd
     * descriptors. Carrier only, once, after the hub's last slice.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        BY_HUB.remove(hub, this);
        // Quiet period 0: nothing runs on this loop any more once the hub has no threads, so no grace is needed;
        // the graceful form (not shutdown()) still lets the channels' close tasks run on the loop.
        loop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        for (int i = 0; !loop.isTerminated(); i++) {
            loop.runNow();
            if (i > 10_000) {
                throw new IllegalStateException("the Netty event loop of hub '" + hub.name() + "' did not terminate");
            }
        }
        if (writeArena != null) {
            writeArena.release(); // every channel has closed: no region is left to send
        }
        if (jdkPoller != null) {
            jdkPoller.close(); // the loop closed its registrations; this releases a set it never registered
        }
    }

    @Override
    public String toString() {
        return "NettyReactor[" + transport + ", hub=" + hub.name() + "]";
    }

    // ------------------------------------------------------------------------------------------------
    // Plumbing
    // ------------------------------------------------------------------------------------------------

    /**
     * Creates a {@link NettyReactor} per hub, and adds the hub-socket counts to the hub's metrics, so
     * {@code new HubMetrics(hub).bindTo(registry)} exports {@code loomhub.sockets.*} with the hub's other meters.
     */
    private record Factory(Transport transport, int priority) implements ReactorFactory {
        @Override
        public Reactor create(Host host) {
            JavaNetSockets.patchIfRequested(); // -Dloomhub.patchJavaNet=true: an unmodified program, patched
            NettyReactor reactor = new NettyReactor(host, transport);
            for (HubMetric m : reactor.sockets.metrics()) {
                host.hub().addMetric(m);
            }
            BY_HUB.put(host.hub(), reactor);
            return reactor;
        }

        /**
         * A {@link FastThreadLocalThread} that runs the hub's loop. Its {@code (Runnable, String)} constructor wraps
         * the loop so Netty frees the carrier's {@code FastThreadLocal}s (allocator magazines, recycler pools) when
         * it ends, which is also what makes {@code currentThreadWillCleanupFastThreadLocals()} true on it.
         */
        @Override
        public Thread newCarrierThread(Runnable loop, String name) {
            return new FastThreadLocalThread(loop, name);
        }

        @Override
        public String toString() {
            return "NettyReactor." + transport.name().toLowerCase(java.util.Locale.ROOT) + "()";
        }
    }

    /** The hub's event loop: may only block when the hub has nothing ready to run either. */
    private static final class HubEventLoop extends ManualIoEventLoop {
        private final NettyReactor reactor;
        private final ReactorFactory.Host host;

        HubEventLoop(NettyReactor reactor, ReactorFactory.Host host, IoHandlerFactory handlers) {
            super(host.carrierThread(), handlers);
            this.reactor = reactor;
            this.host = host;
        }

        /**
         * Netty asks this last, after it has published its wake-up deadline and right before it blocks: a resume
         * queued before that point is seen here, one queued after it finds the loop asleep and writes the eventfd.
         * The same holds for a bare {@link NettyReactor#wakeup()}, through its sticky request flag.
         */
        @Override
        protected boolean canBlock() {
            return !reactor.wakeRequested && !host.hasReadyWork();
        }

        @Override
        public String toString() {
            return "HubEventLoop[hub=" + host.hub().name() + "]";
        }
    }
}
