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
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Timeout;

/**
 * Failover in the lab, end to end: the same unmodified app runs in node1 as primary and in node2
 * and node3 as clones; LoadClient in {@code client} streams requests on 64 connections through the
 * VIP; mid-stream the primary fails: its JVM is killed (SIGKILL, its node's kernel alive: the
 * close guard keeps the kernel's FINs and RSTs from reaching the clients), or node1's link goes
 * down (machine loss: nothing it sends reaches anyone). A clone takes over — holds the VIP's traffic, applies its journal, rebuilds every
 * connection with TCP_REPAIR under its application's own fds, takes the VIP, releases — and
 * LoadClient, the strict judge, must finish with every request answered in order: no reset, no
 * EOF, no mismatch, completed == expected, INCR continuity (each connection's counter goes on
 * where it was), and the shared keys' final values consistent with the order of requests.
 */
@Privileged
class FailoverIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = Integer.getInteger("understudy.it.connections", 64);
    private static final long REQUESTS = Long.getLong("understudy.it.requests", 10_000);
    /**
     * Requests per connection for HttpCounterServer (one at a time per connection, not pipelined):
     * 10,000 took 230 s of .ci/run's 25 minutes; 4,000 still stream for about a minute after the failover.
     */
    private static final long HTTP_REQUESTS = Long.getLong("understudy.it.requests", 4_000);
    private static final int ADMIN_PORT = 7001;
    /** How long the connections stream before the failure, once the journal has 20,000 records. */
    private static final long STREAM_BEFORE_FAILURE_MS = 1_000;

    static Stream<Arguments> apps() {
        return Stream.of(
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial", Jvm.JAVA_17, "kill"),
            Arguments.of("dev.understudy.apps.NioKvServer", "kv", 4, "input-order", Jvm.JAVA_17, "kill"),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, "serial", Jvm.JAVA_17, "kill"),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial", Jvm.JAVA_17, "link"),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial", Jvm.JAVA_17, "pause"))
            .filter(a -> ((String) a.get()[0]).contains(System.getProperty("understudy.it.app", ""))
                && ((String) a.get()[5]).contains(System.getProperty("understudy.it.failure", "")))
            // The pause case and HttpCounterServer ran on demand until output commit: without it, in 2 of 6 runs of
            // the pause case a few connections (7, 21 of 64) timed out (the woken primary's application answered
            // requests it had read before the pause, before the fence landed, and for shared keys differently from
            // the new primary), and in 1 of 6 HttpCounterServer runs one connection read a malformed reply (a
            // response the primary had begun to send, regenerated with the new node's clock). That is the mutation
            // check of output commit here (-Dunderstudy.it.nodeOptions=-Dunderstudy.output.commit=off to repeat it).
            // NioKvServer's kill is round 1 of FailoverRoundsIT in .ci/run (the same failover, then more): here on
            // demand, -Dunderstudy.it.app=Nio (the 25-minute budget)
            .filter(a -> !((String) a.get()[0]).endsWith("NioKvServer") || System.getProperty("understudy.it.app", "").startsWith("Nio"));
    }

    @ParameterizedTest(name = "{0} {3} on {4}, {5}")
    @MethodSource("apps")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldKeepEveryConnectionWhenThePrimaryFails(String mainClass, String protocol, int pipeline, String determinism,
                                                      Path java, String failure) throws Exception {
        Path work = Files.createTempDirectory("us-failover-");
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<String> opts = new ArrayList<>(List.of("-Dunderstudy.determinism=" + determinism,
                "-Dapps.admin.port=" + ADMIN_PORT));
            try {
                LabApps.Server[] nodes = cluster.startPrimaryAndTwoClones(java, mainClass, opts);
                Path record = work.resolve("load");
                List<String> args = new ArrayList<>(LabApps.loadArgs(protocol, lab.vip() + ":" + PORT, CONNECTIONS,
                    protocol.equals("http") ? HTTP_REQUESTS : REQUESTS, pipeline, 7, false));
                args.addAll(List.of("--record-dir", record.toString(), "--duration", "300s", "--shared-appends", "4",
                    "--reply-timeout", "30s"));
                CompletableFuture<LabApps.LoadRun> load = CompletableFuture.supplyAsync(() -> {
                    try {
                        return LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(6));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                while (cluster.status(1).getOrDefault("journal position", 0L) < 20_000 && !load.isDone()
                    && System.nanoTime() < deadline) {
                    Thread.sleep(20);
                }
                Thread.sleep(STREAM_BEFORE_FAILURE_MS);
                Map<String, Long> before = cluster.status(1);
                // what a failure timeout must outlast: the longest silence each node heard from another so far
                String gapsBefore = Stream.of(1, 2, 3).map(n -> "node" + n + " " + cluster.status(n)
                    .getOrDefault("longest heartbeat gap (us)", -1000L) / 1000 + " ms").collect(Collectors.joining(", "));
                // output commit (on by default): the replies so far left node1 through its output queue
                assertTrue(System.getProperty("understudy.it.nodeOptions", "").contains("output.commit=off")
                    || before.getOrDefault("output segments released", 0L) > 0, () -> "output commit idle: " + before);
                assertTrue(!load.isDone(), () -> "the load ended before the failure: " + load.join().problems() + " "
                    + load.join().firstErrors() + "\n" + LabApps.tail(nodes[2].log()) + "\n---\n" + LabApps.tail(nodes[3].log()));
                long pid = nodes[1].process().pid();
                if (failure.equals("kill")) {
                    // the JVM only: its node's kernel stays up, and the close guard keeps its FINs and RSTs in
                    nodes[1].kill();
                } else if (failure.equals("pause")) {
                    // a pause longer than the failure timeout (a long GC, a starved VM): a clone takes over, then
                    // the old primary wakes up; it must stop serving, drop the VIP and never answer a client again
                    new ProcessBuilder("kill", "-STOP", Long.toString(pid)).inheritIO().start().waitFor();
                    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                    while (winner(cluster) == 0 && System.nanoTime() < until) {
                        Thread.sleep(50);
                    }
                    new ProcessBuilder("kill", "-CONT", Long.toString(pid)).inheritIO().start().waitFor();
                } else {
                    // machine loss: nothing node1 sends reaches anyone any more
                    lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "link", "set", Lab.INTERFACE, "down");
                }
                LabApps.LoadRun run = load.get(7, TimeUnit.MINUTES);
                int winner = winner(cluster);
                String logs = LabApps.tail(nodes[2].log()) + "\n---\n" + LabApps.tail(nodes[3].log()) + "\n--- node1:\n"
                    + LabApps.tail(nodes[1].log()) + "\nnode1 now: " + cluster.status(1);
                assertTrue(winner > 0, () -> "no clone took over; LoadClient " + run.problems() + "\nprimary: " + before
                    + "\nnode2: " + cluster.status(2) + "\n" + logs);
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\nprimary: "
                    + before + "\n" + logs + "\nnode" + winner + ": " + cluster.status(winner) + "\n" + sockets(lab, winner));
                assertEquals(0, run.errors(), run::toString);
                assertEquals(run.expected(), run.completed());
                Map<String, Long> st = cluster.status(winner);
                double[] gaps = run.connections().stream().mapToDouble(LabApps.LoadConnection::maxGapMs).sorted().toArray();
                System.out.printf("FAILOVER %s node%d: %d rebuilt, %d reset; longest gap per connection p50 %.1f ms, p99 %.1f ms,"
                        + " max %.1f ms; longest heartbeat gap heard before the failure: %s; %s%n", mainClass, winner,
                    st.get("switchover connections rebuilt"), st.get("switchover connections reset"), gaps[gaps.length / 2],
                    gaps[(int) (gaps.length * 0.99)], gaps[gaps.length - 1], gapsBefore, switchoverLine(nodes[winner].log()));
                assertEquals(CONNECTIONS, st.get("switchover connections rebuilt"), st::toString);
                assertEquals(0, st.get("switchover connections reset"), st::toString);
                {
                    // the new primary records and replicates under epoch 2, and the other clone follows it: it
                    // applies the winner's records (the reads of the input re-injected at the switchover, the output
                    // beyond the old primary's last APP_WRITE, the held segments, everything after; in serial mode
                    // its turns, values and timer runs too), checks its output against them and ends with the
                    // winner's state
                    int follower = 5 - winner;
                    long published = cluster.awaitStable(winner, "journal position");
                    assertTrue(published > before.get("journal position"), () -> "the new primary recorded nothing: "
                        + published + "\n" + logs);
                    cluster.awaitAtLeast(follower, "replay applied position", published, Duration.ofMinutes(3));
                    Map<String, Long> fs = cluster.status(follower);
                    assertEquals(2, fs.get("epoch"), () -> "node" + follower + ": " + fs);
                    assertEquals(0, fs.get("replay divergences"), () -> "node" + follower + ": " + fs + "\n" + logs);
                    assertEquals(0, fs.get("replay errors"), () -> "node" + follower + ": " + fs + "\n" + logs);
                    System.out.printf("FOLLOW node%d: %s; node%d: %s; %s%n", winner, logLine(nodes[winner].log(), "recording "),
                        follower, logLine(nodes[follower].log(), ", primary of epoch "), fs);
                    String dump = LabApps.adminDump(lab, Lab.node(winner), ADMIN_PORT, Duration.ofSeconds(30));
                    assertEquals(dump, LabApps.adminDump(lab, Lab.node(follower), ADMIN_PORT, Duration.ofSeconds(30)),
                        "node" + follower + "'s DUMP against the new primary's");
                }
                if (failure.equals("pause")) {
                    // Mutation check (done once, 2026-12-01): with the fence removed (PrimaryNode.higherPrimary()
                    // taken as 0), the run failed before these lines: 6 connections timed out, the old primary,
                    // awake and unfenced, still holding the VIP
                    cluster.awaitEquals(1, "fenced (a higher epoch's primary seen)", 1, Duration.ofSeconds(30));
                    String addrs = lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "-4", "addr", "show", "dev",
                        Lab.INTERFACE).output();
                    assertTrue(!addrs.contains(lab.vip() + "/"), "the fenced node1 still holds the VIP: " + addrs);
                }
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    /** The new primary's client sockets with their TCP state ({@code ss -tino}), for a failure's message. */
    static String sockets(Lab lab, int node) {
        try {
            return lab.exec(Lab.node(node), Duration.ofSeconds(10), "ss", "-tino", "state", "established", "src", lab.vip())
                .output();
        } catch (Exception e) {
            return "(ss failed: " + e + ")";
        }
    }

    /** The agent's summary line of the switchover, from a node's log. */
    static String switchoverLine(Path log) throws java.io.IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains("[switchover]") && l.contains("is primary of epoch"))
            .findFirst().orElse("(no switchover line)");
    }

    /** The first line of a node's log that contains {@code text}. */
    static String logLine(Path log, String text) throws java.io.IOException {
        return Files.readAllLines(log).stream().filter(l -> l.contains(text)).findFirst().orElse("(no line with " + text + ")");
    }

    /** The node (2 or 3) whose status says it became primary, or 0. */
    private static int winner(LabCluster cluster) {
        for (int node = 2; node <= 3; node++) {
            if (cluster.status(node).getOrDefault("role (1 primary, 2 clone)", 0L) == 1) {
                return node;
            }
        }
        return 0;
    }
}
