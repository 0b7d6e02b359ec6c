package io.loomhub.benchmarks;

import io.loomhub.netty.HubServerSocket;
import io.loomhub.netty.HubSocket;
import io.loomhub.netty.JavaNetSockets;
import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.util.List;

/** Echo-server kinds built on loomhub-netty-reactor. */
final class EchoServerExtensions {

    private EchoServerExtensions() { }

    static List<String> kinds() {
        return List.of("hub-netty", "hub-jdk-patched");
    }

    /** Starts {@code kind} and returns its port, or -1 if this class does not know it. */
    static int start(String kind, int port) {
        try {
            if (kind.equals("hub-jdk-patched")) {
                // hub-jdk's very code; the patch makes the sockets its hub threads create run on the hub's Netty loop.
                JavaNetSockets.patch();
                return EchoServer.startBlocking(port, Hub.builder().name("echo").build().ofVirtual().factory());
            }
            if (!kind.equals("hub-netty")) {
                return -1;
            }
            Hub hub = Hub.builder().name("echo").build();
            HubServerSocket server = new HubServerSocket(hub, port, EchoServer.BACKLOG,
                    InetAddress.getLoopbackAddress());
            // As docs/sockets.md's accept loop does: the socket is handed off, so the connection's own thread owns
            // it (and it dies with that thread, not with the accepting one).
            return EchoServer.startBlocking(server, hub.ofVirtual().factory(), s -> ((HubSocket) s).handOff());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
