package io.loomhub.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerContext;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
import io.netty.util.concurrent.ThreadAwareExecutor;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Netty's {@link IoHandler} (epoll or NIO) with a count of its live registrations, for
 * {@link NettyReactor#registeredIoCount()}: {@code hub.dump()} needs to know whether any channel could still wake a
 * parked hub thread.
 *
 * <p>Why a wrapper: {@code ManualIoEventLoop} keeps no count and its {@code register} methods are final, but every
 * registration on it (hub sockets, hub server sockets, channels users register through
 * {@link NettyReactor#eventLoop}, bare {@code IoHandle}s) ends in {@link IoHandler#register}, so this is the one
 * place that sees them all. Netty's own {@code SingleThreadIoEventLoop} counts the same way, by wrapping the
 * registrations it hands out. The cost: the loop's {@code isIoType(EpollIoHandler.class)} is false, because it
 * compares the handler's class; {@link NettyReactor#transport(io.loomhub.scheduler.Hub)} says which transport runs.
 *
 * <p>A registration counts while Netty says it is valid and nobody cancelled it through the wrapper. Channels
 * cancel the registration they were given (the wrapper) when they close or deregister; the set is also pruned of
 * registrations Netty invalidated by itself, so a count is never inflated by a stale entry.
 */
final class CountingIoHandler implements IoHandler {

    private final IoHandler delegate;
    /** Registrations handed out and not cancelled. Added on the loop's thread; removed on any thread. */
    /**
     * Registrations made and not yet cancelled. A counter rather than a set of them: a set entry would cost every
     * idle connection another 32 B, and Netty cancels every registration it ends (close and deregister both go
     * through {@link IoRegistration#cancel}). Written on the carrier, read by dumps on any thread.
     */
    private final AtomicInteger live = new AtomicInteger();

    private CountingIoHandler(IoHandler delegate) {
        this.delegate = delegate;
    }

    /**
     * The number of live registrations: I/O sources that could still produce an event. Any thread; exact on the
     * loop's thread, where registrations are added.
     */
    int liveRegistrations() {
        return live.get();
    }

    @Override
    public void initialize() {
        delegate.initialize();
    }

    @Override
    public int run(IoHandlerContext context) {
        return delegate.run(context);
    }

    @Override
    public void prepareToDestroy() {
        delegate.prepareToDestroy();
    }

    @Override
    public void destroy() {
        delegate.destroy();
    }

    /** Called by the loop on its own thread, for every registration. */
    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        CountedRegistration r = new CountedRegistration(delegate.register(handle));
        live.incrementAndGet();
        return r;
    }

    @Override
    public void wakeup() {
        delegate.wakeup();
    }

    @Override
    public boolean isCompatible(Class<? extends IoHandle> handleType) {
        return delegate.isCompatible(handleType);
    }

    @Override
    public String toString() {
        return "CountingIoHandler[" + delegate + "]";
    }

    /**
     * Makes a {@link CountingIoHandler} around each handler the wrapped factory makes, and remembers it: a
     * {@code ManualIoEventLoop} calls {@link #newHandler} once, from its constructor.
     */
    static final class Factory implements IoHandlerFactory {
        private final IoHandlerFactory delegate;
        private volatile CountingIoHandler made;

        Factory(IoHandlerFactory delegate) {
            this.delegate = delegate;
        }

        @Override
        public IoHandler newHandler(ThreadAwareExecutor ioExecutor) {
            CountingIoHandler h = new CountingIoHandler(delegate.newHandler(ioExecutor));
            made = h;
            return h;
        }

        @Override
        public boolean isChangingThreadSupported() {
            return delegate.isChangingThreadSupported();
        }

        /**
         * The handler made for the loop.
         *
         * @throws IllegalStateException if no loop has asked for one yet
         */
        CountingIoHandler handler() {
            CountingIoHandler h = made;
            if (h == null) {
                throw new IllegalStateException("no handler was made yet");
            }
            return h;
        }
    }

    /** Netty's registration, leaving the live set when cancelled. */
    private final class CountedRegistration implements IoRegistration {
        private final IoRegistration delegate;
        private boolean counted = true; // carrier only: a second cancel must not count twice

        CountedRegistration(IoRegistration delegate) {
            this.delegate = delegate;
        }

        @Override
        public <T> T attachment() {
            return delegate.attachment();
        }

        @Override
        public long submit(IoOps ops) {
            return delegate.submit(ops);
        }

        @Override
        public boolean isValid() {
            return delegate.isValid();
        }

        @Override
        public boolean cancel() {
            boolean cancelled = delegate.cancel();
            if (counted) {
                counted = false;
                live.decrementAndGet();
            }
            return cancelled;
        }

        @Override
        public String toString() {
            return delegate.toString();
        }
    }
}
