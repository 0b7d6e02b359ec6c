package io.loomhub.netty;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * {@link JdkSocketPolling} with and without its JVM flag and property, each in a fresh JVM: routing is installed once
 * per JVM, when the first epoll hub starts, and the flag is a JVM option.
 */
class JdkSocketPollingFlagTest {

    private static final String NIO_OPENS = "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
    private static final int ROUNDS = 500;

    @Test
    void withTheFlagTheHubWakesItsJdkSocketsItself() throws Exception {
        String out = NettyTestSupport.childJvm(EchoOnAHub.class, NIO_OPENS);
        assertEchoedAndPrinted(out, "polls=true reason=null", "jdk poller resumes=few");
    }

    @Test
    void withoutTheFlagTheJdkPollerWakesThemAndTheReasonNamesTheFlag() throws Exception {
        String out = NettyTestSupport.childJvm(EchoOnAHub.class);
        assertEchoedAndPrinted(out,
                "polls=false reason=start the JVM with --add-opens java.base/sun.nio.ch=ALL-UNNAMED",
                "jdk poller resumes=one per wait");
    }

    @Test
    void thePropertyTurnsItOff() throws Exception {
        String out = NettyTestSupport.childJvm(EchoOnAHub.class, NIO_OPENS,
                "-D" + JdkSocketPolling.PROPERTY + "=false");
        assertEchoedAndPrinted(out, "polls=false reason=-Dloomhub.pollJdkSockets=false",
                "jdk poller resumes=one per wait");
    }

    @Test
    void aWaitThatBeganBeforeTheFirstHubStillWakesWhenItsSocketCloses() throws Exception {
        String out = NettyTestSupport.childJvm(WaitAcrossInstall.class, NIO_OPENS);
        assertEchoedAndPrinted(out, "polls=true", "reader woke with SocketException");
    }

    @Test
    void withTheJdksPlatformThreadPollersTooBothPathsWake() throws Exception {
        // jdk.pollerMode=1: the slots hold pollers served by platform threads instead of virtual sub-pollers.
        String out = NettyTestSupport.childJvm(WaitAcrossInstall.class, NIO_OPENS, "-Djdk.pollerMode=1");
        assertEchoedAndPrinted(out, "polls=true", "reader woke with SocketException");
    }

    /** The child ended normally, its echo completed every round, and it printed each of {@code lines}. */
    private static void assertEchoedAndPrinted(String out, String... lines) {
        for (String line : lines) {
            assertTrue(out.contains(line), out);
        }
        assertTrue(out.contains("echo rounds=" + ROUNDS), out);
        assertTrue(out.endsWith("exit=0"), out);
    }

    /**
     * One hub thread echoes, another sends {@value #ROUNDS} requests, both on java.net sockets; prints whether the
     * hub polled them and how many resumes other threads (the JDK's pollers) submitted.
     */
    static final class EchoOnAHub {
        public static void main(String[] args) throws Exception {
            try (Hub hub = Hub.create()) {
                System.out.println("polls=" + NettyReactor.pollsJdkSockets(hub) + " reason="
                        + JdkSocketPolling.offReason());
                long external = hub.stats().externalSubmissions();
                int rounds = echo(hub);
                System.out.println("echo rounds=" + rounds);
                long resumes = hub.stats().externalSubmissions() - external;
                // 2 waits per round on the hub; the two spawns from this thread are the only other submissions.
                System.out.println("jdk poller resumes=" + (resumes < 20 ? "few"
                        : resumes >= ROUNDS ? "one per wait" : String.valueOf(resumes)));
            }
        }
    }

    /**
     * A default-scheduler virtual thread starts waiting on a socket read before any hub exists; a hub then starts
     * (which installs routing), and the socket is closed: the JDK's close wake-up must still reach the reader.
     */
    static final class WaitAcrossInstall {
        public static void main(String[] args) throws Exception {
            try (ServerSocket listener = new ServerSocket(0, 8, InetAddress.getLoopbackAddress());
                 Socket s = new Socket(InetAddress.getLoopbackAddress(), listener.getLocalPort());
                 Socket peer = listener.accept()) {
                CompletableFuture<String> ended = new CompletableFuture<>();
                Thread reader = Thread.ofVirtual().start(() -> {
                    try {
                        ended.complete("read " + s.getInputStream().read());
                    } catch (IOException e) {
                        ended.complete(e.getClass().getSimpleName());
                    }
                });
                while (reader.getState() != Thread.State.WAITING) {
                    Thread.onSpinWait(); // bounded by the child's 60 s limit; the read parks at once
                }
                try (Hub hub = Hub.create()) {
                    System.out.println("polls=" + NettyReactor.pollsJdkSockets(hub));
                    s.close();
                    System.out.println("reader woke with " + ended.get(10, TimeUnit.SECONDS));
                    System.out.println("echo rounds=" + echo(hub));
                }
            }
        }
    }

    /** {@value #ROUNDS} 64-byte round trips between two hub threads over java.net sockets. */
    private static int echo(Hub hub) throws Exception {
        ServerSocket server = NettyTestSupport.onHub(hub,
                () -> new ServerSocket(0, 8, InetAddress.getLoopbackAddress()));
        hub.spawn(() -> {
            try {
                NettyTestSupport.echoUntilEnd(server.accept(), () -> { });
            } catch (IOException e) {
                throw new RuntimeException(e);
            }
        });
        int rounds = NettyTestSupport.onHub(hub, () -> {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                DataInputStream in = new DataInputStream(s.getInputStream());
                byte[] b = new byte[64];
                int r = 0;
                for (; r < ROUNDS; r++) {
                    s.getOutputStream().write(b);
                    in.readFully(b);
                }
                return r;
            }
        });
        server.close();
        return rounds;
    }
}
