package io.loomhub.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.loomhub.scheduler.BlockedHubEvent;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class BlockingPitfallTest {

    @Test
    void watchdogReportsTheBlockingHandlerAndOffloadKeepsTheHubRunning() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        List<BlockingPitfall.Outcome> outcomes = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> BlockingPitfall.run(new PrintStream(bytes, true, StandardCharsets.UTF_8)));
        String text = bytes.toString(StandardCharsets.UTF_8);
        BlockingPitfall.Outcome bad = outcomes.get(0);
        BlockingPitfall.Outcome fixed = outcomes.get(1);

        // The pitfall: one slice held the carrier, so the ticker could not run at all, and the watchdog said so.
        assertEquals(0, bad.ticks(), text);
        assertFalse(bad.reports().isEmpty(), text);
        BlockedHubEvent report = bad.reports().get(0);
        assertEquals("handler-blocking", report.offender().getName(), text);
        assertTrue(report.blockedFor().compareTo(BlockingPitfall.THRESHOLD) >= 0, text);
        assertTrue(Arrays.stream(report.stackTrace()).anyMatch(f -> f.getMethodName().equals("checksumFor")), text);
        assertTrue(text.contains("watchdog: handler-blocking had held the carrier"), text);

        // The fix: the work ran off the carrier, the ticker kept ticking, nothing was reported.
        assertTrue(fixed.ticks() > 0, text);
        assertTrue(fixed.reports().isEmpty(), text);
    }
}
