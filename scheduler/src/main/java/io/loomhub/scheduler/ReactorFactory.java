package io.loomhub.scheduler;

/**
 * Creates the {@link Reactor} a hub drives. Implementations are found with {@link java.util.ServiceLoader}
 * by {@link Hub#create()} (the Netty reactor registers one), or passed to {@link Hub.Builder#reactor}.
 *
 * <p>{@link #create(Host)} is called once per hub, on the hub's carrier thread, before any hub thread runs.
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
