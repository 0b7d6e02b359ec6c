package io.loomhub.benchmarks;

import java.util.Arrays;

/**
 * The entry of {@code target/benchmarks.jar}.
 * <ul>
 *   <li>{@code jmh [JMH options]}: the JMH suite alone (JMH's own command line; {@code -h} lists it).</li>
 *   <li>{@code suite [options]}: everything, then rewrites docs/benchmarks.md ({@link Suite}).</li>
 *   <li>{@code server KIND PORT}: one echo server ({@link EchoServer}).</li>
 *   <li>{@code pingpong [pairs [round-seconds [warm-up pairs]]]}: the interleaved ping-pong in this JVM
 *       ({@link InterleavedPingPong}; needs {@code -Djdk.virtualThreadScheduler.parallelism=1
 *       -Djdk.virtualThreadScheduler.maxPoolSize=1}, and is meant to run under {@code taskset -c 1}).</li>
 * </ul>
 */
public final class BenchMain {

    private BenchMain() { }

    public static void main(String[] args) throws Exception {
        String command = args.length == 0 ? "jmh" : args[0];
        String[] rest = args.length == 0 ? args : Arrays.copyOfRange(args, 1, args.length);
        switch (command) {
            case "jmh" -> org.openjdk.jmh.Main.main(rest);
            case "suite" -> Suite.main(rest);
            case "server" -> EchoServer.main(rest);
            case "pingpong" -> InterleavedPingPong.main(rest);
            default -> {
                System.err.println("usage: java -jar benchmarks.jar jmh [JMH options] | suite [options] | server KIND PORT"
                        + " | pingpong [pairs [round-seconds [warm-up pairs]]]");
                System.exit(2);
            }
        }
    }
}
