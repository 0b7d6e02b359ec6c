package io.loomhub.examples;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

class MetricsEndpointTest {

    /** The value of one sample line of a scrape, or -1 when the series is absent. */
    private static double sample(String scrape, String series) {
        Matcher m = Pattern.compile("(?m)^" + Pattern.quote(series) + " (\\S+)$").matcher(scrape);
        return m.find() ? Double.parseDouble(m.group(1)) : -1;
    }

    @Test
    void hubServesItsOwnLoomhubSeriesInPrometheusFormat() {
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            LocalHttp.warmUp();
            try (Hub hub = Hub.builder().name("metrics-test").build();
                 HubMetrics metrics = new HubMetrics(hub);
                 ExecutorService hubThreads = hub.newVirtualThreadPerTaskExecutor()) {
                PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
                metrics.bindTo(registry);
                HttpServer server = MetricsEndpoint.startEndpoint(hubThreads, registry, 0);
                MetricsEndpoint.Workload workload = MetricsEndpoint.Workload.start(hub, 5);
                try {
                    String url = LocalHttp.baseUrl(server) + "/metrics";
                    String tag = "{hub=\"metrics-test\"}";
                    // The workload's slices, latency samples and offload calls show up in a scrape.
                    await().atMost(Duration.ofSeconds(20)).until(() -> {
                        String s = LocalHttp.get(url);
                        return sample(s, "loomhub_slices_total" + tag) > 0
                                && sample(s, "loomhub_scheduling_latency_seconds_count" + tag) > 0
                                && sample(s, "loomhub_offload_calls_total" + tag) > 0;
                    });
                    String scrape = LocalHttp.get(url);
                    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                    List<String> lines = MetricsEndpoint.printLoomhubSeries(scrape,
                            new PrintStream(bytes, true, StandardCharsets.UTF_8));

                    assertTrue(lines.size() >= 20, scrape);
                    assertTrue(lines.stream().allMatch(l -> l.startsWith("loomhub_") && l.contains("hub=\"metrics-test\"")),
                            scrape);
                    assertTrue(sample(scrape, "loomhub_scheduling_latency_percentile_seconds{hub=\"metrics-test\",phi=\"0.99\"}") >= 0,
                            scrape);
                    // The Netty reactor's socket counts come with the same binder (this workload opens none).
                    assertTrue(sample(scrape, "loomhub_sockets_open_connections" + tag) == 0, scrape);
                    assertTrue(sample(scrape, "loomhub_sockets_leaked_connections_total" + tag) == 0, scrape);
                    // The endpoint itself is served by hub threads: each scrape's exchange started one.
                    assertTrue(hub.stats().startedThreads() > 5, scrape);
                } finally {
                    workload.stop();
                    server.stop(0);
                }
            }
        });
    }
}
