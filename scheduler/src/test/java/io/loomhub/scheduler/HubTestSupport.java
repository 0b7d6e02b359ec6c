package io.loomhub.scheduler;

import java.io.File;
import java.util.Set;
import java.util.stream.Collectors;

/** Shared checks for the hub tests. */
final class HubTestSupport {

    private HubTestSupport() { }

    /**
     * Whether the calling virtual thread is mounted on {@code carrier}. Reads the JDK's own description of a
     * virtual thread ({@code VirtualThread[#id]/runnable@carrier-name}), independent of the hub's code.
     */
    static boolean onCarrier(Thread carrier) {
        Thread t = Thread.currentThread();
        return t.isVirtual() && t.toString().endsWith("@" + carrier.getName());
    }

    /** Open file descriptors of this process. */
    static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }

    /** Names of live platform threads whose name starts with the prefix. */
    static Set<String> platformThreadsNamed(String prefix) {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.isAlive() && t.getName().startsWith(prefix))
                .map(Thread::getName)
                .collect(Collectors.toSet());
    }
}
