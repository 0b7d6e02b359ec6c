package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.netty.channel.Channel;
import io.netty.channel.ChannelConfig;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelOption;
import io.netty.channel.ConnectTimeoutException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.channels.SocketChannel;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;

/**
 * A {@link Socket} whose I/O is Netty channel events on a hub's event loop: gevent's patched socket. Code and
 * libraries written for plain sockets run unchanged on hub threads, and a read is a round trip through the hub's
 * own epoll loop on the same carrier (no poller thread, no wake-up syscall): see {@code docs/sockets.md}.
 *
 * <p>It behaves as {@code java.net} documents: streams, {@code connect} with a timeout
 * ({@link SocketTimeoutException} "Connect timed out", {@link ConnectException} when refused),
 * {@link #setSoTimeout} ({@link SocketTimeoutException} "Read timed out", the socket stays usable), half-close,
 * TCP options, {@code close()} from any thread (a parked reader or writer gets {@link SocketException}
 * "Socket closed"), and an interrupted reader or writer closes the socket and gets {@link SocketException}
 * "Closed by interrupt" with its interrupt status set, as JDK sockets do on virtual threads. Differences: a
 * writer parks while the connection's outbound buffer is full (back-pressure, bounded memory); TCP_NODELAY
 * defaults to true (Netty's default); {@link #bind} before {@code connect} binds when connecting.
 *
 * <h2>Threads</h2>
 * Any thread may use a hub socket, but it is made for this hub's threads: theirs is the path without a thread
 * hop. Another thread's calls run on the hub's carrier as callbacks and wait for them. Blocking calls (connect,
 * stream reads and writes) are refused on the hub's bare carrier ({@link IllegalStateException}). One thread may
 * read and one may write at a time: a second concurrent reader (or writer) gets a
 * {@link ConcurrentSocketUseException} naming both threads.
 *
 * <h2>Ownership</h2>
 * A hub socket opened (connected or accepted) by a hub thread is owned by that thread: when the thread ends, the
 * sockets it still owns are closed, counted ({@link #stats(Hub)}) and logged with the thread's name. To let a
 * socket outlive its thread, call {@link #handOff()} (the next hub thread that reads or writes it becomes its
 * owner) or {@link #detach()} (no thread owns it; whoever holds it must close it). Sockets opened by other
 * threads are never owned. Closing the hub closes every hub socket on it.
 *
 * <p>Code that makes plain {@code new Socket(...)} itself can get the same machinery without naming this class:
 * {@link JavaNetSockets#patch()} makes every {@code java.net} socket created on a hub thread a hub socket underneath
 * (with no owner, as plain {@code java.net} sockets have none).
 */
public class HubSocket extends Socket {

