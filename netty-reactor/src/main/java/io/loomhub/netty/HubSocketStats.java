package io.loomhub.netty;

/**
 * Counts of one hub's sockets, from {@link HubSocket#stats(io.loomhub.scheduler.Hub)}. Cumulative since the hub
 * started. {@code io.loomhub.scheduler.HubMetrics} exports the same counts as the meters {@code loomhub.sockets.open},
 * {@code .opened}, {@code .closed}, {@code .leaked} and {@code .handed.off}.
 *
 * @param opened    connections created (connected, accepted, or attempted)
 * @param closed    connections closed through {@link HubSocket#close()} or the leak rule
 * @param leaked    connections closed because the hub thread that owned them ended without closing them
 * @param handedOff times a socket was handed off ({@link HubSocket#handOff()})
 */
public record HubSocketStats(long opened, long closed, long leaked, long handedOff) {

    /** Connections opened and not closed yet (by their user or the leak rule). */
    public long open() {
        return opened - closed;
    }
}
