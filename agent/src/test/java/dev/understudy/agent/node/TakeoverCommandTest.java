package dev.understudy.agent.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The takeover command runs with /bin/sh -c, the event as "$1" and in the environment with the
 * VIP, interface, node and epoch; one that does not finish is killed; none configured runs
 * nothing. Mutation check: without the environment put in, the first test read empty values and
 * failed; restored.
 */
class TakeoverCommandTest {
    @Test
    void shouldRunTheCommandWithTheEventAndTheNodesFacts(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("events");
        Thread t = TakeoverCommand.start("echo \"$1 $UNDERSTUDY_EVENT $UNDERSTUDY_VIP $UNDERSTUDY_INTERFACE $UNDERSTUDY_NODE"
            + " $UNDERSTUDY_EPOCH\" >> '" + out + "'", TakeoverCommand.PRIMARY, "198.18.0.100", "eth0", 3, 7);
        t.join(15_000);
        assertFalse(t.isAlive());
        assertEquals("primary primary 198.18.0.100 eth0 3 7\n", Files.readString(out, StandardCharsets.UTF_8));
    }

    @Test
    void shouldKillACommandThatDoesNotFinishAndRunNothingWithoutOne(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("late");
        long t0 = System.nanoTime();
        Thread t = TakeoverCommand.start("sleep 30; touch '" + out + "'", TakeoverCommand.STOPPED, "198.18.0.100", "eth0", 1, 2,
            300);
        t.join(15_000);
        assertFalse(t.isAlive());
        assertTrue(System.nanoTime() - t0 < 10_000_000_000L, "killed, not waited for");
        Thread.sleep(200);
        assertFalse(Files.exists(out), "the command was killed before it finished");
        assertNull(TakeoverCommand.start("", TakeoverCommand.PRIMARY, "198.18.0.100", "eth0", 1, 2));
    }
}
