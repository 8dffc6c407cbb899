package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * Failover after failover, in the lab: node1 is primary, node2 and node3 clones, and LoadClient's
 * 64 connections stream through the VIP for the whole test. Each round SIGKILLs the current
 * primary's JVM; a clone is elected (epoch + 1), rebuilds every connection and records and
 * replicates under the new epoch; the other clone follows it; the killed node is started again
 * as a clone with an empty journal, finds the new primary by its heartbeats, catches up from the
 * beginning and replays everything, so that the next round has a majority to elect from. The
 * same 64 connections live through every round: at the end LoadClient must report no error (no
 * reset, no EOF, no mismatch, INCR continuity), every clone 0 divergences, and every clone's
 * {@code DUMP} must equal the last primary's.
 *
 * <p>Rounds: {@code -Dunderstudy.it.rounds} (default 2, the second failover to the third node;
 * ten with {@code -Dunderstudy.it.rounds=10}). The load is paced ({@code --rate}) so that a
 * restarted clone can catch up while it runs. Failure: {@code -Dunderstudy.it.failure=kill} (the
 * default: SIGKILL of the primary's JVM) or {@code link} (machine loss: the primary node's link goes
 * down; once the others have moved on, the lost node is "rebooted": its JVM killed, the VIP it may
 * still hold removed, its link up again, and it comes back as a clone).
 *
 * <p>Mutation check (done once, 2026-12-02): with the follower never switching to the new primary
 * ({@code CloneNode.onSynced} ignoring the winner), round 1 ended with the other clone at epoch 1
 * and the test failed there.
 */
