package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.StandardSocketOptions;
import java.util.Set;

/**
 * The implementation behind a patched {@link java.net.ServerSocket} (see {@link JavaNetSockets}): an adapter from
 * the {@link SocketImpl} interface to a {@link HubServerSocket}, which does the work.
 *
 * <p>{@code java.net.ServerSocket} binds in two calls ({@code bind}, then {@code listen}); Netty binds and listens
 * in one, so {@link #bind} records the address and {@link #listen} binds. {@code accept} is handed, by
 * {@code ServerSocket}, an implementation the client factory made for it: always a {@link HubSocketImpl} (see
 * {@link JavaNetSockets}), which takes over the accepted connection. Any thread may accept; threads that are not
 * this hub's wait for the carrier as with {@link HubServerSocket}.
 */
final class HubServerSocketImpl extends HubImpl<HubServerSocket> {

    private volatile InetSocketAddress bindAddress;

    /** An implementation whose server socket will listen on {@code hub}'s loop. */
    HubServerSocketImpl(Hub hub) {
        super(hub);
    }

    @Override
    HubServerSocket newDelegate() throws IOException {
        HubServerSocket s = new HubServerSocket(hub);
        s.acceptDetached(); // a java.net socket outlives the thread that accepted it
        return s;
    }

    /** Records the address; {@link #listen} binds to it. */
    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        HubServerSocket s = open();
        if (s.isBound() || bindAddress != null) {
            throw new SocketException("Already bound");
        }
        bindAddress = new InetSocketAddress(host, port);
    }

    @Override
    protected void listen(int backlog) throws IOException {
        HubServerSocket s = open();
        InetSocketAddress a = bindAddress;
        if (a == null) {
            throw new SocketException("Socket is not bound yet");
        }
        s.bind(a, backlog);
        address = s.getInetAddress();
        localport = s.getLocalPort();
    }

    /**
     * Accepts into {@code target}, which {@code java.net.ServerSocket} made with the client factory on this thread.
     *
     * @throws SocketException if {@code target} is not a hub socket implementation (a server socket subclass that
     *                         brings its own client sockets)
     */
    @Override
    protected void accept(SocketImpl target) throws IOException {
        if (!(target instanceof HubSocketImpl impl)) {
            throw new SocketException("a java.net.ServerSocket created on a thread of hub '" + hub.name()
                    + "' accepts only into hub sockets, not into " + target.getClass().getName());
        }
        HubSocket accepted;
        try {
            accepted = (HubSocket) open().accept();
        } catch (IOException e) {
            throw HubSocketImpl.interruptedOr(e);
        }
        impl.attach(accepted);
    }

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        throw new SocketException("a server socket does not connect");
    }

    @Override
    protected InputStream getInputStream() throws IOException {
        throw noStreams();
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        throw noStreams();
    }

    @Override
    protected int available() throws IOException {
        throw noStreams();
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        throw noStreams();
    }

    private static SocketException noStreams() {
        return new SocketException("a server socket has no streams");
    }

    // ------------------------------------------------------------------------------------------------
    // Options: the legacy integer ones java.net.ServerSocket's setters use, and the standard ones
    // ------------------------------------------------------------------------------------------------

    @Override
    public void setOption(int optID, Object value) throws SocketException {
        HubServerSocket s = open();
        switch (optID) {
            case SO_TIMEOUT -> s.setSoTimeout(intValue(value, "SO_TIMEOUT"));
            case SO_REUSEADDR -> s.setReuseAddress(booleanValue(value, "SO_REUSEADDR"));
            case SO_RCVBUF -> {
                int size = intValue(value, "SO_RCVBUF");
                if (size <= 0) {
                    throw new SocketException("SO_RCVBUF <= 0");
                }
                s.setReceiveBufferSize(size);
            }
            default -> throw new SocketException("Unknown option " + optID + " for a hub server socket");
        }
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        HubServerSocket s = open();
        try {
            return switch (optID) {
                case SO_TIMEOUT -> s.getSoTimeout();
                case SO_REUSEADDR -> s.getReuseAddress();
                case SO_RCVBUF -> s.getReceiveBufferSize();
                case SO_BINDADDR -> s.getInetAddress();
                default -> throw new SocketException("Unknown option " + optID + " for a hub server socket");
            };
        } catch (SocketException e) {
            throw e;
        } catch (IOException e) {
            throw new SocketException(e.getMessage(), e);
        }
    }

    @Override
    protected <T> void setOption(SocketOption<T> name, T value) throws IOException {
        open().setOption(name, value);
    }

    @Override
    protected <T> T getOption(SocketOption<T> name) throws IOException {
        return open().getOption(name);
    }

    @Override
    protected Set<SocketOption<?>> supportedOptions() {
        HubServerSocket s = delegate();
        return s != null ? s.supportedOptions() : Set.of(StandardSocketOptions.SO_REUSEADDR,
                StandardSocketOptions.SO_RCVBUF);
    }
}
