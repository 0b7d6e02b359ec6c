package io.loomhub.scheduler;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.function.ToDoubleFunction;

/**
 * Exports a hub's scheduling metrics to Micrometer: {@code new HubMetrics(hub).bindTo(registry)}. Every meter is
 * named {@code loomhub.*} and tagged {@code hub=<name>}; docs/metrics.md lists them and says how to read them.
 *
 * <h2>Cost</h2>
 * The hub counts in plain fields of its carrier and publishes them at park points; meters read them when the
 * registry asks (on scrape or publish), so the hot path never touches Micrometer. The two per-slice histograms
 * (slice length, sampled scheduling latency) record only while at least one {@code HubMetrics} is bound to the hub:
 * {@link #close()} unbinds it, removes its meters and, when it was the last, stops that recording again.
 *
 * <h2>Histograms</h2>
 * Slice length, scheduling latency and offload wait are recorded into fixed log-linear buckets (12.5% precision)
 * and exported as a {@link FunctionTimer} (count and total since the hub started), a {@code .max} time gauge and
 * {@code .percentile} time gauges tagged {@code phi} (0.5, 0.9, 0.99, 0.999). Max and percentiles cover a sliding
 * window (default one minute) that advances when the meters are read: they describe roughly the last window.
 *
 * <p>Thread safety: {@link #bindTo} and {@link #close} may be called from any thread; meters may be read from any
 * number of threads at once.
 */
public final class HubMetrics implements MeterBinder, AutoCloseable {

    /** How far back max and percentiles look, by default. */
    public static final Duration DEFAULT_WINDOW = Duration.ofMinutes(1);

    private static final double[] PERCENTILES = {0.5, 0.9, 0.99, 0.999};

    private final Hub hub;
    private final Tags tags;
    private final Window sliceWindow;
    private final Window latencyWindow;
    private final Window offloadWindow;
    private final Window carrierWindow;
    private final Window reactorWindow;
    private final List<Binding> bindings = new ArrayList<>(); // guarded by this

    /**
     * A binder for one hub, with the default window and no extra tags.
     *
     * @param hub the hub to measure
     */
    public HubMetrics(Hub hub) {
        this(hub, List.of(), DEFAULT_WINDOW);
    }

    /**
     * A binder for one hub.
     *
     * @param hub       the hub to measure
     * @param extraTags tags added to every meter, besides {@code hub=<name>}
     * @param window    how far back the max and percentile gauges look (at least one second)
     * @throws IllegalArgumentException if the window is shorter than a second
     */
    public HubMetrics(Hub hub, Iterable<Tag> extraTags, Duration window) {
        this.hub = Objects.requireNonNull(hub, "hub");
        Objects.requireNonNull(window, "window");
        if (window.compareTo(Duration.ofSeconds(1)) < 0) {
            throw new IllegalArgumentException("the window must be at least one second, was " + window);
        }
        this.tags = Tags.of(extraTags).and("hub", hub.name());
        long w = window.toNanos();
        SliceRecorder r = hub.recorder;
        this.sliceWindow = new Window(w, () -> r.sliceLength.snapshot(new long[NanoHistogram.SNAPSHOT_LENGTH]));
        this.latencyWindow = new Window(w,
                () -> r.schedulingLatency.snapshot(new long[NanoHistogram.SNAPSHOT_LENGTH]));
        this.offloadWindow = new Window(w, () -> hub.offloadWait.snapshot(new long[NanoHistogram.SNAPSHOT_LENGTH]));
        this.carrierWindow = new Window(w, () -> {
            HubStats s = hub.stats();
            return new long[] {s.busyTime().toNanos(), s.idleTime().toNanos()};
        });
        this.reactorWindow = new Window(w, () -> {
            HubStats s = hub.stats();
            return new long[] {s.ioEvents(), s.reactorPolls()};
        });
    }

