package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketOptions;
import java.net.StandardSocketOptions;
import java.util.Set;

/**
 * The implementation behind a patched {@link java.net.Socket} (see {@link JavaNetSockets}): an adapter from the
 * {@link SocketImpl} interface to a {@link HubSocket}, which does the work (see {@link HubImpl}).
 *
 * <p>The hub socket is created unconnected by {@link #create}, and replaced by the accepted one when a patched
 * server socket accepts into this implementation. It is detached (no thread owns it), because a {@code java.net}
 * socket outlives the thread that opened it.
 */
final class HubSocketImpl extends HubImpl<HubSocket> {

    private volatile InputStream in;
    private volatile OutputStream out;

    /**
     * An implementation whose socket will connect through {@code hub}'s loop; with a null hub, one that can only
     * receive a connection a hub server socket accepts (the accepting thread is not a hub thread).
     */
    HubSocketImpl(Hub hub) {
        super(hub);
    }

    @Override
    HubSocket newDelegate() throws IOException {
        return new HubSocket(hub).detach(); // unconnected: only records the rule, applied when it connects
    }

    /** Takes over an accepted connection. Runs in the accepting thread, before the socket is published. */
    void attach(HubSocket accepted) {
        setDelegate(accepted);
        in = null;
        out = null;
        publishAddresses(accepted);
    }

    /** Copies the addresses into the fields {@code java.net.Socket} reads them from. */
    private void publishAddresses(HubSocket s) {
        address = s.getInetAddress();
        port = s.getPort();
        localport = s.getLocalPort();
    }

    // ------------------------------------------------------------------------------------------------
    // Connecting
    // ------------------------------------------------------------------------------------------------

    @Override
    protected void connect(SocketAddress address, int timeout) throws IOException {
        HubSocket s = open();
        s.connect(address, timeout);
        publishAddresses(s);
    }

    /** Records the local address; as with {@link HubSocket#bind}, the bind happens when the socket connects. */
    @Override
    protected void bind(InetAddress host, int port) throws IOException {
        HubSocket s = open();
        s.bind(new InetSocketAddress(host, port));
        localport = port;
    }

    @Override
    protected void listen(int backlog) throws IOException {
        throw new SocketException("not a server socket");
    }

    @Override
    protected void accept(SocketImpl s) throws IOException {
        throw new SocketException("not a server socket");
    }

    // ------------------------------------------------------------------------------------------------
    // Streams
    // ------------------------------------------------------------------------------------------------

    @Override
    protected InputStream getInputStream() throws IOException {
        InputStream i = in;
        if (i == null) {
            in = i = new ImplInputStream(open().getInputStream());
        }
        return i;
    }

    @Override
    protected OutputStream getOutputStream() throws IOException {
        OutputStream o = out;
        if (o == null) {
            out = o = new ImplOutputStream(open().getOutputStream());
        }
        return o;
    }

    @Override
    protected int available() throws IOException {
        return open().getInputStream().available();
    }

    @Override
    protected void shutdownInput() throws IOException {
        open().shutdownInput();
    }

    @Override
    protected void shutdownOutput() throws IOException {
        open().shutdownOutput();
    }

    @Override
    protected boolean supportsUrgentData() {
        return false; // java.net.Socket then throws "Urgent data not supported" itself
    }

    @Override
    protected void sendUrgentData(int data) throws IOException {
        open().sendUrgentData(data);
    }

    /**
     * A hub socket closes itself when its reader or writer is interrupted, and says "Closed by interrupt". The JDK's
     * own sockets signal it with an {@link InterruptedIOException}, on which {@code java.net.Socket}'s stream closes
     * the {@code Socket} too (so its {@code isClosed()} is true) and throws "Closed by interrupt": do the same.
     */
    static IOException interruptedOr(IOException e) {
        Thread t = Thread.currentThread();
        if (t.isVirtual() && t.isInterrupted() && e instanceof SocketException) {
            InterruptedIOException ie = new InterruptedIOException(e.getMessage());
            ie.initCause(e);
            return ie;
        }
        return e;
    }

    private static final class ImplInputStream extends InputStream {
        private final InputStream in;

        ImplInputStream(InputStream in) {
            this.in = in;
        }

        @Override
        public int read() throws IOException {
            try {
                return in.read();
            } catch (IOException e) {
                throw interruptedOr(e);
            }
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            try {
                return in.read(b, off, len);
            } catch (IOException e) {
                throw interruptedOr(e);
            }
        }

        @Override
        public int available() throws IOException {
            return in.available();
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }

    private static final class ImplOutputStream extends OutputStream {
        private final OutputStream out;

        ImplOutputStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                throw interruptedOr(e);
            }
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            try {
                out.write(b, off, len);
            } catch (IOException e) {
                throw interruptedOr(e);
            }
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Options
    // ------------------------------------------------------------------------------------------------

    /**
     * The legacy integer options {@code java.net.Socket}'s setters use. Values are as the JDK passes them:
     * {@code SO_LINGER} is {@code Boolean.FALSE} for off or the linger time.
     */
    @Override
    @SuppressWarnings("unchecked")
    public void setOption(int optID, Object value) throws SocketException {
        HubSocket s = open();
        try {
            switch (optID) {
                case SO_TIMEOUT -> s.setSoTimeout(intValue(value, "SO_TIMEOUT"));
                case SO_OOBINLINE -> s.setOOBInline(booleanValue(value, "SO_OOBINLINE"));
                case SO_LINGER -> {
                    if (value instanceof Boolean on && !on) {
                        s.setSoLinger(false, 0);
                    } else {
                        s.setSoLinger(true, intValue(value, "SO_LINGER"));
                    }
                }
                default -> s.setOption((SocketOption<Object>) standardOption(optID), value);
            }
        } catch (SocketException e) {
            throw e;
        } catch (IOException | IllegalArgumentException | ClassCastException e) {
            throw new SocketException("could not set option " + optID + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Object getOption(int optID) throws SocketException {
        HubSocket s = open();
        try {
            return switch (optID) {
                case SO_TIMEOUT -> s.getSoTimeout();
                case SO_BINDADDR -> s.getLocalAddress();
                case SO_OOBINLINE -> s.getOOBInline();
                case SO_LINGER -> {
                    int linger = s.getSoLinger();
                    yield linger < 0 ? Boolean.FALSE : (Object) linger;
                }
                default -> s.getOption(standardOption(optID));
            };
        } catch (SocketException e) {
            throw e;
        } catch (IOException | RuntimeException e) {
            throw new SocketException("could not get option " + optID + ": " + e.getMessage(), e);
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
        HubSocket s = delegate();
        return s != null ? s.supportedOptions() : Set.of();
    }

    /** The standard option for a legacy option number that maps onto one. */
    static SocketOption<?> standardOption(int optID) throws SocketException {
        return switch (optID) {
            case SocketOptions.TCP_NODELAY -> StandardSocketOptions.TCP_NODELAY;
            case SocketOptions.SO_KEEPALIVE -> StandardSocketOptions.SO_KEEPALIVE;
            case SocketOptions.SO_REUSEADDR -> StandardSocketOptions.SO_REUSEADDR;
            case SocketOptions.SO_SNDBUF -> StandardSocketOptions.SO_SNDBUF;
            case SocketOptions.SO_RCVBUF -> StandardSocketOptions.SO_RCVBUF;
            case SocketOptions.IP_TOS -> StandardSocketOptions.IP_TOS;
            default -> throw new SocketException("Unknown option " + optID);
        };
    }
}
