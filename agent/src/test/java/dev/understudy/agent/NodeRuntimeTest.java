package dev.understudy.agent;

import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The start-up check of the kernel's orphan retries (what lets a node take over again soon after its primary died). */
class NodeRuntimeTest {
    @TempDir
    Path dir;

    /** Mutation check (done once): with the check inverted (a warning for 1, none for 0), the first assertion failed. */
    @Test
    void shouldWarnWhenOrphansOutliveATakeover() throws Exception {
        Path sysctl = dir.resolve("tcp_orphan_retries");
        Files.writeString(sysctl, "0\n");
        String why = NodeRuntime.checkOrphanRetries(sysctl);
        assertTrue(why != null && why.contains("net.ipv4.tcp_orphan_retries is 0") && why.contains("set it to 1"), why);
        Files.writeString(sysctl, "7\n");
        assertTrue(NodeRuntime.checkOrphanRetries(sysctl) != null);
        Files.writeString(sysctl, "1\n");
        assertNull(NodeRuntime.checkOrphanRetries(sysctl));
        assertNull(NodeRuntime.checkOrphanRetries(dir.resolve("missing")), "unreadable: nothing to say");
    }
}
