package io.loomhub.examples;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubStats;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An echo server and its clients, all hub threads, written against plain {@code java.net.ServerSocket} and
 * {@code java.net.Socket}: the server thread accepts and starts a handler per connection with a plain
 * {@code Thread.ofVirtual()} (which stays on the hub); each handler echoes lines until the client closes; each
 * client sends its lines and checks the answers.
 *
 * <p>Which sockets is one choice ({@link Sockets}): the JDK's, whose waits park the hub thread and are resumed by
 * the JDK's poller, or the hub's own ({@code io.loomhub.netty.HubServerSocket}/{@code HubSocket}), whose I/O is
 * Netty channel events on the hub's epoll loop.
 *
 * <p>Run: {@code scripts/run-example Echo [clients] [linesPerClient]} (defaults 100 and 100).
 */
public final class Echo {

    /** How the example makes its sockets: unbound server sockets and unconnected sockets. */
    public interface Sockets {
        ServerSocket newServerSocket() throws IOException;

        Socket newSocket() throws IOException;
    }

    /** The JDK's own sockets. */
    public static final Sockets JDK_SOCKETS = new Sockets() {
        @Override
        public ServerSocket newServerSocket() throws IOException {
            return new ServerSocket();
        }

        @Override
        public Socket newSocket() {
            return new Socket();
        }

        @Override
        public String toString() {
            return "JDK sockets (java.net)";
        }
    };

    /**
     * The outcome.
     *
     * @param lines    lines echoed and checked
     * @param wrong    lines that came back wrong, or not at all
     * @param carriers sampled slices by carrier name
     * @param stats    the hub's counters at the end
     */
    public record Outcome(long lines, long wrong, Map<String, Long> carriers, HubStats stats) { }

    private Echo() { }

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 100;
        int lines = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (Hub hub = Hub.builder().name("echo").build()) {
            Outcome o = run(hub, JDK_SOCKETS, clients, lines, System.out);
            if (o.wrong() > 0 || o.carriers().size() != 1) {
                System.exit(1);
            }
        }
    }

    /** Runs the server and {@code clients} clients of {@code lines} lines each on the hub; prints a summary. */
    public static Outcome run(Hub hub, Sockets sockets, int clients, int lines, PrintStream out) throws Exception {
        CarrierLog carriers = new CarrierLog();
        AtomicLong echoed = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        CompletableFuture<ServerSocket> listening = new CompletableFuture<>();
        long start = System.nanoTime();

        Thread server = hub.ofVirtual().name("echo-server").start(() -> {
            try (ServerSocket listener = sockets.newServerSocket()) {
                listener.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
                listening.complete(listener);
                while (true) {
                    Socket connection = listener.accept();                  // parks until a client connects
                    carriers.note();
                    Thread.ofVirtual().name("echo-handler").start(() -> echoLines(connection, carriers));
                }
            } catch (SocketException closed) {
                // the listener was closed: the server is done
            } catch (IOException e) {
                listening.completeExceptionally(e);
                out.println("server failed: " + e);
            }
        });
        ServerSocket listener = listening.get(10, TimeUnit.SECONDS);
        InetSocketAddress address = new InetSocketAddress(InetAddress.getLoopbackAddress(), listener.getLocalPort());

        List<Thread> clientThreads = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
            int client = c;
            clientThreads.add(hub.ofVirtual().name("echo-client-", c).start(() -> {
                int answered = 0;
                try (Socket socket = sockets.newSocket()) {
                    socket.connect(address, 10_000);
                    socket.setSoTimeout(10_000);
                    carriers.note();
                    PrintWriter to = new PrintWriter(socket.getOutputStream(), true, StandardCharsets.UTF_8);
                    BufferedReader from = new BufferedReader(
                            new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
                    for (int i = 0; i < lines; i++) {
                        String line = "client " + client + " line " + i;
                        to.println(line);
                        if (line.equals(from.readLine())) {                   // parks until the echo arrives
                            echoed.incrementAndGet();
                        } else {
                            wrong.incrementAndGet();
                        }
                        answered++;
                        carriers.note();
                    }
                } catch (IOException e) {
                    wrong.addAndGet(lines - answered);
                    out.println("client " + client + " failed: " + e);
                }
            }));
        }
        for (Thread t : clientThreads) {
            if (!t.join(Duration.ofSeconds(60))) {
                throw new IllegalStateException(t + " did not end within 60 s");
            }
        }
        listener.close();                                                   // ends the server's accept
        if (!server.join(Duration.ofSeconds(10))) {
            throw new IllegalStateException("the echo server did not end within 10 s");
        }
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        HubStats stats = hub.stats();
        Outcome o = new Outcome(echoed.get() + wrong.get(), wrong.get(), carriers.byCarrier(), stats);
        out.printf("%s: %d clients echoed %,d lines in %.2f s, %d wrong%n", sockets, clients, o.lines(),
                elapsed.toNanos() / 1e9, o.wrong());
        out.printf("hub '%s': %,d threads, %,d slices (resumes from the carrier %,d, from other threads %,d), "
                + "reactor I/O events %,d%n", hub.name(), stats.startedThreads(), stats.slices(),
                stats.localSubmissions(), stats.externalSubmissions(), stats.ioEvents());
        out.printf("carriers of %,d sampled slices: %s (hub carrier: '%s')%n", carriers.samples(),
                o.carriers().keySet(), hub.carrierThread().getName());
        return o;
    }

    /** Echoes lines until the client closes its side. */
    private static void echoLines(Socket connection, CarrierLog carriers) {
        try (connection) {
            BufferedReader from = new BufferedReader(
                    new InputStreamReader(connection.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter to = new PrintWriter(connection.getOutputStream(), true, StandardCharsets.UTF_8);
            for (String line; (line = from.readLine()) != null; ) {         // parks until a line arrives
                to.println(line);
                carriers.note();
            }
        } catch (IOException e) {
            // the client went away: nothing to echo to
        }
    }
}
