package io.loomhub.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollIoOps;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's {@link EpollIoHandler} with one repair: a channel whose epoll interest became empty gets its descriptor
 * back into the epoll set when it asks for events again.
 *
 * <h2>Why</h2>
 * Netty 4.2.18 deletes a descriptor from the epoll set ({@code EPOLL_CTL_DEL}) when its channel's interest
 * becomes empty, but leaves the registration marked as added. The channel's next interest is then an
 * {@code EPOLL_CTL_MOD} on a descriptor the epoll no longer holds, which fails with {@code ENOENT}. A TCP
 * channel's interest is empty once the peer's FIN has been seen (Netty drops {@code EPOLLRDHUP} then) while no
 * read is requested and no write waits for room. After that:
 * <ul>
 *   <li>a flush that fills the kernel's send buffer asks for {@code EPOLLOUT}, fails, and Netty shuts the output
 *       down, discarding every byte still pending in the channel: the peer sees a clean FIN after a truncated
 *       stream (a server that reads a request to its end and then answers with more than the socket buffers
 *       hold);</li>
 *   <li>a read request asks for {@code EPOLLIN}, fails, and Netty closes the channel, discarding its pending
 *       writes.</li>
 * </ul>
 * {@code RearmingEpollIoHandlerTest} reproduces both on a plain Netty channel, {@code HubSocketIntegrityTest} the
 * first through hub sockets; they fail without this class.
 *
 * <h2>How</h2>
 * Each registration is wrapped. When Netty reports an empty interest set the wrapper lets it delete the descriptor
 * and remembers that it did; the next non-empty interest cancels Netty's stale registration and registers the
 * channel afresh, whose first interest Netty adds with {@code EPOLL_CTL_ADD}. Only Netty's public
 * {@link IoHandler}/{@link IoRegistration} contracts are used, and a Netty that tracks the deletion itself is
 * unaffected (the fresh registration is then merely redundant).
 *
 * <h2>Threads</h2>
 * Like the handler it wraps: everything runs on the loop's thread, the hub's carrier.
 */
final class RearmingEpollIoHandler extends ForwardingIoHandler {

    private RearmingEpollIoHandler(IoHandler epoll) {
        super(epoll);
    }

    /**
     * Wraps the handlers of {@code epollFactory}. A channel whose descriptor Netty deleted from the epoll set is
     * still in Netty's registrations, so Netty closes it on shutdown like any other: only {@link #register} changes.
     */
    static IoHandlerFactory wrap(IoHandlerFactory epollFactory) {
        return wrapping(epollFactory, RearmingEpollIoHandler::new);
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        return new Rearming(handle, delegate.register(handle));
    }

    private final class Rearming implements IoRegistration, CountingIoHandler.SelfCounting {
        private final IoHandle handle;
        private IoRegistration current;
        /** The last interest was empty, so Netty deleted the descriptor from the epoll set. */
        private boolean deleted;
        /** The count this registration is in until its first cancel ({@link CountingIoHandler}), else null. */
        private AtomicInteger live;

        Rearming(IoHandle handle, IoRegistration current) {
            this.handle = handle;
            this.current = current;
        }

        @Override
        public <T> T attachment() {
            return current.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            boolean empty = ((EpollIoOps) ops).value() == 0;
            if (deleted && !empty) {
                if (!current.isValid()) {
                    return -1; // cancelled meanwhile (the channel is closing): nothing to re-arm
                }
                // Cancel first: Netty expects no valid registration for the descriptor when it registers one.
                // Its cancel tries EPOLL_CTL_DEL again, which fails quietly (ENOENT, logged at debug level).
                current.cancel();
                try {
                    current = delegate.register(handle);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                } catch (RuntimeException e) {
                    throw e;
                } catch (Exception e) {
                    throw new UncheckedIOException(new IOException("re-registering " + handle + " failed", e));
                }
                deleted = false;
            }
            long result = current.submit(ops);
            if (empty && result == 0) {
                deleted = true;
            }
            return result;
        }

        @Override
        public boolean isValid() {
            return current.isValid();
        }

        @Override
        public boolean cancel() {
            boolean cancelled = current.cancel();
            AtomicInteger counted = live;
            if (counted != null) {
                live = null; // a second cancel must not count twice
                counted.decrementAndGet();
            }
            return cancelled;
        }

        @Override
        public void countIn(AtomicInteger live) {
            this.live = live;
        }

        @Override
        public String toString() {
            return "Rearming[" + current + (deleted ? ", deleted from epoll" : "") + "]";
        }
    }
}
