package io.loomhub.scheduler;

/**
 * Creates the {@link Reactor} a hub drives. Implementations are found with {@link java.util.ServiceLoader}
 * by {@link Hub#create()} (the Netty reactor registers one), or passed to {@link Hub.Builder#reactor}.
 *
 * <p>Per hub, {@link #newCarrierThread} is called first, once, on the thread that builds the hub; then
 * {@link #create(Host)} is called once, on the carrier thread it returned, before any hub thread runs.
 */
@FunctionalInterface
public interface ReactorFactory {

    /**
     * Creates the reactor for one hub. Called on the hub's carrier thread.
     *
     * @param host what the reactor may ask of its hub
     * @return a new reactor owned by that hub
     */
    Reactor create(Host host);

    /**
     * Makes the hub's carrier thread, so a reactor can give it the thread type its I/O library runs fastest on
     * (the Netty reactor returns a {@code FastThreadLocalThread}). The default is a plain platform thread.
     *
     * <p>Contract: called once per hub, on the thread that builds the hub ({@link Hub.Builder#build()}), before
     * {@link #create(Host)}. The result must be a new, unstarted platform thread whose {@code run()} calls
     * {@code loop.run()} once, and does nothing else that blocks or takes long; it may set up and clean up its
     * own thread-local state around that call. The hub then names it {@code name} (again), makes it a daemon and
     * starts it; the factory must not start it, nor hand it to anyone else. Any uncaught-exception handler or
     * priority it sets stays.
     *
     * @param loop the hub's loop: what the carrier thread runs
     * @param name the carrier thread's name, {@code <hub name>-carrier}
     * @return a new, unstarted platform thread that runs {@code loop}; when it returns {@code null}, a started
     *         thread or a virtual thread, or throws, {@link Hub.Builder#build()} throws
     *         {@link IllegalStateException} and starts no thread of the hub; when the thread ends without
     *         running {@code loop}, {@code build()} throws {@link IllegalStateException} too
     */
    default Thread newCarrierThread(Runnable loop, String name) {
        return new Thread(loop, name);
    }

    /**
     * Which of the available factories {@link Hub#create()} prefers: the highest wins. The built-in parking
     * reactor has priority 0.
     *
     * @return this factory's priority
     */
    default int priority() {
        return 0;
    }

    /** A reactor that only parks the carrier: timers and wake-ups, no I/O of its own. */
    static ReactorFactory parking() {
        return host -> new ParkingReactor(host.carrierThread());
    }

    /** The hub as its reactor sees it. */
    interface Host {

        /** The hub that drives the reactor. */
        Hub hub();

        /** The hub's carrier thread, the only thread that calls {@code poll}, {@code pollNow} and {@code close}. */
        Thread carrierThread();

        /**
         * Whether the hub has work ready to run, submitted from any thread. A reactor about to block checks it
         * last: when true it must not block. Carrier thread only.
         */
        boolean hasReadyWork();
    }
}
