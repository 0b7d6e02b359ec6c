package io.loomhub.netty;

import static io.loomhub.netty.NettyTestSupport.JOIN;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import io.loomhub.scheduler.HubMetric;
import io.loomhub.scheduler.HubMetrics;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The Netty reactor's socket counts reach Micrometer through the hub's own {@link HubMetrics}, nothing else. */
class SocketMetricsTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    @Test
    void nettyReactorAddsItsSocketCountsToTheHubsMetrics() {
        try (Hub hub = Hub.builder().name("sock-list").build()) {
            List<String> names = hub.extraMetrics().stream().map(HubMetric::name).toList();
            assertEquals(List.of("loomhub.sockets.open", "loomhub.sockets.opened", "loomhub.sockets.closed",
                    "loomhub.sockets.leaked", "loomhub.sockets.handed.off"), names);
        }
    }

    @Test
    void hubMetricsAloneExportsSocketsOpenUpAndBackToZeroAndCountsTheLeakedOne() throws Exception {
        try (Hub hub = Hub.builder().name("sock-metrics").build();
             Hub serverHub = Hub.builder().name("sock-metrics-peer").build();
             TestEchoServer server = TestEchoServer.start(serverHub)) {
            SimpleMeterRegistry registry = new SimpleMeterRegistry();
            HubMetrics metrics = new HubMetrics(hub);
            metrics.bindTo(registry);
            Gauge open = registry.get("loomhub.sockets.open").tag("hub", "sock-metrics").gauge();
            FunctionCounter opened = registry.get("loomhub.sockets.opened").tag("hub", "sock-metrics")
                    .functionCounter();
            FunctionCounter closed = registry.get("loomhub.sockets.closed").tag("hub", "sock-metrics")
                    .functionCounter();
            FunctionCounter leaked = registry.get("loomhub.sockets.leaked").tag("hub", "sock-metrics")
                    .functionCounter();
            assertEquals(0.0, open.value());

            // Five connections held open by their threads, then closed by them.
            int n = 5;
            CountDownLatch release = new CountDownLatch(1);
            AtomicInteger echoed = new AtomicInteger();
            List<Thread> holders = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int b = i;
                holders.add(hub.spawn(() -> {
                    try (HubSocket s = new HubSocket(LOOPBACK, server.port())) {
                        s.getOutputStream().write(b);
                        if (s.getInputStream().read() == b) {
                            echoed.incrementAndGet();
                        }
                        release.await();
                    } catch (Exception e) {
                        throw new RuntimeException(e);
                    }
                }));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> echoed.get() == n);
            assertEquals(n, open.value());
            assertEquals(n, opened.count());
            assertEquals(0.0, closed.count());
            release.countDown();
            for (Thread t : holders) {
                assertTrue(t.join(JOIN));
            }
            await().atMost(Duration.ofSeconds(10)).until(() -> open.value() == 0.0);
            assertEquals(n, closed.count());
            assertEquals(0.0, leaked.count());

            // A socket its thread forgets to close: closed when the thread ends, counted as leaked.
            Thread forgetful = hub.spawn(() -> {
                try {
                    HubSocket s = new HubSocket(LOOPBACK, server.port());
                    s.getOutputStream().write(1); // never closed
                } catch (Exception e) {
                    throw new RuntimeException(e);
                }
            });
            assertTrue(forgetful.join(JOIN));
            await().atMost(Duration.ofSeconds(10)).until(() -> leaked.count() == 1.0);
            assertEquals(0.0, open.value());
            assertEquals(n + 1, opened.count());
            assertEquals(n + 1, closed.count());

            // The peer hub's accepted connections are its own, under its own tag.
            assertNull(registry.find("loomhub.sockets.opened").tag("hub", "sock-metrics-peer").functionCounter());
            HubMetrics peerMetrics = new HubMetrics(serverHub);
            peerMetrics.bindTo(registry);
            assertEquals(n + 1, registry.get("loomhub.sockets.opened").tag("hub", "sock-metrics-peer")
                    .functionCounter().count());

            metrics.close();
            peerMetrics.close();
            assertNull(registry.find("loomhub.sockets.open").gauge(), "close() removes the socket meters too");
        }
    }
}
