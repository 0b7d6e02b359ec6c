package io.loomhub.examples;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.loomhub.netty.NettyReactor;
import io.loomhub.scheduler.Hub;
import io.netty.channel.epoll.Epoll;
import io.loomhub.scheduler.HubStats;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The README's demo: a hub runs a small, realistic workload of plain blocking code and then says what it did.
 *
 * <pre>
 *   client (N requests, C at a time, newBoundedExecutor)  --HTTP-->  api server  --HTTP-->  stock service
 *   every client task, api handler and stock handler is a virtual thread of one hub
 * </pre>
 * The api handler does what request handlers do: a blocking "database" wait ({@code Thread.sleep}) and a blocking
 * call to another service ({@link java.net.HttpURLConnection}). Both servers are the JDK's own
 * {@link HttpServer}, put on the hub with one line: {@code server.setExecutor(hub.newVirtualThreadPerTaskExecutor())}.
 *
 * <p>The report: requests served, hub threads started, slices, scheduling latency (measured by a probe, see
 * {@link LatencyProbe}), and the proof that every sampled slice ran on the hub's one carrier thread.
 *
 * <p>Run: {@code scripts/demo [requests] [concurrency]} (defaults 3000 and 16). Exits 0 when every request
 * succeeded and everything ran on one carrier, 1 otherwise.
 */
public final class Demo {

    /**
     * What to run.
     *
     * @param requests    client requests to send
     * @param concurrency client requests in flight at once
     * @param dbWait      the blocking wait in each api request
     */
    public record Options(int requests, int concurrency, Duration dbWait) {
        public static Options defaults() {
            return new Options(3000, 16, Duration.ofMillis(2));
        }
    }

    /**
     * What happened.
     *
     * @param requested      requests the client sent
     * @param ok             responses the client received and checked
     * @param failed         requests that failed
     * @param apiServed      requests the api server handled
     * @param stockServed    requests the stock service handled
     * @param stats          the hub's counters at the end
     * @param carriers       sampled slices by carrier name
     * @param hubCarrier     the name of the hub's carrier thread
     * @param latencyNanos   scheduling-latency samples, sorted
     * @param elapsed        how long the workload took
     */
    public record Report(int requested, long ok, long failed, long apiServed, long stockServed, HubStats stats,
                         Map<String, Long> carriers, String hubCarrier, long[] latencyNanos, Duration elapsed) {

        /** Whether every request succeeded and every sampled slice ran on the hub's carrier. */
        public boolean success() {
            return ok == requested && failed == 0 && carriers.keySet().equals(java.util.Set.of(hubCarrier));
        }
    }

    private Demo() { }

    public static void main(String[] args) throws Exception {
        Options d = Options.defaults();
        Options options = new Options(
                args.length > 0 ? Integer.parseInt(args[0]) : d.requests(),
                args.length > 1 ? Integer.parseInt(args[1]) : d.concurrency(),
                d.dbWait());
        Report report = run(options, System.out);
        if (!report.success()) {
            System.err.println("demo: FAILED (see the report above)");
            System.exit(1);
        }
    }

