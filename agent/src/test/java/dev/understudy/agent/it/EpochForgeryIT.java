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
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * With the default configuration (no {@code understudy.secret}), ten unsigned frames of a higher
 * epoch sent by any host on the replication group ({@link EpochForger}, node id 60, in node1)
 * must not take the service down: a second LoadClient run must still pass and both clones'
 * journals reach the primary's position.
 *
 * <p>Disabled because it fails on this commit (observed 2026-12-01, JDK 17): the clones adopt
 * epoch 2 from the forger ({@code ReplicationClone.onDataFrame}: a frame of a higher epoch is
 * accepted from any sender and fences the real primary, "frames rejected (stale epoch)" = 8 per
 * clone), the primary's "durable position" stops (3,092 while its journal is at 3,108, "segments
 * held" 14; the clones journal and report "acked position" 3,108, but the primary's "clone N acked
 * position" stays at 3,092), and since the clones still heartbeat, {@code InputCommit} never declares degraded:
 * the second LoadClient run sent 0 of 1,024 requests (its SYNs are held forever). With a secret
 * set, the same frames are rejected for authentication (see {@link MalformedInputIT}).
 */
@Privileged
@Disabled("fails on this commit: unsigned higher-epoch frames fence the real primary; see the class Javadoc")
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

                String node1 = lab.address(Lab.node(1));
                List<String> options = new ArrayList<>(List.of(
                    "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
                    "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
                    "-D" + ReplicationConfig.GROUP_PROP + "=239.255.0.1", "-D" + ReplicationConfig.DATA_PORT_PROP + "=40456",
                    "-D" + ReplicationConfig.INTERFACE_PROP + "=" + node1 + "/32",
                    "-D" + ReplicationConfig.AERON_DIR_PROP + "=" + forgerAeron));
                Host.Result forged = lab.exec(Lab.node(1), Duration.ofSeconds(60),
                    Lab.java(options, EpochForger.class.getName(), lab.name(), node1).toArray(new String[0]));
                assertTrue(forged.output().contains("forged=10"), forged.output());

                LabApps.LoadRun after = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(),
                    LabApps.loadArgs("kv", lab.vip() + ":" + LabCluster.PORT, 2, 500, 1, 99, false), Duration.ofMinutes(2));
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
            PrimaryRecordingIT.deleteTree(work);
            if (forgerAeron != null) {
                PrimaryRecordingIT.deleteTree(Path.of(forgerAeron));
            }
        }
    }
}
