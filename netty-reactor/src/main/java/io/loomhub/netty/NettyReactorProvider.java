package io.loomhub.netty;

import io.loomhub.scheduler.Reactor;
import io.loomhub.scheduler.ReactorFactory;

/**
 * The {@link ReactorFactory} that {@link java.util.ServiceLoader} finds in this module, so {@link
 * io.loomhub.scheduler.Hub#create()} drives Netty (epoll, or NIO where epoll is missing) whenever
 * {@code loomhub-netty-reactor} is on the class path. Code that wants a Netty reactor explicitly should use
 * {@link NettyReactor#auto()}, {@link NettyReactor#epoll()} or {@link NettyReactor#nio()}; this class exists
 * because {@code ServiceLoader} needs a public class with a public no-argument constructor.
 */
public final class NettyReactorProvider implements ReactorFactory {

    private final ReactorFactory delegate = NettyReactor.auto();

    /** Called by {@link java.util.ServiceLoader}. */
    public NettyReactorProvider() { }

    @Override
    public Reactor create(Host host) {
        return delegate.create(host);
    }

    /** The delegate's carrier: a Netty {@code FastThreadLocalThread}. */
    @Override
    public Thread newCarrierThread(Runnable loop, String name) {
        return delegate.newCarrierThread(loop, name);
    }

    /** Above the parking reactor's 0, so Netty wins when present. */
    @Override
    public int priority() {
        return NettyReactor.SERVICE_PRIORITY;
    }

    @Override
    public String toString() {
        return "NettyReactorProvider[" + delegate + "]";
    }
}
