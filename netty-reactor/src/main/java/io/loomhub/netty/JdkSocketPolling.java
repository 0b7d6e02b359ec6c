package io.loomhub.netty;

import java.lang.classfile.ClassFile;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Puts hub threads' waits on JDK sockets on their hub's own epoll loop, JVM-wide and once.
 *
 * <h2>Why</h2>
 * A {@code java.net.Socket}, {@code SocketChannel} or pipe read that would block on a virtual thread parks the thread
 * in {@code sun.nio.ch.Poller}: the descriptor is armed in one of the JDK's sub-poller epoll sets, and a JDK thread
 * unparks the reader when it is ready. On the JDK's default scheduler that sub-poller is a virtual thread on the same
 * carriers as the readers. On a hub it is not (it must not be: see "JDK poller capture" in {@code docs/pitfalls.md}),
 * so each wake-up of a hub thread crossed three threads (the JDK's master poller, a sub-poller on a
 * {@code ForkJoinPool} worker, then the hub's carrier through its external queue).
 *
 * <h2>How</h2>
 * The JDK picks a poller by descriptor ({@code Poller.stopPoll}, {@code Poller.poll} are static and index an array of
 * pollers). Each array slot gets a <em>routing poller</em>: a small class defined at run time in {@code sun.nio.ch}
 * (the abstract methods it overrides are package-private) that forwards {@code implRegister} and
 * {@code implDeregister} to {@link #register} and {@link #deregister} here. They look at the calling thread:
 * <ul>
 *   <li>a thread of a hub that runs a {@link NettyReactor} on epoll arms the descriptor in that hub's own epoll sets
 *       ({@link HubJdkPoller}), which the hub's event loop polls: the wake-up is a carrier callback, like a hub
 *       socket's;</li>
 *   <li>any other thread takes the JDK's path, unchanged: the JDK's poller at that slot arms it and its sub-poller
 *       wakes it.</li>
 * </ul>
 * The routing poller shares the replaced poller's descriptor-to-thread map (the same object), so every wake-up the
 * JDK issues ({@code stopPoll} when a socket closes, the sub-poller's readiness) finds its thread whichever poller
 * object it goes through, including waits that began before the swap.
 *
 * <h2>Requirements</h2>
 * The JVM flag {@value #ADD_OPENS_FLAG} and {@code sun.nio.ch.Poller} as in JDK 25. Without either, or with
 * {@code -D}{@value #PROPERTY}{@code =false}, nothing changes and hub threads' JDK sockets keep the JDK's poller
 * (logged once at INFO, with the reason).
 *
 * <h2>Threads</h2>
 * {@link #install()}: any thread, once per JVM (later calls return the first outcome). The routing methods run on
 * whichever thread parks on a JDK descriptor; for hub threads that is the hub's carrier.
 */
final class JdkSocketPolling {

    /** The system property that turns routing off ({@code false}); read once, by the first {@link #install()}. */
    static final String PROPERTY = "loomhub.pollJdkSockets";

    /** The JVM flag routing needs, to reach the JDK's poller classes. */
    static final String ADD_OPENS_FLAG = "--add-opens java.base/sun.nio.ch=ALL-UNNAMED";

    private static final Logger LOG = LoggerFactory.getLogger(JdkSocketPolling.class);
    private static final String ROUTING_CLASS = "sun.nio.ch.LoomhubRoutingPoller";

    /** Null until the first {@link #install()}; then whether routing is on. */
    private static volatile Boolean installed;
    /** Why routing is off, or null. */
    private static volatile String offReason;

    private JdkSocketPolling() { }

    /**
     * Installs routing if it can, once per JVM. Any thread; never blocks on I/O.
     *
     * @return whether hub threads' JDK socket waits are now polled by their hubs
     */
    static boolean install() {
        Boolean done = installed;
        if (done != null) {
            return done;
        }
        synchronized (JdkSocketPolling.class) {
            if (installed == null) {
                String reason = tryInstall();
                offReason = reason;
                installed = reason == null;
                if (reason != null) {
                    LOG.info("JDK sockets of hub threads are woken through the JDK's poller threads: {}", reason);
                } else {
                    LOG.debug("JDK sockets of hub threads are polled by their hubs' event loops");
                }
            }
            return installed;
        }
    }

    /** Whether routing is installed; false before the first {@link #install()}. Any thread. */
    static boolean installed() {
        return Boolean.TRUE.equals(installed);
    }

    /** Why routing is off, or null if it is on or was never tried. Any thread. */
    static String offReason() {
        return offReason;
    }

    /** Returns null when installed, otherwise why not. Called once, under the class lock. */
    private static String tryInstall() {
        // PROPERTY, spelled out for the docs check
        if ("false".equalsIgnoreCase(System.getProperty("loomhub.pollJdkSockets", "true").trim())) {
            return "-D" + PROPERTY + "=false";
        }
        Class<?> pollerClass;
        MethodHandles.Lookup jdk;
        try {
            pollerClass = Class.forName("sun.nio.ch.Poller", true, null);
            jdk = MethodHandles.privateLookupIn(pollerClass, MethodHandles.lookup());
        } catch (ClassNotFoundException | IllegalAccessException | RuntimeException e) {
            return "start the JVM with " + ADD_OPENS_FLAG + " to let each hub poll them itself (" + e + ")";
        }
        try {
            Jdk.load();
            Field pollersField = pollerClass.getDeclaredField("POLLERS");
            pollersField.setAccessible(true);
            Object pollers = pollersField.get(null);
            Field mapField = pollerClass.getDeclaredField("map");
            mapField.setAccessible(true);
            String[] arrays = {"readPollers", "writePollers"};
            Object[][] slots = new Object[2][];
            for (int a = 0; a < 2; a++) {
                Field f = pollers.getClass().getDeclaredField(arrays[a]);
                f.setAccessible(true);
                slots[a] = (Object[]) f.get(pollers);
                for (Object p : slots[a]) {
                    if (p.getClass().getName().equals(ROUTING_CLASS)) {
                        return "the JDK's pollers are already routed by another copy of loomhub in this JVM";
                    }
                }
            }
            Class<?> routingClass = defineRoutingClass(jdk, pollerClass);
            MethodHandle newRouting = jdk.findConstructor(routingClass,
                    MethodType.methodType(void.class, MethodHandle.class, MethodHandle.class));
            MethodHandle register = MethodHandles.lookup().findStatic(JdkSocketPolling.class, "register",
                    MethodType.methodType(void.class, Object.class, boolean.class, Object.class, int.class));
            MethodHandle deregister = MethodHandles.lookup().findStatic(JdkSocketPolling.class, "deregister",
                    MethodType.methodType(void.class, Object.class, boolean.class, Object.class, int.class,
                            boolean.class));
            // Build every routing poller before replacing any, so a failure leaves the JDK's pollers as they were.
            Object[][] replacements = new Object[2][];
            for (int a = 0; a < 2; a++) {
                replacements[a] = new Object[slots[a].length];
                boolean read = a == 0;
                for (int i = 0; i < slots[a].length; i++) {
                    Object jdkPoller = slots[a][i];
                    MethodHandle r = MethodHandles.insertArguments(register, 0, jdkPoller, read)
                            .asType(MethodType.methodType(void.class, pollerClass, int.class));
                    MethodHandle d = MethodHandles.insertArguments(deregister, 0, jdkPoller, read)
                            .asType(MethodType.methodType(void.class, pollerClass, int.class, boolean.class));
                    Object routing = newRouting.invoke(r, d);
                    // One map for both: a wake-up through either poller object finds the waiting thread.
                    mapField.set(routing, mapField.get(jdkPoller));
                    replacements[a][i] = routing;
                }
            }
            for (int a = 0; a < 2; a++) {
                System.arraycopy(replacements[a], 0, slots[a], 0, slots[a].length);
            }
            return null;
        } catch (Throwable e) {
            return "the JDK's poller is not the one loomhub knows (JDK 25's sun.nio.ch.Poller): " + e;
        }
    }

    /**
     * Defines {@code sun.nio.ch.LoomhubRoutingPoller extends Poller}: a constructor taking the two forwarding
     * handles, {@code implRegister}/{@code implDeregister} that invoke them with {@code this}, and a {@code poll}
     * that throws (no thread polls a routing poller: the JDK's own pollers keep their threads).
     */
    private static Class<?> defineRoutingClass(MethodHandles.Lookup jdk, Class<?> pollerClass)
            throws IllegalAccessException {
        ClassDesc self = ClassDesc.of(ROUTING_CLASS);
        ClassDesc poller = ClassDesc.of(pollerClass.getName());
        ClassDesc mh = ConstantDescs.CD_MethodHandle;
        MethodTypeDesc registerType = MethodTypeDesc.of(ConstantDescs.CD_void, poller, ConstantDescs.CD_int);
        MethodTypeDesc deregisterType = MethodTypeDesc.of(ConstantDescs.CD_void, poller, ConstantDescs.CD_int,
                ConstantDescs.CD_boolean);
        ClassDesc uoe = ClassDesc.of(UnsupportedOperationException.class.getName());
        byte[] bytes = ClassFile.of().build(self, cb -> cb
                .withFlags(ClassFile.ACC_FINAL | ClassFile.ACC_SUPER | ClassFile.ACC_SYNTHETIC)
                .withSuperclass(poller)
                .withField("register", mh, ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL)
                .withField("deregister", mh, ClassFile.ACC_PRIVATE | ClassFile.ACC_FINAL)
                .withMethodBody(ConstantDescs.INIT_NAME, MethodTypeDesc.of(ConstantDescs.CD_void, mh, mh), 0,
                        code -> code
                                .aload(0).invokespecial(poller, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void)
                                .aload(0).aload(1).putfield(self, "register", mh)
                                .aload(0).aload(2).putfield(self, "deregister", mh)
                                .return_())
                .withMethodBody("implRegister", MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int), 0,
                        code -> code
                                .aload(0).getfield(self, "register", mh)
                                .aload(0).iload(1)
                                .invokevirtual(mh, "invokeExact", registerType)
                                .return_())
                .withMethodBody("implDeregister",
                        MethodTypeDesc.of(ConstantDescs.CD_void, ConstantDescs.CD_int, ConstantDescs.CD_boolean), 0,
                        code -> code
                                .aload(0).getfield(self, "deregister", mh)
                                .aload(0).iload(1).iload(2)
                                .invokevirtual(mh, "invokeExact", deregisterType)
                                .return_())
                .withMethodBody("poll", MethodTypeDesc.of(ConstantDescs.CD_int, ConstantDescs.CD_int), 0,
                        code -> code
                                .new_(uoe).dup()
                                .invokespecial(uoe, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void)
                                .athrow()));
        Class<?> c = jdk.defineClass(bytes);
        if (!Modifier.isFinal(c.getModifiers()) || c.getSuperclass() != pollerClass) {
            throw new IllegalStateException("defined " + c + " is not a final Poller");
        }
        return c;
    }

    /**
     * A thread is about to park until {@code fd} is ready; the JDK already recorded it in the slot's map. Runs on
     * the parking thread.
     */
    @SuppressWarnings("unused") // through a method handle
    private static void register(Object jdkPoller, boolean read, Object routing, int fd) throws Throwable {
        HubJdkPoller hub = HubJdkPoller.ofCurrentThread();
        if (hub != null) {
            hub.register(fd, read);
        } else {
            Jdk.IMPL_REGISTER.invokeExact(jdkPoller, fd);
        }
    }

    /**
     * The thread that {@link #register registered} {@code fd} is back; {@code polled} is true if a wake-up already
     * took it out of the map. Runs on that thread.
     */
    @SuppressWarnings("unused") // through a method handle
    private static void deregister(Object jdkPoller, boolean read, Object routing, int fd, boolean polled)
            throws Throwable {
        HubJdkPoller hub = HubJdkPoller.ofCurrentThread();
        if (hub != null) {
            hub.deregister(fd, read, polled);
        } else {
            Jdk.IMPL_DEREGISTER.invokeExact(jdkPoller, fd, polled);
        }
    }

    /**
     * The JDK internals that routing and {@link HubJdkPoller} call, as constant method handles. Initialised by
     * {@link #tryInstall()} only, after the access check passed; never touched when routing is off.
     */
    static final class Jdk {
        static final MethodHandle IMPL_REGISTER;   // (Object poller, int fd) void
        static final MethodHandle IMPL_DEREGISTER; // (Object poller, int fd, boolean polled) void
        static final MethodHandle STOP_POLL;       // (int fd, int event) void: wakes the thread polling fd
        static final MethodHandle EPOLL_CREATE;    // () int
        static final MethodHandle EPOLL_CTL;       // (int epfd, int op, int fd, int events) int: 0 or errno
        static final MethodHandle EPOLL_WAIT;      // (int epfd, long events, int max, int timeoutMillis) int
        static final MethodHandle ALLOCATE_EVENTS; // (int count) long
        static final MethodHandle FREE_EVENTS;     // (long address) void
        static final MethodHandle EVENT_AT;        // (long address, int i) long
        static final MethodHandle EVENT_FD;        // (long eventAddress) int
        static final int POLLIN;
        static final int POLLOUT;
        static final int EPOLLIN;
        static final int EPOLLOUT;
        static final int EPOLLONESHOT;
        static final int EPOLL_CTL_ADD;
        static final int EPOLL_CTL_DEL;
        static final int EPOLL_CTL_MOD;
        static final int ENOENT = 2; // Linux errno; epoll_ctl MOD of a descriptor not in the set

        private Jdk() { }

        /** Initialises this class now, so a failure shows in {@code tryInstall}. */
        static void load() {
            // the static initialiser has run by the time this body does
        }

        static {
            try {
                Class<?> pollerClass = Class.forName("sun.nio.ch.Poller", true, null);
                MethodHandles.Lookup l = MethodHandles.privateLookupIn(pollerClass, MethodHandles.lookup());
                Class<?> epoll = Class.forName("sun.nio.ch.EPoll", true, null);
                Class<?> net = Class.forName("sun.nio.ch.Net", true, null);
                MethodType objInt = MethodType.methodType(void.class, Object.class, int.class);
                IMPL_REGISTER = l.findVirtual(pollerClass, "implRegister", MethodType.methodType(void.class, int.class))
                        .asType(objInt);
                IMPL_DEREGISTER = l.findVirtual(pollerClass, "implDeregister",
                        MethodType.methodType(void.class, int.class, boolean.class))
                        .asType(MethodType.methodType(void.class, Object.class, int.class, boolean.class));
                STOP_POLL = l.findStatic(pollerClass, "stopPoll",
                        MethodType.methodType(void.class, int.class, int.class));
                MethodHandles.Lookup e = MethodHandles.privateLookupIn(epoll, MethodHandles.lookup());
                EPOLL_CREATE = e.findStatic(epoll, "create", MethodType.methodType(int.class));
                EPOLL_CTL = e.findStatic(epoll, "ctl",
                        MethodType.methodType(int.class, int.class, int.class, int.class, int.class));
                EPOLL_WAIT = e.findStatic(epoll, "wait",
                        MethodType.methodType(int.class, int.class, long.class, int.class, int.class));
                ALLOCATE_EVENTS = e.findStatic(epoll, "allocatePollArray",
                        MethodType.methodType(long.class, int.class));
                FREE_EVENTS = e.findStatic(epoll, "freePollArray", MethodType.methodType(void.class, long.class));
                EVENT_AT = e.findStatic(epoll, "getEvent", MethodType.methodType(long.class, long.class, int.class));
                EVENT_FD = e.findStatic(epoll, "getDescriptor", MethodType.methodType(int.class, long.class));
                EPOLLIN = (int) e.findStaticVarHandle(epoll, "EPOLLIN", int.class).get();
                EPOLLOUT = (int) e.findStaticVarHandle(epoll, "EPOLLOUT", int.class).get();
                EPOLLONESHOT = (int) e.findStaticVarHandle(epoll, "EPOLLONESHOT", int.class).get();
                EPOLL_CTL_ADD = (int) e.findStaticVarHandle(epoll, "EPOLL_CTL_ADD", int.class).get();
                EPOLL_CTL_DEL = (int) e.findStaticVarHandle(epoll, "EPOLL_CTL_DEL", int.class).get();
                EPOLL_CTL_MOD = (int) e.findStaticVarHandle(epoll, "EPOLL_CTL_MOD", int.class).get();
                MethodHandles.Lookup n = MethodHandles.privateLookupIn(net, MethodHandles.lookup());
                POLLIN = (short) n.findStaticVarHandle(net, "POLLIN", short.class).get();
                POLLOUT = (short) n.findStaticVarHandle(net, "POLLOUT", short.class).get();
            } catch (ReflectiveOperationException e) {
                throw new ExceptionInInitializerError(e);
            }
        }
    }
}
