package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Planned switchover (live migration) and back, in the lab, for each sample app (NioKvServer in
 * {@code .ci/run}; BlockingKvServer and HttpCounterServer, serial, with {@code -Dunderstudy.it.app=Blocking}
 * or {@code Http}), with 64 connections streaming through
 * the VIP the whole time: node1 is primary, node2 and node3 clones. The JMX operation
 * {@code switchover} (through {@code understudy-agent.jar --invoke}, as {@code ./understudy
 * switchover} runs it) moves the service to node3, which the election would not pick on its own
 * (node2 is as far along and has the lower id): node1 holds client input until node3 has
 * acknowledged everything, names it, drops the VIP and retires its sockets silently; node3 is
 * elected (epoch 2) and rebuilds all 64 connections; node2 follows it. node1 is then restarted as
 * a clone with an empty journal, catches up, and the service is moved back to it from node3 (an
 * elected primary, whose hand-off goes through its election): epoch 3, 64 rebuilt again. At the
 * end LoadClient must report 0 errors (no reset, no EOF, no mismatch, INCR continuity), node2's
 * {@code DUMP} must equal node1's, and the takeover command ({@code understudy.takeover.command})
 * must have run once per event: node1 stopped and node3 primary (epoch 2), node3 stopped and node1
 * primary (epoch 3).
 *
 * <p>Mutation checks (2026-12-02): while the input commit still released durable input during the
 * hold (the first version: {@code InputCommit.onDurable} releases on its own), the application
 * never went quiet, the switchover was called off after 10 s and the test failed on the
 * operation's answer; and while node1 dropped the VIP at the hand-off (its heartbeats leave from the
 * VIP's address, and stopped with it) the clones waited a failure timeout, node2 won and the test
 * failed there too. With the named successor ignored
 * ({@code ElectionNode.candidacyDelay} not standing at once for it) node3 still won once, by the
 * draw of the jitter (after 1,166 ms instead of 305 ms): that rule is
 * {@code ElectionNodeTest}'s to check.
 */
