package io.loomhub.scheduler;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingStream;
import org.slf4j.Logger;

/**
 * Surfaces pinned parks of hub threads, from JFR's {@code jdk.VirtualThreadPinned} event. On a single-carrier hub
 * a pinned park is a carrier park: the hub stops until the thread is unparked.
 *
 * <p>One {@link RecordingStream} serves every hub of the JVM that asked for it ({@link Hub.Builder#reportPinning});
 * it starts with the first such hub and closes with the last. An event belongs to the hub whose carrier thread it
 * names ({@code carrierThread}, a field JDK 24 added). Events reach the stream's own thread when JFR flushes
 * (about once a second), so counts lag by that much.
 *
 * <p>This class is loaded only when a hub reports pinning, so a runtime without the {@code jdk.jfr} module runs
 * hubs that do not.
 */
final class PinningMonitor {

    static final String EVENT = "jdk.VirtualThreadPinned";
    /** Distinct stacks logged at WARN; after that, each stack again only at DEBUG. */
    private static final int MAX_REMEMBERED_STACKS = 1024;

    private static final Map<Long, Hub> HUBS = new ConcurrentHashMap<>();
    private static final Set<String> LOGGED = ConcurrentHashMap.newKeySet();
    private static RecordingStream stream; // guarded by PinningMonitor.class

    private PinningMonitor() { }

    /** Starts reporting for a hub whose carrier runs. Any thread. */
    static synchronized void register(Hub hub) {
        HUBS.put(hub.carrierThread().threadId(), hub);
        if (stream == null) {
            RecordingStream rs = new RecordingStream();
            try {
                // Threshold zero: on one carrier, even a short pinned park stalls every hub thread.
                rs.enable(EVENT).withThreshold(Duration.ZERO).withStackTrace();
                rs.setMaxAge(Duration.ofSeconds(10));
                rs.onEvent(EVENT, PinningMonitor::onEvent);
                rs.startAsync();
            } catch (RuntimeException e) {
                rs.close();
                HUBS.remove(hub.carrierThread().threadId());
                throw e;
            }
            stream = rs;
        }
    }

    /** Stops reporting for a hub; closes the stream after the last one. Any thread. */
    static synchronized void unregister(Hub hub) {
        HUBS.remove(hub.carrierThread().threadId(), hub);
        if (HUBS.isEmpty() && stream != null) {
            stream.close();
            stream = null;
        }
    }

    /** Runs on the stream's thread. */
    private static void onEvent(RecordedEvent event) {
        RecordedThread carrier = event.hasField("carrierThread") ? event.getThread("carrierThread") : null;
        if (carrier == null) {
            return;
        }
        Hub hub = HUBS.get(carrier.getJavaThreadId());
        if (hub == null) {
            return;
        }
        RecordedThread vthread = event.getThread("eventThread");
        String thread = vthread == null ? "a hub thread"
                : "virtual thread #" + vthread.getJavaThreadId()
                        + (vthread.getJavaName() == null || vthread.getJavaName().isEmpty() ? "" : " '" + vthread.getJavaName() + "'");
        String reason = event.hasField("pinnedReason") ? event.getString("pinnedReason") : null;
        hub.reportPinned(thread, event.getDuration(), reason, stackText(event.getStackTrace()));
    }

    private static String stackText(RecordedStackTrace trace) {
        if (trace == null) {
            return "\t(no stack recorded)\n";
        }
        StringBuilder sb = new StringBuilder();
        List<RecordedFrame> frames = trace.getFrames();
        for (RecordedFrame f : frames) {
            if (!f.isJavaFrame()) {
                continue;
            }
            sb.append("\tat ").append(f.getMethod().getType().getName()).append('.').append(f.getMethod().getName());
            int line = f.getLineNumber();
            sb.append(line > 0 ? "(line " + line + ")" : "()").append('\n');
        }
        if (trace.isTruncated()) {
            sb.append("\t...\n");
        }
        return sb.toString();
    }

    /** Logs one pinned park: at WARN the first time its stack is seen on that hub, at DEBUG after. */
    static void log(Logger log, String hubName, long count, String thread, Duration pinnedFor, String reason,
            String stack) {
        String key = hubName + '\n' + stack;
        boolean first = !LOGGED.contains(key) && (LOGGED.size() < MAX_REMEMBERED_STACKS ? LOGGED.add(key) : false);
        String message = "hub '{}': {} parked while pinned to the carrier for {} ms (reason: {}); the whole hub "
                + "stopped meanwhile ({} pinned park(s) so far). Pinned parks come from class initialisers, native "
                + "frames and JDK critical sections; move the call to hub.offload(...). Its stack:\n{}";
        Object[] args = {hubName, thread, pinnedFor.toNanos() / 1_000_000.0, reason == null ? "unknown" : reason,
            count, stack};
        if (first) {
            log.warn(message, args);
        } else {
            log.debug(message, args);
        }
    }
}
