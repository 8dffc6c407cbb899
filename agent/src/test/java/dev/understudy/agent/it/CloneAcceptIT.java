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
import java.util.List;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A clone's application accepts the replayed connections through its own {@code accept()} on
 * both paths — {@code ServerSocket.accept} and {@code ServerSocketChannel.accept}, on two service
 * ports at once — and sees the real client's address and port, the same as the primary's
 * application saw ({@link PeerApp} prints them), not the loopback peer the replayer uses; and
 * it echoes the same bytes (0 divergences). Mutation check (done once): without
 * {@code ReplayHook.onAcceptedImpl} the clone's {@code ServerSocket} path printed 127.0.0.1 and
 * this test failed.
 */
@Privileged
class CloneAcceptIT {
    private static final Pattern PEER = Pattern.compile("(?m)^peer (\\d+) (\\S+)$");

    static java.util.stream.Stream<Path> javas() {
        return Jvm.javas();
    }

    @ParameterizedTest
    @MethodSource("javas")
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shouldShowTheCloneAppTheRealClientOnBothAcceptPaths(Path java) throws Exception {
        Path work = Files.createTempDirectory("us-accept-");
        try (Lab lab = Lab.up(2)) {
            LabCluster cluster = new LabCluster(lab, work);
            cluster.ports = LabCluster.PORT + "," + (LabCluster.PORT + 2);
            List<String> opts = List.of();
            try {
                LabApps.Server clone = cluster.start(2, "clone", java, Jvm.testClasses().toString(), PeerApp.class.getName(),
                    opts);
                LabApps.Server primary = cluster.start(1, "primary", java, Jvm.testClasses().toString(),
                    PeerApp.class.getName(), opts);
                LabCluster.awaitJoined(primary, 2);
                for (int port : new int[] {LabCluster.PORT, LabCluster.PORT + 2}) {
                    for (int i = 0; i < 3; i++) {
                        Host.Result r = lab.exec(Lab.CLIENT, Duration.ofSeconds(20), "bash", "-c",
                            "exec 3<>/dev/tcp/" + lab.vip() + "/" + port + " && printf 'hello " + i + "\\n' >&3"
                                + " && head -c 8 <&3");
                        assertEquals(0, r.exitCode(), r.toString());
                        assertEquals("hello " + i + "\n", r.output(), r.toString());
                    }
                }
                cluster.awaitAtLeast(2, "replay connections", 6, Duration.ofSeconds(30));
                long published = cluster.awaitStable(1, "journal position");
                cluster.awaitAtLeast(2, "replay applied position", published, Duration.ofSeconds(60));
                cluster.awaitAtLeast(2, "replay verified output bytes", 6 * 8, Duration.ofSeconds(30));
                TreeSet<String> seenByPrimary = peers(primary.log());
                TreeSet<String> seenByClone = peers(clone.log());
                assertEquals(6, seenByPrimary.size(), seenByPrimary::toString);
                for (String p : seenByPrimary) {
                    assertTrue(p.contains(" " + lab.address(Lab.CLIENT) + ":"), "the primary saw the client: " + p);
                }
                assertEquals(seenByPrimary, seenByClone, "the clone's application sees the primary's peers");
                assertEquals(0, cluster.status(2).get("replay divergences"));
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    private static TreeSet<String> peers(Path log) throws java.io.IOException {
        TreeSet<String> out = new TreeSet<>();
        Matcher m = PEER.matcher(Files.readString(log));
        while (m.find()) {
            out.add(m.group(1) + " " + m.group(2));
        }
        return out;
    }
}
