package io.loomhub.netty;

import io.loomhub.netty.JdkSocketPolling.Jdk;
import io.loomhub.scheduler.Hub;
import io.netty.channel.IoEvent;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandle;
import io.netty.channel.epoll.EpollIoOps;
import io.netty.channel.unix.FileDescriptor;
import java.io.IOException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One hub's epoll sets for the JDK descriptors its threads wait on ({@link JdkSocketPolling} routes those waits
 * here): one set for reads, one for writes, as the JDK keeps them, each armed one-shot per wait. Each set is itself a
 * descriptor registered on the hub's Netty loop; when it turns readable the carrier drains it and wakes every thread
 * whose descriptor is ready, through the JDK's own {@code Poller.stopPoll}, so the thread resumes from a carrier
 * callback into the hub's local queue.
 *
 * <p>A set is made on the first wait that needs it, so a hub whose threads never wait on a JDK socket holds no extra
 * descriptor and registers nothing.
 *
 * <p>A hub thread that parks while pinned (under a class initialiser or a native frame) parks the carrier itself, and
 * the loop cannot poll the sets until it is woken. So while one slice holds the carrier, the hub's watchdog thread
 * drains the sets too ({@link #rescue()}, through {@link NettyReactor#carrierHeld}): such a wait then ends within
 * about two watchdog periods of its descriptor turning ready, as the JDK's own poller would have woken it.
 *
 * <p>Threads: the carrier, except {@link #rescue()}. Registrations come from hub threads, which run on the carrier;
 * the sets' readiness comes from the hub's event loop, which the carrier drives.
 */
final class HubJdkPoller {

    private static final Logger LOG = LoggerFactory.getLogger(HubJdkPoller.class);
    /** Events taken per {@code epoll_wait}; a full batch is followed by another. */
    private static final int BATCH = 64;

    private final NettyReactor reactor;
    private final EpollSet reads = new EpollSet(true);
    private final EpollSet writes = new EpollSet(false);
    /** Threads armed in one of the sets and not yet back. */
    private int waiting;
    /** Sets registered on the Netty loop right now. */
    private int loopRegistrations;
    /** Threads woken by this hub's sets from the carrier; for tests and stats. */
    private long wakeups;
    /** Threads woken by the watchdog's {@link #rescue()}. */
    private volatile long rescued;
    private boolean closed;

    HubJdkPoller(NettyReactor reactor) {
        this.reactor = reactor;
    }

    /**
     * The poller of the calling thread's hub, or null: a platform thread, a virtual thread of another scheduler, a
     * hub without a Netty epoll reactor (or whose reactor has closed). Any thread.
     */
    static HubJdkPoller ofCurrentThread() {
        if (!Thread.currentThread().isVirtual()) {
            return null;
        }
        Hub hub = Hub.current().orElse(null);
        if (hub == null) {
            return null;
        }
        NettyReactor reactor = NettyReactor.find(hub);
        return reactor == null ? null : reactor.jdkPoller();
    }

    /** Arms {@code fd} one-shot in the read or write set, for the calling hub thread. */
    void register(int fd, boolean read) throws IOException {
        int epfd = (read ? reads : writes).open();
        int event = (read ? Jdk.EPOLLIN : Jdk.EPOLLOUT) | Jdk.EPOLLONESHOT;
        int err = ctl(epfd, Jdk.EPOLL_CTL_MOD, fd, event); // re-arm: the descriptor is usually in the set already
        if (err == Jdk.ENOENT) {
            err = ctl(epfd, Jdk.EPOLL_CTL_ADD, fd, event);
        }
        if (err != 0) {
            throw new IOException("epoll_ctl failed: errno " + err);
        }
        waiting++;
    }

    /**
     * The thread armed on {@code fd} is back. Unless a wake-up consumed its one-shot event ({@code polled}), the
     * descriptor leaves the set, so a later readiness cannot wake whoever waits on it next.
     */
    void deregister(int fd, boolean read, boolean polled) {
        waiting--;
        EpollSet set = read ? reads : writes;
        if (!polled && set.epfd >= 0) {
            ctl(set.epfd, Jdk.EPOLL_CTL_DEL, fd, 0); // an error means the descriptor is gone already
        }
    }

    /** Threads waiting in this hub's sets. Carrier only. */
    int waiting() {
        return waiting;
    }

    /** The sets registered on the Netty loop (0 to 2), which {@link NettyReactor#registeredIoCount()} leaves out. */
    int loopRegistrations() {
        return loopRegistrations;
    }

    /** Threads woken by this hub's sets so far. Carrier only. */
    long wakeups() {
        return wakeups;
    }

    /** Threads woken by {@link #rescue()} so far. Any thread. */
    long rescued() {
        return rescued;
    }

    /**
     * Wakes the threads whose descriptors are ready, from a thread other than the carrier, while a slice holds the
     * carrier. Watchdog thread only; never blocks (a poll with no timeout per set).
     */
    void rescue() {
        long n = reads.rescue() + writes.rescue();
        if (n > 0) {
            rescued += n; // the watchdog is the only writer
            LOG.debug("hub '{}': woke {} JDK-socket waits while a slice held the carrier", reactor.hub().name(), n);
        }
    }

    /** Descriptors this poller holds open (0 to 2). Carrier only. */
    int openSets() {
        return (reads.epfd >= 0 ? 1 : 0) + (writes.epfd >= 0 ? 1 : 0);
    }

    /** Releases both sets; after the Netty loop has terminated. Carrier only; idempotent. */
    void close() {
        closed = true;
        reads.release();
        writes.release();
    }

    private static int ctl(int epfd, int op, int fd, int events) {
        try {
            return (int) Jdk.EPOLL_CTL.invokeExact(epfd, op, fd, events);
        } catch (Throwable t) {
            throw unexpected(t);
        }
    }

    private static RuntimeException unexpected(Throwable t) {
        if (t instanceof Error e) {
            throw e;
        }
        return t instanceof RuntimeException r ? r : new IllegalStateException(t);
    }

    /** One epoll set, registered on the hub's loop as a level-triggered readable descriptor. */
    private final class EpollSet implements EpollIoHandle {
        private final boolean read;
        /** -1 until opened and after release; read by the watchdog's rescue. */
        private volatile int epfd = -1;
        private long events;
        /** The rescue's own event buffer (the carrier may be polling with the other); 0 until first needed. */
        private long rescueEvents;
        private FileDescriptor fd;

        EpollSet(boolean read) {
            this.read = read;
        }

        /** The set's descriptor, made (and its registration on the loop requested) on first use. */
        int open() throws IOException {
            if (epfd >= 0) {
                return epfd;
            }
            if (closed) {
                throw new IOException("hub '" + reactor.hub().name() + "' has closed its event loop");
            }
            try {
                int created = (int) Jdk.EPOLL_CREATE.invokeExact();
                events = (long) Jdk.ALLOCATE_EVENTS.invokeExact(BATCH);
                epfd = created;
            } catch (IOException e) {
                throw e;
            } catch (Throwable t) {
                throw unexpected(t);
            }
            fd = new FileDescriptor(epfd);
            // Called on a hub thread, so Netty queues the registration as a loop task: it runs before the loop
            // next blocks, and a set that is already readable then is reported at once (level-triggered).
            reactor.loop().register(this).addListener(f -> {
                if (f.isSuccess()) {
                    IoRegistration registration = (IoRegistration) f.getNow();
                    loopRegistrations++;
                    registration.submit(EpollIoOps.EPOLLIN);
                } else {
                    LOG.error("hub '{}': cannot register its JDK-socket {} set on its event loop; threads waiting "
                            + "in it will not wake", reactor.hub().name(), read ? "read" : "write", f.cause());
                }
            });
            return epfd;
        }

        @Override
        public FileDescriptor fd() {
            return fd;
        }

        /** The set is readable: wake every thread whose descriptor is ready. On the carrier, in the loop. */
        @Override
        public void handle(IoRegistration registration, IoEvent ioEvent) {
            wakeups += drain(epfd, events);
        }

        /** {@link #handle} from the watchdog thread; returns the threads woken. */
        long rescue() {
            if (epfd < 0) {
                return 0;
            }
            synchronized (this) { // against release(), which frees the buffers
                int ep = epfd;
                if (ep < 0) {
                    return 0;
                }
                if (rescueEvents == 0) {
                    try {
                        rescueEvents = (long) Jdk.ALLOCATE_EVENTS.invokeExact(BATCH);
                    } catch (Throwable t) {
                        throw unexpected(t);
                    }
                }
                return drain(ep, rescueEvents);
            }
        }

        /**
         * Takes the ready descriptors of set {@code ep} into {@code buffer}, each delivered once (one-shot), and
         * wakes their threads through the JDK's {@code stopPoll}. Returns how many.
         */
        private long drain(int ep, long buffer) {
            int event = read ? Jdk.POLLIN : Jdk.POLLOUT;
            long woken = 0;
            try {
                int n;
                do {
                    n = (int) Jdk.EPOLL_WAIT.invokeExact(ep, buffer, BATCH, 0);
                    for (int i = 0; i < n; i++) {
                        int ready = (int) Jdk.EVENT_FD.invokeExact((long) Jdk.EVENT_AT.invokeExact(buffer, i));
                        Jdk.STOP_POLL.invokeExact(ready, event);
                    }
                    woken += n;
                } while (n == BATCH);
            } catch (Throwable t) {
                LOG.error("hub '{}': polling its JDK-socket {} set failed", reactor.hub().name(),
                        read ? "read" : "write", t);
            }
            return woken;
        }

        @Override
        public void unregistered() {
            loopRegistrations--;
        }

        /** Netty closes the handle when the loop shuts down. */
        @Override
        public void close() {
            release();
        }

        synchronized void release() {
            if (epfd < 0) {
                return;
            }
            epfd = -1;
            try {
                fd.close();
            } catch (IOException e) {
                LOG.debug("closing a JDK-socket epoll set", e);
            }
            try {
                Jdk.FREE_EVENTS.invokeExact(events);
                if (rescueEvents != 0) {
                    Jdk.FREE_EVENTS.invokeExact(rescueEvents);
                    rescueEvents = 0;
                }
            } catch (Throwable t) {
                throw unexpected(t);
            }
        }
    }
}
