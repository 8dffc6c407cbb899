package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.agent.primary.CloseGuard;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.rules.Iptables;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Deliverable 4 of the failover issue, process death on a live node: a SIGKILLed primary's kernel
 * closes every socket of the dead JVM, and without the close guard ({@link CloseGuard}) its FINs
 * reach every client at once. A primary ({@code BlockingKvServer}, {@code degraded=serve}, no
 * clones) serves {@value #CONNECTIONS} connections through the VIP from the lab's client; its JVM
 * is SIGKILLed; the clients then send a request each, and for {@value #QUIET_SECONDS} s:
 * <ul>
 *   <li>no client connection sees EOF or a reset ({@link GuardProbe} is blocked in read on each),</li>
 *   <li>{@code ss} in the client shows every connection still ESTABLISHED,</li>
 *   <li>a counting rule in the client's INPUT sees no segment with FIN or RST from the VIP's port,</li>
 *   <li>while the guard's DROP rule on node1 counted the kernel's FINs (the kill did try).</li>
 * </ul>
 * Before the kill, a connection the client closes first gets the server's FIN back through the
 * guard (the application's own close is marked). After it, the guard is still there (it outlived
 * the JVM); a new primary on node1 replaces the stale chain (one rule per port, one jump), and its
 * clean stop (SIGTERM) removes chain and jump.
 *
 * <p>Mutation checks (each done once, by hand, JDK 17): with the guard's jump deleted from OUTPUT
 * just before the kill, all 16 connections printed EOF within 100 ms of the kill (well within 1 s;
 * the "no client may see" assertion failed); with the hook's mark set to 0 the connection the
 * client closed first got no FIN from the server within 5 s ({@code NO-SERVER-FIN}, and the
 * client's counting rule saw 0 packets).
 */
@Privileged
class ProcessDeathGuardIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = 16;
    private static final int QUIET_SECONDS = 5;
    private static final String APP = "dev.understudy.apps.BlockingKvServer";
    private static final String CHAIN = CloseGuard.chainName(1);
    private static final Pattern DROPPED = Pattern.compile("(?m)^\\s*(\\d+)\\s+\\d+\\s+DROP\\b");
    private static final Pattern COUNTED = Pattern.compile("(?m)^\\s*(\\d+)\\s+\\d+\\s+ACCEPT\\b.*198\\.18\\.0\\.100");

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    @ParameterizedTest
    @MethodSource("javas")
    @Timeout(value = 6, unit = TimeUnit.MINUTES)
    void shouldKeepEveryClientConnectedAndSilentAfterThePrimaryIsKilled(Path java) throws Exception {
        Path work = Files.createTempDirectory("us-guard-");
        try (Lab lab = Lab.up(1)) {
            LabCluster cluster = new LabCluster(lab, work);
            Iptables node1 = Iptables.inNamespace(lab.namespace("node1"));
            List<String> options = List.of("-Dunderstudy.degraded=serve");
            Process probe = null;
            try {
                LabApps.Server primary = cluster.start(1, "primary", java, LabApps.appsClassPath(), APP, options);
                String expected = String.join("\n", "-N " + CHAIN, "-A " + CHAIN + " -p tcp -m tcp --sport " + PORT
                    + " ! --tcp-flags FIN,RST NONE -m mark ! --mark 0x75 -j DROP",
                    // output commit (on by default): what passes the guard waits in node 1's output queue
                    "-A " + CHAIN + " -p tcp -m tcp --sport " + PORT + " -j NFQUEUE --queue-num "
                        + (dev.understudy.agent.Configuration.OUTPUT_NFQUEUE_BASE + 1)) + "\n";
                assertEquals(expected, node1.listChain("filter", CHAIN));
                assertEquals(1, jumps(node1), node1.list("filter"));
                assertTrue(Files.readString(primary.log()).contains("close guard installed: chain " + CHAIN), LabApps.tail(primary.log()));

                // counts what reaches the client from the service port with FIN or RST
                lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "iptables-legacy", "-w", "5", "-A", "INPUT", "-s", Lab.VIP, "-p", "tcp",
                    "--sport", Integer.toString(PORT), "!", "--tcp-flags", "FIN,RST", "NONE", "-j", "ACCEPT").check();

                Path probeLog = work.resolve("probe.log");
                probe = lab.spawn(Lab.CLIENT, Lab.java(List.of(), GuardProbe.class.getName(), lab.vip(), Integer.toString(PORT),
                    Integer.toString(CONNECTIONS)), probeLog);
                LabApps.awaitLine(probeLog, "READY", probe, Duration.ofSeconds(60));
                assertTrue(Files.readString(probeLog).lines().anyMatch(l -> l.startsWith("SERVER-FIN ")),
                    "the application's own close must send its FIN through the guard: " + Files.readString(probeLog));
                assertEquals(1, counted(lab), "the server's FIN of the connection the client closed first");
                lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "iptables-legacy", "-w", "5", "-Z", "INPUT").check();
                assertEquals(0, dropped(lab), "nothing dropped while the application runs");

                long killedAt = System.currentTimeMillis();
                primary.kill(); // SIGKILL: no shutdown hook, no close in the agent
                assertFalse(primary.process().isAlive());
                OutputStream commands = probe.getOutputStream();
                commands.write("SEND\n".getBytes(StandardCharsets.UTF_8));
                commands.flush();
                LabApps.awaitLine(probeLog, "SENT", probe, Duration.ofSeconds(10));
                Thread.sleep(TimeUnit.SECONDS.toMillis(QUIET_SECONDS));

                String seen = Files.readString(probeLog);
                assertTrue(seen.lines().noneMatch(l -> l.startsWith("EOF ") || l.startsWith("RESET ")),
                    "no client may see the dead JVM's close (killed at " + killedAt + "):\n" + seen);
                String ss = lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "ss", "-Htn", "state", "established", "dst", Lab.VIP)
                    .check().output();
                assertEquals(CONNECTIONS, ss.lines().filter(l -> l.contains(":" + PORT)).count(), "ESTABLISHED in the client:\n" + ss);
                assertEquals(0, counted(lab), "segments with FIN or RST from the VIP at the client");
                long drops = dropped(lab);
                System.out.printf("GUARD %s: %d connections quiet for %d s after SIGKILL, the guard dropped %d FIN/RST; %s%n",
                    java.getParent().getParent().getFileName(), CONNECTIONS, QUIET_SECONDS, drops,
                    seen.lines().filter(l -> l.startsWith("SERVER-FIN ")).findFirst().orElse(""));
                assertTrue(drops >= CONNECTIONS, "the guard dropped the kernel's FINs for every connection: " + drops);
                assertEquals(expected, node1.listChain("filter", CHAIN), "the guard outlives the JVM");

                probe.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                // a primary that starts on node1 again replaces the stale chain; its clean stop removes it
                LabApps.Server again = cluster.start(1, "primary", java, LabApps.appsClassPath(), APP, options);
                assertEquals(expected, node1.listChain("filter", CHAIN), "the stale chain replaced, not doubled");
                assertEquals(1, jumps(node1), node1.list("filter"));
                again.stop();
                assertFalse(again.process().isAlive(), "stopped by SIGTERM");
                assertFalse(node1.chainExists("filter", CHAIN), "a clean stop removes the guard: " + node1.list("filter"));
                assertEquals(0, jumps(node1), node1.list("filter"));
            } finally {
                if (probe != null) {
                    probe.destroyForcibly();
                }
                cluster.stopAll();
                cluster.deleteAeronDirs();
                node1.removeChain("filter", CHAIN, CloseGuard.jump(1, Lab.VIP));
                assertFalse(node1.chainExists("filter", CHAIN), "no guard left behind");
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    private static long jumps(Iptables node) throws Exception {
        return node.list("filter").lines().filter(l -> l.startsWith("-A OUTPUT") && l.endsWith("-j " + CHAIN)).count();
    }

    /** Packets the guard's DROP rule has counted on node1. */
    private static long dropped(Lab lab) throws Exception {
        String out = lab.exec("node1", Duration.ofSeconds(10), "iptables-legacy", "-w", "5", "-L", CHAIN, "-v", "-x", "-n")
            .check().output();
        Matcher m = DROPPED.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no DROP rule in " + CHAIN + ":\n" + out);
        }
        return Long.parseLong(m.group(1));
    }

    /** Packets with FIN or RST from the VIP's service port that reached the client (its counting rule). */
    private static long counted(Lab lab) throws Exception {
        String out = lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "iptables-legacy", "-w", "5", "-L", "INPUT", "-v", "-x", "-n")
            .check().output();
        Matcher m = COUNTED.matcher(out);
        if (!m.find()) {
            throw new AssertionError("no counting rule in the client's INPUT:\n" + out);
        }
        return Long.parseLong(m.group(1));
    }
}
