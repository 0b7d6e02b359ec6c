package io.loomhub.benchmarks;

import java.util.List;

/** JVM flags shared by every JVM the benchmarks start (JMH forks, echo servers). Constants, for annotations. */
final class BenchFlags {

    private BenchFlags() { }

    /** The hub reaches the JDK's package-private virtual-thread builder. */
    static final String ADD_OPENS = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    /** JavaNetSockets.patch() reaches the JDK's own socket implementation for threads off the hub. */
    static final String ADD_OPENS_NET = "--add-opens=java.base/java.net=ALL-UNNAMED";
    /** A hub polls its threads' JDK sockets on its own loop (NettyReactor.pollsJdkSockets). */
    static final String ADD_OPENS_NIO = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
    /** Netty's native epoll transport. */
    static final String NATIVE_ACCESS = "--enable-native-access=ALL-UNNAMED";
    /** One carrier for the JDK's default scheduler, so it meets the hub core for core. */
    static final String JDK_PARALLELISM_1 = "-Djdk.virtualThreadScheduler.parallelism=1";
    /** No extra carriers either (the default scheduler adds some to make up for pinned threads; a hub cannot). */
    static final String JDK_MAX_POOL_1 = "-Djdk.virtualThreadScheduler.maxPoolSize=1";
    /** Same heap for every fork, so GC does not differ by accident. */
    static final String HEAP = "-Xmx1g";

    static List<String> all() {
        return List.of(ADD_OPENS, NATIVE_ACCESS, JDK_PARALLELISM_1, JDK_MAX_POOL_1, HEAP);
    }
}
