package io.loomhub.netty;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.net.SocketException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLongArray;

/**
 * A plain blocking echo server on hub threads, as a user would write it: one accept loop, one thread per
 * connection, each a read/write loop on java.net streams.
 */
final class TestEchoServer implements AutoCloseable {

    final Hub hub;
    final HubServerSocket server;
    final Thread acceptLoop;
    final AtomicBoolean offCarrier = new AtomicBoolean();
    final AtomicInteger served = new AtomicInteger();
    final AtomicInteger handlerErrors = new AtomicInteger();
    /** Bytes each connection's handler read and wrote back, by the client's port: tells which side lost bytes. */
    final Map<Integer, AtomicLongArray> echoedByClientPort = new ConcurrentHashMap<>();

    private TestEchoServer(Hub hub, HubServerSocket server) {
        this.hub = hub;
        this.server = server;
        this.acceptLoop = hub.ofVirtual().name("accept-loop").start(this::acceptLoop);
    }

    static TestEchoServer start(Hub hub) throws Exception {
        HubServerSocket server = NettyTestSupport.onHub(hub,
                () -> new HubServerSocket(0, 512, InetAddress.getLoopbackAddress()));
        return new TestEchoServer(hub, server);
    }

    int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        try {
            while (true) {
                Socket s = server.accept();
                ((HubSocket) s).handOff(); // the connection's own thread becomes its owner
                hub.ofVirtual().name("echo-handler").start(() -> serve(s));
            }
        } catch (SocketException closed) {
            // the server socket was closed: the loop ends
        } catch (IOException e) {
            throw new RuntimeException(e);
        }
    }

    /** "read R, echoed W" for the connection from {@code clientPort}, for failure messages. */
    String echoed(int clientPort) {
        AtomicLongArray c = echoedByClientPort.get(clientPort);
        return c == null ? "no server handler seen" : "server read " + c.get(0) + ", echoed " + c.get(1);
    }

    private void serve(Socket s) {
        AtomicLongArray counts = new AtomicLongArray(2); // bytes read, bytes written back
        echoedByClientPort.put(s.getPort(), counts);
        try (s) {
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            byte[] buf = new byte[16 * 1024];
            int n;
            int round = 0;
            while ((n = in.read(buf)) > 0) {
                counts.addAndGet(0, n);
                out.write(buf, 0, n);
                counts.addAndGet(1, n);
                if ((++round & 63) == 0 && !NettyTestSupport.onCarrier(hub.carrierThread())) {
                    offCarrier.set(true);
                }
            }
            served.incrementAndGet();
        } catch (IOException e) {
            handlerErrors.incrementAndGet();
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        try {
            if (!acceptLoop.join(NettyTestSupport.JOIN)) {
                throw new AssertionError("the accept loop did not end after the server socket closed");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while waiting for the accept loop", e);
        }
    }
}
