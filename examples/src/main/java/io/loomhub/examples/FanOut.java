package io.loomhub.examples;

import com.sun.net.httpserver.HttpServer;
import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * gevent's classic: fetch many URLs concurrently with a pool that bounds how many run at once.
 *
 * <pre>
 *   pool = gevent.pool.Pool(20)                      try (ExecutorService pool = hub.newBoundedExecutor(20)) {
 *   for url in urls:                                     for (String url : urls)
 *       pool.spawn(fetch, url)                               pool.execute(() -> fetch(url));
 *   pool.join()                                      }   // close() waits for every task
 * </pre>
 * The fetch is plain blocking {@link java.net.HttpURLConnection} code; on the hub each wait parks only its own
 * virtual thread. A local server stands in for the internet (each page takes a few milliseconds).
 *
 * <p>Run: {@code scripts/run-example FanOut [urls] [poolSize]} (defaults 1000 and 20): a progress line every 10%,
 * then a summary.
 */
public final class FanOut {

    /**
     * The outcome.
     *
     * @param urls        URLs fetched
     * @param ok          fetches that succeeded
     * @param failed      fetches that failed
     * @param bytes       body bytes received
     * @param maxInFlight the most fetches that ran at once (never above the pool size)
     * @param elapsed     how long it took
     */
    public record Summary(int urls, int ok, int failed, long bytes, int maxInFlight, Duration elapsed) { }

    private FanOut() { }

    public static void main(String[] args) throws Exception {
        int urls = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int poolSize = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        LocalHttp.warmUp();   // class loading off the hub: see LocalHttp.warmUp
        try (ExecutorService serverThreads = Executors.newVirtualThreadPerTaskExecutor();
             Hub hub = Hub.builder().name("fanout").build()) {
            HttpServer server = startSlowServer(serverThreads, Duration.ofMillis(5));
            try {
                Summary s = run(hub, urlsOf(server, urls), poolSize, System.out);
                if (s.failed() > 0) {
                    System.exit(1);
                }
            } finally {
                server.stop(0);
            }
        }
    }

    /** A local server whose pages take {@code latency} to produce; its handlers run on default virtual threads. */
    static HttpServer startSlowServer(ExecutorService executor, Duration latency) throws IOException {
        return LocalHttp.start(executor, "/page", exchange -> {
            try {
                Thread.sleep(latency);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            String path = exchange.getRequestURI().getPath();
            LocalHttp.reply(exchange, "<html>" + path + "</html>");
        });
    }

    static List<String> urlsOf(HttpServer server, int count) {
        List<String> urls = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            urls.add(LocalHttp.baseUrl(server) + "/page/" + i);
        }
        return urls;
    }

    /**
     * Fetches every URL on the hub, at most {@code poolSize} at once, printing progress every 10% and a summary.
     * Call from outside the hub; returns when every fetch has ended.
     */
    public static Summary run(Hub hub, List<String> urls, int poolSize, PrintStream out) {
        AtomicInteger ok = new AtomicInteger();
        AtomicInteger failed = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger maxInFlight = new AtomicInteger();
        AtomicLong bytes = new AtomicLong();
        int total = urls.size();
        long start = System.nanoTime();
        try (ExecutorService pool = hub.newBoundedExecutor(poolSize)) {   // gevent.pool.Pool(poolSize)
            for (String url : urls) {
                pool.execute(() -> {
                    maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                    try {
                        bytes.addAndGet(LocalHttp.get(url).length());
                        ok.incrementAndGet();
                    } catch (IOException e) {
                        failed.incrementAndGet();
                        out.println("failed: " + url + ": " + e);
                    } finally {
                        inFlight.decrementAndGet();
                    }
                    int n = done.incrementAndGet();
                    if (n * 10L / total != (n - 1) * 10L / total) {
                        out.printf("progress: %,d/%,d fetched (%d%%), %d in flight%n", n, total, n * 100 / total,
                                inFlight.get());
                    }
                });
            }
        } // like pool.join(): close() waits for every task
        Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
        Summary s = new Summary(total, ok.get(), failed.get(), bytes.get(), maxInFlight.get(), elapsed);
        out.printf("summary: %,d URLs, %,d ok, %d failed, %,d bytes in %.2f s (%,.0f fetches/s); "
                + "at most %d in flight (pool size %d)%n", s.urls(), s.ok(), s.failed(), s.bytes(),
                elapsed.toNanos() / 1e9, total / (elapsed.toNanos() / 1e9), s.maxInFlight(), poolSize);
        return s;
    }
}
