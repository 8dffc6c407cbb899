package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The primary's recording, end to end in the lab: an unmodified test app runs in node1 with
 * {@code -javaagent:understudy-agent.jar=role=primary}; node2 and node3 run the same app with
 * {@code role=clone} (journal + acknowledgements; replay into the app is not in this version).
 * LoadClient in {@code client} drives it through the VIP and must report no error by its strict
 * judge. Then, from each clone's journal alone, every connection's inbound byte stream is rebuilt
 * and compared (SHA-256) with what LoadClient sent on it; the application's APP_READ chunks add up
 * to exactly that stream; and every APP_WRITE range's CRC-32C equals the CRC of the same range of
 * what LoadClient received.
 *
 * <p>Mutation check (done once): with {@code RecordingHook.onWrite} computing the CRC over one byte
 * less, every app failed here at its first output range ("CRC-32C of output range
 * Write[offset=0, count=19, ...]"); {@link InputCommitIT} holds the mutation check for the input
 * commit.
 *
 * <p>Request count per connection: {@code -Dunderstudy.it.requests} (default 20,000 as the
 * acceptance asks).
 */
@Privileged
class PrimaryRecordingIT {
    private static final int PORT = LabCluster.PORT;
    private static final int CONNECTIONS = 32;
    private static final long REQUESTS = Long.getLong("understudy.it.requests", 20_000);

    /** Each sample app on JDK 17 and on JDK 25 (the test JVM is 17; the app JVMs are started with each). */
    static Stream<Arguments> apps() {
        return Jvm.javas().flatMap(java -> Stream.of(
            Arguments.of("dev.understudy.apps.NioKvServer", "kv", 4, java),
            Arguments.of("dev.understudy.apps.BlockingKvServer", "kv", 4, java),
            Arguments.of("dev.understudy.apps.HttpCounterServer", "http", 1, java)));
    }

    @ParameterizedTest(name = "{0} on {3}")
    @MethodSource("apps")
    @Timeout(value = 10, unit = TimeUnit.MINUTES)
    void shouldRecordEveryByteOfEveryConnectionOnBothClones(String mainClass, String protocol, int pipeline, Path java)
        throws Exception {
        Path work = Files.createTempDirectory("us-recording-");
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<LabApps.LoadConnection> connections;
            try {
                for (int node = 2; node <= 3; node++) {
                    cluster.start(node, "clone", java, LabApps.appsClassPath(), mainClass, List.of());
                }
                LabApps.Server primary = cluster.start(1, "primary", java, LabApps.appsClassPath(), mainClass, List.of());
                for (int node = 2; node <= 3; node++) {
                    LabCluster.awaitJoined(primary, node);
                }

                Path record = work.resolve("load");
                List<String> args = new ArrayList<>(LabApps.loadArgs(protocol, lab.vip() + ":" + PORT, CONNECTIONS,
                    REQUESTS, pipeline, 7, false));
                args.addAll(List.of("--record-dir", record.toString(), "--duration", "300s"));
                LabApps.LoadRun run = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(6));
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n"
                    + LabApps.tail(primary.log()));
                assertEquals(0, run.exitCode());
                // the seeded streams plus each connection's final GETs of its own and the shared keys
                assertTrue(run.expected() >= CONNECTIONS * REQUESTS, "expected " + run.expected());
                assertEquals(run.expected(), run.completed());
                assertEquals(run.expected(), run.sent());
                assertEquals(0, run.errors());
                connections = run.connections();

                // Every record the primary published reaches both clones' journals.
                long published = cluster.awaitStable(1, "journal position");
                for (int node = 2; node <= 3; node++) {
                    cluster.awaitAtLeast(node, "journal position", published, Duration.ofSeconds(30));
                }
                Map<String, Long> status = cluster.status(1);
                assertEquals(0, status.get("ring full"), status::toString);
                assertEquals(0, status.get("agent errors"), status::toString);
                assertEquals(CONNECTIONS, status.get("connections opened"), status::toString);
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }

            assertEquals(CONNECTIONS, connections.size());
            Path load = work.resolve("load");
            for (int node = 2; node <= 3; node++) {
                JournalStreams journal = JournalStreams.read(cluster.journal(node));
                assertEquals(0, journal.sequenceGaps, "sequence gaps in node" + node + "'s journal");
                assertEquals(0, journal.readOrderErrors, "APP_READ global order is 1, 2, 3... in node" + node);
                assertEquals(CONNECTIONS, journal.tcpInfos, "one TCP_INFO per accepted connection in node" + node);
                assertEquals(CONNECTIONS, journal.connections.size(), "connections in node" + node + "'s journal");
                for (LabApps.LoadConnection c : connections) {
                    int port = c.localPort();
                    JournalStreams.Conn conn = journal.byClientPort(port);
                    String where = "node" + node + ", client port " + port;
                    assertTrue(conn != null, "no connection in the journal for " + where);
                    byte[] sent = Files.readAllBytes(c.sentFile(load));
                    byte[] received = Files.readAllBytes(c.receivedFile(load));
                    assertEquals(c.sentSha256(), sha256(sent), "the record file is what the client sent, " + where);
                    assertEquals(c.receivedSha256(), sha256(received), where);
                    byte[] inbound = conn.inboundBytes();
                    assertEquals(sha256(sent), sha256(inbound), "inbound stream rebuilt from SEGMENTs, " + where);
                    assertEquals(sent.length, conn.readBytes, "APP_READ chunks add up to the bytes read, " + where);
                    assertEquals(0, conn.readOffsetErrors, "APP_READ stream offsets are contiguous, " + where);
                    assertEquals(0, conn.writeOffsetErrors, "APP_WRITE stream offsets are contiguous, " + where);
                    assertTrue(conn.eof && conn.closed, "EOF read and the app's close recorded, " + where);
                    assertEquals(received.length, conn.writtenBytes, "APP_WRITE ranges cover the output, " + where);
                    for (JournalStreams.Write w : conn.writes) {
                        CRC32C crc = new CRC32C();
                        crc.update(received, (int) w.offset(), w.count());
                        assertEquals(w.crc(), (int) crc.getValue(), "CRC-32C of output range " + w + ", " + where);
                    }
                }
            }
        } finally {
            deleteTree(work);
        }
    }

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
