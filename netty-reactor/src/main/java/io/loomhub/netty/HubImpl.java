package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.Closeable;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;

/**
 * What the two patched {@code java.net} implementations share ({@link HubSocketImpl}, {@link HubServerSocketImpl}):
 * each adapts the {@link SocketImpl} interface to a hub socket object, its delegate, made by {@link #create} on the
 * hub of the thread that created the {@code java.net} socket. {@code java.net.Socket} and {@code ServerSocket} keep
 * their own state (closed, bound, connected) and check it before they call in here; the delegate keeps the
 * connection's, and answers every thread as hub sockets do (this hub's threads inline, others through the carrier).
 *
 * @param <S> the delegate: {@link HubSocket} or {@link HubServerSocket}
 */
abstract sealed class HubImpl<S extends Closeable> extends SocketImpl permits HubSocketImpl, HubServerSocketImpl {

    /** The hub the delegate is made on; null for a client implementation only an accept can fill. */
    final Hub hub;
    private volatile S delegate;

    HubImpl(Hub hub) {
        this.hub = hub;
    }

    /** Makes the delegate on {@link #hub}. */
    abstract S newDelegate() throws IOException;

    /** The delegate, or null before {@link #create} (or an accept) made it. */
    final S delegate() {
        return delegate;
    }

    final void setDelegate(S s) {
        delegate = s;
    }

    /** The delegate, which {@code java.net} made sure exists before any call that needs it. */
    final S open() throws SocketException {
        S s = delegate;
        if (s == null) {
            throw new SocketException("Socket not created");
        }
        return s;
    }

    /** Makes the delegate; {@code java.net} calls it before the first operation. */
    @Override
    protected final void create(boolean stream) throws IOException {
        if (!stream) {
            throw new SocketException("hub sockets are stream (TCP) sockets only");
        }
        if (delegate != null) {
            return;
        }
        if (hub == null) {
            throw new SocketException("only a hub server socket can fill this socket: it was made off any hub");
        }
        try {
            delegate = newDelegate();
        } catch (IllegalStateException e) {
            throw new SocketException("cannot create a socket on hub '" + hub.name() + "': " + e.getMessage(), e);
        }
    }

    @Override
    protected final void connect(String host, int port) throws IOException {
        connect(host != null ? new InetSocketAddress(host, port)
                : new InetSocketAddress(InetAddress.getByName(null), port), 0);
    }

    @Override
    protected final void connect(InetAddress address, int port) throws IOException {
        connect(new InetSocketAddress(address, port), 0);
    }

    @Override
    protected final void close() throws IOException {
        S s = delegate;
        if (s != null) {
            s.close();
        }
    }

    static int intValue(Object value, String name) throws SocketException {
        if (!(value instanceof Integer i)) {
            throw new SocketException("Bad value for " + name);
        }
        return i;
    }

    static boolean booleanValue(Object value, String name) throws SocketException {
        if (!(value instanceof Boolean b)) {
            throw new SocketException("Bad value for " + name);
        }
        return b;
    }

    @Override
    public String toString() {
        S s = delegate;
        return s != null ? s.toString()
                : getClass().getSimpleName() + "[uncreated,hub=" + (hub != null ? hub.name() : "none") + "]";
    }
}
