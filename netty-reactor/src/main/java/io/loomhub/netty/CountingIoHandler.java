package io.loomhub.netty;

import io.netty.channel.IoHandle;
import io.netty.channel.IoHandler;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.IoOps;
import io.netty.channel.IoRegistration;
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
 * <p>A registration counts from {@link #register} until its first cancel through the wrapper: channels cancel the
 * registration they were given (the wrapper) when they close or deregister.
 */
final class CountingIoHandler extends ForwardingIoHandler {

    /**
     * Registrations made and not yet cancelled. A counter rather than a set of them: a set entry would cost every
     * idle connection another 32 B, and Netty cancels every registration it ends (close and deregister both go
     * through {@link IoRegistration#cancel}). Written on the carrier, read by dumps on any thread.
     */
    private final AtomicInteger live = new AtomicInteger();

    private CountingIoHandler(IoHandler delegate) {
        super(delegate);
    }

    int liveRegistrations() {
        return live.get();
    }

    @Override
    public IoRegistration register(IoHandle handle) throws Exception {
        IoRegistration r = delegate.register(handle);
        live.incrementAndGet();
        if (r instanceof SelfCounting s) {
            s.countIn(live); // no second wrapper: 24 B less for every connection
            return r;
        }
        return new CountedRegistration(r);
    }

    /**
     * A registration that is already a wrapper of ours ({@link RearmingEpollIoHandler}'s) and counts itself out of
     * the live registrations on its first cancel. Carrier only, like the registration.
     */
    interface SelfCounting {
        /** From now on, the first {@link IoRegistration#cancel} decrements {@code live}. */
        void countIn(AtomicInteger live);
    }

    /** Wraps another factory's handlers, and keeps the one it made for {@link NettyReactor} to ask for counts. */
    static final class Factory {
        private final IoHandlerFactory wrapping;
        private volatile CountingIoHandler made;

        Factory(IoHandlerFactory delegate) {
            this.wrapping = wrapping(delegate, h -> made = new CountingIoHandler(h));
        }

        /** The factory to give the loop. */
        IoHandlerFactory factory() {
            return wrapping;
        }

        CountingIoHandler handler() {
            CountingIoHandler h = made;
            if (h == null) {
                throw new IllegalStateException("no handler was made yet");
            }
            return h;
        }
    }

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
