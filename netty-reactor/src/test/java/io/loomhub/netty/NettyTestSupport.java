package io.loomhub.netty;

import java.io.File;

/** Shared checks for the Netty module's tests. */
final class NettyTestSupport {

    private NettyTestSupport() { }

    /**
     * Whether the calling virtual thread is mounted on {@code carrier}. Reads the JDK's own description of a
     * virtual thread ({@code VirtualThread[#id]/runnable@carrier-name}), independent of the hub's code.
     */
    static boolean onCarrier(Thread carrier) {
        Thread t = Thread.currentThread();
        return t == carrier || t.isVirtual() && t.toString().endsWith("@" + carrier.getName());
    }

    /** Open file descriptors of this process. */
    static int openDescriptors() {
        String[] fds = new File("/proc/self/fd").list();
        return fds == null ? -1 : fds.length;
    }
}