    /**
     * Runs the workload on a new hub, prints the report to {@code out}, closes everything it started.
     * Call from a platform thread.
     */
    public static Report run(Options o, PrintStream out) throws Exception {
        CarrierLog carriers = new CarrierLog();
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        AtomicLong apiServed = new AtomicLong();
        AtomicLong stockServed = new AtomicLong();

        LocalHttp.warmUp();
        Hub hub = Hub.builder().name("demo").build();
        out.printf("loomhub demo: hub '%s', carrier thread '%s', reactor: %s%n", hub.name(),
                hub.carrierThread().getName(), reactorOf(hub));
        out.printf("workload: %,d GET requests, %d at a time: client -> api server -> stock service;%n"
                + "          each api request waits %d ms (a blocking 'database' call) and calls the stock service%n",
                o.requests(), o.concurrency(), o.dbWait().toMillis());

        HttpServer stock = null;
        HttpServer api = null;
        ExecutorService stockThreads = hub.newVirtualThreadPerTaskExecutor();
        ExecutorService apiThreads = hub.newVirtualThreadPerTaskExecutor();
        long started;
        Duration elapsed;
        HubStats stats;
        long[] latency;
        try {
            stock = LocalHttp.start(stockThreads, "/stock", exchange -> {
                carriers.note();
                int item = Integer.parseInt(LocalHttp.query(exchange, "item", "0"));
                LocalHttp.reply(exchange, Integer.toString(item * 7 % 100));
                stockServed.incrementAndGet();
            });
            String stockUrl = LocalHttp.baseUrl(stock) + "/stock?item=";
            api = LocalHttp.start(apiThreads, "/order", exchange -> {
                carriers.note();
                String item = LocalHttp.query(exchange, "item", "0");
                blockingWait(o.dbWait());                                // a database call
                carriers.note();
                String inStock = LocalHttp.get(stockUrl + item);         // a call to another service
                carriers.note();
                LocalHttp.reply(exchange, "order " + item + ": " + inStock + " in stock");
                apiServed.incrementAndGet();
            });
            String apiUrl = LocalHttp.baseUrl(api) + "/order?item=";

            started = System.nanoTime();
            try (LatencyProbe probe = new LatencyProbe(hub, carriers, Duration.ofMillis(1))) {
                try (ExecutorService client = hub.newBoundedExecutor(o.concurrency())) {
                    for (int i = 0; i < o.requests(); i++) {
                        int item = i;
                        client.execute(() -> {
                            carriers.note();
                            try {
                                String body = LocalHttp.get(apiUrl + item);
                                carriers.note();
                                if (body.equals("order " + item + ": " + (item * 7 % 100) + " in stock")) {
                                    ok.incrementAndGet();
                                } else {
                                    failed.incrementAndGet();
                                }
                            } catch (IOException e) {
                                failed.incrementAndGet();
                                out.println("request " + item + " failed: " + e);
                            }
                        });
                    }
                } // close() waits for every client task
                elapsed = Duration.ofNanos(System.nanoTime() - started);
                probe.close();
                latency = probe.sortedSamples();
            }
        } finally {
            if (api != null) {
                api.stop(0);
            }
            if (stock != null) {
                stock.stop(0);
            }
            apiThreads.close();
            stockThreads.close();
            stats = hub.stats();
            hub.close();
        }

        Report r = new Report(o.requests(), ok.get(), failed.get(), apiServed.get(), stockServed.get(), stats,
                carriers.byCarrier(), hub.carrierThread().getName(), latency, elapsed);
        print(r, out);
        return r;
    }

    private static void print(Report r, PrintStream out) {
        HubStats s = r.stats();
        double seconds = r.elapsed().toNanos() / 1e9;
        long[] l = r.latencyNanos();
        out.println();
        out.printf("requests served     %,d of %,d by the api server, %,d by the stock service, %d failed, "
                + "in %.2f s (%,.0f requests/s)%n", r.apiServed(), r.requested(), r.stockServed(), r.failed(),
                seconds, r.requested() / seconds);
        out.printf("hub threads run     %,d (client workers, a thread per api and per stock exchange, the probe)%n",
                s.startedThreads());
        out.printf("slices              %,d (resumes from the carrier %,d, from other threads %,d; "
                + "reactor polls %,d; hub timers fired %,d)%n",
                s.slices(), s.localSubmissions(), s.externalSubmissions(), s.reactorPolls(), s.timersFired());
        out.printf("scheduling latency  p50 %s, p90 %s, p99 %s, max %s over %,d samples%n",
                LatencyProbe.millis(LatencyProbe.quantile(l, 0.50)), LatencyProbe.millis(LatencyProbe.quantile(l, 0.90)),
                LatencyProbe.millis(LatencyProbe.quantile(l, 0.99)), LatencyProbe.millis(l.length == 0 ? 0 : l[l.length - 1]),
                l.length);
        out.println("                    (measured by this demo: a platform thread unparks a hub thread every 1 ms;"
                + " time until it runs)");
        out.printf("carrier time        busy %d ms, idle %d ms; longest slice %.2f ms; blocked-hub reports %d%n",
                s.busyTime().toMillis(), s.idleTime().toMillis(), s.longestSlice().toNanos() / 1e6,
                s.blockedDetections());
        long samples = r.carriers().values().stream().mapToLong(Long::longValue).sum();
        if (r.carriers().keySet().equals(java.util.Set.of(r.hubCarrier()))) {
            out.printf("one carrier         yes: all %,d slices sampled in client, handler and probe threads ran on "
                    + "'%s' (hub.carrierThread())%n", samples, r.hubCarrier());
        } else {
            out.printf("one carrier         NO: sampled slices by carrier: %s, expected only '%s'%n",
                    r.carriers(), r.hubCarrier());
        }
    }

    /** Which reactor the hub's carrier drives: Netty's when loomhub-netty-reactor is on the class path. */
    static String reactorOf(Hub hub) {
        try {
            NettyReactor.eventLoop(hub);
            return "Netty " + (Epoll.isAvailable() ? "epoll" : "NIO");
        } catch (IllegalStateException e) {
            return "parking (loomhub-netty-reactor is not on the class path)";
        }
    }

    /** A blocking wait as a handler would do it; an interrupt ends the exchange with an I/O error. */
    private static void blockingWait(Duration d) throws IOException {
        try {
            Thread.sleep(d);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new InterruptedIOException("interrupted");
        }
    }
}
