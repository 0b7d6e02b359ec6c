package io.loomhub.scheduler;

/**
 * Told when a hub is blocked: one slice ran longer than the hub's blocking threshold. Register with
 * {@link Hub.Builder#onBlocked(BlockedHubListener)}.
 *
 * <p>Called on the hub's watchdog thread (a platform thread), never on the carrier, once per episode. It must
 * return quickly and must not wait for hub threads (the carrier is, by definition, stuck).
 */
@FunctionalInterface
public interface BlockedHubListener {

    /**
     * Reports one episode.
     *
     * @param event the hub, the offending thread, how long, and its stack
     */
    void onBlocked(BlockedHubEvent event);
}
