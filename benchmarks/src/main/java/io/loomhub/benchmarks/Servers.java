package io.loomhub.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** The echo servers the harness compares, in report order; the first is the reference. */
final class Servers {

    static final String REFERENCE = "netty";

    private Servers() { }

    /** The JVM flags every Java echo server gets (before any per-kind ones). */
    private static final List<String> SERVER_FLAGS = List.of(BenchFlags.ADD_OPENS, BenchFlags.ADD_OPENS_NIO,
            BenchFlags.NATIVE_ACCESS, BenchFlags.HEAP);

    /** {@link #SERVER_FLAGS} as one string, for the report. */
    static String serverFlags() {
        return String.join(" ", SERVER_FLAGS);
    }

    /** The java command that starts a JVM like this one (same JDK, same class path, the hub's flags). */
    static List<String> javaCommand() {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(SERVER_FLAGS);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        return cmd;
    }

    private static ServerProcess.Spec jvm(Suite.Options o, String kind, String description, List<String> extraFlags) {
        List<String> cmd = new ArrayList<>(javaCommand());
        cmd.addAll(1, extraFlags);
        cmd.addAll(1, o.serverFlags.getOrDefault(kind, List.of()));
        cmd.add(EchoServer.class.getName());
        cmd.add(kind);
        boolean known = EchoServer.kinds().contains(kind);
        return new ServerProcess.Spec(kind, description, cmd, Map.of(), true,
                known ? null : "this build has no '" + kind + "' server yet (its module has not landed)");
    }

    /** Every server, available or not (those that are not say why). */
    static List<ServerProcess.Spec> allSpecs(Suite.Options o) {
        List<ServerProcess.Spec> specs = new ArrayList<>();
        specs.add(jvm(o, "netty", "raw async Netty echo, one epoll event loop (reference)", List.of()));
        specs.add(jvm(o, "hub-netty", "loomhub: a hub thread per connection, blocking loop over HubSocket (the accept loop "
                + "hands each socket off to its thread, as docs/sockets.md shows)", List.of()));
        specs.add(jvm(o, "hub-jdk", "loomhub: a hub thread per connection, blocking loop over java.net.Socket "
                + "(the hub polls the JDK sockets on its own loop)", List.of()));
        specs.add(jvm(o, "hub-jdk-patched", "loomhub: the hub-jdk code, java.net patched (JavaNetSockets.patch()): "
                + "its sockets run on the hub's Netty loop", List.of(BenchFlags.ADD_OPENS_NET)));
        specs.add(jvm(o, "jdk", "JDK default scheduler, parallelism 1: the same blocking loop over java.net.Socket",
                List.of(BenchFlags.JDK_PARALLELISM_1, BenchFlags.JDK_MAX_POOL_1)));
        specs.add(new ServerProcess.Spec("go", "Go, GOMAXPROCS=1: a goroutine per connection (echo.go)",
                List.of(o.goBinary.toString()), Map.of("GOMAXPROCS", "1"), false,
                Files.isExecutable(o.goBinary) ? null
                        : "no Go echo binary at " + o.goBinary + " (Debian package golang-go missing?)"));
        String gevent = Suite.Machine.output(o.python, "-c", "import gevent");
        specs.add(new ServerProcess.Spec("gevent", "gevent StreamServer: a greenlet per connection (echo_gevent.py)",
                List.of(o.python, o.geventScript.toString()), Map.of(), false,
                gevent == null ? o.python + " cannot import gevent (Debian package python3-gevent missing?)"
                        : Files.isReadable(o.geventScript) ? null : "no script at " + o.geventScript));
        return specs;
    }

    /** The servers the options select. */
    static List<ServerProcess.Spec> specs(Suite.Options o) {
        return allSpecs(o).stream().filter(s -> o.servers == null || o.servers.contains(s.name())).toList();
    }
}
