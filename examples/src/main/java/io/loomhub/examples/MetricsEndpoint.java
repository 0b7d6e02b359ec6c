package io.loomhub.examples;

import com.sun.net.httpserver.HttpServer;
import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;

/**
 * A Prometheus endpoint for a hub, served from the hub itself: {@code new HubMetrics(hub).bindTo(registry)} with
 * Micrometer's Prometheus registry, and a JDK {@link HttpServer} on the hub's threads answering {@code /metrics}.
 * A small workload (threads that sleep, yield and now and then offload a call) keeps the numbers moving.
 *
 * <p>Run: {@code scripts/run-example MetricsEndpoint --serve [port]} and then
 * {@code curl -s localhost:PORT/metrics | grep ^loomhub_} (Ctrl-C stops it). Without {@code --serve} it runs the
 * workload for a second, scrapes its own endpoint once, prints the {@code loomhub_*} series and exits.
 */
public final class MetricsEndpoint {

    private MetricsEndpoint() { }

    public static void main(String[] args) throws Exception {
        boolean serve = args.length > 0 && args[0].equals("--serve");
        int port = serve && args.length > 1 ? Integer.parseInt(args[1]) : 0;
        LocalHttp.warmUp();   // class loading off the hub: see LocalHttp.warmUp
        try (Hub hub = Hub.builder().name("shop").build();
             HubMetrics metrics = new HubMetrics(hub);
             ExecutorService hubThreads = hub.newVirtualThreadPerTaskExecutor()) {
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            metrics.bindTo(registry);
            HttpServer server = startEndpoint(hubThreads, registry, port);
            Workload workload = Workload.start(hub, 20);
            try {
                String url = LocalHttp.baseUrl(server) + "/metrics";
                if (serve) {
                    System.out.println("serving hub 'shop' metrics: curl -s " + url + " | grep ^loomhub_   (Ctrl-C stops)");
                    Thread.sleep(Long.MAX_VALUE);
                }
                Thread.sleep(Duration.ofSeconds(1));
                printLoomhubSeries(LocalHttp.get(url), System.out);
            } finally {
                workload.stop();
                server.stop(0);
            }
        }
    }

    /**
     * Serves {@code registry.scrape()} at {@code /metrics} on {@code executor}'s threads (for the example, the
     * hub's: the scrape is a short computation that never blocks).
     *
     * @param port the port, or 0 for any free one
     */
    public static HttpServer startEndpoint(ExecutorService executor, PrometheusMeterRegistry registry, int port)
            throws IOException {
        HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 64);
        server.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        server.setExecutor(executor);
        server.start();
        return server;
    }

    /** Prints the sample lines of the {@code loomhub_*} series in a scrape. */
    static List<String> printLoomhubSeries(String scrape, PrintStream out) {
        List<String> lines = scrape.lines().filter(l -> l.startsWith("loomhub_")).sorted().toList();
        lines.forEach(out::println);
        return lines;
    }

    /** Hub threads that sleep, yield and sometimes offload, until stopped. */
    static final class Workload {
        private final List<Thread> threads = new ArrayList<>();

        static Workload start(Hub hub, int threads) {
            Workload w = new Workload();
            for (int i = 0; i < threads; i++) {
                int n = i;
                w.threads.add(hub.ofVirtual().name("shop-worker-" + i).start(() -> {
                    try {
                        for (int round = 0; !Thread.currentThread().isInterrupted(); round++) {
                            Thread.sleep(1 + (n + round) % 5);
                            Thread.yield();
                            if (round % 50 == n % 50) {
                                hub.offload(() -> Math.sqrt(n));    // stands for a blocking call
                            }
                        }
                    } catch (InterruptedException e) {
                        // asked to stop
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                }));
            }
            return w;
        }

        /** Interrupts the threads and waits for them (at most 5 s each). */
        void stop() throws InterruptedException {
            threads.forEach(Thread::interrupt);
            for (Thread t : threads) {
                t.join(Duration.ofSeconds(5));
            }
        }
    }
}
