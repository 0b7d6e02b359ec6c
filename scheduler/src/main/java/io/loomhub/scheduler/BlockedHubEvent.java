package io.loomhub.scheduler;

import java.time.Duration;

/**
 * One blocked-hub episode: a single slice ran longer than the hub's blocking threshold, so every other hub
 * thread waited. Delivered to {@link BlockedHubListener}s once per episode.
 *
 * @param hub         the hub that was blocked
 * @param offender    the hub virtual thread that held the carrier, or the carrier itself when a carrier-side
 *                    callback (a plain task passed to {@link Hub#execute}, a reactor handler) was running
 * @param blockedFor  how long the slice had run when it was detected
 * @param stackTrace  the offender's stack when it was detected
 */
public record BlockedHubEvent(Hub hub, Thread offender, Duration blockedFor, StackTraceElement[] stackTrace) {

    /** The stack as text, one frame a line, as a log line would show it. */
    public String stackTraceText() {
        StringBuilder sb = new StringBuilder();
        for (StackTraceElement e : stackTrace) {
            sb.append("\tat ").append(e).append('\n');
        }
        return sb.toString();
    }
}