@Privileged
class SwitchoverIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = 64;
    private static final int RATE = 40;
    private static final int ADMIN_PORT = 7001;

    static Stream<Arguments> apps() {
        return Stream.of(
            Arguments.of("dev.understudy.apps.NioKvServer", "kv", 4, "input-order"),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial"),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, "serial"))
            .filter(a -> ((String) a.get()[0]).contains(System.getProperty("understudy.it.app", "")))
            // .ci/run: NioKvServer (the 25-minute budget); the other two with -Dunderstudy.it.app=Blocking or Http
            .filter(a -> ((String) a.get()[0]).endsWith("NioKvServer") || !System.getProperty("understudy.it.app", "").isEmpty());
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("apps")
    @Timeout(value = 15, unit = TimeUnit.MINUTES)
    void shouldMoveEveryConnectionToTheNamedCloneAndBackWithoutAClientError(String app, String protocol, int pipeline,
                                                                             String determinism) throws Exception {
        Path work = Files.createTempDirectory("us-switchover-");
        Path jdk = Jvm.JAVA_17;
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            // the takeover command (a VIP moved through an API) notes every node's events in one file
            Path events = work.resolve("takeover-events");
            List<String> opts = List.of("-Dunderstudy.determinism=" + determinism, "-Dapps.admin.port=" + ADMIN_PORT,
                "-Dunderstudy.takeover.command=echo \"$1 node$UNDERSTUDY_NODE epoch $UNDERSTUDY_EPOCH $UNDERSTUDY_VIP\" >> '"
                    + events + "'");
            try {
                LabApps.Server[] nodes = cluster.startPrimaryAndTwoClones(jdk, app, opts);
                List<String> args = new ArrayList<>(LabApps.loadArgs(protocol, lab.vip() + ":" + PORT, CONNECTIONS,
                    1_000_000, pipeline, 11, false));
                // long enough for both switchovers and node1's restart and catch-up between them (about 40 s
                // here, alone on the machine), not so long that the test waits for nothing
                long seconds = 70;
                args.addAll(List.of("--record-dir", work.resolve("load").toString(), "--duration", seconds + "s",
                    "--allow-duration-stop", "--rate", Integer.toString(RATE), "--reply-timeout", "30s"));
                CompletableFuture<LabApps.LoadRun> load = cluster.loadInBackground(args, Duration.ofSeconds(seconds + 120));
                Thread.sleep(3_000);

                // there: node1 (the configured primary, no election of its own yet) to node3
                switchOver(lab, cluster, nodes, 1, 3, 2, load);
                cluster.awaitEquals(2, "epoch", 2, Duration.ofSeconds(60));
                assertEquals(1, cluster.status(1).get("handed over (planned switchover)"));
                assertFalse(vipOn(lab, 1), "node1 dropped the VIP");

                // node1 rejoins as a clone (a restart with an empty journal) and catches up
                nodes[1].kill();
                cluster.servers.remove(nodes[1]);
                Files.move(nodes[1].log(), nodes[1].log().resolveSibling("first-" + nodes[1].log().getFileName()));
                RecordingChecks.deleteTree(cluster.journal(1));
                Files.deleteIfExists(cluster.journal(1).resolveSibling("journal-1.election"));
                nodes[1] = cluster.start(1, "clone", jdk, LabApps.appsClassPath(), app, opts);
                cluster.awaitEquals(1, "epoch", 2, Duration.ofSeconds(90));
                cluster.awaitAtLeast(1, "replay applied position", cluster.status(3).get("journal position"),
                    Duration.ofMinutes(3));
                Thread.sleep(3_000);

                // and back: node3 (an elected primary: the hand-off goes through its election) to node1
                switchOver(lab, cluster, nodes, 3, 1, 3, load);
                cluster.awaitEquals(2, "epoch", 3, Duration.ofSeconds(60));
                assertFalse(vipOn(lab, 3), "node3 dropped the VIP");
                Thread.sleep(3_000);

                LabApps.LoadRun run = load.get(seconds + 180, TimeUnit.SECONDS);
                String logs = Stream.of(1, 2, 3).map(n -> "--- node" + n + ":\n" + LabApps.tail(nodes[n].log()))
                    .reduce("", String::concat);
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n" + logs);
                assertEquals(0, run.errors(), run::toString);
                String vip = lab.vip();
                java.util.Set<String> expected = java.util.Set.of("stopped node1 epoch 1 " + vip, "primary node3 epoch 2 " + vip,
                    "stopped node3 epoch 2 " + vip, "primary node1 epoch 3 " + vip);
                long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (!(Files.exists(events) && new java.util.HashSet<>(Files.readAllLines(events)).equals(expected))
                    && System.nanoTime() < until) {
                    Thread.sleep(100);
                }
                assertEquals(expected, Files.exists(events) ? new java.util.HashSet<>(Files.readAllLines(events)) : java.util.Set.of(),
                    "the takeover command's events");
                double[] gaps = run.connections().stream().mapToDouble(LabApps.LoadConnection::maxGapMs).sorted().toArray();
                System.out.printf("SWITCHOVER %s: %d requests, 0 errors; longest gap per connection over both switchovers"
                    + " p50 %.1f ms, p99 %.1f ms, max %.1f ms%n", app, run.completed(), gaps[gaps.length / 2],
                    gaps[(int) (gaps.length * 0.99)], gaps[gaps.length - 1]);
                long published = cluster.awaitStable(1, "journal position");
                cluster.awaitAtLeast(2, "replay applied position", published, Duration.ofMinutes(3));
                Map<String, Long> s = cluster.status(2);
                assertEquals(0, s.get("replay divergences"), () -> "node2: " + s + "\n" + logs);
                assertEquals(0, s.get("replay errors"), () -> "node2: " + s + "\n" + logs);
                assertEquals(LabApps.adminDump(lab, Lab.node(1), ADMIN_PORT, Duration.ofSeconds(30)),
                    LabApps.adminDump(lab, Lab.node(2), ADMIN_PORT, Duration.ofSeconds(30)), "node2's DUMP against node1's");
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    /** Runs the switchover operation on {@code from}'s JVM and checks that {@code to} took every connection. */
    private static void switchOver(Lab lab, LabCluster cluster, LabApps.Server[] nodes, int from, int to, long epoch,
                                   CompletableFuture<LabApps.LoadRun> load) throws Exception {
        assertFalse(load.isDone(), () -> "the load ended before the switchover: " + load.join().problems() + " "
            + load.join().firstErrors());
        long t0 = System.nanoTime();
        Host.Result res = lab.exec(Lab.node(from), Duration.ofSeconds(90), Jvm.JAVA_17.toString(), "-jar",
            Jvm.agentJar().toString(), "--invoke", Long.toString(nodes[from].process().pid()), "switchover", "node" + to);
        long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        String logs = "--- node" + from + ":\n" + LabApps.tail(nodes[from].log()) + "\n--- node" + to + ":\n"
            + LabApps.tail(nodes[to].log());
        assertEquals(0, res.exitCode(), () -> res + "\n" + logs);
        assertTrue(res.output().contains("switched over: node " + to + " is primary of epoch " + epoch), () -> res + "\n" + logs);
        cluster.awaitAtLeast(to, "switchover connections rebuilt", 1, Duration.ofSeconds(30));
        Map<String, Long> st = cluster.status(to);
        System.out.printf("SWITCHOVER node%d -> node%d (epoch %d) in %d ms: %d rebuilt, %d reset; %s; %s%n", from, to, epoch,
            ms, st.get("switchover connections rebuilt"), st.get("switchover connections reset"), res.output().trim(),
            FailoverIT.switchoverLine(nodes[to].log()));
        assertEquals(CONNECTIONS, st.get("switchover connections rebuilt"), () -> st + "\n" + logs);
        assertEquals(0, st.get("switchover connections reset"), () -> st + "\n" + logs);
    }

    private static boolean vipOn(Lab lab, int node) throws Exception {
        Host.Result r = lab.exec(Lab.node(node), Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show");
        return r.output().contains(" " + lab.vip() + "/");
    }
}