    private static final int BOUND = 1;
    private static final int CONNECTED = 1 << 1;
    private static final int CLOSED = 1 << 2;
    private static final int SHUT_IN = 1 << 3;
    private static final int SHUT_OUT = 1 << 4;
    private static final int CONNECTING = 1 << 5;

    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(HubSocket.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    /** The socket options a hub socket supports, and Netty's names for them. */
    private static final Map<SocketOption<?>, ChannelOption<?>> OPTIONS = Map.of(
            StandardSocketOptions.TCP_NODELAY, ChannelOption.TCP_NODELAY,
            StandardSocketOptions.SO_KEEPALIVE, ChannelOption.SO_KEEPALIVE,
            StandardSocketOptions.SO_REUSEADDR, ChannelOption.SO_REUSEADDR,
            StandardSocketOptions.SO_SNDBUF, ChannelOption.SO_SNDBUF,
            StandardSocketOptions.SO_RCVBUF, ChannelOption.SO_RCVBUF,
            StandardSocketOptions.SO_LINGER, ChannelOption.SO_LINGER,
            StandardSocketOptions.IP_TOS, ChannelOption.IP_TOS);

    // Every field here is paid by every idle connection (this object is 48 B, 36 of them java.net.Socket's), so a
    // socket keeps only what it needs once connected: its reactor and addresses are its connection's (Netty keeps
    // the addresses after close), its streams are made per call (they hold nothing but the socket), and what most
    // sockets are never told lives in Settings, made when the socket is made unconnected or on first use.
    private volatile int state;
    private volatile HubChannel conn;
    private volatile Settings settings;

    /**
     * What most sockets are never told: a read timeout, and before connecting a bind address, options and the
     * ownership rule at connect. A socket made unconnected has one from the start, which also holds its reactor
     * until it has a connection; an accepted socket gets one when first told something.
     */
    private static final class Settings {
        final NettyReactor reactor;
        volatile int soTimeout;
        volatile InetSocketAddress bindAddress;
        volatile boolean handOff;
        volatile boolean detach;
        final Map<SocketOption<?>, Object> options = new ConcurrentHashMap<>();

        Settings(NettyReactor reactor) {
            this.reactor = reactor;
        }
    }

    /**
     * An unconnected socket on the calling thread's hub.
     *
     * @throws IllegalStateException if the caller is not a hub thread, or its hub does not run a
     *                               {@link NettyReactor}
     */
    public HubSocket() throws SocketException {
        this(currentHub());
    }

    /**
     * An unconnected socket on {@code hub}.
     *
     * @throws IllegalStateException if the hub does not run a {@link NettyReactor}
     */
    public HubSocket(Hub hub) throws SocketException {
        super(InertSocketImpl.INSTANCE);
        this.settings = new Settings(NettyReactor.of(Objects.requireNonNull(hub, "hub")));
    }

    /**
     * A socket on the calling thread's hub, connected to {@code host:port}.
     *
     * @throws IOException           as {@link #connect(SocketAddress)}
     * @throws IllegalStateException if the caller is not a hub thread
     */
    public HubSocket(String host, int port) throws IOException {
        this(currentHub(), host, port);
    }

    /**
     * A socket on the calling thread's hub, connected to {@code address:port}.
     *
     * @throws IOException           as {@link #connect(SocketAddress)}
     * @throws IllegalStateException if the caller is not a hub thread
     */
    public HubSocket(InetAddress address, int port) throws IOException {
        this(currentHub());
        connect(new InetSocketAddress(address, port));
    }

    /**
     * A socket on {@code hub}, connected to {@code host:port}.
     *
     * @throws IOException as {@link #connect(SocketAddress)}
     */
    public HubSocket(Hub hub, String host, int port) throws IOException {
        this(hub);
        connect(host != null ? new InetSocketAddress(host, port)
                : new InetSocketAddress(InetAddress.getByName(null), port));
    }

    /** An accepted connection. */
    HubSocket(HubChannel accepted) throws SocketException {
        super(InertSocketImpl.INSTANCE);
        this.conn = accepted;
        keepAddresses(accepted.channel());
        this.state = BOUND | CONNECTED;
    }

    static Hub currentHub() {
        return Hub.current().orElseThrow(() -> new IllegalStateException("a hub socket made without a hub must be "
                + "made on a hub thread (Hub.current() is empty on " + Thread.currentThread() + "); pass a Hub"));
    }

    /** The hub whose event loop serves this socket. */
    public Hub hub() {
        return reactor().hub();
    }

    /** The connection's reactor once connected; else the one it was made on (an unconnected socket has settings). */
    private NettyReactor reactor() {
        HubChannel hc = conn;
        return hc != null ? hc.reactor : settings.reactor;
    }

    // ------------------------------------------------------------------------------------------------
    // Connecting
    // ------------------------------------------------------------------------------------------------

    @Override
    public void connect(SocketAddress endpoint) throws IOException {
        connect(endpoint, 0);
    }

    /**
     * Connects, parking the caller until the connection is established, refused, or the timeout passes.
     *
     * @param timeout milliseconds, 0 for no limit
     * @throws SocketTimeoutException "Connect timed out"
     * @throws ConnectException       "Connection refused: address" and other connect failures
     * @throws UnknownHostException   if the endpoint is unresolved
     * @throws SocketException        if the socket is closed or already connected, or "Closed by interrupt"
     */
    @Override
    public void connect(SocketAddress endpoint, int timeout) throws IOException {
        if (endpoint == null) {
            throw new IllegalArgumentException("connect: The address can't be null");
        }
        if (timeout < 0) {
            throw new IllegalArgumentException("connect: timeout can't be negative");
        }
        if (!(endpoint instanceof InetSocketAddress address)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        int s = state;
        if ((s & CLOSED) != 0) {
            throw new SocketException("Socket is closed");
        }
        if ((s & CONNECTED) != 0) {
            throw new SocketException("Already connected");
        }
        if (address.isUnresolved()) {
            throw new UnknownHostException(address.getHostName());
        }
        if (!STATE.compareAndSet(this, s, s | CONNECTING) || (s & CONNECTING) != 0) {
            throw new SocketException("Connect already in progress");
        }
        NettyReactor reactor = reactor();
        if (Thread.currentThread() == reactor.hub().carrierThread()) {
            throw new IllegalStateException("connect on the carrier of hub '" + reactor.hub().name()
                    + "' outside a virtual thread would block the hub; call it from a hub thread");
        }
        Channel ch = reactor.newSocketChannel();
        HubChannel hc = new HubChannel(reactor, ch);
        Settings told = settings; // what the socket was told before connecting: options, a bind address
        try {
            ChannelConfig config = ch.config();
            if (told != null) {
                for (Map.Entry<SocketOption<?>, Object> e : told.options.entrySet()) {
                    setChannelOption(config, e.getKey(), e.getValue());
                }
            }
            config.setConnectTimeoutMillis(timeout);
        } catch (RuntimeException e) {
            ch.unsafe().closeForcibly();
            clearState(CONNECTING);
            throw new SocketException("could not set the socket options: " + e);
        }
        InetSocketAddress bindTo = told != null ? told.bindAddress : null;
        ChannelFuture[] connecting = new ChannelFuture[1];
        try {
            runOnLoop(() -> {
                ChannelFuture reg = reactor.register(ch); // on the loop: completes here and now
                if (!reg.isSuccess()) {
                    connecting[0] = reg;
                } else {
                    connecting[0] = bindTo != null ? ch.connect(address, bindTo) : ch.connect(address);
                }
                return 0;
            });
        } catch (IOException e) {
            ch.unsafe().closeForcibly();
            clearState(CONNECTING);
            throw e;
        }
        try {
            HubFutures.await(connecting[0]);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            closeChannelQuietly(hc);
            clearState(CONNECTING);
            close();
            throw new SocketException("Closed by interrupt");
        } catch (ExecutionException e) {
            closeChannelQuietly(hc);
            clearState(CONNECTING);
            close();
            throw connectFailure(e.getCause(), address, timeout);
        }
        keepAddresses(ch);
        conn = hc;
        int after = (int) STATE.getAndBitwiseOr(this, BOUND | CONNECTED);
        clearState(CONNECTING);
        if ((after & CLOSED) != 0) {
            closeChannelQuietly(hc); // closed while connecting
            throw new SocketException("Socket closed");
        }
        adoptOrHandOff(hc);
    }

    /**
     * Has Netty read and keep the channel's addresses while it is open: its channel keeps them after close, where
     * {@code java.net} sockets still report them.
     */
    private static void keepAddresses(Channel ch) {
        ch.remoteAddress();
        ch.localAddress();
    }

    /** The remote address once connected, else null. */
    private InetSocketAddress remote() {
        HubChannel hc = conn;
        return hc != null ? (InetSocketAddress) hc.channel().remoteAddress() : null;
    }

    /** The local address once connected, else where {@link #bind} asked to bind, else null. */
    private InetSocketAddress local() {
        HubChannel hc = conn;
        if (hc != null) {
            return (InetSocketAddress) hc.channel().localAddress();
        }
        Settings s = settings;
        return s != null ? s.bindAddress : null;
    }

    private Settings settings() {
        Settings s = settings;
        if (s == null) {
            synchronized (this) {
                s = settings;
                if (s == null) {
                    settings = s = new Settings(reactor());
                }
            }
        }
        return s;
    }

    /** Applies the ownership rule to a freshly opened connection. Runs in the opening thread. */
    void adoptOrHandOff(HubChannel hc) throws IOException {
        Thread me = Thread.currentThread();
        Settings s = settings;
        boolean handOff = s != null && s.handOff;
        boolean detach = s != null && s.detach;
        if (!handOff && !detach && !(me.isVirtual() && hc.reactor.hub().inHub())) {
            return; // not a thread of this hub: nobody owns the socket
        }
        hc.call(() -> {
            if (detach) {
                hc.detach();
            } else if (handOff) {
                hc.handOff();
            } else {
                hc.own(me);
            }
            return 0;
        });
    }

    private static IOException connectFailure(Throwable cause, InetSocketAddress address, int timeout) {
        IOException e;
        if (cause instanceof ConnectTimeoutException) {
            e = new SocketTimeoutException("Connect timed out (" + timeout + " ms to " + address + ")");
        } else if (cause instanceof ConnectException || String.valueOf(cause.getMessage()).contains("refused")) {
            e = new ConnectException("Connection refused: " + address);
        } else if (cause instanceof IOException io) {
            e = HubChannel.translate(io);
        } else {
            e = new SocketException("connect to " + address + " failed: " + cause);
        }
        e.initCause(cause);
        return e;
    }

    private void closeChannelQuietly(HubChannel hc) {
        try {
            hc.call(() -> {
                hc.close();
                return 0;
            });
        } catch (IOException | RuntimeException ignored) {
            // the hub is gone: its loop closed the channel
        }
    }

    private void clearState(int bits) {
        STATE.getAndBitwiseAnd(this, ~bits);
    }

    /** Runs a step on the event loop: inline on the carrier, else as a carrier callback the caller waits for. */
    private int runOnLoop(CarrierCall.Op op) throws IOException {
        NettyReactor reactor = reactor();
        if (reactor.loop().inEventLoop()) {
            return op.run();
        }
        return CarrierCall.run(reactor.hub(), op);
    }

    /**
     * Records the local address to bind to; the bind happens when the socket connects.
     *
     * @throws SocketException if the socket is closed or already bound
     */
    @Override
    public void bind(SocketAddress bindpoint) throws IOException {
        int s = state;
        if ((s & CLOSED) != 0) {
            throw new SocketException("Socket is closed");
        }
        if ((s & BOUND) != 0) {
            throw new SocketException("Already bound");
        }
        if (bindpoint != null && !(bindpoint instanceof InetSocketAddress)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        InetSocketAddress a = bindpoint == null ? new InetSocketAddress(0) : (InetSocketAddress) bindpoint;
        if (a.isUnresolved()) {
            throw new SocketException("Unresolved address");
        }
        settings().bindAddress = a;
        STATE.getAndBitwiseOr(this, BOUND);
    }

    // ------------------------------------------------------------------------------------------------
    // Streams
    // ------------------------------------------------------------------------------------------------

    /**
     * The socket's input stream. Its reads park the caller until bytes arrive (see {@link #setSoTimeout}); they
     * copy straight from the channel's receive buffers into the caller's array. Closing it closes the socket. Each
     * call returns a new stream object over the same connection: a stream holds nothing but its socket, and keeping
     * one per socket would cost every idle connection a field.
     *
     * @throws SocketException if the socket is closed, not connected, or its input is shut down
     */
    @Override
    public InputStream getInputStream() throws IOException {
        int s = state;
        if ((s & CLOSED) != 0) {
            throw new SocketException("Socket is closed");
        }
        if ((s & CONNECTED) == 0) {
            throw new SocketException("Socket is not connected");
        }
        if ((s & SHUT_IN) != 0) {
            throw new SocketException("Socket input is shutdown");
        }
        return new HubInputStream();
    }

    /**
     * The socket's output stream. Writes copy the caller's bytes and return; what one hub thread writes before it
     * next parks goes out in one write and flush, so {@code flush()} is never needed (it is harmless). A writer
     * parks while the connection's outbound buffer is full. Closing it closes the socket. Each call returns a new
     * stream object over the same connection, as {@link #getInputStream()} does.
     *
     * @throws SocketException if the socket is closed, not connected, or its output is shut down
     */
    @Override
    public OutputStream getOutputStream() throws IOException {
        int s = state;
        if ((s & CLOSED) != 0) {
            throw new SocketException("Socket is closed");
        }
        if ((s & CONNECTED) == 0) {
            throw new SocketException("Socket is not connected");
        }
        if ((s & SHUT_OUT) != 0) {
            throw new SocketException("Socket output is shutdown");
        }
        return new HubOutputStream();
    }

    private final class HubInputStream extends InputStream {
        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n > 0 ? one[0] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            Settings s = settings;
            return conn.read(b, off, len, s == null ? 0 : s.soTimeout);
        }

        @Override
        public int available() throws IOException {
            HubChannel hc = conn;
            return hc.call(hc::available);
        }

        @Override
        public void close() throws IOException {
            HubSocket.this.close();
        }
    }

    private final class HubOutputStream extends OutputStream {
        @Override
        public void write(int b) throws IOException {
            conn.write(new byte[] {(byte) b}, 0, 1);
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            conn.write(b, off, len);
        }

        @Override
        public void close() throws IOException {
            HubSocket.this.close();
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Closing
    // ------------------------------------------------------------------------------------------------

    /**
     * Closes the socket, from any thread. A thread parked reading or writing it gets {@link SocketException}
     * "Socket closed". Bytes already written are still sent (for up to 30 s if the peer does not read) unless
     * {@code SO_LINGER} is 0, which resets the connection. Idempotent; never blocks on the network.
     */
    @Override
    public void close() throws IOException {
        int s = (int) STATE.getAndBitwiseOr(this, CLOSED);
        if ((s & CLOSED) != 0) {
            return;
        }
        HubChannel hc = conn;
        if (hc != null) {
            try {
                hc.call(() -> {
                    hc.close();
                    return 0;
                });
            } catch (SocketException e) {
                // the hub has terminated: its event loop closed the channel already
            }
        }
    }

    /** Closes the input side: reads return -1 from now on. */
    @Override
    public void shutdownInput() throws IOException {
        HubChannel hc = checkConnected();
        if ((state & SHUT_IN) != 0) {
            throw new SocketException("Socket input is already shutdown");
        }
        hc.call(hc::shutdownInput);
        STATE.getAndBitwiseOr(this, SHUT_IN);
    }

    /** Closes the output side: what was written is sent, then a FIN; later writes fail. */
    @Override
    public void shutdownOutput() throws IOException {
        HubChannel hc = checkConnected();
        if ((state & SHUT_OUT) != 0) {
            throw new SocketException("Socket output is already shutdown");
        }
        hc.call(hc::shutdownOutput);
        STATE.getAndBitwiseOr(this, SHUT_OUT);
    }

    private HubChannel checkConnected() throws SocketException {
        int s = state;
        if ((s & CLOSED) != 0) {
            throw new SocketException("Socket is closed");
        }
        if ((s & CONNECTED) == 0) {
            throw new SocketException("Socket is not connected");
        }
        return conn;
    }

    // ------------------------------------------------------------------------------------------------
    // Ownership
    // ------------------------------------------------------------------------------------------------

    /**
     * Releases this socket from the thread that owns it; the next hub thread that reads or writes it becomes its
     * owner (and it is closed when that thread ends). Use it to pass a socket to another thread, e.g. from an
     * accept loop to a per-connection thread. Any thread may call it.
     *
     * @return this socket
     */
    public HubSocket handOff() throws IOException {
        HubChannel hc = conn;
        if (hc == null) {
            settings().handOff = true;
        } else {
            hc.call(hc::handOff);
        }
        return this;
    }

    /**
     * Releases this socket from its owner for good: no thread's end closes it; whoever holds it must close it
     * (closing the hub still does). Use it for sockets that live in pools or outlive any one thread.
     *
     * @return this socket
     */
    public HubSocket detach() throws IOException {
        HubChannel hc = conn;
        if (hc == null) {
            settings().detach = true;
        } else {
            hc.call(hc::detach);
        }
        return this;
    }

    /**
     * The hub thread that owns this socket, or null when no thread owns it. Any thread.
     */
    public Thread owner() throws IOException {
        HubChannel hc = conn;
        if (hc == null) {
            return null;
        }
        Thread[] o = new Thread[1];
        hc.call(() -> {
            o[0] = hc.owner();
            return 0;
        });
        return o[0];
    }

    /**
     * Counts of the hub sockets of a hub: opened, closed, leaked (closed because their owner thread ended
     * holding them) and handed off. {@code new HubMetrics(hub).bindTo(registry)} exports the same counts as
     * {@code loomhub.sockets.*} meters. Any thread; never blocks.
     *
     * @throws IllegalStateException if the hub does not run a {@link NettyReactor}
     */
    public static HubSocketStats stats(Hub hub) {
        return NettyReactor.of(hub).sockets().stats();
    }

    /** Hub sockets closed because their owner thread ended holding them, over every hub of this JVM. */
    public static long leakedTotal() {
        return SocketRegistry.LEAKED_TOTAL.get();
    }

    /** The connection, for tests and the server socket. */
    HubChannel connection() {
        return conn;
    }

    // ------------------------------------------------------------------------------------------------
    // Addresses and state
    // ------------------------------------------------------------------------------------------------

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress r = remote();
        return isConnected() && r != null ? r.getAddress() : null;
    }

    @Override
    public InetAddress getLocalAddress() {
        InetSocketAddress l = local();
        return l != null ? l.getAddress() : new InetSocketAddress(0).getAddress();
    }

    @Override
    public int getPort() {
        InetSocketAddress r = remote();
        return isConnected() && r != null ? r.getPort() : 0;
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress l = local();
        return isBound() && l != null ? l.getPort() : -1;
    }

    @Override
    public SocketAddress getRemoteSocketAddress() {
        return isConnected() ? remote() : null;
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        InetSocketAddress l = local();
        return isBound() ? l : null;
    }

    /** Hub sockets have no NIO channel. */
    @Override
    public SocketChannel getChannel() {
        return null;
    }

    @Override
    public boolean isConnected() {
        return (state & CONNECTED) != 0;
    }

    @Override
    public boolean isBound() {
        return (state & BOUND) != 0;
    }

    /** True once closed by {@link #close()}, by an interrupted read or write, or by the leak rule. */
    @Override
    public boolean isClosed() {
        if ((state & CLOSED) != 0) {
            return true;
        }
        HubChannel hc = conn;
        if (hc != null && hc.isClosed()) {
            STATE.getAndBitwiseOr(this, CLOSED);
            return true;
        }
        return false;
    }

    @Override
    public boolean isInputShutdown() {
        return (state & SHUT_IN) != 0;
    }

    @Override
    public boolean isOutputShutdown() {
        return (state & SHUT_OUT) != 0;
    }

    @Override
    public String toString() {
        if (isConnected()) {
            return "HubSocket[addr=" + getInetAddress() + ",port=" + getPort() + ",localport=" + getLocalPort()
                    + ",hub=" + reactor().hub().name() + "]";
        }
        return "HubSocket[unconnected,hub=" + reactor().hub().name() + "]";
    }

    // ------------------------------------------------------------------------------------------------
    // Options
    // ------------------------------------------------------------------------------------------------

    /**
     * Read timeout in milliseconds (0: none). A read that waits longer throws {@link SocketTimeoutException}
     * "Read timed out"; the socket stays usable.
     */
    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        checkOpen();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout can't be negative");
        }
        settings().soTimeout = timeout;
    }

    @Override
    public int getSoTimeout() throws SocketException {
        checkOpen();
        Settings s = settings;
        return s == null ? 0 : s.soTimeout;
    }

    @Override
    public void setTcpNoDelay(boolean on) throws SocketException {
        setSocketOption(StandardSocketOptions.TCP_NODELAY, on);
    }

    @Override
    public boolean getTcpNoDelay() throws SocketException {
        return getSocketOption(StandardSocketOptions.TCP_NODELAY, Boolean.TRUE);
    }

    @Override
    public void setKeepAlive(boolean on) throws SocketException {
        setSocketOption(StandardSocketOptions.SO_KEEPALIVE, on);
    }

    @Override
    public boolean getKeepAlive() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_KEEPALIVE, Boolean.FALSE);
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        setSocketOption(StandardSocketOptions.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_REUSEADDR, Boolean.FALSE);
    }

    @Override
    public void setSendBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("negative send size");
        }
        setSocketOption(StandardSocketOptions.SO_SNDBUF, size);
    }

    @Override
    public int getSendBufferSize() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_SNDBUF, 0);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        if (size <= 0) {
            throw new IllegalArgumentException("invalid receive size");
        }
        setSocketOption(StandardSocketOptions.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_RCVBUF, 0);
    }

    /** {@code SO_LINGER}; {@code setSoLinger(true, 0)} makes {@link #close()} reset the connection at once. */
    @Override
    public void setSoLinger(boolean on, int linger) throws SocketException {
        if (on && linger < 0) {
            throw new IllegalArgumentException("invalid value for SO_LINGER");
        }
        setSocketOption(StandardSocketOptions.SO_LINGER, on ? Math.min(linger, 65535) : -1);
    }

    @Override
    public int getSoLinger() throws SocketException {
        return getSocketOption(StandardSocketOptions.SO_LINGER, -1);
    }

    @Override
    public void setTrafficClass(int tc) throws SocketException {
        if (tc < 0 || tc > 255) {
            throw new IllegalArgumentException("tc is not in range 0 -- 255");
        }
        setSocketOption(StandardSocketOptions.IP_TOS, tc);
    }

    @Override
    public int getTrafficClass() throws SocketException {
        return getSocketOption(StandardSocketOptions.IP_TOS, 0);
    }

    /** Urgent data is not supported by hub sockets. */
    @Override
    public void sendUrgentData(int data) throws IOException {
        throw new SocketException("Urgent data not supported by hub sockets");
    }

    /** Only {@code false} (the default) is supported. */
    @Override
    public void setOOBInline(boolean on) throws SocketException {
        checkOpen();
        if (on) {
            throw new SocketException("SO_OOBINLINE is not supported by hub sockets");
        }
    }

    @Override
    public boolean getOOBInline() throws SocketException {
        checkOpen();
        return false;
    }

    /** Ignored, as by the JDK's own sockets. */
    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    }

    @Override
    public <T> Socket setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.containsKey(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        setSocketOption(name, value);
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        if (!OPTIONS.containsKey(name)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return getSocketOption(name, (T) defaultOf(name));
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return OPTIONS.keySet();
    }

    private static Object defaultOf(SocketOption<?> name) {
        if (name == StandardSocketOptions.TCP_NODELAY) {
            return Boolean.TRUE;
        }
        if (name.type() == Boolean.class) {
            return Boolean.FALSE;
        }
        return name == StandardSocketOptions.SO_LINGER ? -1 : 0;
    }

    private void checkOpen() throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
    }

    private <T> void setSocketOption(SocketOption<T> name, T value) throws SocketException {
        checkOpen();
        Objects.requireNonNull(value, "value");
        HubChannel hc = conn;
        if (hc == null) {
            settings().options.put(name, value);
            return;
        }
        try {
            setChannelOption(hc.channel().config(), name, value);
        } catch (RuntimeException e) {
            throw new SocketException("could not set " + name + ": " + e.getMessage());
        }
        if (name == StandardSocketOptions.SO_LINGER) {
            boolean zero = ((Integer) value) == 0;
            try {
                hc.call(() -> {
                    hc.setLinger0(zero);
                    return 0;
                });
            } catch (IOException e) {
                throw e instanceof SocketException se ? se : new SocketException(e.getMessage());
            }
        }
    }

    @SuppressWarnings("unchecked")
    private <T> T getSocketOption(SocketOption<T> name, T fallback) throws SocketException {
        checkOpen();
        HubChannel hc = conn;
        if (hc == null) {
            Settings presets = settings;
            Object v = presets == null ? null : presets.options.get(name);
            return v != null ? (T) v : fallback;
        }
        Object v = hc.channel().config().getOption(OPTIONS.get(name));
        return v != null ? (T) v : fallback;
    }

    /** Socket options are plain setsockopt calls in Netty: safe from any thread. */
    @SuppressWarnings("unchecked")
    static void setChannelOption(ChannelConfig config, SocketOption<?> name, Object value) {
        ChannelOption<Object> option = (ChannelOption<Object>) OPTIONS.get(name);
        if (option == null || !config.setOption(option, value)) {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
    }

    /** Kept for the superclass: a hub socket never lets {@link Socket} create a platform socket. */
    static final class InertSocketImpl extends SocketImpl {
        static final InertSocketImpl INSTANCE = new InertSocketImpl();

        private static IOException unsupported() {
            return new SocketException("not a platform socket: hub sockets do not use SocketImpl");
        }

        @Override
        protected void create(boolean stream) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(String host, int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(InetAddress address, int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void connect(SocketAddress address, int timeout) throws IOException {
            throw unsupported();
        }

        @Override
        protected void bind(InetAddress host, int port) throws IOException {
            throw unsupported();
        }

        @Override
        protected void listen(int backlog) throws IOException {
            throw unsupported();
        }

        @Override
        protected void accept(SocketImpl s) throws IOException {
            throw unsupported();
        }

        @Override
        protected InputStream getInputStream() throws IOException {
            throw unsupported();
        }

        @Override
        protected OutputStream getOutputStream() throws IOException {
            throw unsupported();
        }

        @Override
        protected int available() throws IOException {
            throw unsupported();
        }

        @Override
        protected void close() {
        }

        @Override
        protected void sendUrgentData(int data) throws IOException {
            throw unsupported();
        }

        @Override
        public void setOption(int optID, Object value) throws SocketException {
            throw new SocketException("not a platform socket");
        }

        @Override
        public Object getOption(int optID) throws SocketException {
            throw new SocketException("not a platform socket");
        }
    }
}
