package io.loomhub.scheduler;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.PriorityQueue;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The hub: one carrier platform thread that runs every slice of every virtual thread started on it, and drives
 * a {@link Reactor} (Netty's epoll loop when {@code loomhub-netty-reactor} is on the class path) on that same
 * thread, so a parked hub thread resumes only from a hub callback: gevent's hub, for Java virtual threads.
 *
 * <h2>The rules</h2>
 * <ul>
 *   <li>Only the carrier ({@link #carrierThread()}) runs hub virtual threads, one slice at a time. A slice is a
 *       virtual thread running until it parks, yields or ends.</li>
 *   <li>A hub thread that blocks the carrier (file I/O, native calls, CPU loops, anything that pins) stalls every
 *       other hub thread. The watchdog reports it ({@link Builder#blockingThreshold}); {@link #offload} is the
 *       cure.</li>
 *   <li>Code that runs on the carrier outside a virtual thread (plain tasks given to {@link #execute}, reactor
 *       handlers, timer callbacks) must never block, in particular never on a lock a hub thread may hold.</li>
 * </ul>
 *
 * <h2>The loop</h2>
 * <pre>
 * loop:
 *   move tasks submitted by other threads (MPSC queue) to the local run queue
 *   run the timers that are due
 *   if nothing is ready:  publish stats; reactor.poll(until the next timer)   // wakeup() ends it
 *   else:                 run up to {@value #EVENT_INTERVAL} slices (re-checking the MPSC queue every
 *                         {@value #EXTERNAL_QUEUE_INTERVAL}), then reactor.pollNow()
 * </pre>
 * The carrier reads the clock once per batch, not per slice: while a slice runs it only publishes its task (two
 * opaque stores), which the {@linkplain Builder#blockingThreshold watchdog} times on its own clock. Slices are timed
 * one by one only while a {@link HubMetrics} is bound.
 *
 * <p>A resume submitted on the carrier (an unpark from an I/O callback or from a hub thread) goes to the local
 * queue with no atomics and no wake-up. A resume from any other thread goes to the MPSC queue and wakes the
 * reactor only if the carrier is asleep in it: the carrier publishes "sleeping" (a volatile store) and then
 * re-checks the queue, a producer enqueues and then reads "sleeping", so one of them always sees the other.
 *
 * <h2>Life cycle</h2>
 * states: OPEN -> CLOSING -> TERMINATED. {@link #close()} refuses new threads, waits up to the shutdown timeout
 * for live threads to end, interrupts the rest, keeps serving their resumes until the last one ends, then closes
 * the reactor and lets the carrier end. {@link #execute} never rejects the resume of a live hub thread, closed or
 * not: a rejected resume strands that thread for ever.
 *
 * <p>All public methods may be called from any thread unless their documentation says otherwise.
 */
public final class Hub implements Executor, AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Hub.class);

    /** Slices run between two non-blocking reactor polls, so I/O is never starved by busy threads (Tokio: 61). */
    static final int EVENT_INTERVAL = 61;
    /** Slices run between two checks of the MPSC queue, so foreign resumes are never starved (Tokio: 31). */
    static final int EXTERNAL_QUEUE_INTERVAL = 31;
    /** Most tasks moved from the MPSC queue to the local queue in one go. */
    private static final int EXTERNAL_DRAIN_LIMIT = 1024;

    private static final int OPEN = 0;
    private static final int CLOSING = 1;
    private static final int TERMINATED = 2;

    // Indices into the carrier's counter array (written by the carrier only, read with getOpaque).
    private static final int C_SLICES = 0;
    private static final int C_LOCAL = 1;
    private static final int C_EXTERNAL = 2;
    private static final int C_POLLS = 3;
    private static final int C_IO_EVENTS = 4;
    private static final int C_TIMERS_ARMED = 5;
    private static final int C_TIMERS_FIRED = 6;
    private static final int C_LONGEST_SLICE = 7;
    private static final int C_LOCAL_DEPTH = 8;
    private static final int C_BUSY = 9;
    private static final int C_IDLE = 10;
    private static final int C_TIMERS_PENDING = 11;
    private static final int COUNTERS = 12;

    private static final VarHandle STATE;
    private static final VarHandle SLEEPING;
    private static final VarHandle LONGS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final VarHandle SLICE_TASK;
    private static final VarHandle OBSERVED_LONGEST;
    static {
        try {
            MethodHandles.Lookup l = MethodHandles.lookup();
            STATE = l.findVarHandle(Hub.class, "state", int.class);
            SLEEPING = l.findVarHandle(Hub.class, "sleeping", boolean.class);
            SLICE_TASK = l.findVarHandle(Hub.class, "sliceTask", Runnable.class);
            OBSERVED_LONGEST = l.findVarHandle(Hub.class, "observedLongestSlice", long.class);
        } catch (ReflectiveOperationException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private static final AtomicInteger HUB_NUMBER = new AtomicInteger();
    /** The hub of each carrier thread while its loop runs, for {@link #current()} on the carrier. */
    private static final ConcurrentHashMap<Thread, Hub> BY_CARRIER = new ConcurrentHashMap<>();

    // ---- configuration ----
    private final String name;
    private final Duration blockingThreshold;
    private final Duration shutdownTimeout;
    private final List<BlockedHubListener> blockedListeners;

    // ---- identity ----
    /** Made by the reactor factory ({@link ReactorFactory#newCarrierThread}); runs {@link #runLoop}. */
    private final Thread carrier;
    /** What the JDK's virtual threads hold as their scheduler: a {@link HubScheduler}, or this hub. */
    private final Executor jdkScheduler;
    private final ThreadFactory spawnFactory;
    private final ThreadPoolExecutor offloadPool;
    private final AtomicLong offloadCalls = new AtomicLong();

    // ---- owned by the carrier ----
    private final ArrayDeque<Runnable> localQueue = new ArrayDeque<>(256);
    private final PriorityQueue<HubTimer> timers = new PriorityQueue<>(Comparator.naturalOrder());
    private final long[] counters = new long[COUNTERS];
    private long timerSequence;
    private Reactor reactor;

    // ---- shared with other threads ----
    private final MpscQueue<Runnable> externalQueue = new MpscQueue<>();
    private volatile int state;
    private volatile boolean sleeping;
    /** The task of the running slice, null between slices (opaque access: the watchdog samples it). */
    @SuppressWarnings("unused") // through SLICE_TASK
    private Runnable sliceTask;
    /** The longest slice the watchdog has seen, in nanoseconds (written by the watchdog only). */
    @SuppressWarnings("unused") // through OBSERVED_LONGEST
    private long observedLongestSlice;
    private final AtomicInteger liveThreads = new AtomicInteger();
    private final AtomicLong startedThreads = new AtomicLong();
    private final AtomicInteger cancelledTimers = new AtomicInteger();
    private final ThreadTable records = new ThreadTable();
    private final AtomicLong blockedDetections = new AtomicLong();
    private final AtomicLong pinnedParks = new AtomicLong();
    /** Histograms for {@link HubMetrics}; carrier-owned, recording only while a binder is bound. */
    final SliceRecorder recorder = new SliceRecorder();
    /** Offload pool wait times (submitted to started), for {@link HubMetrics}. Offload threads record. */
    final NanoHistogram offloadWait = new NanoHistogram();
    private final ExtraMetrics extraMetrics = new ExtraMetrics();
    private final boolean reportPinning;
    private volatile boolean pinningReported;   // the JFR stream took this hub
    private final CountDownLatch started = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile Throwable startFailure;
    private volatile Thread closer;
    private final Watchdog watchdog;

    private Hub(Builder b) {
        VirtualThreadAccess.check();
        this.name = b.name != null ? b.name : "hub-" + HUB_NUMBER.incrementAndGet();
        this.blockingThreshold = b.blockingThreshold;
        this.shutdownTimeout = b.shutdownTimeout;
        this.blockedListeners = new CopyOnWriteArrayList<>(b.blockedListeners);
        this.reportPinning = b.reportPinning;
        this.jdkScheduler = VirtualThreadAccess.hubTimersSupported() ? new HubScheduler(this) : this;
        this.spawnFactory = ofVirtual().name(name + "-thread-", 1).factory();
        this.offloadPool = newOffloadPool(name, b.offloadThreads);
        this.carrier = newCarrier(b.reactorFactory != null ? b.reactorFactory : defaultReactorFactory());
        this.watchdog = blockingThreshold.isZero() ? null : new Watchdog(this, blockingThreshold);
    }

    /**
     * Starts a hub with a default name and the default reactor: Netty's (epoll, or NIO where epoll is missing)
     * when {@code loomhub-netty-reactor} is on the class path, found with {@link ServiceLoader}; otherwise a
     * reactor that only parks the carrier.
     *
     * @return a running hub; close it when done
     * @throws UnsupportedOperationException if the JVM is older than Java 25, or was started without
     *         {@code --add-opens java.base/java.lang=ALL-UNNAMED} (the message names what is missing)
     */
    public static Hub create() {
        return builder().build();
    }

    /** A builder for a hub with non-default settings. */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * The hub running the calling thread: the hub of a hub virtual thread, or the hub whose carrier is calling.
     *
     * @return the hub, or empty when called from any other thread
     */
    public static Optional<Hub> current() {
        return Optional.ofNullable(currentOrNull());
    }

    static Hub currentOrNull() {
        Thread t = Thread.currentThread();
        if (!t.isVirtual()) {
            return BY_CARRIER.get(t); // a miss for any platform thread but a running carrier
        }
        if (!VirtualThreadAccess.usable()) {
            return null;
        }
        Executor scheduler = VirtualThreadAccess.schedulerOf(t);
        if (scheduler instanceof HubScheduler hs) {
            return hs.hub();
        }
        return scheduler instanceof Hub h ? h : null;
    }

    /** This hub's name, used in its threads' names and in metrics tags. */
    public String name() {
        return name;
    }

    /**
     * The platform thread that runs every slice of this hub's virtual threads and drives its reactor, named
     * {@code <name>-carrier}, a daemon. Its class is the reactor factory's choice ({@link
     * ReactorFactory#newCarrierThread}): a plain {@code Thread} by default, a Netty {@code FastThreadLocalThread}
     * with the Netty reactor.
     */
    public Thread carrierThread() {
        return carrier;
    }

    /**
     * Whether the calling thread runs on this hub's carrier: the carrier itself, or one of this hub's virtual
     * threads (which only ever run there).
     */
    public boolean inHub() {
        return VirtualThreadAccess.currentCarrierThread() == carrier;
    }

    // ------------------------------------------------------------------------------------------------
    // Starting threads
    // ------------------------------------------------------------------------------------------------

    /**
     * A new JDK virtual-thread builder whose threads run on this hub. It is the JDK's own builder, so everything
     * {@code Thread.ofVirtual()} offers works (names, factories, inheritable thread locals, uncaught-exception
     * handlers). Virtual threads that a hub thread creates with a plain {@code Thread.ofVirtual()} or
     * {@code Executors.newVirtualThreadPerTaskExecutor()} stay on this hub too.
     *
     * <p>Starting a thread from it after {@link #close()} throws {@link RejectedExecutionException}.
     *
     * @return a new builder; like the JDK's, not safe for use by several threads at once
     */
    public Thread.Builder.OfVirtual ofVirtual() {
        return VirtualThreadAccess.newBuilder(jdkScheduler);
    }

    /**
     * Starts one hub virtual thread (gevent's {@code spawn}). Its name is this hub's name, {@code -thread-} and
     * a number.
     *
     * @param task what the thread runs
     * @return the started thread
     * @throws RejectedExecutionException if the hub is closed
     */
    public Thread spawn(Runnable task) {
        Objects.requireNonNull(task, "task");
        Thread t = spawnFactory.newThread(task);
        t.start();
        return t;
    }

    /**
     * A drop-in for {@link Executors#newVirtualThreadPerTaskExecutor()}: each task runs on a new virtual thread
     * of this hub. The executor is the JDK's own thread-per-task executor, so its shutdown, close and
     * {@code invokeAll} behave exactly as the JDK documents. Submitting after the hub is closed throws
     * {@link RejectedExecutionException}.
     *
     * @return a new executor; closing it does not close the hub
     */
    public ExecutorService newVirtualThreadPerTaskExecutor() {
        return Executors.newThreadPerTaskExecutor(ofVirtual().name(name + "-task-", 1).factory());
    }

    /**
     * An executor that runs at most {@code maxConcurrency} tasks at once on this hub's virtual threads; the rest
     * wait in FIFO order and start in submission order (gevent's {@code Pool(n)}). A drop-in for code written
     * against {@code Executors.newFixedThreadPool(n)}: {@code shutdown}, {@code shutdownNow} (which interrupts
     * running tasks and returns the waiting ones), {@code awaitTermination} and {@code close} behave as
     * {@link ExecutorService} documents.
     *
     * @param maxConcurrency how many tasks may run at once, at least 1
     * @return a new executor; closing it does not close the hub
     * @throws IllegalArgumentException if {@code maxConcurrency < 1}
     */
    public ExecutorService newBoundedExecutor(int maxConcurrency) {
        if (maxConcurrency < 1) {
            throw new IllegalArgumentException("maxConcurrency must be at least 1, was " + maxConcurrency);
        }
        return new BoundedExecutor(this, maxConcurrency);
    }

    // ------------------------------------------------------------------------------------------------
    // Offload
    // ------------------------------------------------------------------------------------------------

    /**
     * Runs a call that would block or pin the carrier (file I/O, JNI, DNS, CPU-heavy work, a library that
     * blocks in native code) on this hub's offload pool of platform threads (gevent's threadpool, Tokio's
     * {@code spawn_blocking}). A hub thread that calls it parks, so the other hub threads keep running, and
     * resumes on the hub when the call ends. Any other thread simply blocks until the call ends.
     *
     * <p>Calls beyond the pool's size ({@link Builder#offloadThreads}) wait in FIFO order.
     *
     * @param call the blocking call
     * @param <T>  its result type
     * @return what the call returned
     * @throws Exception                  what the call threw, unwrapped
     * @throws InterruptedException       if the caller is interrupted while waiting; the call is then
     *                                    cancelled (its thread interrupted)
     * @throws RejectedExecutionException if the hub has terminated
     * @throws IllegalStateException      if called on the carrier outside a virtual thread, where waiting would
     *                                    block the hub
     */
    public <T> T offload(Callable<T> call) throws Exception {
        Objects.requireNonNull(call, "call");
        if (Thread.currentThread() == carrier) {
            throw new IllegalStateException("offload() called on the carrier of hub '" + name
                    + "' outside a virtual thread: waiting there would block the hub; call it from a hub thread");
        }
        if (state == TERMINATED) {
            throw new RejectedExecutionException("hub '" + name + "' has terminated");
        }
        offloadCalls.incrementAndGet();
        long submitted = System.nanoTime();
        Future<T> future = offloadPool.submit(() -> {
            offloadWait.recordConcurrent(System.nanoTime() - submitted);
            return call.call();
        });
        try {
            return future.get();
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof Exception ex) {
                throw ex;
            }
            if (cause instanceof Error err) {
                throw err;
            }
            throw e;
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        }
    }

    /** The offload pool's state, for metrics: {queued calls, active threads, pool size}. */
    int[] offloadPoolState() {
        return new int[] {offloadPool.getQueue().size(), offloadPool.getActiveCount(), offloadPool.getPoolSize()};
    }

    private static ThreadPoolExecutor newOffloadPool(String hubName, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadFactory factory = r -> {
            Thread t = new Thread(r, hubName + "-offload-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), factory);
        pool.allowCoreThreadTimeOut(true); // an idle hub holds no offload threads
        return pool;
    }

    // ------------------------------------------------------------------------------------------------
    // The scheduler entry
    // ------------------------------------------------------------------------------------------------

    /**
     * The scheduler entry the JDK calls to start or resume one of this hub's virtual threads. It may also be
     * given a plain task, which then runs on the carrier as a callback (gevent's {@code loop.run_callback}): such
     * a task must not block, and is counted as a slice.
     *
     * <p>Called on the carrier (by a mounted hub thread, a reactor handler or a timer) the task goes to the local
     * run queue with no synchronisation; from any other thread it goes to the MPSC queue and wakes the carrier if
     * it sleeps. Never blocks.
     *
     * <p>The resume of a live hub thread is never rejected, even after {@link #close()}: a rejected resume would
     * strand that thread for ever.
     *
     * @param task the JDK's continuation task of a hub thread, or a plain non-blocking callback
     * @throws RejectedExecutionException when it starts a new thread after {@link #close()}, or is a plain task
     *                                    given after the hub terminated
     */
    @Override
    public void execute(Runnable task) {
        Thread vthread = VirtualThreadAccess.threadOf(task);
        if (vthread != null) {
            if (VirtualThreadAccess.stateOpaque(vthread) == VirtualThreadAccess.STATE_STARTED) {
                admitNewThread(vthread);
            }
        } else if (state == TERMINATED) {
            Objects.requireNonNull(task, "task");
            throw new RejectedExecutionException("hub '" + name + "' has terminated");
        }
        if (VirtualThreadAccess.currentCarrierThread() == carrier) {
            localQueue.addLast(task);
            counters[C_LOCAL]++;
            recorder.enqueuedLocal();
        } else {
            recorder.offeringExternal(task);
            externalQueue.offer(task);
            wakeCarrierIfSleeping();
        }
    }

    /** Counts a thread that is starting; refuses it when the hub is closing. Any thread. */
    private void admitNewThread(Thread vthread) {
        // Increment before reading the state: with close() storing the state before reading the count,
        // either this start sees CLOSING or the carrier sees the thread as live (no stranded start).
        liveThreads.incrementAndGet();
        if (state != OPEN) {
            liveThreads.decrementAndGet();
            wakeCarrier();
            throw new RejectedExecutionException("hub '" + name + "' is closed: it starts no new threads");
        }
        startedThreads.incrementAndGet();
        records.add(new ThreadRecord(vthread));
    }

    private void wakeCarrierIfSleeping() {
        if (sleeping && SLEEPING.compareAndSet(this, true, false)) {
            reactor.wakeup();
        }
    }

    private void wakeCarrier() {
        SLEEPING.setVolatile(this, false);
        Reactor r = reactor;
        if (r != null) {
            r.wakeup();
        }
    }

    /**
     * Arms a timer whose task runs on the carrier after {@code delayNanos}. Used for the timed parks of hub
     * threads (see {@link HubScheduler}). Any thread.
     */
    ScheduledFuture<?> scheduleTimer(Runnable task, long delayNanos) {
        long deadline = System.nanoTime() + Math.max(0, delayNanos);
        if (VirtualThreadAccess.currentCarrierThread() == carrier) {
            HubTimer timer = new HubTimer(this, task, deadline, timerSequence++);
            timers.add(timer);
            counters[C_TIMERS_ARMED]++;
            return timer;
        }
        // Rare: a timed park armed off the carrier. Hand the timer to the carrier.
        HubTimer timer = new HubTimer(this, task, deadline, -1);
        externalQueue.offer(new ArmTimer(this, timer));
        wakeCarrierIfSleeping();
        return timer;
    }

    /** A carrier callback that puts a timer armed by another thread on the heap. */
    private record ArmTimer(Hub hub, HubTimer timer) implements Runnable {
        @Override
        public void run() {
            hub.timers.add(timer);
            hub.counters[C_TIMERS_ARMED]++;
        }
    }

    void timerCancelled() {
        cancelledTimers.incrementAndGet();
    }

    /**
     * Registers an action to run on the carrier right after {@code hubThread} ends (its last slice), for
     * resources tied to a thread's life, such as hub sockets it still holds. The action must not block.
     *
     * @param hubThread a live virtual thread of this hub
     * @param action    what to run when it ends
     * @return false if the thread is not a live thread of this hub (the action is not registered)
     */
    public boolean runWhenThreadEnds(Thread hubThread, Runnable action) {
        Objects.requireNonNull(action, "action");
        ThreadRecord record = records.get(hubThread);
        if (record == null) {
            return false;
        }
        record.addExitAction(action);
        return true;
    }

    /**
     * The first action of class {@code type} registered for {@code hubThread} with {@link #runWhenThreadEnds} and
     * not run yet, or null: none is, the thread has ended, or it is not a thread of this hub. An integration that
     * keeps one object per thread as that thread's end action finds it again here, without a map of its own (the
     * hub socket layer keeps each thread's sockets so). Any thread; takes the thread record's monitor briefly.
     *
     * @param hubThread a hub thread
     * @param type      the class of the action wanted
     */
    public <T extends Runnable> T threadEndAction(Thread hubThread, Class<T> type) {
        Objects.requireNonNull(type, "type");
        ThreadRecord record = records.get(hubThread);
        return record == null ? null : record.exitAction(type);
    }

    // ------------------------------------------------------------------------------------------------
    // The carrier's loop
    // ------------------------------------------------------------------------------------------------

    private void runLoop(ReactorFactory factory) {
        if (Thread.currentThread() != carrier) { // a factory that broke newCarrierThread's contract
            startFailure = new IllegalStateException("the loop ran on " + Thread.currentThread()
                    + ", not on the carrier thread " + factory + " returned");
            started.countDown();
            return;
        }
        BY_CARRIER.put(carrier, this);
        try {
            reactor = Objects.requireNonNull(factory.create(new Host()), "ReactorFactory returned null");
        } catch (Throwable e) {
            BY_CARRIER.remove(carrier, this);
            startFailure = e;
            started.countDown();
            terminated.countDown();
            return;
        }
        started.countDown();
        long now = System.nanoTime();
        try {
            while (true) {
                drainExternal();
                if (!timers.isEmpty()) {
                    now = System.nanoTime();
                    runDueTimers(now);
                }
                if (localQueue.isEmpty()) {
                    if (state != OPEN && tryTerminate()) {
                        return;
                    }
                    now = sleep();
                    continue;
                }
                runBatch(now);
                boolean more = !localQueue.isEmpty();
                if (more) {
                    counters[C_POLLS]++;
                    counters[C_IO_EVENTS] += reactor.pollNow();
                }
                // Busy time per batch, not per slice: one clock read here instead of one per slice (~32 ns each on
                // a VM, an eighth of a ping-pong's slice). Exact slice lengths are timed only while metrics are bound.
                long after = System.nanoTime();
                counters[C_BUSY] += after - now;
                now = after;
                if (more) {
                    publish();
                }
            }
        } catch (Throwable e) {
            LOG.error("hub '{}': the carrier loop failed; hub threads on it can no longer run", name, e);
            STATE.setVolatile(this, TERMINATED);
            if (pinningReported) {
                PinningMonitor.unregister(this);
            }
            terminated.countDown();
            throw e;
        } finally {
            BY_CARRIER.remove(carrier, this);
        }
    }

    /**
     * Runs up to {@link #EVENT_INTERVAL} slices. Times each slice only while a {@link HubMetrics} is bound (checked
     * once per batch); otherwise reads no clock at all. Carrier only.
     *
     * @param start when the batch started: the time a thread that parks in it is noted to have left the carrier
     */
    private void runBatch(long start) {
        if (recorder.enabled()) {
            runTimedBatch(start);
            return;
        }
        for (int i = 1; i <= EVENT_INTERVAL; i++) {
            Runnable task = localQueue.pollFirst();
            if (task == null) {
                break;
            }
            Thread parked = runSlice(task);
            if (parked != null) {
                noteOffCarrier(parked, start);
            }
            if (i % EXTERNAL_QUEUE_INTERVAL == 0) {
                drainExternal();
            }
        }
    }

    /** {@link #runBatch} with one clock read per slice, for the slice histogram and the exact longest slice. */
    private void runTimedBatch(long start) {
        long[] c = counters;
        long sliceStart = start;
        for (int i = 1; i <= EVENT_INTERVAL; i++) {
            Runnable task = localQueue.pollFirst();
            if (task == null) {
                break;
            }
            Thread parked = runSlice(task);
            long end = System.nanoTime();
            long length = end - sliceStart;
            if (length > c[C_LONGEST_SLICE]) {
                c[C_LONGEST_SLICE] = length;
            }
            recorder.sliceEnded(length);
            if (parked != null) {
                noteOffCarrier(parked, end);
            }
            sliceStart = end;
            if (i % EXTERNAL_QUEUE_INTERVAL == 0) {
                drainExternal();
            }
        }
    }

    /**
     * Runs one slice: a continuation until it parks, yields or ends, or one callback. Publishes the task for the
     * watchdog while it runs (two opaque stores, no clock). Carrier only.
     *
     * @return the virtual thread if it parked (so it now waits for something), else null
     */
    private Thread runSlice(Runnable task) {
        Thread vthread = VirtualThreadAccess.threadOf(task);
        recorder.sliceStarting();
        SLICE_TASK.setOpaque(this, task);
        try {
            task.run();
        } catch (Throwable e) {
            LOG.warn("hub '{}': a callback failed: {}", name, task, e);
        }
        SLICE_TASK.setOpaque(this, null);
        counters[C_SLICES]++;
        if (vthread != null) {
            // The carrier itself wrote TERMINATED or YIELDED while the thread ran: a plain read sees it.
            int vstate = VirtualThreadAccess.stateOpaque(vthread);
            if (vstate == VirtualThreadAccess.STATE_TERMINATED) {
                threadEnded(vthread);
            } else if (vstate != VirtualThreadAccess.STATE_YIELDED) { // a yield waits for nothing
                return vthread;
            }
        }
        return null;
    }

    /**
     * Notes, for {@link #dump()}, when a parked thread left the carrier. Carrier only. Runs after most slices; the
     * record table is indexed by thread id, so this is usually a load and a compare.
     */
    private void noteOffCarrier(Thread vthread, long when) {
        ThreadRecord record = records.get(vthread);
        if (record != null) {
            record.offCarrierSince = when;
        }
    }

    private void threadEnded(Thread vthread) {
        ThreadRecord record = records.remove(vthread);
        if (record != null) {
            liveThreads.decrementAndGet();
            record.runExitActions(name);
        }
    }

    /** Moves work submitted by other threads to the local queue. Carrier only. */
    private void drainExternal() {
        int n = 0;
        Runnable task;
        while (n < EXTERNAL_DRAIN_LIMIT && (task = externalQueue.poll()) != null) {
            localQueue.addLast(task);
            recorder.enqueuedFromExternal(task);
            n++;
        }
        counters[C_EXTERNAL] += n;
    }

    private void runDueTimers(long now) {
        int fired = 0;
        HubTimer t;
        while ((t = timers.peek()) != null && (t.isCancelled() || t.deadlineNanos - now <= 0)) {
            timers.poll();
            Runnable task = t.fire();
            if (task != null) {
                fired++;
                try {
                    task.run();
                } catch (Throwable e) {
                    LOG.warn("hub '{}': a timer task failed", name, e);
                }
            } else {
                cancelledTimers.decrementAndGet();
            }
        }
        counters[C_TIMERS_FIRED] += fired;
        if (cancelledTimers.get() > 64 && cancelledTimers.get() > timers.size() / 2) {
            purgeCancelledTimers();
        }
    }

    private void purgeCancelledTimers() {
        int removed = 0;
        for (var it = timers.iterator(); it.hasNext(); ) {
            if (it.next().isCancelled()) {
                it.remove();
                removed++;
            }
        }
        cancelledTimers.addAndGet(-removed);
    }

    /** Sleeps in the reactor until I/O, a wake-up or the next timer. Returns the time after. Carrier only. */
    private long sleep() {
        long timeout = -1;
        HubTimer next;
        while ((next = timers.peek()) != null && next.isCancelled()) {
            timers.poll();
            cancelledTimers.decrementAndGet();
        }
        long before = System.nanoTime();
        if (next != null) {
            timeout = Math.max(0, next.deadlineNanos - before);
        }
        publish();
        // Store-load hand-shake with wakeCarrierIfSleeping(): publish "sleeping", then re-check the queue.
        SLEEPING.setVolatile(this, true);
        if (!externalQueue.isEmpty() || state != OPEN && liveThreads.get() == 0) {
            timeout = 0;
        }
        int events = reactor.poll(timeout);
        SLEEPING.setVolatile(this, false);
        long after = System.nanoTime();
        counters[C_POLLS]++;
        counters[C_IO_EVENTS] += events;
        counters[C_IDLE] += after - before;
        return after;
    }

    /** Ends the loop if the hub is closing and nothing is left to run. Carrier only. */
    private boolean tryTerminate() {
        if (liveThreads.get() != 0 || !externalQueue.isEmpty() || !localQueue.isEmpty()) {
            return false;
        }
        STATE.setVolatile(this, TERMINATED);
        // Plain callbacks that raced with termination still run; nothing can start a thread any more.
        do {
            drainExternal();
            Runnable task;
            while ((task = localQueue.pollFirst()) != null) {
                runSlice(task);
            }
        } while (!externalQueue.isEmpty()); // an offer in flight is linked within a few instructions

        for (HubTimer t : timers) {
            t.cancel(false);
        }
        timers.clear();
        try {
            reactor.close();
        } catch (Throwable e) {
            LOG.warn("hub '{}': closing the reactor failed", name, e);
        }
        offloadPool.shutdown();
        if (pinningReported) {
            PinningMonitor.unregister(this);
        }
        publish();
        terminated.countDown();
        LOG.debug("hub '{}' terminated", name);
        return true;
    }

    /** Makes the carrier's counters visible to {@link #stats()}. Carrier only. */
    private void publish() {
        counters[C_LOCAL_DEPTH] = localQueue.size();
        counters[C_TIMERS_PENDING] = timers.size() - cancelledTimers.get();
        VarHandle.releaseFence();
    }

    private long counter(int index) {
        return (long) LONGS.getOpaque(counters, index);
    }

    // ------------------------------------------------------------------------------------------------
    // Observing
    // ------------------------------------------------------------------------------------------------

    /**
     * A snapshot of this hub's counters. Any thread; never blocks; cheap enough to call often.
     *
     * @return the snapshot
     */
    public HubStats stats() {
        VarHandle.acquireFence();
        return new HubStats(name,
                counter(C_SLICES),
                counter(C_LOCAL),
                counter(C_EXTERNAL),
                (int) counter(C_LOCAL_DEPTH) + externalQueue.size(100_000),
                liveThreads.get(),
                startedThreads.get(),
                counter(C_POLLS),
                counter(C_IO_EVENTS),
                counter(C_TIMERS_ARMED),
                counter(C_TIMERS_FIRED),
                blockedDetections.get(),
                Duration.ofNanos(Math.max(counter(C_LONGEST_SLICE), (long) OBSERVED_LONGEST.getOpaque(this))),
                Duration.ofNanos(counter(C_BUSY)),
                Duration.ofNanos(counter(C_IDLE)),
                offloadCalls.get(),
                pinnedParks.get());
    }

    /**
     * A report of every live hub thread (state, what it waits for, for how long, stack) and whether anything can
     * still wake them: when every live thread waits with no timeout and the hub has no ready work, no timer armed,
     * no I/O registered and no offload call running, the dump says that this would block for ever (unless a thread
     * outside the hub wakes one of them). gevent's {@code print_run_info}, Go's deadlock report.
     *
     * <p>Any thread, including hub threads. It asks the carrier for its queues, timers and I/O registrations with a
     * callback (a hub thread parks meanwhile; the carrier itself answers at once) and waits for the answer at most
     * one second: when the carrier is stuck in a slice, the dump says so, and which thread holds it. It never
     * blocks longer than that plus the time to read the stacks.
     *
     * @return the dump; {@link HubDump#toString()} is the printable report
     */
    public HubDump dump() {
        return HubDumper.dump(this);
    }

    /**
     * What only the carrier knows, for {@link #dump()}: {ready tasks, timers armed, I/O registrations or -1}.
     * Carrier only.
     */
    long[] carrierFacts() {
        return new long[] {localQueue.size() + externalQueue.size(100_000), timers.size() - cancelledTimers.get(),
                reactor.registeredIoCount()};
    }

    /** The record of a live hub thread, or null. Any thread. */
    ThreadRecord record(Thread thread) {
        return records.get(thread);
    }

    /** Slices run so far, as last published: constant while one slice runs, so it names that slice. */
    long slicesRun() {
        return counter(C_SLICES);
    }

    /**
     * Adds a named value to this hub's metrics, exported by every {@link HubMetrics} bound to it, now or later.
     * Other modules use it to contribute their own numbers (the Netty reactor: sockets open, sockets closed when
     * their thread ended) without the scheduler depending on them. Any thread.
     *
     * @param metric the metric
     * @throws IllegalArgumentException if a metric with that name is already registered on this hub
     */
    public void addMetric(HubMetric metric) {
        extraMetrics.add(Objects.requireNonNull(metric, "metric"));
    }

    /** The metrics added with {@link #addMetric}. Any thread. */
    public List<HubMetric> extraMetrics() {
        return extraMetrics.list();
    }

    ExtraMetrics extraMetricsRegistry() {
        return extraMetrics;
    }

    /** Counts and logs one pinned park of a hub thread, reported by JFR. Called on the JFR stream's thread. */
    void reportPinned(String thread, Duration pinnedFor, String reason, String stack) {
        long n = pinnedParks.incrementAndGet();
        PinningMonitor.log(LOG, name, n, thread, pinnedFor, reason, stack);
    }


    /** Timers armed and not yet fired or cancelled, as last published by the carrier. */
    long pendingTimers() {
        return Math.max(0, counter(C_TIMERS_PENDING));
    }

    /** The live hub threads, in no particular order. Any thread. */
    public List<Thread> liveThreads() {
        return records.threads();
    }

    /** The blocking threshold of the watchdog; zero when it is disabled. */
    public Duration blockingThreshold() {
        return blockingThreshold;
    }

    // Read by the watchdog and the dump.

    /** The task of the running slice, or null when the carrier is between slices or asleep. Any thread. */
    Runnable sliceTask() {
        return (Runnable) SLICE_TASK.getOpaque(this);
    }

    /** The virtual thread of the running slice, or null (no slice, or a plain callback). Any thread. */
    Thread sliceThread() {
        Runnable task = sliceTask();
        return task == null ? null : VirtualThreadAccess.threadOf(task);
    }

    /** The watchdog sees the running slice still holding the carrier after {@code nanos}. Watchdog thread only. */
    void carrierHeld(long nanos) {
        try {
            reactor.carrierHeld(nanos); // published before the watchdog thread started
        } catch (RuntimeException e) {
            LOG.warn("hub '{}': the reactor failed while the carrier was held", name, e);
        }
    }

    /** The watchdog saw a slice run for at least {@code nanos}. Watchdog thread only. */
    void observedSlice(long nanos) {
        if (nanos > (long) OBSERVED_LONGEST.getOpaque(this)) {
            OBSERVED_LONGEST.setOpaque(this, nanos);
        }
    }

    void reportBlocked(BlockedHubEvent event) {
        blockedDetections.incrementAndGet();
        LOG.warn("hub '{}' blocked: {} has held the carrier for {} ms without parking; every other hub thread "
                + "waits. Move blocking or CPU-heavy calls to hub.offload(...). Its stack:\n{}",
                name, event.offender(), event.blockedFor().toMillis(), event.stackTraceText());
        for (BlockedHubListener l : blockedListeners) {
            try {
                l.onBlocked(event);
            } catch (Throwable e) {
                LOG.warn("hub '{}': a blocked-hub listener failed", name, e);
            }
        }
    }

    boolean isTerminated() {
        return state == TERMINATED;
    }

    // ------------------------------------------------------------------------------------------------
    // Closing
    // ------------------------------------------------------------------------------------------------

    /**
     * Closes the hub, gracefully and idempotently, from any thread. The order:
     * <ol>
     *   <li>new threads are refused ({@link RejectedExecutionException} from {@code start}, {@link #spawn} and
     *       the executors);</li>
     *   <li>live hub threads get up to the shutdown timeout ({@link Builder#shutdownTimeout}) to end;</li>
     *   <li>those still alive are interrupted;</li>
     *   <li>the hub keeps serving their resumes until the last one ends (this is never cut short: a stranded
     *       thread would never run its {@code finally} blocks);</li>
     *   <li>the reactor is closed and the carrier thread ends.</li>
     * </ol>
     * Called from a thread outside the hub, it blocks until the hub has terminated, or for at most twice the
     * shutdown timeout; if threads ignore their interrupt past that, it logs them and returns while the hub goes
     * on serving them ({@link #awaitTermination} waits longer). Called from a hub thread or the carrier, it
     * starts the same sequence and returns at once, since the hub cannot end while its caller runs.
     */
    @Override
    public void close() {
        if (STATE.compareAndSet(this, OPEN, CLOSING)) {
            wakeCarrier();
            Thread c = new Thread(this::closeSequence, name + "-closer");
            c.setDaemon(true);
            closer = c;
            c.start();
        }
        // The latch, not the state: the state turns TERMINATED before the reactor is closed.
        if (inHub() || terminated.getCount() == 0) {
            return;
        }
        try {
            if (!terminated.await(shutdownTimeout.toNanos() * 2 + TimeUnit.MILLISECONDS.toNanos(100),
                    TimeUnit.NANOSECONDS)) {
                LOG.warn("hub '{}': close() returns with {} thread(s) still running after their interrupt: {}",
                        name, liveThreads.get(), records.threads());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Runs on the closer platform thread: waits for the grace period, then interrupts what is left. */
    private void closeSequence() {
        try {
            if (terminated.await(shutdownTimeout.toNanos(), TimeUnit.NANOSECONDS)) {
                return;
            }
            // Interrupt from this platform thread, never from the carrier: Thread.interrupt takes a monitor.
            java.util.Set<Thread> interrupted = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
            long until = System.nanoTime() + shutdownTimeout.toNanos();
            do {
                for (Thread t : records.threads()) {
                    if (interrupted.add(t)) {
                        t.interrupt();
                    }
                }
            } while (!terminated.await(20, TimeUnit.MILLISECONDS) && System.nanoTime() - until < 0);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Waits until the hub has terminated (see {@link #close()}), or the timeout passes. Does not close the hub.
     *
     * @param timeout how long to wait at most
     * @return true if the hub has terminated
     * @throws InterruptedException  if the caller is interrupted while waiting
     * @throws IllegalStateException if called from one of this hub's own threads, which the hub would wait for
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        if (inHub() && !isTerminated()) {
            throw new IllegalStateException("a thread of hub '" + name + "' cannot wait for that hub to terminate");
        }
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /** Whether {@link #close()} has been called. */
    public boolean isClosed() {
        return state != OPEN;
    }

    @Override
    public String toString() {
        return "Hub[" + name + ", " + (state == OPEN ? "open" : state == CLOSING ? "closing" : "terminated")
                + ", live=" + liveThreads.get() + "]";
    }

    // ------------------------------------------------------------------------------------------------
    // Plumbing
    // ------------------------------------------------------------------------------------------------

    private static ReactorFactory defaultReactorFactory() {
        ReactorFactory best = null;
        for (ReactorFactory f : ServiceLoader.load(ReactorFactory.class, Hub.class.getClassLoader())) {
            if (best == null || f.priority() > best.priority()) {
                best = f;
            }
        }
        return best != null ? best : ReactorFactory.parking();
    }

    /**
     * Asks the factory for the carrier thread and checks that it can be one: not null, a platform thread, not
     * started. Names it and makes it a daemon. On the builder's thread.
     */
    private Thread newCarrier(ReactorFactory factory) {
        String carrierName = name + "-carrier";
        Thread t;
        try {
            t = factory.newCarrierThread(() -> runLoop(factory), carrierName);
        } catch (RuntimeException e) {
            throw new IllegalStateException("hub '" + name + "': " + factory + " could not make a carrier thread: "
                    + e, e);
        }
        String wrong = t == null ? "no thread (null)"
                : t.isVirtual() ? "a virtual thread (" + t + ")"
                : t.getState() != Thread.State.NEW ? "a thread that is already started (" + t + ")"
                : null;
        if (wrong != null) {
            throw new IllegalStateException("hub '" + name + "': " + factory + ".newCarrierThread returned " + wrong
                    + "; it must return a new, unstarted platform thread that runs the hub's loop");
        }
        t.setName(carrierName);
        t.setDaemon(true);
        return t;
    }

    private void startCarrier() {
        carrier.start();
        try {
            // Bounded waits only to notice a carrier thread that ended without running the loop (a broken factory).
            while (!started.await(50, TimeUnit.MILLISECONDS)) {
                if (!carrier.isAlive() && started.getCount() != 0) {
                    startFailure = new IllegalStateException("the carrier thread ended without running the loop");
                    break;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while starting hub '" + name + "'", e);
        }
        if (startFailure != null) {
            offloadPool.shutdown();
            throw new IllegalStateException("hub '" + name + "' could not start its carrier and reactor: "
                    + startFailure, startFailure);
        }
        if (watchdog != null) {
            watchdog.start();
        }
        if (reportPinning) {
            try {
                PinningMonitor.register(this);
                pinningReported = true;
            } catch (Throwable e) { // no jdk.jfr module, or JFR disabled: run without the reports
                LOG.warn("hub '{}': cannot report pinned parks (JFR unavailable): {}", name, e.toString());
            }
        }
    }

    /** What the reactor sees of the hub. */
    private final class Host implements ReactorFactory.Host {
        @Override
        public Hub hub() {
            return Hub.this;
        }

        @Override
        public Thread carrierThread() {
            return carrier;
        }

        @Override
        public boolean hasReadyWork() {
            return !localQueue.isEmpty() || !externalQueue.isEmpty();
        }
    }

    /** A live hub thread, with what must happen when it ends. */
    static final class ThreadRecord {
        // Every parked connection's thread pays for each field here (32 B now): no start time, since dumps order
        // threads by id, which the JDK hands out in creation order.
        final Thread thread;
        /** The next record in its slot's chain of the hub's {@link ThreadTable}. */
        volatile ThreadRecord next;
        /**
         * About when it last parked (0 before its first park): the start of the batch of slices its last slice ran
         * in, so without a clock read per slice it is early by at most one batch (slices timed for metrics give the
         * exact end). A plain field: the carrier writes it after every park (a volatile store there would cost a
         * fence per slice); dumps read it racily, which is fine for "waiting since about when".
         */
        long offCarrierSince;
        /**
         * Null, one action, or a {@code List<Runnable>} of them: most threads that have any have one (a thread that
         * owns hub sockets), and a list per thread would cost it about 50 B more.
         */
        private Object exitActions;

        ThreadRecord(Thread thread) {
            this.thread = thread;
        }

        @SuppressWarnings("unchecked")
        synchronized void addExitAction(Runnable action) {
            Object actions = exitActions;
            if (actions == null) {
                exitActions = action;
            } else if (actions instanceof Runnable first) {
                List<Runnable> list = new ArrayList<>(2);
                list.add(first);
                list.add(action);
                exitActions = list;
            } else {
                ((List<Runnable>) actions).add(action);
            }
        }

        /** The first registered action of {@code type} not run yet, or null. */
        synchronized <T> T exitAction(Class<T> type) {
            Object actions = exitActions;
            if (actions instanceof Runnable one) {
                return type.isInstance(one) ? type.cast(one) : null;
            }
            if (actions != null) {
                for (Object a : (List<?>) actions) {
                    if (type.isInstance(a)) {
                        return type.cast(a);
                    }
                }
            }
            return null;
        }

        @SuppressWarnings("unchecked")
        void runExitActions(String hubName) {
            Object actions;
            synchronized (this) {
                actions = exitActions;
                exitActions = null;
            }
            if (actions instanceof Runnable one) {
                runExitAction(one, hubName);
            } else if (actions != null) {
                for (Runnable a : (List<Runnable>) actions) {
                    runExitAction(a, hubName);
                }
            }
        }

        private void runExitAction(Runnable action, String hubName) {
            try {
                action.run();
            } catch (Throwable e) {
                LOG.warn("hub '{}': an action for the end of {} failed", hubName, thread, e);
            }
        }
    }

    /**
     * Settings for a new hub. Not thread-safe; {@link #build()} may be called more than once, each call starting
     * a new hub.
     */
    public static final class Builder {
        private String name;
        private ReactorFactory reactorFactory;
        private Duration blockingThreshold = Duration.ofMillis(100);
        private Duration shutdownTimeout = Duration.ofSeconds(5);
        private int offloadThreads = 16;
        private final List<BlockedHubListener> blockedListeners = new ArrayList<>();
        private boolean reportPinning = Boolean.getBoolean("loomhub.reportPinning");

        private Builder() { }

        /**
         * The hub's name, used in its threads' names, its log lines and its metrics tag. Default: {@code hub-N}.
         *
         * @param name a non-blank name
         * @return this builder
         */
        public Builder name(String name) {
            Objects.requireNonNull(name, "name");
            if (name.isBlank()) {
                throw new IllegalArgumentException("a hub's name must not be blank");
            }
            this.name = name;
            return this;
        }

        /**
         * The reactor the carrier drives. Default: the highest-priority {@link ReactorFactory} found with
         * {@link ServiceLoader} (Netty's when {@code loomhub-netty-reactor} is present), else
         * {@link ReactorFactory#parking()}.
         *
         * @param factory makes the carrier thread (on the caller of {@link #build()}) and creates the reactor (on
         *                the carrier)
         * @return this builder
         */
        public Builder reactor(ReactorFactory factory) {
            this.reactorFactory = Objects.requireNonNull(factory, "factory");
            return this;
        }

        /**
         * How long one slice may hold the carrier before the watchdog reports the hub as blocked (gevent's
         * {@code max_blocking_time}): a warning with the offender's stack, a count in {@link HubStats}, and the
         * {@linkplain #onBlocked listeners}. Default 100 ms; {@link Duration#ZERO} disables the watchdog.
         *
         * <p>The watchdog samples the running slice every quarter threshold (1 to 50 ms) and times it on its own
         * clock from the first sample that saw it, so the carrier reads no clock for it: a slice is reported
         * between the threshold and the threshold plus two sampling periods after it started.
         *
         * @param threshold zero (disabled) or at least one millisecond
         * @return this builder
         */
        public Builder blockingThreshold(Duration threshold) {
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative() || !threshold.isZero() && threshold.toMillis() < 1) {
                throw new IllegalArgumentException("blockingThreshold must be zero (disabled) or at least 1 ms, was "
                        + threshold);
            }
            this.blockingThreshold = threshold;
            return this;
        }

        /**
         * Calls a listener, on the watchdog thread, for each blocked-hub episode.
         *
         * @param listener the listener
         * @return this builder
         */
        public Builder onBlocked(BlockedHubListener listener) {
            blockedListeners.add(Objects.requireNonNull(listener, "listener"));
            return this;
        }

        /**
         * Whether to report pinned parks of this hub's threads: a hub thread that parks while pinned (inside a
         * class initialiser, under a native frame, in a JDK critical section) parks the carrier itself, so every
         * other hub thread waits. When on, the hub listens to JFR's {@code jdk.VirtualThreadPinned} events through
         * a {@link jdk.jfr.consumer.RecordingStream} (one per JVM, shared by the hubs that ask), counts them in
         * {@link HubStats#pinnedParks()} and logs a warning with the stack. Events arrive with JFR's flush delay
         * (about a second). Default: the system property {@code loomhub.reportPinning}, else off.
         *
         * @param report whether to report
         * @return this builder
         */
        public Builder reportPinning(boolean report) {
            this.reportPinning = report;
            return this;
        }

        /**
         * The most platform threads the {@linkplain Hub#offload offload pool} runs at once; more calls wait in
         * FIFO order. Idle offload threads end after 30 s. Default 16.
         *
         * @param threads at least 1
         * @return this builder
         */
        public Builder offloadThreads(int threads) {
            if (threads < 1) {
                throw new IllegalArgumentException("offloadThreads must be at least 1, was " + threads);
            }
            this.offloadThreads = threads;
            return this;
        }

        /**
         * How long {@link Hub#close()} lets live threads run before it interrupts them, and then how long it waits
         * for the interrupted ones before it returns. Default 5 s.
         *
         * @param timeout zero or positive
         * @return this builder
         */
        public Builder shutdownTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative()) {
                throw new IllegalArgumentException("shutdownTimeout must not be negative, was " + timeout);
            }
            this.shutdownTimeout = timeout;
            return this;
        }

        /**
         * Starts a hub with these settings: its carrier thread runs, and its reactor is ready, when this returns.
         *
         * @return the running hub
         * @throws UnsupportedOperationException if the JVM cannot run a hub (Java older than 25, or
         *         {@code --add-opens java.base/java.lang=ALL-UNNAMED} missing); the message names the fix
         * @throws IllegalStateException         if the reactor could not be created, or the factory's
         *         {@link ReactorFactory#newCarrierThread} broke its contract (no hub thread is left running)
         */
        public Hub build() {
            Hub hub = new Hub(this);
            hub.startCarrier();
            return hub;
        }
    }
}