    /**
     * Registers this hub's meters with a registry and, from now on, records the per-slice histograms. May be called
     * for several registries.
     *
     * @param registry the registry
     */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        Binding b = new Binding(registry);
        synchronized (this) {
            bindings.add(b);
            hub.recorder.binderBound(true);
            register(b);
        }
        // Outside this binder's lock: the hub's metric list calls back into registerExtra, which takes it.
        hub.extraMetricsRegistry().subscribe(b.extraListener);
    }

    /**
     * Removes every meter this binder registered, from every registry, and stops the per-slice histograms unless
     * another binder still wants them. Idempotent; the binder may be bound again afterwards.
     */
    @Override
    public synchronized void close() {
        for (Binding b : bindings) {
            hub.extraMetricsRegistry().unsubscribe(b.extraListener);
            for (Meter m : b.meters) {
                b.registry.remove(m);
            }
            hub.recorder.binderBound(false);
        }
        bindings.clear();
    }

    private void register(Binding b) {
        Hub h = hub;
        gauge(b, "loomhub.threads.live", "hub virtual threads started and not yet ended", "threads",
                x -> x.stats().liveThreads());
        counter(b, "loomhub.threads.started", "hub virtual threads ever started", "threads",
                x -> x.stats().startedThreads());
        counter(b, "loomhub.slices", "slices run: one virtual thread running until it parks, yields or ends "
                + "(carrier callbacks count too)", "slices", x -> x.stats().slices());
        b.add(FunctionCounter.builder("loomhub.submissions", h, x -> x.stats().localSubmissions())
                .tags(tags).tag("source", "local")
                .description("resumes submitted on the carrier itself (no atomics, no wake-up)").register(b.registry));
        b.add(FunctionCounter.builder("loomhub.submissions", h, x -> x.stats().externalSubmissions())
                .tags(tags).tag("source", "external")
                .description("resumes submitted from other threads, through the MPSC queue").register(b.registry));
        gauge(b, "loomhub.queue.depth", "tasks ready to run (local and external run queues)", null,
                x -> x.stats().queueDepth());

        histogram(b, "loomhub.slice.duration", "time one slice held the carrier (mounted to unmounted)",
                h.recorder.sliceLength, sliceWindow);
        b.add(TimeGauge.builder("loomhub.slice.longest", h, TimeUnit.NANOSECONDS,
                x -> x.stats().longestSlice().toNanos()).tags(tags)
                .description("the longest slice since the hub started").register(b.registry));
        histogram(b, "loomhub.scheduling.latency", "sampled time from a resume's submission to the start of its "
                + "slice", h.recorder.schedulingLatency, latencyWindow);

        counter(b, "loomhub.reactor.polls", "reactor polls, blocking or not", "polls", x -> x.stats().reactorPolls());
        counter(b, "loomhub.reactor.events", "I/O events and reactor tasks processed", "events",
                x -> x.stats().ioEvents());
        gauge(b, "loomhub.reactor.events.per.poll", "I/O events per reactor poll over the window", null,
                x -> ratio(reactorWindow.delta(), 0, 1));
        b.add(FunctionCounter.builder("loomhub.carrier.busy", h, x -> x.stats().busyTime().toNanos() / 1e9)
                .tags(tags).baseUnit("seconds").description("time the carrier spent running slices and callbacks")
                .register(b.registry));
        b.add(FunctionCounter.builder("loomhub.carrier.idle", h, x -> x.stats().idleTime().toNanos() / 1e9)
                .tags(tags).baseUnit("seconds").description("time the carrier spent asleep in its reactor")
                .register(b.registry));
        gauge(b, "loomhub.carrier.utilization", "busy / (busy + idle) over the window, 0 to 1", null, x -> {
            long[] d = carrierWindow.delta();
            return d[0] + d[1] == 0 ? 0 : (double) d[0] / (d[0] + d[1]);
        });

        counter(b, "loomhub.timers.armed", "timers armed on the hub (timed parks of hub threads)", null,
                x -> x.stats().timersArmed());
        counter(b, "loomhub.timers.fired", "timers that fired rather than being cancelled by an earlier wake-up",
                null, x -> x.stats().timersFired());
        gauge(b, "loomhub.timers.pending", "timers armed and not yet fired or cancelled", null,
                Hub::pendingTimers);

        counter(b, "loomhub.offload.calls", "calls to hub.offload(...) started", "calls",
                x -> x.stats().offloadCalls());
        gauge(b, "loomhub.offload.queued", "offload calls waiting for a pool thread", "calls",
                x -> x.offloadPoolState()[0]);
        gauge(b, "loomhub.offload.active", "offload pool threads running a call", "threads",
                x -> x.offloadPoolState()[1]);
        gauge(b, "loomhub.offload.threads", "offload pool threads alive (idle ones end after 30 s)", "threads",
                x -> x.offloadPoolState()[2]);
        histogram(b, "loomhub.offload.wait", "time an offload call waited for a pool thread",
                h.offloadWait, offloadWindow);

        counter(b, "loomhub.blocked.episodes", "watchdog episodes: one slice held the carrier past the blocking "
                + "threshold", "episodes", x -> x.stats().blockedDetections());
        counter(b, "loomhub.pinned.parks", "parks of hub threads while pinned to the carrier (JFR; only with "
                + "reportPinning on)", "parks", x -> x.stats().pinnedParks());
    }

    private void counter(Binding b, String name, String description, String unit, ToDoubleFunction<Hub> f) {
        b.add(FunctionCounter.builder(name, hub, f).tags(tags).baseUnit(unit).description(description)
                .register(b.registry));
    }

    private void gauge(Binding b, String name, String description, String unit, ToDoubleFunction<Hub> f) {
        b.add(Gauge.builder(name, hub, f).tags(tags).baseUnit(unit).description(description).register(b.registry));
    }

    /** A FunctionTimer (count, total), a windowed max and windowed percentiles for one histogram. */
    private void histogram(Binding b, String name, String description, NanoHistogram h, Window window) {
        b.add(FunctionTimer.builder(name, hub, x -> h.count(), x -> (double) h.sum(), TimeUnit.NANOSECONDS)
                .tags(tags).description(description).register(b.registry));
        b.add(TimeGauge.builder(name + ".max", hub, TimeUnit.NANOSECONDS,
                x -> NanoHistogram.highest(window.delta(), h.max())).tags(tags)
                .description(description + ": the largest over the window").register(b.registry));
        for (double p : PERCENTILES) {
            b.add(TimeGauge.builder(name + ".percentile", hub, TimeUnit.NANOSECONDS,
                    x -> NanoHistogram.valueAtPercentile(window.delta(), p, h.max())).tags(tags)
                    .tag("phi", Double.toString(p))
                    .description(description + ": percentile over the window").register(b.registry));
        }
    }

    private static double ratio(long[] delta, int numerator, int denominator) {
        return delta[denominator] == 0 ? 0 : (double) delta[numerator] / delta[denominator];
    }

    private void registerExtra(Binding b, HubMetric m) {
        synchronized (this) {
            if (!bindings.contains(b)) {
                return;
            }
            if (m.type() == HubMetric.Type.COUNTER) {
                b.add(FunctionCounter.builder(m.name(), hub, x -> m.value().getAsLong()).tags(tags)
                        .baseUnit(m.baseUnit()).description(m.description()).register(b.registry));
            } else {
                b.add(Gauge.builder(m.name(), hub, x -> m.value().getAsLong()).tags(tags)
                        .baseUnit(m.baseUnit()).description(m.description()).register(b.registry));
            }
        }
    }

    /** The meters registered in one registry. */
    private final class Binding {
        final MeterRegistry registry;
        final List<Meter> meters = new ArrayList<>();
        final Consumer<HubMetric> extraListener = m -> registerExtra(this, m);

        Binding(MeterRegistry registry) {
            this.registry = registry;
        }

        void add(Meter m) {
            meters.add(m);
        }
    }

    /**
     * Differences of a cumulative snapshot over a sliding window: as the meters are read, it keeps a snapshot every
     * third of a window (the last three), and subtracts the oldest from the current one, so a reading covers
     * between two and three thirds of a window. Until three snapshots exist it covers everything since the start.
     */
    static final class Window {
        private static final int SLOTS = 3;
        private final long stepNanos;
        private final Supplier<long[]> source;
        private final java.util.ArrayDeque<long[]> snapshots = new java.util.ArrayDeque<>(SLOTS + 1);
        private long lastTaken = System.nanoTime();

        Window(long windowNanos, Supplier<long[]> source) {
            this.stepNanos = windowNanos / SLOTS;
            this.source = source;
        }

        synchronized long[] delta() {
            long[] current = source.get();
            if (snapshots.isEmpty()) {
                snapshots.add(new long[current.length]); // the start: all zero
            }
            long now = System.nanoTime();
            if (now - lastTaken >= stepNanos) {
                snapshots.addLast(current.clone());
                if (snapshots.size() > SLOTS) {
                    snapshots.removeFirst();
                }
                lastTaken = now;
            }
            long[] oldest = snapshots.peekFirst();
            long[] d = new long[current.length];
            for (int i = 0; i < d.length; i++) {
                d[i] = current[i] - oldest[i];
            }
            return d;
        }
    }
}
