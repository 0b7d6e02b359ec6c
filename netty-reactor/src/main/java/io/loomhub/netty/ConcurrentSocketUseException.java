package io.loomhub.netty;

import java.net.SocketException;

/**
 * Thrown when a second thread reads from (or writes to) a hub socket while another thread is still in the
 * middle of a read (or write) on it: the seed's reentrancy pitfall ("this socket is already used by another
 * greenlet"). A hub socket has one reader and one writer at a time; interleaving two would corrupt the stream.
 * The message names both threads. The thread already using the socket is not disturbed.
 */
public class ConcurrentSocketUseException extends SocketException {

    private static final long serialVersionUID = 1L;

    private final transient Thread thread;
    private final transient Thread activeThread;

    ConcurrentSocketUseException(String operation, Thread thread, Thread activeThread, String socket) {
        super(thread + " cannot " + operation + " " + socket + ": " + activeThread + " is already in a "
                + (operation.startsWith("read") ? "read" : "write") + " on it (a hub socket has one reader and "
                + "one writer at a time)");
        this.thread = thread;
        this.activeThread = activeThread;
    }

    /** The thread that was refused. */
    public Thread thread() {
        return thread;
    }

    /** The thread that was already using the socket in the same direction. */
    public Thread activeThread() {
        return activeThread;
    }
}
