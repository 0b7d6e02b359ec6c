package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import javax.net.SocketFactory;

/**
 * A {@link SocketFactory} of {@link HubSocket}s, for libraries that take a factory: JDBC drivers instantiate it
 * from its class name, e.g. PgJDBC's {@code socketFactory=io.loomhub.netty.HubSocketFactory} (MariaDB
 * Connector/J's {@code socketFactory} likewise). Sockets go to the hub of the thread that asks for them
 * ({@link Hub#current()}), unless the factory was made for a given hub.
 *
 * <p>The string constructor takes PgJDBC's {@code socketFactoryArg}: {@code "detach"} makes every socket
 * {@linkplain HubSocket#detach() detached} (no thread owns it: for connections that live in a pool beyond the
 * thread that opened them); {@code "handOff"} makes every socket {@linkplain HubSocket#handOff() handed off};
 * null or empty keeps the default rule (the opening hub thread owns the socket).
 *
 * <p>Threading: any thread may use a factory; a factory without a hub throws {@link SocketException} when the
 * caller is not a hub thread, since it would not know which hub to use.
 */
public class HubSocketFactory extends SocketFactory {

    private static final HubSocketFactory DEFAULT = new HubSocketFactory();

    private final Hub hub;
    private final String ownership;

    /** A factory whose sockets go to the calling thread's hub. */
    public HubSocketFactory() {
        this((Hub) null, null);
    }

    /**
     * A factory whose sockets go to the calling thread's hub, with an ownership rule (see the class comment).
     *
     * @param arg null, {@code ""}, {@code "detach"} or {@code "handOff"}
     * @throws IllegalArgumentException for any other value
     */
    public HubSocketFactory(String arg) {
        this(null, arg);
    }

    /** A factory whose sockets go to {@code hub}, whichever thread asks. */
    public HubSocketFactory(Hub hub) {
        this(hub, null);
    }

    private HubSocketFactory(Hub hub, String arg) {
        String a = arg == null ? "" : arg.trim();
        if (!a.isEmpty() && !a.equals("detach") && !a.equals("handOff")) {
            throw new IllegalArgumentException("HubSocketFactory argument must be empty, \"detach\" or \"handOff\", "
                    + "was \"" + arg + "\"");
        }
        this.hub = hub;
        this.ownership = a;
    }

    /** The shared factory whose sockets go to the calling thread's hub. */
    public static SocketFactory getDefault() {
        return DEFAULT;
    }

    /**
     * An unconnected hub socket.
     *
     * @throws SocketException if this factory has no hub and the caller is not a hub thread
     */
    @Override
    public Socket createSocket() throws IOException {
        HubSocket s = new HubSocket(hub());
        if (ownership.equals("detach")) {
            s.detach();
        } else if (ownership.equals("handOff")) {
            s.handOff();
        }
        return s;
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        Socket s = createSocket();
        connect(s, host != null ? new InetSocketAddress(host, port)
                : new InetSocketAddress(InetAddress.getByName(null), port));
        return s;
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        Socket s = createSocket();
        s.bind(new InetSocketAddress(localHost, localPort));
        connect(s, host != null ? new InetSocketAddress(host, port)
                : new InetSocketAddress(InetAddress.getByName(null), port));
        return s;
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        Socket s = createSocket();
        connect(s, new InetSocketAddress(host, port));
        return s;
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        Socket s = createSocket();
        s.bind(new InetSocketAddress(localAddress, localPort));
        connect(s, new InetSocketAddress(address, port));
        return s;
    }

    private static void connect(Socket s, InetSocketAddress address) throws IOException {
        try {
            s.connect(address);
        } catch (IOException | RuntimeException e) {
            s.close();
            throw e;
        }
    }

    private Hub hub() throws SocketException {
        if (hub != null) {
            return hub;
        }
        return Hub.current().orElseThrow(() -> new SocketException("HubSocketFactory without a hub was used on "
                + Thread.currentThread() + ", which is not a hub thread: use it from hub threads, or make the "
                + "factory with new HubSocketFactory(hub)"));
    }

    @Override
    public String toString() {
        return "HubSocketFactory[" + (hub != null ? hub.name() : "current hub")
                + (ownership.isEmpty() ? "" : ", " + ownership) + "]";
    }
}
