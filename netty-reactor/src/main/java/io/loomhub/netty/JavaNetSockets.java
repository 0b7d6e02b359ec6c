package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketImpl;
import java.net.SocketImplFactory;

/**
 * gevent's {@code monkey.patch_socket()} for {@code java.net}: once patched, a plain {@link Socket} or
 * {@link ServerSocket} created on a hub thread does its I/O as Netty channel events on that hub's loop, exactly as
 * a {@link HubSocket} or {@link HubServerSocket} does, with no change to the code that uses it. Sockets created
 * anywhere else (platform threads, virtual threads of the JDK's default scheduler, the bare carrier, a hub that
 * runs no {@link NettyReactor}) get the JDK's own implementation, as if nothing was patched.
 *
 * <p>Why: on a hub, a JDK socket read goes through the JDK's socket poller, whose threads run on the JDK's
 * default scheduler: each read costs a poller wake-up and a cross-thread unpark to the carrier. A patched socket's
 * read is a round trip through the hub's own epoll loop on the same carrier (see {@code docs/sockets.md}).
 *
 * <p>How: {@link #patch()} installs JVM-wide {@link Socket#setSocketImplFactory socket implementation factories}
 * for {@code Socket} and {@code ServerSocket}; the JDK allows each to be set once per JVM, so patching cannot be
 * undone. The factories decide per socket, by the thread that creates it. The JDK's own implementation is reached
 * through its package-private {@code SocketImpl.createPlatformSocketImpl}, which needs the JVM flag
 * {@value #ADD_OPENS_FLAG}. Setting the system property {@value #PATCH_PROPERTY}{@code =true} patches when the
 * first hub with a {@link NettyReactor} starts, so an unmodified program can be patched from the command line.
 *
 * <p>What a patched socket is: a {@code java.net.Socket} whose streams, timeouts, half-close, options and
 * {@code close()} behave as {@link HubSocket} documents. It connects directly (no SOCKS or HTTP proxy from
 * {@code socksProxyHost} or the {@link java.net.ProxySelector}), is owned by no thread (unlike a {@code HubSocket},
 * the thread that opens it may end while others use it, as with any {@code java.net} socket), and closes when its
 * hub closes. A server socket created on a hub thread accepts patched sockets, whichever thread accepts. The JDK's
 * TLS sockets ({@code SSLSocket}, {@code SSLServerSocket}) are {@code Socket} subclasses, so those created on a hub
 * thread run over a patched socket too. NIO ({@code SocketChannel}), {@code DatagramSocket} and sockets that do
 * not get their implementation from these factories (a {@code Socket} subclass passing its own) are not patched.
 */
public final class JavaNetSockets {

    /** The system property that patches {@code java.net} when the first {@link NettyReactor} is created. */
    public static final String PATCH_PROPERTY = "loomhub.patchJavaNet";

    /** The JVM flag that patching needs, to reach the JDK's own socket implementation for other threads. */
    public static final String ADD_OPENS_FLAG = "--add-opens java.base/java.net=ALL-UNNAMED";

    private static volatile boolean patched;

    private JavaNetSockets() { }

    /**
     * Patches {@code java.net} for the whole JVM, once: from now on a {@link Socket} or {@link ServerSocket}
     * created on a hub thread is served by that hub's Netty loop. Idempotent; any thread; does not block on I/O.
     *
     * @throws UnsupportedOperationException if the JVM was started without {@value #ADD_OPENS_FLAG} (the message
     *                                       names the flag); nothing is changed
     * @throws IllegalStateException         if someone else already set a {@code java.net} socket implementation
     *                                       factory; nothing is changed
     */
    @SuppressWarnings("deprecation") // the two factory setters: deprecated since JDK 17, not for removal
    public static void patch() {
        if (patched) {
            return;
        }
        synchronized (JavaNetSockets.class) {
            if (patched) {
                return;
            }
            JdkImpls jdk = JdkImpls.load();
            jdk.checkNoFactorySet();
            try {
                Socket.setSocketImplFactory(new ClientFactory(jdk));
            } catch (IOException e) {
                throw new IllegalStateException("java.net is already patched by someone else: " + e.getMessage(), e);
            }
            try {
                ServerSocket.setSocketFactory(new ServerFactory(jdk));
            } catch (IOException e) {
                // Checked above that both were free: only a racing third party gets here.
                throw new IllegalStateException("java.net server sockets were patched by someone else while loomhub "
                        + "patched client sockets; client sockets are patched, server sockets are not", e);
            }
            patched = true;
        }
    }

    /** Whether {@link #patch()} has patched this JVM. Any thread; never blocks. */
    public static boolean isPatched() {
        return patched;
    }

    /**
     * Patches if {@value #PATCH_PROPERTY} is {@code true}. Called by {@link NettyReactor}'s factory, on the carrier
     * of each hub it creates; only the first call does anything.
     */
    static void patchIfRequested() {
        if (!patched && Boolean.getBoolean("loomhub.patchJavaNet")) { // PATCH_PROPERTY, spelled out for the docs check
            patch();
        }
    }

