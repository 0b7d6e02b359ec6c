package io.loomhub.scheduler;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class JvmRequirementsTest {

    /** Tries to start a hub; prints the outcome. */
    public static final class StartHub {
        public static void main(String[] args) {
            try (Hub hub = Hub.create()) {
                System.out.println("STARTED " + hub.name());
            } catch (UnsupportedOperationException e) {
                System.out.println("REFUSED " + e.getMessage());
                System.exit(3);
            }
        }
    }

    @Test
    void missingAddOpensFailsAtFirstUseWithAMessageNamingTheFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(false, StartHub.class);
        assertEquals(3, r.exitCode(), r.output());
        assertTrue(r.output().contains("REFUSED"), r.output());
        assertTrue(r.output().contains("--add-opens java.base/java.lang=ALL-UNNAMED"), r.output());
        assertTrue(!r.output().contains("NullPointerException"), r.output());
    }

    @Test
    void withAddOpensTheHubStarts() throws Exception {
        ChildJvm.Result r = ChildJvm.run(true, StartHub.class);
        assertEquals(0, r.exitCode(), r.output());
        assertTrue(r.output().contains("STARTED"), r.output());
    }
}
