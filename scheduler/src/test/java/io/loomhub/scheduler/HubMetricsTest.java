package io.loomhub.scheduler;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class HubMetricsTest {

    private static double counter(MeterRegistry r, String hub, String name) {
        return r.get(name).tag("hub", hub).functionCounter().count();
    }

    private static double gauge(MeterRegistry r, String hub, String name) {
        return r.get(name).tag("hub", hub).gauge().value();
    }

    private static FunctionTimer timer(MeterRegistry r, String hub, String name) {
        return r.get(name).tag("hub", hub).functionTimer();
    }

    @Test
    void slicesAreTimedOnlyWhileMetricsAreBound() throws Exception {
        // No watchdog, so nothing else observes slices: the longest slice is what the carrier timed.
        try (Hub hub = Hub.builder().name("timed").reactor(ReactorFactory.parking()).blockingThreshold(Duration.ZERO)
                .build()) {
            assertTrue(hub.spawn(() -> WatchdogTest.spinWithoutParking(Duration.ofMillis(50)))
                    .join(Duration.ofSeconds(10)));
            assertEquals(Duration.ZERO, hub.stats().longestSlice(), "unbound: no slice is timed");
            try (HubMetrics metrics = new HubMetrics(hub)) {
                metrics.bindTo(new SimpleMeterRegistry());
                assertTrue(hub.spawn(() -> WatchdogTest.spinWithoutParking(Duration.ofMillis(50)))
                        .join(Duration.ofSeconds(10)));
                await().atMost(Duration.ofSeconds(5))
                        .until(() -> hub.stats().longestSlice().compareTo(Duration.ofMillis(50)) >= 0);
            }
        }
    }

    @Test
    void metersCountKnownWorkAndGaugesReturnToZero() throws Exception {
        final int n = 8;       // threads
        final int m = 5;       // barrier rounds: each parks n - 1 threads, resumed on the carrier
        final int k = 3;       // sleeps per thread, resumed by hub timers
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Hub hub = Hub.builder().name("metered").reactor(ReactorFactory.parking()).build();
                HubMetrics metrics = new HubMetrics(hub)) {
            metrics.bindTo(registry);
            CyclicBarrier barrier = new CyclicBarrier(n);
            CountDownLatch hold = new CountDownLatch(1);
            CountDownLatch allHeld = new CountDownLatch(n);
            AtomicLong offloaded = new AtomicLong();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                final boolean offloader = i == 0;
                threads.add(hub.spawn(() -> {
                    try {
                        for (int round = 0; round < m; round++) {
                            barrier.await(10, TimeUnit.SECONDS);
                        }
                        for (int s = 0; s < k; s++) {
                            Thread.sleep(1);
                        }
                        if (offloader) {
                            offloaded.set(hub.offload(() -> 42L));
                        }
                        allHeld.countDown();
                        hold.await();
                    } catch (Exception e) {
                        throw new AssertionError(e);
                    }
                }));
            }
            assertTrue(allHeld.await(20, TimeUnit.SECONDS));
            String h = "metered";
            // While they are held: the live gauge counts them.
            await().atMost(Duration.ofSeconds(5)).until(() -> gauge(registry, h, "loomhub.threads.live") == n);
            hold.countDown();
            for (Thread t : threads) {
                assertTrue(t.join(Duration.ofSeconds(10)));
            }
            assertEquals(42L, offloaded.get());

            // Gauges return to zero once the threads have ended and the carrier has published.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
                assertEquals(0, gauge(registry, h, "loomhub.threads.live"));
                assertEquals(0, gauge(registry, h, "loomhub.queue.depth"));
                assertEquals(0, gauge(registry, h, "loomhub.timers.pending"));
                assertEquals(0, gauge(registry, h, "loomhub.offload.active"));
                assertEquals(0, gauge(registry, h, "loomhub.offload.queued"));
                assertEquals(counter(registry, h, "loomhub.slices"),
                        timer(registry, h, "loomhub.slice.duration").count(), "every slice is in the histogram");
            });

            assertEquals(n, counter(registry, h, "loomhub.threads.started"));
            double slices = counter(registry, h, "loomhub.slices");
            // Each thread: its first slice and one per sleep; all but the last also parked for the hold (the last
            // may find it released). Barrier rounds and the offload add more, but not a fixed number: a park that
            // finds a permit left by an earlier unpark, or a future already done, returns without ending its slice.
            assertTrue(slices >= n * (1 + k) + (n - 1), "slices " + slices);
            assertTrue(counter(registry, h, "loomhub.timers.armed") >= n * k);
            assertTrue(counter(registry, h, "loomhub.timers.fired") >= n * k);
            double local = registry.get("loomhub.submissions").tags("hub", h, "source", "local").functionCounter().count();
            double external = registry.get("loomhub.submissions").tags("hub", h, "source", "external")
                    .functionCounter().count();
            assertTrue(local >= n * k, "local " + local);                    // timer firings (and barrier trips)
            // Starts and the release of the first held thread (it releases the next on the carrier). The offload's
            // resume is external only if the call had not finished before its caller parked, so it is not counted.
            assertTrue(external >= n + 1, "external " + external);
            assertEquals(1, counter(registry, h, "loomhub.offload.calls"));
            assertEquals(1, timer(registry, h, "loomhub.offload.wait").count());
            assertTrue(counter(registry, h, "loomhub.reactor.polls") > 0);
            assertTrue(counter(registry, h, "loomhub.carrier.busy") > 0);
            assertTrue(counter(registry, h, "loomhub.carrier.idle") > 0);
            double utilization = gauge(registry, h, "loomhub.carrier.utilization");
            assertTrue(utilization > 0 && utilization <= 1, "utilization " + utilization);
            assertEquals(0, counter(registry, h, "loomhub.blocked.episodes"));

            // The histograms have samples, and their percentiles say something.
            FunctionTimer latency = timer(registry, h, "loomhub.scheduling.latency");
            assertTrue(latency.count() > 0, "scheduling latency was sampled");
            assertTrue(latency.totalTime(TimeUnit.NANOSECONDS) > 0);
            double p50 = registry.get("loomhub.slice.duration.percentile").tags("hub", h, "phi", "0.5").timeGauge()
                    .value(TimeUnit.NANOSECONDS);
            double max = registry.get("loomhub.slice.duration.max").tag("hub", h).timeGauge().value(TimeUnit.NANOSECONDS);
            assertTrue(p50 > 0 && p50 <= max, "p50 " + p50 + " max " + max);
            assertTrue(registry.get("loomhub.scheduling.latency.percentile").tags("hub", h, "phi", "0.99")
                    .timeGauge().value(TimeUnit.NANOSECONDS) > 0);
        }
    }

    @Test
    void closingTheBinderRemovesItsMetersAndStopsHistogramRecording() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Hub hub = Hub.builder().name("unbound").reactor(ReactorFactory.parking()).build()) {
            HubMetrics metrics = new HubMetrics(hub);
            metrics.bindTo(registry);
            assertTrue(hub.spawn(() -> { }).join(Duration.ofSeconds(5)));
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.recorder.sliceLength.count() > 0);
            metrics.close();
            assertTrue(registry.getMeters().stream().noneMatch(meter -> meter.getId().getName().startsWith("loomhub.")));
            long recorded = hub.recorder.sliceLength.count();
            long slices = hub.stats().slices();
            for (int i = 0; i < 10; i++) {
                assertTrue(hub.spawn(() -> { }).join(Duration.ofSeconds(5)));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.stats().slices() >= slices + 10);
            assertEquals(recorded, hub.recorder.sliceLength.count(), "no histogram recording without a binder");
            // Bound again, it records again.
            metrics.bindTo(registry);
            assertTrue(hub.spawn(() -> { }).join(Duration.ofSeconds(5)));
            await().atMost(Duration.ofSeconds(5)).until(() -> hub.recorder.sliceLength.count() > recorded);
            metrics.close();
        }
    }

    @Test
    void metricsContributedByOtherModulesAreExported() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        AtomicLong open = new AtomicLong(3);
        AtomicLong closedAtDeath = new AtomicLong(7);
        try (Hub hub = Hub.builder().name("extra").reactor(ReactorFactory.parking()).build();
                HubMetrics metrics = new HubMetrics(hub)) {
            hub.addMetric(new HubMetric("loomhub.sockets.open", HubMetric.Type.GAUGE, "sockets open", "sockets",
                    open::get));
            metrics.bindTo(registry);
            // Added after binding: still exported.
            hub.addMetric(new HubMetric("loomhub.sockets.closed.at.thread.death", HubMetric.Type.COUNTER,
                    "sockets closed because their thread ended", "sockets", closedAtDeath::get));
            assertEquals(3, gauge(registry, "extra", "loomhub.sockets.open"));
            FunctionCounter c = registry.get("loomhub.sockets.closed.at.thread.death").tag("hub", "extra")
                    .functionCounter();
            assertEquals(7, c.count());
            open.set(0);
            assertEquals(0, gauge(registry, "extra", "loomhub.sockets.open"));
            assertThrows(IllegalArgumentException.class, () -> hub.addMetric(new HubMetric("loomhub.sockets.open",
                    HubMetric.Type.GAUGE, "again", null, open::get)));
            assertThrows(IllegalArgumentException.class, () -> new HubMetric("sockets.open", HubMetric.Type.GAUGE,
                    "no prefix", null, open::get));
        }
    }

    @Test
    void windowedValuesForgetWhatIsOlderThanTheWindow() {
        long[] cumulative = {0};
        // A window of 3 ns: every read is a third of a window after the last, so each read takes a snapshot.
        HubMetrics.Window w = new HubMetrics.Window(3, () -> new long[] {cumulative[0]});
        cumulative[0] = 10;
        assertEquals(10, w.delta()[0], "until three snapshots exist: everything since the start");
        cumulative[0] = 25;
        assertEquals(25, w.delta()[0]);
        cumulative[0] = 45;
        assertEquals(45 - 10, w.delta()[0], "now relative to the oldest kept snapshot");
        cumulative[0] = 50;
        assertEquals(50 - 25, w.delta()[0]);
    }

    @Test
    void metersRenderAsPrometheusSeriesForEachOfTwoHubs() throws Exception {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        try (Hub one = Hub.builder().name("prom-1").reactor(ReactorFactory.parking()).build();
                Hub two = Hub.builder().name("prom-2").reactor(ReactorFactory.parking()).build();
                HubMetrics m1 = new HubMetrics(one);
                HubMetrics m2 = new HubMetrics(two)) {
            m1.bindTo(registry);
            m2.bindTo(registry);
            assertTrue(one.spawn(() -> { }).join(Duration.ofSeconds(5)));
            String scrape = registry.scrape();
            for (String series : List.of("loomhub_slices_total{hub=\"prom-1\"}", "loomhub_slices_total{hub=\"prom-2\"}",
                    "loomhub_threads_live_threads{hub=\"prom-1\"}", "loomhub_slice_duration_seconds_count{hub=\"prom-1\"}",
                    "loomhub_scheduling_latency_percentile_seconds{hub=\"prom-1\",phi=\"0.99\"}",
                    "loomhub_carrier_utilization{hub=\"prom-2\"}",
                    "loomhub_submissions_total{hub=\"prom-1\",source=\"external\"}")) {
                assertTrue(scrape.contains(series), () -> series + " in\n" + scrape);
            }
        }
    }

    @Test
    void everyMeterIsTaggedWithTheHubName() throws Exception {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (Hub hub = Hub.builder().name("tagged").reactor(ReactorFactory.parking()).build();
                HubMetrics metrics = new HubMetrics(hub)) {
            metrics.bindTo(registry);
            assertTrue(registry.getMeters().size() > 20);
            assertTrue(registry.getMeters().stream().allMatch(meter -> meter.getId().getName().startsWith("loomhub.")
                    && "tagged".equals(meter.getId().getTag("hub"))));
        }
    }
}