    /** The hub whose Netty loop should serve a socket created now, or null to use the JDK's own implementation. */
    private static Hub hubForNewSocket() {
        if (!Thread.currentThread().isVirtual()) {
            return null; // platform threads, and the carrier itself: a blocking socket there is a JDK one
        }
        Hub hub = Hub.current().orElse(null);
        return hub != null && NettyReactor.find(hub) != null ? hub : null;
    }

    /** Finds who asks a factory for an implementation; cheap (no stack trace is built). */
    private static final StackWalker CALLER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

    /**
     * Client sockets: a hub socket on hub threads; elsewhere what {@code new Socket()} makes without a factory. One
     * exception: {@code ServerSocket} asks this factory only when it accepts on a server implementation that is not
     * the JDK's, which (with these factories) is a hub server socket: that connection is a hub socket whatever
     * thread accepts it, so it gets an implementation the hub server socket fills in.
     */
    private record ClientFactory(JdkImpls jdk) implements SocketImplFactory {
        @Override
        public SocketImpl createSocketImpl() {
            Hub hub = hubForNewSocket();
            if (hub != null) {
                return new HubSocketImpl(hub);
            }
            // Must be called here, directly: it names the class that called createSocketImpl.
            return CALLER.getCallerClass() == ServerSocket.class ? new HubSocketImpl(null) : jdk.client();
        }
    }

    /** Server sockets: a hub server socket on hub threads; elsewhere the JDK's platform implementation. */
    private record ServerFactory(JdkImpls jdk) implements SocketImplFactory {
        @Override
        public SocketImpl createSocketImpl() {
            Hub hub = hubForNewSocket();
            return hub != null ? new HubServerSocketImpl(hub) : jdk.server();
        }
    }

    /** The JDK's own socket implementations, reached through {@code java.net} internals. */
    private record JdkImpls(MethodHandle platform, MethodHandle socks, MethodHandle clientFactory,
                            MethodHandle serverFactory) {

        static JdkImpls load() {
            try {
                MethodHandles.Lookup me = MethodHandles.lookup();
                MethodHandles.Lookup net = MethodHandles.privateLookupIn(SocketImpl.class, me);
                MethodHandle platform = net.findStatic(SocketImpl.class, "createPlatformSocketImpl",
                        MethodType.methodType(SocketImpl.class, boolean.class));
                // What new Socket() makes without a factory: a SOCKS-aware wrapper around the platform socket.
                Class<?> socksClass = net.findClass("java.net.SocksSocketImpl");
                MethodHandle socks = MethodHandles.privateLookupIn(socksClass, me)
                        .findConstructor(socksClass, MethodType.methodType(void.class, SocketImpl.class));
                MethodHandle clientFactory = MethodHandles.privateLookupIn(Socket.class, me)
                        .findStaticGetter(Socket.class, "factory", SocketImplFactory.class);
                MethodHandle serverFactory = MethodHandles.privateLookupIn(ServerSocket.class, me)
                        .findStaticGetter(ServerSocket.class, "factory", SocketImplFactory.class);
                return new JdkImpls(platform, socks, clientFactory, serverFactory);
            } catch (IllegalAccessException | RuntimeException e) {
                throw new UnsupportedOperationException("patching java.net sockets needs the JVM flag "
                        + ADD_OPENS_FLAG + " (to give threads off the hub the JDK's own sockets): " + e, e);
            } catch (ReflectiveOperationException e) {
                throw new UnsupportedOperationException("this JDK's java.net internals differ from JDK 25's, so "
                        + "java.net sockets cannot be patched: " + e, e);
            }
        }

        /** Refuses before anything changes if another party set either factory: they can be set only once. */
        void checkNoFactorySet() {
            Object client;
            Object server;
            try {
                client = (SocketImplFactory) clientFactory.invokeExact();
                server = (SocketImplFactory) serverFactory.invokeExact();
            } catch (Throwable e) {
                throw new IllegalStateException("could not read the java.net socket factories", e);
            }
            if (client != null || server != null) {
                throw new IllegalStateException("java.net socket implementation factories are already set ("
                        + (client != null ? "Socket: " + client.getClass().getName() + " " : "")
                        + (server != null ? "ServerSocket: " + server.getClass().getName() : "")
                        + "); the JDK allows one per JVM, so loomhub cannot patch java.net");
            }
        }

        SocketImpl client() {
            try {
                return (SocketImpl) socks.invoke(platform.invoke(false));
            } catch (Throwable e) {
                throw new IllegalStateException("could not create the JDK's socket implementation", e);
            }
        }

        SocketImpl server() {
            try {
                return (SocketImpl) platform.invoke(true);
            } catch (Throwable e) {
                throw new IllegalStateException("could not create the JDK's socket implementation", e);
            }
        }
    }
}
