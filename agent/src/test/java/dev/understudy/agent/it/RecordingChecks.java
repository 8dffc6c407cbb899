package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.LabApps;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.CRC32C;

/**
 * The checks of the primary's recording (issue "Primary recording"), run on the journals of the
 * clones after each of {@link CloneReplayIT}'s agreeing runs — the same lab, the same load: each
 * sample app on JDK 17 and JDK 25 in node1 as primary, node2 and node3 as clones, LoadClient's 32
 * connections × 20,000 requests through the VIP, strict verdict. Also the lab ITs' small file
 * helpers.
 *
 * <p>Mutation check (done once): with {@code RecordingHook.onWrite} computing the CRC over one byte
 * less, every app failed here at its first output range ("CRC-32C of output range
 * Write[offset=0, count=19, ...]"); {@link InputCommitIT} holds the mutation check for the input
 * commit.
 */
final class RecordingChecks {
    private RecordingChecks() {
    }

    /**
     * The journal checks of the primary's recording, from each clone's journal alone (after the
     * nodes stopped): every connection's inbound stream rebuilt from SEGMENTs has the SHA-256 of
     * what LoadClient sent, the APP_READ chunks add up to it with contiguous offsets and a global
     * read order 1, 2, 3..., every APP_WRITE range's CRC-32C equals that range of what LoadClient
     * received, EOF and close are recorded, one TCP_INFO per connection, no sequence gap.
     */
    static void assertJournalsHoldTheRecording(LabCluster cluster, List<LabApps.LoadConnection> connections, Path load,
                                               int expectedConnections) throws IOException {
        assertEquals(expectedConnections, connections.size());
        for (int node = 2; node <= 3; node++) {
            JournalStreams journal = JournalStreams.read(cluster.journal(node));
            assertEquals(0, journal.sequenceGaps, "sequence gaps in node" + node + "'s journal");
            assertEquals(0, journal.readOrderErrors, "APP_READ global order is 1, 2, 3... in node" + node);
            assertEquals(expectedConnections, journal.tcpInfos, "one TCP_INFO per accepted connection in node" + node);
            assertEquals(expectedConnections, journal.connections.size(), "connections in node" + node + "'s journal");
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
}

    static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Removes a directory tree; with {@code -Dunderstudy.it.keep=true} (debugging by hand only) a
     * test's work directory ({@code us-*}) is left in place and its path printed, for its node logs:
     * delete it yourself. Anything else (a journal a test wipes) is always removed.
     */
    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        if (Boolean.getBoolean("understudy.it.keep") && root.getFileName().toString().startsWith("us-")) { // a test's work dir only
            System.out.println("KEPT " + root + " (-Dunderstudy.it.keep=true): delete it by hand");
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : (Iterable<Path>) walk.sorted((a, b) -> b.getNameCount() - a.getNameCount())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
