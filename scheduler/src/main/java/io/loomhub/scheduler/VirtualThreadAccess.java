package io.loomhub.scheduler;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.invoke.VarHandle;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.InaccessibleObjectException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.concurrent.Executor;
import java.util.concurrent.ForkJoinPool;

/**
 * The one place that reaches into the JDK's virtual-thread internals. Everything here exists because JDK 25
 * has no public API for a custom virtual-thread scheduler; when OpenJDK ships one, only this class changes.
 *
 * <p>What it provides, each checked once when the class initialises:
 * <ul>
 *   <li>a {@code Thread.Builder.OfVirtual} bound to a scheduler, through the package-private constructor
 *       {@code java.lang.ThreadBuilders$VirtualThreadBuilder(Executor)};</li>
 *   <li>the virtual thread behind a {@code runContinuation} task the JDK hands to {@code execute}, and that
 *       thread's state, so the hub can count live threads and tell a start from a resume;</li>
 *   <li>{@code Thread.currentCarrierThread()}, so {@code execute} can tell "called on the carrier, perhaps by a
 *       mounted hub thread" from "called by another thread" without a thread-local;</li>
 *   <li>whether timed parks can be routed to the hub (JDK 25 sends them to {@code ForkJoinPool.schedule} when
 *       the scheduler is a {@code ForkJoinPool}, and to its own unparker thread otherwise).</li>
 * </ul>
 * A JDK older than 25 or a missing {@code --add-opens java.base/java.lang=ALL-UNNAMED} makes {@link #check()}
 * throw an {@link UnsupportedOperationException} whose message names the version or the exact flag.
 */
final class VirtualThreadAccess {

    /** The JVM flag the hub cannot work without. */
    static final String ADD_OPENS_FLAG = "--add-opens java.base/java.lang=ALL-UNNAMED";

    /** {@code VirtualThread.state} value of a thread that was started and has not run yet. */
    static final int STATE_STARTED = 1;
    /** {@code VirtualThread.state} value of a thread that has ended. */
    static final int STATE_TERMINATED = 99;
    /** {@code VirtualThread.state} value of a thread that yielded and is queued to run again. */
    static final int STATE_YIELDED = 11;

    private static final Throwable FAILURE;
    private static final Constructor<?> BUILDER_CONSTRUCTOR;
    private static final VarHandle STATE;
    private static final VarHandle SCHEDULER;
    private static final Class<?> CONTINUATION_TASK_CLASS;
    private static final MethodHandle THREAD_OF_TASK;
    private static final MethodHandle CURRENT_CARRIER;
    private static final boolean HUB_TIMERS;

    static {
        Throwable failure = null;
        Constructor<?> ctor = null;
        VarHandle state = null;
        VarHandle scheduler = null;
        Class<?> taskClass = null;
        MethodHandle threadOfTask = null;
        MethodHandle currentCarrier = null;
        boolean hubTimers = false;
        try {
            int feature = Runtime.version().feature();
            if (feature < 25) {
                throw new UnsupportedOperationException("loomhub needs Java 25 or newer (virtual threads must not pin "
                        + "on synchronized, JDK 24+), but this JVM is Java " + Runtime.version() + " at "
                        + System.getProperty("java.home"));
            }
            Class<?> builderClass = Class.forName("java.lang.ThreadBuilders$VirtualThreadBuilder");
            ctor = builderClass.getDeclaredConstructor(Executor.class);
            ctor.setAccessible(true);

            Class<?> vthreadClass = Class.forName("java.lang.VirtualThread");
            MethodHandles.Lookup lookup = MethodHandles.privateLookupIn(vthreadClass, MethodHandles.lookup());
            state = lookup.findVarHandle(vthreadClass, "state", int.class);
            scheduler = lookup.findVarHandle(vthreadClass, "scheduler", Executor.class);
            VarHandle runContinuation = lookup.findVarHandle(vthreadClass, "runContinuation", Runnable.class);

            MethodHandles.Lookup threadLookup = MethodHandles.privateLookupIn(Thread.class, MethodHandles.lookup());
            currentCarrier = threadLookup.findStatic(Thread.class, "currentCarrierThread",
                    MethodType.methodType(Thread.class));

            // The runContinuation task is a lambda capturing its VirtualThread: find that captured field.
            Thread probe = newBuilder(ctor, Runnable::run).unstarted(() -> { });
            Runnable task = (Runnable) runContinuation.get(probe);
            taskClass = task.getClass();
            Field captured = null;
            for (Field f : taskClass.getDeclaredFields()) {
                if (!Modifier.isStatic(f.getModifiers()) && f.getType().isAssignableFrom(vthreadClass)) {
                    captured = f;
                }
            }
            if (captured == null) {
                throw new IllegalStateException("this JDK's VirtualThread.runContinuation does not capture its thread");
            }
            captured.setAccessible(true);
            threadOfTask = MethodHandles.lookup().unreflectGetter(captured)
                    .asType(MethodType.methodType(Thread.class, Runnable.class));
            if ((Thread) threadOfTask.invokeExact(task) != probe) {
                throw new IllegalStateException("cannot map a runContinuation task back to its thread");
            }
            hubTimers = !Boolean.getBoolean("loomhub.jdkTimers") && canRouteTimedParks();
        } catch (InaccessibleObjectException | IllegalAccessException e) {
            failure = new UnsupportedOperationException("loomhub needs the JVM flag '" + ADD_OPENS_FLAG
                    + "' (JDK 25 has no public API to give virtual threads a scheduler, so the hub uses the JDK's "
                    + "package-private virtual-thread builder). Add it to the java command line, or to "
                    + "JDK_JAVA_OPTIONS.", e);
        } catch (UnsupportedOperationException e) {
            failure = e;
        } catch (Throwable e) {
            failure = new UnsupportedOperationException("loomhub cannot use this JVM's virtual-thread internals ("
                    + Runtime.version() + " at " + System.getProperty("java.home") + "): " + e, e);
        }
        FAILURE = failure;
        BUILDER_CONSTRUCTOR = ctor;
        STATE = state;
        SCHEDULER = scheduler;
        CONTINUATION_TASK_CLASS = taskClass;
        THREAD_OF_TASK = threadOfTask;
        CURRENT_CARRIER = currentCarrier;
        HUB_TIMERS = hubTimers;
        if (failure == null) {
            initialiseJdkPoller();
        }
    }

