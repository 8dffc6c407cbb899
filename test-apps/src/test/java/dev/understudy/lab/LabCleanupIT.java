package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.junit.Privileged;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Privileged
@Timeout(60)
class LabCleanupIT {
    private static List<String> namespacesOf(String name) throws Exception {
        return Lab.namespaces().stream().filter(ns -> ns.startsWith(Lab.NAMESPACE_PREFIX + name + "-")).toList();
    }

    @Test
    void shouldRemoveEverythingAKilledLabOwnerLeftBehindOnDownAll() throws Exception {
        String name = Lab.newRunName();
        try {
            killOwnerThenCheck(name);
        } finally {
            Lab.downAll(name); // a failed assertion must not leak the lab either
        }
    }

    private static void killOwnerThenCheck(String name) throws Exception {
        Process owner = new ProcessBuilder(Lab.java(List.of(), "dev.understudy.lab.LabHolder", name))
            .redirectErrorStream(true).start();
        long sleeperPid;
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(owner.getInputStream(), StandardCharsets.UTF_8));
            String line;
            StringBuilder seen = new StringBuilder();
            while ((line = out.readLine()) != null && !line.startsWith("UP ")) {
                seen.append(line).append('\n');
            }
            assertTrue(line != null, "lab owner exited before the lab was up: " + seen);
            sleeperPid = Long.parseLong(line.substring(3).trim());
        } finally {
            owner.destroyForcibly(); // SIGKILL: no shutdown hook, no cleanup
            owner.waitFor(10, TimeUnit.SECONDS);
        }
        assertFalse(owner.isAlive());
        assertEquals(4, namespacesOf(name).size(), "sw, client, node1, node2 should survive a SIGKILL: " + Lab.namespaces());
        Optional<ProcessHandle> sleeper = ProcessHandle.of(sleeperPid);
        assertTrue(sleeper.isPresent() && sleeper.get().isAlive(), "the process in node1 should survive its owner");

        List<String> removed = Lab.downAll(name);

        assertEquals(4, removed.size(), removed.toString());
        assertEquals(List.of(), namespacesOf(name), "ip netns list after downAll");
        assertFalse(ProcessHandle.of(sleeperPid).map(ProcessHandle::isAlive).orElse(false), "process in node1 still running");
        Host.Result links = Host.run(Duration.ofSeconds(10), "ip", "-o", "link");
        assertFalse(links.output().contains(name), links.output());
    }

    @Test
    void shouldRemoveItsLabOnCloseAndLeaveADetachedLabToLabDown() throws Exception {
        String name = Lab.newRunName();
        try (Lab lab = Lab.up(name, 1)) {
            assertEquals(3, namespacesOf(name).size());
            assertTrue(Lab.list().contains(name));
        }
        assertEquals(List.of(), namespacesOf(name));

        String kept = Lab.newRunName();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream ps = new PrintStream(out, true, StandardCharsets.UTF_8);
        assertEquals(0, LabMain.execute(LabMain.parse(new String[] {"up", "--nodes", "2", "--name", kept}), ps, ps));
        assertEquals(kept, Json.object(out.toString(StandardCharsets.UTF_8).trim()).get("name"));
        try {
            assertEquals(4, namespacesOf(kept).size());
            out.reset();
            assertEquals(0, LabMain.execute(LabMain.parse(new String[] {"exec", "--name", kept, "node2", "--", "true"}), ps, ps));
            assertEquals(1, LabMain.execute(LabMain.parse(new String[] {"exec", "--name", kept, "node3", "--", "true"}), ps, ps));
        } finally {
            assertEquals(0, LabMain.execute(LabMain.parse(new String[] {"down", "--name", kept}), ps, ps));
        }
        assertEquals(List.of(), namespacesOf(kept));
    }
}
