package io.loomhub.netty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.Hub;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import org.junit.jupiter.api.Test;

/**
 * What {@link JavaNetSockets} does with and without its JVM flag, and when asked by system property. Each case runs
 * in a fresh JVM: patching is JVM-wide and permanent, and the flag is a JVM option.
 */
class JavaNetSocketsFlagTest {

    private static final String NET_OPENS = "--add-opens=java.base/java.net=ALL-UNNAMED";

    private static String child(Class<?> main, String... extra) throws IOException, InterruptedException {
        return NettyTestSupport.childJvm(main, extra);
    }

    @Test
    void patchWithoutTheFlagFailsNamingItAndChangesNothing() throws Exception {
        String out = child(PatchWithoutFlag.class);
        assertTrue(out.contains("refused: patching java.net sockets needs the JVM flag "
                + "--add-opens java.base/java.net=ALL-UNNAMED"), out);
        assertTrue(out.contains("patched=false"), out);
        assertTrue(out.contains("hub socket count after a hub thread's new Socket: 0"), out);
        assertTrue(out.endsWith("exit=0"), out);
    }

    @Test
    void thePropertyPatchesAnUnmodifiedProgramWhenTheFirstHubStarts() throws Exception {
        String out = child(PlainProgram.class, NET_OPENS, "-D" + JavaNetSockets.PATCH_PROPERTY + "=true");
        assertTrue(out.contains("patched=true"), out);
        assertTrue(out.contains("hub sockets opened: 2"), out);
        assertTrue(out.endsWith("exit=0"), out);
    }

    @Test
    void thePropertyWithoutTheFlagFailsTheFirstHubNamingTheFlag() throws Exception {
        String out = child(PlainProgram.class, "-D" + JavaNetSockets.PATCH_PROPERTY + "=true");
        assertTrue(out.contains("--add-opens java.base/java.net=ALL-UNNAMED"), out);
        assertTrue(out.endsWith("exit=1"), out);
    }

    @Test
    void withoutThePropertyNothingIsPatched() throws Exception {
        String out = child(PlainProgram.class, NET_OPENS);
        assertTrue(out.contains("patched=false"), out);
        assertTrue(out.contains("hub sockets opened: 0"), out);
        assertEquals(true, out.endsWith("exit=0"), out);
    }

    /** Calls {@link JavaNetSockets#patch()} in a JVM without the flag; sockets must stay the JDK's. */
    static final class PatchWithoutFlag {
        public static void main(String[] args) throws Exception {
            try {
                JavaNetSockets.patch();
                System.out.println("patch() succeeded without the flag");
            } catch (UnsupportedOperationException e) {
                System.out.println("refused: " + e.getMessage());
            }
            System.out.println("patched=" + JavaNetSockets.isPatched());
            try (Hub hub = Hub.create()) {
                NettyTestSupport.onHub(hub, () -> {
                    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                         Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort())) {
                        return s.isConnected();
                    }
                });
                System.out.println("hub socket count after a hub thread's new Socket: "
                        + HubSocket.stats(hub).opened());
            }
        }
    }

    /** A program that knows nothing of the patch: a hub thread makes a plain server socket and connects to it. */
    static final class PlainProgram {
        public static void main(String[] args) throws Exception {
            try (Hub hub = Hub.create()) {
                System.out.println("patched=" + JavaNetSockets.isPatched());
                NettyTestSupport.onHub(hub, () -> {
                    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                         Socket s = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
                         Socket accepted = server.accept()) {
                        s.getOutputStream().write(1);
                        return accepted.getInputStream().read();
                    }
                });
                System.out.println("hub sockets opened: " + HubSocket.stats(hub).opened());
            } catch (IllegalStateException e) {
                System.out.println("hub failed: " + e + (e.getCause() != null ? " caused by " + e.getCause() : ""));
                System.exit(1);
            }
        }
    }
}
