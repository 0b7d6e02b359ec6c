package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.socket.ServerSocketChannel;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketException;
import java.net.SocketOption;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A {@link ServerSocket} whose listening socket is a Netty server channel on a hub's event loop. {@link #accept()}
 * parks the calling hub thread until a connection arrives and returns a {@link HubSocket}, owned by the accepting
 * thread (see {@link HubSocket} on ownership: hand it off to the thread that serves it).
 *
 * <p>Connections are accepted on demand, one per {@code accept()}: until then they wait in the kernel's accept
 * queue, whose length is the backlog given to {@code bind} (default 50), as with {@code java.net}. Timeouts
 * ({@link #setSoTimeout}: {@link SocketTimeoutException} "Accept timed out"), {@code close()} from any thread
 * (a parked {@code accept} gets {@link SocketException} "Socket closed"), {@code SO_REUSEADDR} (on by default, as
 * the JDK does on Linux) and {@code SO_RCVBUF} behave as {@code java.net} documents. An interrupted
 * {@code accept} closes the server socket and throws {@link SocketException} "Closed by interrupt", as the JDK's
 * does on virtual threads.
 *
 * <p>Threading as {@link HubSocket}: any thread, the path without a thread hop being this hub's threads; blocking
 * calls are refused on the bare carrier; several threads may wait in {@code accept} at once.
 */
public class HubServerSocket extends ServerSocket {

    private static final int DEFAULT_BACKLOG = 50;
    private static final int BOUND = 1;
    private static final int CLOSED = 1 << 1;
    private static final VarHandle STATE;
    static {
        try {
            STATE = MethodHandles.lookup().findVarHandle(HubServerSocket.class, "state", int.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private final Hub hub;
    private final NettyReactor reactor;
    private volatile int state;
    private volatile Acceptor acceptor;
    private volatile InetSocketAddress localAddress;
    private volatile int soTimeout;
    private volatile boolean reuseAddress = true;
    private volatile int receiveBufferSize;
    /** Accepted sockets are owned by no thread: for patched java.net server sockets (see HubServerSocketImpl). */
    private volatile boolean acceptDetached;

    /**
     * An unbound server socket on the calling thread's hub.
     *
     * @throws IllegalStateException if the caller is not a hub thread, or its hub runs no {@link NettyReactor}
     */
    public HubServerSocket() throws IOException {
        this(HubSocket.currentHub());
    }

    /**
     * A server socket on the calling thread's hub, bound to {@code port} on all addresses (0: any free port).
     *
     * @throws IllegalStateException if the caller is not a hub thread
     */
    public HubServerSocket(int port) throws IOException {
        this(HubSocket.currentHub(), port, DEFAULT_BACKLOG, null);
    }

    /**
     * A server socket on the calling thread's hub, bound to {@code port} with the given accept backlog.
     *
     * @throws IllegalStateException if the caller is not a hub thread
     */
    public HubServerSocket(int port, int backlog) throws IOException {
        this(HubSocket.currentHub(), port, backlog, null);
    }

    /**
     * A server socket on the calling thread's hub, bound to {@code bindAddr:port} with the given backlog.
     *
     * @throws IllegalStateException if the caller is not a hub thread
     */
    public HubServerSocket(int port, int backlog, InetAddress bindAddr) throws IOException {
        this(HubSocket.currentHub(), port, backlog, bindAddr);
    }

    /**
     * An unbound server socket on {@code hub}.
     *
     * @throws IllegalStateException if the hub runs no {@link NettyReactor}
     */
    public HubServerSocket(Hub hub) throws IOException {
        super(HubSocket.InertSocketImpl.INSTANCE);
        this.hub = Objects.requireNonNull(hub, "hub");
        this.reactor = NettyReactor.of(hub);
    }

    /**
     * A server socket on {@code hub}, bound to {@code bindAddr:port} (null address: all addresses).
     *
     * @throws IOException if the bind fails ({@link BindException} when the address is in use)
     */
    public HubServerSocket(Hub hub, int port, int backlog, InetAddress bindAddr) throws IOException {
        this(hub);
        if (port < 0 || port > 0xFFFF) {
            throw new IllegalArgumentException("Port value out of range: " + port);
        }
        bind(new InetSocketAddress(bindAddr, port), backlog);
    }

    /** The hub whose event loop serves this server socket. */
    public Hub hub() {
        return hub;
    }

    @Override
    public void bind(SocketAddress endpoint) throws IOException {
        bind(endpoint, DEFAULT_BACKLOG);
    }

    /**
     * Binds and listens. Parks the caller until the bind completes on the loop.
     *
     * @param backlog the accept queue length; less than 1 means the default (50)
     * @throws BindException   if the address is in use
     * @throws SocketException if the socket is closed or already bound
     */
    @Override
    public void bind(SocketAddress endpoint, int backlog) throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        if (isBound()) {
            throw new SocketException("Already bound");
        }
        if (endpoint == null) {
            endpoint = new InetSocketAddress(0);
        }
        if (!(endpoint instanceof InetSocketAddress address)) {
            throw new IllegalArgumentException("Unsupported address type");
        }
        if (address.isUnresolved()) {
            throw new SocketException("Unresolved address");
        }
        if (Thread.currentThread() == hub.carrierThread()) {
            throw new IllegalStateException("bind on the carrier of hub '" + hub.name()
                    + "' outside a virtual thread would block the hub; call it from a hub thread");
        }
        ServerSocketChannel ch = reactor.newServerSocketChannel();
        ch.config().setAutoRead(false); // accept on demand: pending connections wait in the kernel's backlog
        ch.config().setOption(ChannelOption.SO_BACKLOG, backlog < 1 ? DEFAULT_BACKLOG : backlog);
        ch.config().setOption(ChannelOption.SO_REUSEADDR, reuseAddress);
        if (receiveBufferSize > 0) {
            ch.config().setOption(ChannelOption.SO_RCVBUF, receiveBufferSize);
        }
        Acceptor a = new Acceptor(ch);
        ch.pipeline().addLast(a);
        ChannelFuture[] binding = new ChannelFuture[1];
        runOnLoop(() -> {
            ChannelFuture reg = reactor.register(ch);
            binding[0] = reg.isSuccess() ? ch.bind(address) : reg;
            return 0;
        });
        try {
            HubFutures.awaitUninterruptibly(binding[0]);
        } catch (ExecutionException e) {
            runOnLoop(() -> {
                ch.close();
                return 0;
            });
            Throwable cause = e.getCause();
            String m = String.valueOf(cause.getMessage());
            IOException failure = m.contains("Address already in use")
                    ? new BindException("Address already in use: " + address)
                    : new SocketException("bind to " + address + " failed: " + m);
            failure.initCause(cause);
            throw failure;
        }
        localAddress = ch.localAddress();
        acceptor = a;
        STATE.getAndBitwiseOr(this, BOUND);
        if (isClosed()) {
            a.call(a::close);
        }
    }

    /**
     * Waits for a connection and returns it as a {@link HubSocket}, owned by the calling hub thread. Parks the
     * caller until a connection arrives, the timeout passes, or the socket is closed.
     *
     * @throws SocketTimeoutException "Accept timed out" (the server socket stays usable)
     * @throws SocketException        "Socket closed" when closed while waiting, or "Closed by interrupt"
     */
    @Override
    public Socket accept() throws IOException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
        Acceptor a = acceptor;
        if (a == null) {
            throw new SocketException("Socket is not bound yet");
        }
        if (Thread.currentThread() == hub.carrierThread()) {
            throw new IllegalStateException("accept on the carrier of hub '" + hub.name()
                    + "' outside a virtual thread would block the hub; call it from a hub thread");
        }
        Thread me = Thread.currentThread();
        HubChannel[] got = new HubChannel[1];
        int timeout = soTimeout;
        long deadline = timeout > 0 ? System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeout) : 0;
        int seen = a.wakes;
        while (a.call(() -> a.tryAccept(me, got)) == HubChannel.WOULD_BLOCK) {
            if (a.wakes == seen) { // else a wake-up may have gone to the call's own wait: look again instead
                HubChannel.parkUntil(this, deadline);
            }
            seen = a.wakes;
            if (me.isInterrupted()) {
                a.call(() -> a.stopWaiting(me));
                close();
                throw new SocketException("Closed by interrupt");
            }
            if (deadline != 0 && deadline - System.nanoTime() <= 0 && a.call(() -> a.readyCount()) == 0) {
                a.call(() -> a.stopWaiting(me));
                throw new SocketTimeoutException("Accept timed out");
            }
        }
        HubSocket s = new HubSocket(got[0]);
        if (acceptDetached) {
            got[0].call(got[0]::detach);
        } else {
            s.adoptOrHandOff(got[0]);
        }
        return s;
    }

    /** Closes the listening socket, from any thread; threads parked in {@link #accept()} get "Socket closed". */
    @Override
    public void close() throws IOException {
        int s = (int) STATE.getAndBitwiseOr(this, CLOSED);
        if ((s & CLOSED) != 0) {
            return;
        }
        Acceptor a = acceptor;
        if (a != null) {
            try {
                a.call(a::close);
            } catch (SocketException e) {
                // the hub has terminated: its event loop closed the channel already
            }
        }
    }

    /** From now on, accepted sockets are detached ({@link HubSocket#detach()}) instead of owned by their acceptor. */
    void acceptDetached() {
        acceptDetached = true;
    }

    /** Connections accepted by the loop and not yet returned by {@link #accept()}, for tests. */
    int readyCount() throws IOException {
        Acceptor a = acceptor;
        return a == null ? 0 : a.call(a::readyCount);
    }

    private int runOnLoop(CarrierCall.Op op) throws IOException {
        if (reactor.loop().inEventLoop()) {
            return op.run();
        }
        return CarrierCall.run(hub, op);
    }

    // ------------------------------------------------------------------------------------------------
    // State and options
    // ------------------------------------------------------------------------------------------------

    @Override
    public InetAddress getInetAddress() {
        InetSocketAddress l = localAddress;
        return isBound() && l != null ? l.getAddress() : null;
    }

    @Override
    public int getLocalPort() {
        InetSocketAddress l = localAddress;
        return isBound() && l != null ? l.getPort() : -1;
    }

    @Override
    public SocketAddress getLocalSocketAddress() {
        return isBound() ? localAddress : null;
    }

    /** Hub server sockets have no NIO channel. */
    @Override
    public java.nio.channels.ServerSocketChannel getChannel() {
        return null;
    }

    @Override
    public boolean isBound() {
        return (state & BOUND) != 0;
    }

    @Override
    public boolean isClosed() {
        return (state & CLOSED) != 0;
    }

    @Override
    public void setSoTimeout(int timeout) throws SocketException {
        checkOpen();
        if (timeout < 0) {
            throw new IllegalArgumentException("timeout < 0");
        }
        soTimeout = timeout;
    }

    @Override
    public int getSoTimeout() throws IOException {
        checkOpen();
        return soTimeout;
    }

    @Override
    public void setReuseAddress(boolean on) throws SocketException {
        checkOpen();
        reuseAddress = on;
        applyIfBound(ChannelOption.SO_REUSEADDR, on);
    }

    @Override
    public boolean getReuseAddress() throws SocketException {
        checkOpen();
        return boundOr(ChannelOption.SO_REUSEADDR, reuseAddress);
    }

    @Override
    public void setReceiveBufferSize(int size) throws SocketException {
        checkOpen();
        if (size <= 0) {
            throw new IllegalArgumentException("negative receive size");
        }
        receiveBufferSize = size;
        applyIfBound(ChannelOption.SO_RCVBUF, size);
    }

    @Override
    public int getReceiveBufferSize() throws SocketException {
        checkOpen();
        return boundOr(ChannelOption.SO_RCVBUF, receiveBufferSize);
    }

    /** Sets {@code option} on the listening channel once bound; before that, bind() applies the stored value. */
    private <T> void applyIfBound(ChannelOption<T> option, T value) {
        Acceptor a = acceptor;
        if (a != null) {
            a.channel.config().setOption(option, value);
        }
    }

    /** The listening channel's value of {@code option} once bound, else the value stored for bind(). */
    private <T> T boundOr(ChannelOption<T> option, T stored) {
        Acceptor a = acceptor;
        return a != null ? a.channel.config().getOption(option) : stored;
    }

    /** Ignored, as by the JDK's own server sockets. */
    @Override
    public void setPerformancePreferences(int connectionTime, int latency, int bandwidth) {
    }

    @Override
    public <T> ServerSocket setOption(SocketOption<T> name, T value) throws IOException {
        Objects.requireNonNull(name, "name");
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            setReuseAddress((Boolean) value);
        } else if (name == StandardSocketOptions.SO_RCVBUF) {
            setReceiveBufferSize((Integer) value);
        } else {
            throw new UnsupportedOperationException("'" + name + "' not supported");
        }
        return this;
    }

    @Override
    @SuppressWarnings("unchecked")
    public <T> T getOption(SocketOption<T> name) throws IOException {
        Objects.requireNonNull(name, "name");
        if (name == StandardSocketOptions.SO_REUSEADDR) {
            return (T) Boolean.valueOf(getReuseAddress());
        }
        if (name == StandardSocketOptions.SO_RCVBUF) {
            return (T) Integer.valueOf(getReceiveBufferSize());
        }
        throw new UnsupportedOperationException("'" + name + "' not supported");
    }

    @Override
    public Set<SocketOption<?>> supportedOptions() {
        return Set.of(StandardSocketOptions.SO_REUSEADDR, StandardSocketOptions.SO_RCVBUF);
    }

    private void checkOpen() throws SocketException {
        if (isClosed()) {
            throw new SocketException("Socket is closed");
        }
    }

    @Override
    public String toString() {
        if (!isBound()) {
            return "HubServerSocket[unbound,hub=" + hub.name() + "]";
        }
        return "HubServerSocket[addr=" + getInetAddress() + ",localport=" + getLocalPort() + ",hub=" + hub.name()
                + "]";
    }

    // ------------------------------------------------------------------------------------------------
    // The acceptor: carrier-confined, like HubChannel
    // ------------------------------------------------------------------------------------------------

    /** The server channel's handler and the accept state machine. Carrier-confined (see {@link HubChannel}). */
    private final class Acceptor extends ChannelInboundHandlerAdapter {
        final ServerSocketChannel channel;
        private final ArrayDeque<HubChannel> ready = new ArrayDeque<>(2);
        private final List<Thread> waiters = new ArrayList<>(1);
        /**
         * Wake-ups of the waiters so far. A thread off the carrier reads it before each accept step and parks after
         * a step that registered it only if it has not moved: the step's {@link CarrierCall} wait may have taken
         * the permit of a wake-up that came meanwhile. Written by the carrier; read by any thread.
         */
        volatile int wakes;
        private boolean readRequested;
        private boolean closed;
        private IOException failure;

        Acceptor(ServerSocketChannel channel) {
            this.channel = channel;
        }

        int call(CarrierCall.Op op) throws IOException {
            if (hub.inHub()) {
                return op.run();
            }
            return CarrierCall.run(hub, op);
        }

        private void onLoop(Runnable task) {
            if (reactor.loop().inEventLoop()) {
                task.run();
            } else {
                hub.execute(task);
            }
        }

        int tryAccept(Thread me, HubChannel[] got) throws IOException {
            if (closed) {
                waiters.remove(me);
                throw new SocketException("Socket closed");
            }
            HubChannel c = ready.poll();
            if (c != null) {
                waiters.remove(me);
                got[0] = c;
                return 1;
            }
            if (failure != null) {
                IOException f = failure;
                failure = null;
                waiters.remove(me);
                throw f;
            }
            if (!waiters.contains(me)) {
                waiters.add(me);
            }
            requestRead();
            return HubChannel.WOULD_BLOCK;
        }

        int stopWaiting(Thread me) {
            waiters.remove(me);
            return 0;
        }

        int readyCount() {
            return ready.size();
        }

        int close() {
            if (closed) {
                return 0;
            }
            closed = true;
            wakeWaiters();
            HubChannel c;
            while ((c = ready.poll()) != null) {
                c.close();
            }
            onLoop(channel::close);
            return 0;
        }

        private void requestRead() {
            if (!readRequested && !closed) {
                readRequested = true;
                onLoop(() -> {
                    if (!closed && channel.isActive()) {
                        channel.read();
                    } else {
                        readRequested = false;
                    }
                });
            }
        }

        private void wakeWaiters() {
            wakes++; // one writer, the carrier
            for (Thread t : waiters) {
                LockSupport.unpark(t);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            Channel child = (Channel) msg;
            if (closed) {
                child.unsafe().closeForcibly();
                return;
            }
            HubChannel hc;
            try {
                hc = new HubChannel(reactor, child);
            } catch (RuntimeException e) {
                child.unsafe().closeForcibly();
                failure = new SocketException("could not set up an accepted connection: " + e);
                wakeWaiters();
                return;
            }
            ChannelFuture reg = reactor.register(child); // on the loop: completes here and now
            if (!reg.isSuccess()) {
                hc.close();
                child.unsafe().closeForcibly();
                return;
            }
            ready.add(hc);
            wakeWaiters();
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            readRequested = false;
            if (ready.isEmpty() && !waiters.isEmpty()) {
                requestRead();
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            failure = cause instanceof IOException io ? io : new SocketException("accept failed: " + cause);
            wakeWaiters();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            closed = true;
            wakeWaiters();
        }
    }
}
