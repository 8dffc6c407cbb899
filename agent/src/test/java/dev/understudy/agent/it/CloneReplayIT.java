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
import java.util.HashMap;
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
 * Clone replay, end to end in the lab: the same unmodified app runs in node1 as primary and in
 * node2 and node3 as clones; LoadClient in {@code client} drives the primary through the VIP.
 * Each clone's agent re-injects its journal into its own copy of the app. After the load, for
 * every connection, the bytes the clone's app wrote (SHA-256 over the whole stream, from the
 * clone's replay report) equal what LoadClient received from the primary, every one of the
 * primary's APP_WRITE ranges was checked on the clone (verified bytes = bytes received), and no
 * divergence is reported; and each clone's application, asked directly on its admin port, has the
 * primary's state ({@code DUMP}), with shared keys that every connection APPENDs to so that the
 * state depends on the order of requests across connections.
 *
 * <p>{@link #shouldDetectDivergenceWithoutTheDeterminismLayer} is the same run with the
 * determinism layer off ({@code input-order}) on the two multi-threaded apps: there the clones
 * must report divergence. Mutation check (done once, 1,000 requests): with
 * {@code ReplayConnection.verify} taking every range as equal, the HttpCounterServer case failed
 * (0 divergences: its responses differ only in bytes, never in length), while BlockingKvServer
 * still diverged through the second check, the total output length ("INT 9" against "INT 10").
 *
 * <p>Every run also checks the primary's recording in both clones' journals
 * ({@link RecordingChecks#assertJournalsHoldTheRecording}).
 *
 * <p>Request count per connection: {@code -Dunderstudy.it.requests} (default 4,000, half of it on JDK 25;
 * 20,000 for a longer run; the divergence cases, which only need to show that divergence is found, run a
 * tenth of it, at least 1,000).
 */
@Privileged
class CloneReplayIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = 32;
    private static final long REQUESTS = Long.getLong("understudy.it.requests", 4_000);
    /** Shared keys every connection APPENDs to: the final state depends on the order of requests across connections. */
    private static final int SHARED_APPENDS = 4;
    /** Each app's out-of-band admin port (not a service port: neither recorded nor replayed). */
    private static final int ADMIN_PORT = 7001;
    /** Runs of BlockingKvServer's timer in serial mode. */
    private static final int TICKS = 300;

    static Stream<Arguments> apps() {
        return Jvm.javas().flatMap(java -> Stream.of(
            Arguments.of("dev.understudy.apps.NioKvServer", "kv", 4, "input-order", java),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial", java),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, "serial", java)));
    }

    static Stream<Arguments> divergent() {
        return Stream.of(
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, "input-order", Jvm.JAVA_17),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, "input-order", Jvm.JAVA_17))
            // .ci/run: HttpCounterServer, whose divergence only the byte check finds; BlockingKvServer's with
            // -Dunderstudy.it.app=Blocking (the 25-minute budget)
            .filter(a -> ((String) a.get()[0]).endsWith("HttpCounterServer")
                || System.getProperty("understudy.it.app", "").startsWith("Blocking"));
    }

    @ParameterizedTest(name = "{0} {3} on {4}")
    @MethodSource("apps")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldWriteOnEveryCloneWhatTheClientReceivedFromThePrimary(String mainClass, String protocol, int pipeline,
                                                                    String determinism, Path java) throws Exception {
        Run r = run(mainClass, protocol, pipeline, determinism, java, List.of());
        assertClonesAgree(r);
        // Input goes ahead of the application (the gate keeps the primary's order) only where it
        // reads on threads that never select: thread per connection, the HTTP server's pool.
        // Mutation check (done once, JDK 17, 5,000 requests per connection): with the gate always
        // open, BlockingKvServer and HttpCounterServer failed (turns overlapped, one was lost, and
        // the replay stopped near the start: applied position 879 of 286,155); NioKvServer passed
        // (it never reads ahead).
        boolean selectorReads = mainClass.endsWith("NioKvServer");
        for (int node = 2; node <= 3; node++) {
            Map<String, Long> status = r.status.get(node);
            assertEquals(0, status.get("replay gate timeouts"), status::toString);
            // Mutation check (done once, JDK 17, 5,000 requests per connection): with timer turns
            // off on the clones (their timers run on their own), BlockingKvServer's DUMP on node2
            // differed from the primary's.
            assertEquals(mainClass.endsWith("BlockingKvServer") ? TICKS : 0, status.get("replay timer runs"),
                "timer runs granted on node" + node);
            if (selectorReads) {
                assertEquals(0, status.get("replay grants given out ahead"), status::toString);
            } else {
                assertTrue(status.get("replay grants given out ahead") > 0, status::toString);
            }
        }
    }

    /**
     * Apply policy {@code periodic} with a period longer than the run: mid-load the clones have
     * applied only up to the last characteristic event (the connections' opens), far behind their
     * journals; after the load an explicit re-injection ({@code applyAll}, the JMX operation, run
     * with {@code understudy-agent.jar --invoke} in each clone's namespace) brings them to the
     * same state and output as the primary. (The connections' closes at the end of the load are
     * characteristic events too, so most of what was held back is applied there; {@code applyAll}
     * applies what follows the last close.)
     */
    @org.junit.jupiter.api.Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldAgreeWithPeriodicApplyAfterAFinalReinjection() throws Exception {
        Step behind = (lab, cluster, clones) -> {
            for (int node = 2; node <= 3; node++) {
                Map<String, Long> st = cluster.status(node);
                assertTrue(st.get("replay applied position") + 10_000 < st.get("journal position"),
                    "periodic apply: node" + node + " should hold records back mid-load: " + st);
            }
        };
        Step reinject = (lab, cluster, clones) -> {
            for (int node = 2; node <= 3; node++) {
                dev.understudy.lab.Host.Result res = lab.exec(Lab.node(node), Duration.ofSeconds(60), Jvm.JAVA_17.toString(),
                    "-jar", Jvm.agentJar().toString(), "--invoke", Long.toString(clones[node].process().pid()), "applyAll");
                assertEquals(0, res.exitCode(), res::toString);
                assertTrue(res.output().contains("applying up to journal sequence"), res.output());
            }
        };
        assertClonesAgree(run("dev.understudy.apps.BlockingKvServer", "kv", 4, "serial", Jvm.JAVA_17,
            List.of("-Dunderstudy.apply.policy=periodic", "-Dunderstudy.checkpoint.interval=1h"), REQUESTS, behind, reinject));
    }

    private static void assertClonesAgree(Run r) {
        for (int node = 2; node <= 3; node++) {
            Map<String, Long> status = r.status.get(node);
            String log = r.logs.get(node);
            assertEquals(0, status.get("replay divergences"), () -> status + "\nprimary: " + r.primaryStatus + "\n" + log);
            assertEquals(0, status.get("replay errors"), () -> status + "\n" + log);
            assertEquals(r.received, status.get("replay verified output bytes"), status::toString);
            assertEquals(CONNECTIONS, status.get("replay connections"), status::toString);
            assertTrue(r.primaryDump.startsWith("DUMP "), r.primaryDump);
            assertEquals(r.primaryDump, r.dumps.get(node), "node" + node + "'s application state (DUMP) against the primary's");
            Map<Integer, String[]> report = r.reports.get(node);
            for (LabApps.LoadConnection c : r.connections) {
                String[] line = report.get(c.localPort());
                String where = "node" + node + ", client port " + c.localPort();
                assertTrue(line != null, "no replay report line for " + where + ": " + report.keySet());
                assertEquals(c.receivedSha256(), line[3], "SHA-256 of the clone's output, " + where);
                assertEquals("same", line[4], where);
            }
        }
    }

    @ParameterizedTest(name = "{0} {3} on {4}")
    @MethodSource("divergent")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldDetectDivergenceWithoutTheDeterminismLayer(String mainClass, String protocol, int pipeline,
                                                          String determinism, Path java) throws Exception {
        Run r = run(mainClass, protocol, pipeline, determinism, java, List.of(), Math.max(1000, REQUESTS / 10), null, null);
        for (int node = 2; node <= 3; node++) {
            Map<String, Long> status = r.status.get(node);
            assertTrue(status.get("replay divergences") > 0, () -> "node" + status + ": no divergence detected");
            long marked = r.reports.get(node).values().stream().filter(f -> f[4].startsWith("diverged@")).count();
            assertEquals(status.get("replay diverged connections"), marked, "connections marked diverged in the report");
        }
    }

    /** What a run leaves: LoadClient's view, and each clone's status, log tail and replay report. */
    static final class Run {
        List<LabApps.LoadConnection> connections;
        long received;
        final Map<Integer, Map<String, Long>> status = new HashMap<>();
        final Map<Integer, String> logs = new HashMap<>();
        final Map<Integer, Map<Integer, String[]>> reports = new HashMap<>();
        String primaryDump;
        Map<String, Long> primaryStatus;
        final Map<Integer, String> dumps = new HashMap<>();
    }

    /** Something done to the running cluster (mid-load, or once the load is over). */
    interface Step {
        void accept(Lab lab, LabCluster cluster, LabApps.Server[] clones) throws Exception;
    }

    static Run run(String mainClass, String protocol, int pipeline, String determinism, Path java, List<String> extra)
        throws Exception {
        // JDK 25: half as many (the replay is the same code; what differs there is the JDK's socket classes)
        return run(mainClass, protocol, pipeline, determinism, java, extra, java == Jvm.JAVA_25 ? REQUESTS / 2 : REQUESTS,
            null, null);
    }

    static Run run(String mainClass, String protocol, int pipeline, String determinism, Path java, List<String> extra,
                   long requests, Step midLoad, Step afterLoad) throws Exception {
        Path work = Files.createTempDirectory("us-replay-");
        Run r = new Run();
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<String> opts = new ArrayList<>(List.of("-Dunderstudy.determinism=" + determinism,
                "-Dapps.admin.port=" + ADMIN_PORT));
            if (mainClass.endsWith("BlockingKvServer") && "serial".equals(determinism)) {
                // a timer (300 runs, every 10 ms from the first accept) appends the key count to
                // "ticks": its runs are turns of their own, granted on the clones in the primary's
                // place; the DUMPs compare the result
                opts.add("-Dapps.ticks=" + TICKS);
            }
            opts.addAll(extra);
            try {
                LabApps.Server[] clones = cluster.startClones(java, mainClass, opts);
                LabApps.Server primary = cluster.start(1, "primary", java, LabApps.appsClassPath(), mainClass, opts);
                for (int node = 2; node <= 3; node++) {
                    LabCluster.awaitJoined(primary, node);
                }
                Path record = work.resolve("load");
                List<String> args = new ArrayList<>(LabApps.loadArgs(protocol, lab.vip() + ":" + PORT, CONNECTIONS,
                    requests, pipeline, 7, false));
                args.addAll(List.of("--record-dir", record.toString(), "--duration", "300s",
                    "--shared-appends", Integer.toString(SHARED_APPENDS)));
                CompletableFuture<LabApps.LoadRun> load = CompletableFuture.supplyAsync(() -> {
                    try {
                        return LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(6));
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                });
                if (midLoad != null) {
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
                    while (cluster.status(1).get("journal position") < 50_000 && !load.isDone()
                        && System.nanoTime() < deadline) {
                        Thread.sleep(50);
                    }
                    assertTrue(!load.isDone(), "the load ended before the mid-load step");
                    midLoad.accept(lab, cluster, clones);
                }
                LabApps.LoadRun run = load.get(7, TimeUnit.MINUTES);
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n"
                    + LabApps.tail(primary.log()));
                r.connections = run.connections();
                for (LabApps.LoadConnection c : r.connections) {
                    r.received += Files.size(c.receivedFile(record));
                }
                long published = cluster.awaitStable(1, "journal position");
                r.primaryStatus = cluster.status(1);
                if (afterLoad != null) {
                    afterLoad.accept(lab, cluster, clones);
                }
                for (int node = 2; node <= 3; node++) {
                    cluster.awaitAtLeast(node, "replay applied position", published, Duration.ofMinutes(3));
                    cluster.awaitStable(node, "replay verified output bytes");
                    r.status.put(node, cluster.status(node));
                    r.logs.put(node, LabApps.tail(clones[node].log()));
                }
                r.primaryDump = LabApps.adminDump(lab, Lab.node(1), ADMIN_PORT, Duration.ofSeconds(30));
                for (int node = 2; node <= 3; node++) {
                    r.dumps.put(node, LabApps.adminDump(lab, Lab.node(node), ADMIN_PORT, Duration.ofSeconds(30)));
                }
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
            for (int node = 2; node <= 3; node++) {
                r.reports.put(node, report(cluster.journal(node)));
            }
            RecordingChecks.assertJournalsHoldTheRecording(cluster, r.connections, work.resolve("load"), CONNECTIONS);
            return r;
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    /** The clone's replay report: client port → {id, client, bytes, sha256, same|diverged@offset}. */
    static Map<Integer, String[]> report(Path journal) throws java.io.IOException {
        Path file = journal.resolveSibling(journal.getFileName() + "-replay-output.tsv");
        Map<Integer, String[]> out = new HashMap<>();
        if (!Files.exists(file)) {
            return out;
        }
        for (String line : Files.readAllLines(file)) {
            String[] f = line.split("\t");
            int port = Integer.parseInt(f[1].substring(f[1].lastIndexOf(':') + 1));
            out.put(port, f);
        }
        return out;
    }
}
