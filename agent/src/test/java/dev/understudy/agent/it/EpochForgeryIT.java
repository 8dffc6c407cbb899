package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.transport.aeron.ReplicationConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With the default configuration (no {@code understudy.secret}), ten unsigned frames of a higher
 * epoch sent by any host on the replication group ({@link EpochForger}, node id 60)
 * must not take the service down: a second LoadClient run must still pass and both clones'
 * journals reach the primary's position.
 *
 * <p>The forger runs in {@code client}, a host that reaches the group but is not the primary, with
 * its own sender id. Mutation check: before the clones took data frames only from the configured
 * primary's sender id ({@code ReplicationConfig.primaryNodeId}), this failed (observed 2026-12-01,
 * JDK 17, forger in node1): the clones adopted
 * epoch 2 from the forger and fenced the real primary ("frames rejected (stale epoch)" = 8 per clone),
 * the primary's durable position stopped, and since the clones still heartbeat the input commit held
 * the second run's SYNs forever (0 of 1,024 requests sent). A forger that also forges the primary's
 * sender id is only stopped by a secret (see {@link MalformedInputIT}).
 */
@Privileged
class EpochForgeryIT {
    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shouldKeepServingAfterUnsignedFramesOfAHigherEpochFromAnotherHost() throws Exception {
        Path work = Files.createTempDirectory("us-epoch-forgery-");
        String forgerAeron = null;
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            forgerAeron = "/dev/shm/understudy-" + lab.name() + "-epoch-forger";
            try {
                for (int node = 2; node <= 3; node++) {
                    cluster.start(node, "clone", Jvm.JAVA_17, LabApps.appsClassPath(), "dev.understudy.apps.NioKvServer", List.of());
                }
                LabApps.Server primary = cluster.start(1, "primary", Jvm.JAVA_17, LabApps.appsClassPath(),
                    "dev.understudy.apps.NioKvServer", List.of());
                LabCluster.awaitJoined(primary, 2);
                LabCluster.awaitJoined(primary, 3);
                LabApps.LoadRun before = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(),
                    LabApps.loadArgs("kv", lab.vip() + ":" + LabCluster.PORT, 2, 500, 1, 1, false), Duration.ofMinutes(2));
                assertTrue(before.ok(), () -> "LoadClient before: " + before.problems());

                String forgerHost = lab.address(Lab.CLIENT);
                List<String> options = new ArrayList<>(List.of(
                    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "-D" + ReplicationConfig.GROUP_PROP + "=239.255.0.1", "-D" + ReplicationConfig.DATA_PORT_PROP + "=40456",
                    "-D" + ReplicationConfig.INTERFACE_PROP + "=" + forgerHost + "/32",
                    "-D" + ReplicationConfig.AERON_DIR_PROP + "=" + forgerAeron));
                Host.Result forged = lab.exec(Lab.CLIENT, Duration.ofSeconds(60),
                    Lab.java(options, EpochForger.class.getName(), lab.name(), forgerHost).toArray(new String[0]));
                assertTrue(forged.output().contains("forged=10"), forged.output());

                // its own keys: the first run's counters are still in the server
                List<String> afterArgs = new ArrayList<>(LabApps.loadArgs("kv", lab.vip() + ":" + LabCluster.PORT, 2, 500, 1, 99,
                    false));
                afterArgs.addAll(List.of("--key-prefix", "after"));
                LabApps.LoadRun after = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), afterArgs, Duration.ofMinutes(2));
                assertTrue(after.ok(), () -> "LoadClient after the forged frames: " + after.problems() + " "
                    + cluster.status(1) + " " + cluster.status(2));
                long published = cluster.awaitStable(1, "journal position");
                for (int node = 2; node <= 3; node++) {
                    cluster.awaitAtLeast(node, "journal position", published, Duration.ofSeconds(30));
                }
                Map<String, Long> status = cluster.status(1);
                assertEquals(published, status.get("durable position (k=quorum)"), status::toString);
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
            if (forgerAeron != null) {
                RecordingChecks.deleteTree(Path.of(forgerAeron));
            }
        }
    }
}