@Privileged
class FailoverRoundsIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = Integer.getInteger("understudy.it.connections", 64);
    private static final int ROUNDS = Integer.getInteger("understudy.it.rounds", 2);
    /** Requests a second per connection. */
    private static final int RATE = Integer.getInteger("understudy.it.rate", 40);
    private static final int ADMIN_PORT = 7001;
    /** How long the connections stream between two failovers, at least. */
    private static final long STREAM_MS = 3_000;
    private static final String FAILURE = System.getProperty("understudy.it.failure", "kill");

    static Stream<Arguments> apps() {
        return Stream.of(
            Arguments.of("dev.understudy.apps.NioKvServer", "kv", 4, "input-order"),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial"),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, "serial"))
            .filter(a -> ((String) a.get()[0]).contains(System.getProperty("understudy.it.app", "")))
            // BlockingKvServer (serial mode) is not in the default run: its rounds grow to minutes (each restarted clone
            // replays the whole journal), and ten have not passed yet (8 did; README). Run it with -Dunderstudy.it.app=Blocking
            .filter(a -> !((String) a.get()[0]).endsWith("BlockingKvServer")
                || System.getProperty("understudy.it.app", "").startsWith("Blocking"))
            // HttpCounterServer likewise: -Dunderstudy.it.app=Http
            .filter(a -> !((String) a.get()[0]).endsWith("HttpCounterServer")
                || System.getProperty("understudy.it.app", "").startsWith("Http"));
    }

    @ParameterizedTest(name = "{0} {3}")
    @MethodSource("apps")
    @Timeout(value = 30, unit = TimeUnit.MINUTES)
    void shouldKeepEveryConnectionThroughFailoverAfterFailover(String mainClass, String protocol, int pipeline,
                                                              String determinism) throws Exception {
        Path work = Files.createTempDirectory("us-rounds-");
        Path java = Jvm.JAVA_17;
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<String> opts = List.of("-Dunderstudy.determinism=" + determinism, "-Dapps.admin.port=" + ADMIN_PORT);
            try {
                // the lab's nodes set tcp_orphan_retries=1, as the README asks: a killed primary's node keeps its
                // client sockets as orphans (their FINs dropped by the close guard, retried), which hold the
                // 4-tuples; at the default (about 100 s) node1, winning round 2 30 s after it was killed, could
                // rebuild none of the 64 (repair-mode connect: EADDRNOTAVAIL), and SOCK_DESTROY does nothing to an orphan
                LabApps.Server[] nodes = cluster.startPrimaryAndTwoClones(java, mainClass, opts);
                List<String> args = new ArrayList<>(LabApps.loadArgs(protocol, lab.vip() + ":" + PORT, CONNECTIONS,
                    1_000_000, pipeline, 7, false));
                // each round takes about 20-40 s here (3 s of streaming, the failover, the restart and catch-up); with
                // BlockingKvServer (serial) the restarted clone's replay of the whole journal grows to minutes: ten rounds
                // ran out of load in round 6 at 40 s a round and in round 9 at 100 s (the load ends at its duration;
                // the test waits for it)
                long seconds = 40L + ROUNDS * (mainClass.endsWith("BlockingKvServer") ? 160L : 40L);
                args.addAll(List.of("--record-dir", work.resolve("load").toString(), "--duration", seconds + "s",
                    "--allow-duration-stop", "--rate", Integer.toString(RATE), "--reply-timeout", "30s"));
                CompletableFuture<LabApps.LoadRun> load = cluster.loadInBackground(args, Duration.ofSeconds(seconds + 120));
                int primary = 1;
                for (int round = 1; round <= ROUNDS; round++) {
                    long epoch = round + 1;
                    Thread.sleep(STREAM_MS);
                    final int current = primary;
                    assertTrue(!load.isDone(), () -> "the load ended before the failover: " + load.join().problems() + " "
                        + load.join().firstErrors() + Stream.of(1, 2, 3).map(n -> "\n--- node" + n + ": " + cluster.status(n)
                        + "\n" + LabApps.tail(nodes[n].log())).reduce("", String::concat) + "\nprimary node" + current
                        + "'s sockets:\n" + FailoverIT.sockets(lab, current));
                    int killed = primary;
                    if (FAILURE.equals("link")) {
                        lab.exec(Lab.node(killed), Duration.ofSeconds(10), "ip", "link", "set", Lab.INTERFACE, "down").check();
                    } else {
                        nodes[primary].kill();
                        cluster.servers.remove(nodes[primary]);
                    }
                    int winner = awaitPrimary(cluster, killed, epoch, Duration.ofSeconds(90), nodes);
                    Map<String, Long> st = cluster.status(winner);
                    System.out.printf("ROUND %d: node%d %s, node%d primary of epoch %d: %d rebuilt, %d reset; %s%n", round,
                        killed, FAILURE.equals("link") ? "lost its link" : "killed", winner, epoch, st.get("switchover connections rebuilt"), st.get("switchover connections reset"),
                        FailoverIT.switchoverLine(nodes[winner].log()));
                    assertEquals(CONNECTIONS, st.get("switchover connections rebuilt"), st::toString);
                    assertEquals(0, st.get("switchover connections reset"), st::toString);
                    int other = 6 - killed - winner;
                    cluster.awaitEquals(other, "epoch", epoch, Duration.ofSeconds(60));

                    if (FAILURE.equals("link")) {
                        // the lost machine reboots: its JVM and the VIP it still held are gone, its link is back
                        nodes[killed].kill();
                        cluster.servers.remove(nodes[killed]);
                        lab.exec(Lab.node(killed), Duration.ofSeconds(10), "ip", "addr", "del", lab.vip() + "/32", "dev",
                            Lab.INTERFACE); // absent if the node had dropped it already
                        lab.exec(Lab.node(killed), Duration.ofSeconds(10), "ip", "link", "set", Lab.INTERFACE, "up").check();
                        // IPv4 flushes a device's routes when it goes down: the lab's multicast route comes back by hand
                        lab.exec(Lab.node(killed), Duration.ofSeconds(10), "ip", "route", "replace", Lab.MULTICAST_RANGE, "dev",
                            Lab.INTERFACE).check();
                    }
                    // the killed node comes back as a clone with an empty journal and finds the new primary
                    Files.move(nodes[killed].log(), nodes[killed].log().resolveSibling("round" + round + "-" + nodes[killed].log()
                        .getFileName()));
                    RecordingChecks.deleteTree(cluster.journal(killed));
                    Files.deleteIfExists(cluster.journal(killed).resolveSibling("journal-" + killed + ".election"));
                    nodes[killed] = cluster.start(killed, "clone", java, LabApps.appsClassPath(), mainClass, opts);
                    try {
                        cluster.awaitEquals(killed, "epoch", epoch, Duration.ofSeconds(90));
                    } catch (AssertionError e) {
                        throw new AssertionError(e.getMessage() + "\n" + LabApps.tail(nodes[killed].log()) + "\n--- node" + winner
                            + ":\n" + LabApps.tail(nodes[winner].log()), e);
                    }
                    long position = cluster.status(winner).get("journal position");
                    cluster.awaitAtLeast(killed, "replay applied position", position, Duration.ofMinutes(4));
                    System.out.printf("ROUND %d: node%d back as a clone, replayed to %d%n", round, killed, position);
                    primary = winner;
                }
                LabApps.LoadRun run = load.get(seconds + 180, TimeUnit.SECONDS);
                final int last = primary;
                String logs = Stream.of(1, 2, 3).map(n -> "--- node" + n + ":\n" + LabApps.tail(nodes[n].log()))
                    .reduce("", String::concat);
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n" + logs);
                assertEquals(0, run.errors(), run::toString);
                long published = cluster.awaitStable(last, "journal position");
                String dump = LabApps.adminDump(lab, Lab.node(last), ADMIN_PORT, Duration.ofSeconds(30));
                for (int node = 1; node <= 3; node++) {
                    if (node == last) {
                        continue;
                    }
                    final int n = node;
                    cluster.awaitAtLeast(node, "replay applied position", published, Duration.ofMinutes(4));
                    Map<String, Long> s = cluster.status(node);
                    assertEquals(0, s.get("replay divergences"), () -> "node" + n + ": " + s + "\n" + logs);
                    assertEquals(0, s.get("replay errors"), () -> "node" + n + ": " + s + "\n" + logs);
                    assertEquals(dump, LabApps.adminDump(lab, Lab.node(node), ADMIN_PORT, Duration.ofSeconds(30)),
                        "node" + node + "'s DUMP against the primary's (node" + last + ")");
                }
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    /** The live node other than {@code killed} whose status says it is primary of {@code epoch}. */
    private static int awaitPrimary(LabCluster cluster, int killed, long epoch, Duration timeout, LabApps.Server[] nodes)
        throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (int node = 1; node <= 3; node++) {
                Map<String, Long> s = cluster.status(node);
                if (node != killed && s.getOrDefault("role (1 primary, 2 clone)", 0L) == 1 && s.getOrDefault("epoch", 0L) == epoch
                    && s.getOrDefault("switchover connections rebuilt", 0L) + s.getOrDefault("switchover connections reset", 0L) > 0) {
                    return node;
                }
            }
            Thread.sleep(50);
        }
        StringBuilder sb = new StringBuilder("no node became primary of epoch " + epoch + " after node" + killed + " was killed");
        for (int node = 1; node <= 3; node++) {
            sb.append("\nnode").append(node).append(": ").append(cluster.status(node)).append("\n")
                .append(LabApps.tail(nodes[node].log()));
        }
        throw new AssertionError(sb.toString());
    }
}