    private VirtualThreadAccess() { }

    /**
     * Throws, with a message naming the missing version or flag, unless the hub can run on this JVM.
     *
     * @throws UnsupportedOperationException if the JDK is older than 25 or java.lang is not opened
     */
    static void check() {
        if (FAILURE != null) {
            UnsupportedOperationException e = new UnsupportedOperationException(FAILURE.getMessage(), FAILURE.getCause());
            throw e;
        }
    }

    /** Whether the hub can run on this JVM (the same test as {@link #check()}, without throwing). */
    static boolean usable() {
        return FAILURE == null;
    }

    /** Whether timed parks of hub threads reach the hub's own timer queue (see {@link HubScheduler}). */
    static boolean hubTimersSupported() {
        return HUB_TIMERS;
    }

    /** A new JDK virtual-thread builder whose threads are scheduled by {@code scheduler}. */
    static Thread.Builder.OfVirtual newBuilder(Executor scheduler) {
        check();
        return newBuilder(BUILDER_CONSTRUCTOR, scheduler);
    }

    private static Thread.Builder.OfVirtual newBuilder(Constructor<?> ctor, Executor scheduler) {
        try {
            return (Thread.Builder.OfVirtual) ctor.newInstance(scheduler);
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("cannot create a virtual-thread builder", e);
        }
    }

    /** The virtual thread a {@code runContinuation} task belongs to, or {@code null} for any other task. */
    static Thread threadOf(Runnable task) {
        if (task.getClass() != CONTINUATION_TASK_CLASS) {
            return null;
        }
        try {
            return (Thread) THREAD_OF_TASK.invokeExact(task);
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * The JDK's internal state of a virtual thread (see the {@code STATE_*} constants), read without ordering.
     * Enough for the hub's two questions, because the caller itself wrote the state it looks for: {@code execute}
     * is called by the thread that just set {@code STARTED} (in {@code start}) or changed the state to resume the
     * thread, and the carrier reads {@code TERMINATED} or {@code YIELDED} that the thread wrote while running on it.
     */
    static int stateOpaque(Thread vthread) {
        return (int) STATE.getOpaque(vthread);
    }

    /** The scheduler a virtual thread was created with, or {@code null} for a platform thread. */
    static Executor schedulerOf(Thread thread) {
        return thread.isVirtual() ? (Executor) SCHEDULER.get(thread) : null;
    }

    /** The platform thread the caller runs on: itself, or the carrier of the mounted virtual thread. */
    static Thread currentCarrierThread() {
        try {
            return (Thread) CURRENT_CARRIER.invokeExact();
        } catch (Throwable e) {
            throw new AssertionError(e);
        }
    }

    /**
     * JDK 25's {@code VirtualThread.schedule} calls {@code ForkJoinPool.schedule} when the scheduler is a
     * {@code ForkJoinPool}; the hub's scheduler overrides it. Checks the method is there and overridable.
     */
    private static boolean canRouteTimedParks() {
        try {
            Method m = ForkJoinPool.class.getMethod("schedule", Runnable.class, long.class,
                    java.util.concurrent.TimeUnit.class);
            return !Modifier.isFinal(m.getModifiers()) && !Modifier.isFinal(ForkJoinPool.class.getModifiers());
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    /**
     * Initialises the JDK's socket poller from this (non-hub) thread. In JDK 25 the read/write sub-pollers are
     * virtual threads that take the scheduler of whichever thread first touches the poller; if that were a hub
     * thread, every virtual-thread socket in the JVM would depend on that hub, and stop when it closes.
     */
    private static void initialiseJdkPoller() {
        try {
            Class.forName("sun.nio.ch.Poller", true, null);
        } catch (Throwable ignored) {
            // Not this JDK's layout: nothing to pre-initialise.
        }
    }
}
