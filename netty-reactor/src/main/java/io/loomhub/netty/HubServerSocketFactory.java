package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.SocketException;
import javax.net.ServerSocketFactory;

/**
 * A {@link ServerSocketFactory} of {@link HubServerSocket}s: server sockets go to the hub of the thread that asks
 * for them ({@link Hub#current()}), unless the factory was made for a given hub. Any thread may use a factory
 * made for a hub; one without a hub throws {@link SocketException} off hub threads.
 */
public class HubServerSocketFactory extends ServerSocketFactory {

    private static final HubServerSocketFactory DEFAULT = new HubServerSocketFactory();

    private final Hub hub;

    /** A factory whose server sockets go to the calling thread's hub. */
    public HubServerSocketFactory() {
        this(null);
    }

    /** A factory whose server sockets go to {@code hub}, whichever thread asks. */
    public HubServerSocketFactory(Hub hub) {
        this.hub = hub;
    }

    /** The shared factory whose server sockets go to the calling thread's hub. */
    public static ServerSocketFactory getDefault() {
        return DEFAULT;
    }

    @Override
    public ServerSocket createServerSocket() throws IOException {
        return new HubServerSocket(hub());
    }

    @Override
    public ServerSocket createServerSocket(int port) throws IOException {
        return new HubServerSocket(hub(), port, 50, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog) throws IOException {
        return new HubServerSocket(hub(), port, backlog, null);
    }

    @Override
    public ServerSocket createServerSocket(int port, int backlog, InetAddress ifAddress) throws IOException {
        return new HubServerSocket(hub(), port, backlog, ifAddress);
    }

    private Hub hub() throws SocketException {
        if (hub != null) {
            return hub;
        }
        return Hub.current().orElseThrow(() -> new SocketException("HubServerSocketFactory without a hub was used "
                + "on " + Thread.currentThread() + ", which is not a hub thread: use it from hub threads, or make "
                + "the factory with new HubServerSocketFactory(hub)"));
    }
}
