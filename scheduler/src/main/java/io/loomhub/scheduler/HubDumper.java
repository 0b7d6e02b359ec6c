package io.loomhub.scheduler;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.locks.LockSupport;

/** Takes a {@link HubDump}: asks the carrier for what only it knows, then reads every live thread. */
final class HubDumper {

    /** How long a dump waits for the carrier to answer before it calls the hub blocked. */
    static final Duration CARRIER_ANSWER = Duration.ofSeconds(1);

    private HubDumper() { }

    static HubDump dump(Hub hub) {
        Instant takenAt = Instant.now();
        // The slice running when we ask: if it is still the one running when the carrier fails to answer, it has
        // held the carrier for at least the wait.
        long sliceAsked = hub.slicesRun();
        Runnable taskAsked = hub.sliceTask();
        long asked = System.nanoTime();
        long[] facts = askCarrier(hub);
        long now = System.nanoTime();
        Thread self = Thread.currentThread();
        List<Row> rows = new ArrayList<>();
        for (Thread t : hub.liveThreads()) {
            Thread.State state = t == self ? Thread.State.RUNNABLE : t.getState();
            if (state == Thread.State.TERMINATED) {
                continue;
            }
            Hub.ThreadRecord record = hub.record(t);
            Object blocker = LockSupport.getBlocker(t);
            Duration waited = null;
            if (state != Thread.State.RUNNABLE && state != Thread.State.NEW && record != null
                    && record.offCarrierSince != 0) {
                waited = Duration.ofNanos(Math.max(0, now - record.offCarrierSince));
            }
            StackTraceElement[] stack = t.getStackTrace();
            rows.add(new Row(t.threadId(), new HubDump.ThreadInfo(t, state, describe(blocker), waited, stack)));
        }
        rows.sort(Comparator.comparingLong(Row::id)); // ids are handed out in creation order: oldest first
        List<HubDump.ThreadInfo> threads = rows.stream().map(Row::info).toList();

        int[] pool = hub.offloadPoolState();
        int offload = pool[0] + pool[1];
        String verdict;
        boolean forever = false;
        if (facts == null) {
            verdict = carrierSilent(hub, sliceAsked, taskAsked, asked);
            return new HubDump(hub.name(), takenAt, threads, -1, -1, -1, offload, false, verdict);
        }
        int ready = (int) facts[0];
        long timers = Math.max(0, facts[1]);
        int io = (int) facts[2];
        long runnable = threads.stream().filter(t -> t.state() == Thread.State.RUNNABLE
                || t.state() == Thread.State.NEW).count();
        long timed = threads.stream().filter(t -> t.state() == Thread.State.TIMED_WAITING).count();
        int n = threads.size();
        if (n == 0) {
            verdict = hub.isClosed() ? "No live hub threads; the hub is closed." : "No live hub threads.";
        } else if (runnable > 0 || ready > 0) {
            verdict = runnable + " of " + n + " thread(s) runnable and " + ready + " task(s) ready: the hub is "
                    + "making progress.";
        } else if (timed > 0 || timers > 0) {
            verdict = "All " + n + " thread(s) wait; " + timed + " with a timeout and " + timers + " timer(s) armed:"
                    + " a timer will wake the hub.";
        } else if (offload > 0) {
            verdict = "All " + n + " thread(s) wait; " + offload + " offload call(s) in flight will wake their "
                    + "callers.";
        } else if (io > 0) {
            verdict = "All " + n + " thread(s) wait with no timeout; " + io + " I/O registration(s) may wake them.";
        } else if (io < 0) {
            verdict = "All " + n + " thread(s) wait with no timeout and no timer is armed; the reactor cannot tell "
                    + "whether I/O is registered. If none is, this would block forever.";
        } else {
            // Looks stuck: ask the carrier again, so work that arrived while we read the threads is not missed.
            long[] again = askCarrier(hub);
            int[] poolAgain = hub.offloadPoolState();
            forever = again != null && again[0] == 0 && again[1] <= 0 && again[2] == 0
                    && poolAgain[0] + poolAgain[1] == 0
                    && threads.stream().allMatch(t -> t.thread().getState() == Thread.State.WAITING
                            || t.thread().getState() == Thread.State.BLOCKED);
            verdict = forever
                    ? "All " + n + " live hub thread(s) wait with no timeout, and nothing on this hub can wake them "
                            + "(no ready work, no timer armed, no I/O registered, no offload call running): this "
                            + "would block forever, unless a thread outside the hub wakes one of them."
                    : "All " + n + " thread(s) seemed to wait for ever, but the hub changed while the dump was taken;"
                            + " take another.";
        }
        return new HubDump(hub.name(), takenAt, threads, ready, timers, io, offload, forever, verdict);
    }

    /** {ready tasks, timers armed, I/O registrations}, from the carrier; null if it did not answer in time. */
    private static long[] askCarrier(Hub hub) {
        if (Thread.currentThread() == hub.carrierThread()) {
            return hub.carrierFacts();
        }
        if (hub.isTerminated()) {
            return null;
        }
        CompletableFuture<long[]> answer = new CompletableFuture<>();
        try {
            hub.execute(() -> answer.complete(hub.carrierFacts()));
        } catch (RejectedExecutionException e) {
            return null;
        }
        try {
            return answer.get(CARRIER_ANSWER.toNanos(), TimeUnit.NANOSECONDS);
        } catch (TimeoutException | ExecutionException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    private static String carrierSilent(Hub hub, long sliceAsked, Runnable taskAsked, long asked) {
        if (hub.isTerminated()) {
            return "The hub has terminated.";
        }
        long slice = hub.slicesRun();
        Runnable task = hub.sliceTask();
        if (task != null) {
            Thread vthread = VirtualThreadAccess.threadOf(task);
            String holder = vthread != null ? vthread.toString() : "a carrier callback";
            String since = task == taskAsked && slice == sliceAsked
                    ? " for at least " + (System.nanoTime() - asked) / 1_000_000 + " ms" : "";
            return "The hub is blocked: " + holder + " has held the carrier" + since + " without parking, and the "
                    + "carrier did not answer within " + CARRIER_ANSWER.toMillis() + " ms. Its stack is in the list "
                    + "below (or in the watchdog's warning).";
        }
        return "The carrier did not answer within " + CARRIER_ANSWER.toMillis() + " ms; it is outside any slice "
                + "(in a reactor callback or a timer task), so the hub is blocked there.";
    }

    private static String describe(Object blocker) {
        if (blocker == null) {
            return null;
        }
        return blocker.getClass().getName() + "@" + Integer.toHexString(System.identityHashCode(blocker));
    }

    private record Row(long id, HubDump.ThreadInfo info) { }
}
