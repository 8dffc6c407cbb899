package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Json;
import dev.understudy.lab.LabApps;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load client as a judge: each check it makes is shown to catch its failure, against a
 * small deliberately misbehaving server on loopback ({@link FakeServer}), next to a control
 * run showing the same server without the fault passes. Each test comment says how the check
 * was seen failing: the check was broken once in {@code LoadClient}, the test failed, the check
 * was restored. After each test no client or fake-server thread and no extra TCP socket is left.
 */
@Timeout(60)
class LoadClientJudgeTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private long socketsBefore;

    @BeforeEach
    void countSockets() throws IOException {
        socketsBefore = tcpSockets().size();
    }

    @AfterEach
    void shouldLeaveNoThreadOrSocketBehind() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<String> threads = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("load-client") || n.startsWith("fake-server")).toList();
            List<String> sockets = tcpSockets();
            if (threads.isEmpty() && sockets.size() <= socketsBefore) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("left behind: threads " + threads + ", TCP sockets " + sockets
                    + " (before: " + socketsBefore + ")");
            }
            Thread.sleep(20);
        }
    }

    /** The TCP sockets this JVM holds open (Linux): their lines of /proc/net/tcp and tcp6. */
    private static List<String> tcpSockets() throws IOException {
        Set<String> inodes = new HashSet<>();
        try (var fds = Files.list(Path.of("/proc/self/fd"))) {
            for (Path fd : fds.toList()) {
                try {
                    String link = Files.readSymbolicLink(fd).toString();
                    if (link.startsWith("socket:[")) {
                        inodes.add(link.substring(8, link.length() - 1));
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        }
        List<String> tcp = new java.util.ArrayList<>();
        for (String table : List.of("/proc/self/net/tcp", "/proc/self/net/tcp6")) {
            for (String line : Files.readAllLines(Path.of(table))) {
                String[] f = line.trim().split("\\s+");
                if (f.length > 9 && inodes.contains(f[9])) {
                    tcp.add(line.trim());
                }
            }
        }
        return tcp;
    }

    private static LoadClient.Config config(int port, int connections, long requests) {
        return LoadClient.Config.defaults("127.0.0.1", port).withLoad(connections, requests, 1).withSeed(3)
            .withReplyTimeout(Duration.ofSeconds(5));
    }

    /** One connection of 400 requests appending to one shared log {@code j.sharedlog.0}. */
    private static LoadClient.Config logConfig(int port) {
        return config(port, 1, 400).withSharedAppends(1).withKeyPrefix("j");
    }

    private static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    // Mutation check: with the trailing read's count forced to 0 the test failed (ok true,
    // trailingBytes 0); with the bytes already buffered behind the last reply not counted
    // (drainTrailing starting at 0), it failed with trailingBytes 1 of 2.
    @Test
    @Timeout(20)
    void shouldCountTrailingBytesAfterLastReplyAsAnErrorOfThatConnection() throws Exception {
        long expected = 20 + 8 + 4;
        LoadClient.Summary control;
        try (FakeServer s = FakeServer.kv((c, n, line, right, out) -> right + "\n")) {
            control = LoadClient.run(config(s.port(), 2, 20));
        }
        assertTrue(control.ok(), control.toJson());

        LoadClient.Summary r;
        try (FakeServer s = FakeServer.kv((c, n, line, right, out) -> {
            if (n < expected) {
                return right + "\n";
            }
            if (c == 0) {
                return right + "\nINT 99\n"; // in the same segment as the last reply: already buffered
            }
            out.write((right + "\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
            Thread.sleep(50);
            return "EXTRA\n"; // a moment later
        })) {
            r = LoadClient.run(config(s.port(), 2, 20));
        }
        assertEquals(2, r.trailingBytes(), r.toJson());
        assertEquals(2, r.errors(), r.toJson());
        assertEquals(0, r.mismatches(), r.toJson());
        assertEquals(2 * expected, r.completed());
        assertEquals(r.expected(), r.sent());
        assertFalse(r.ok());
        Set<Long> bytes = new HashSet<>();
        for (LoadClient.Connection c : r.perConnection()) {
            bytes.add(c.trailingBytes());
            assertTrue(c.firstError().contains("no request asked for"), c.firstError());
        }
        assertEquals(Set.of((long) "INT 99\n".length(), (long) "EXTRA\n".length()), bytes);
    }

    // Mutation check: with the watchdog never expiring an operation, the write blocked until the
    // fake server gave up after 15 s and the run counted a reset, not a write timeout (failed at
    // 15.3 s); with failed() ignoring the watchdog's mark, the write on the socket the watchdog
    // closed was counted as an other error, not a write timeout (failed).
    @Test
    @Timeout(20)
    void shouldEndAWriteThatStallsBecauseTheServerStopsReadingAsAWriteTimeoutWithinTheBound() throws Exception {
        LoadClient.Summary r;
        long t0 = System.nanoTime();
        try (FakeServer s = FakeServer.start((socket, c) -> {
            // read nothing, ever: the client's pipelined writes fill both buffers and block
            Thread.sleep(15_000);
        }, 4096)) {
            r = LoadClient.run(config(s.port(), 1, 1_000_000).withLoad(1, 1_000_000, 4096)
                .withReplyTimeout(Duration.ofMillis(500)).withSendBuffer(4096));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertEquals(1, r.writeTimeouts(), r.toJson());
        assertEquals(1, r.timeouts(), r.toJson());
        assertEquals(1, r.errors(), r.toJson());
        assertFalse(r.ok());
        assertTrue(r.perConnection().get(0).sentBytesUnconfirmed() > 0, r.toJson());
        assertTrue(r.firstErrors().get(0).contains("write timeout"), r.firstErrors().toString());
        assertTrue(ms < 5000, "bounded by the reply timeout: " + ms + " ms");
    }

    // Mutation check: with the watchdog never expiring an operation, the trickled reply was
    // only judged late once complete (by endOp's own elapsed check), after 1.6 s, and the test
    // failed on the bound; with that elapsed check removed too, the reply was accepted and the
    // test failed on the bound (2.3 s). (endOp's check alone removed: the watchdog still ends
    // the reply, the test passes: the check is a second guard against the watchdog's tick.)
    @Test
    @Timeout(20)
    void shouldCountAReplyThatTricklesInSlowerThanTheReplyTimeoutAsATimeout() throws Exception {
        LoadClient.Summary r;
        long t0 = System.nanoTime();
        try (FakeServer s = FakeServer.kv((c, n, line, right, out) -> {
            if (n == 3) {
                // a byte every 300 ms: each read returns within the 400 ms socket timeout
                for (byte b : (right + "\n").getBytes(StandardCharsets.UTF_8)) {
                    out.write(b);
                    out.flush();
                    Thread.sleep(300);
                }
                return "";
            }
            return right + "\n";
        })) {
            r = LoadClient.run(config(s.port(), 1, 10).withReplyTimeout(Duration.ofMillis(400)));
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        assertTrue(ms < 1500, "the watchdog ends the reply at the reply timeout: " + ms + " ms");
        assertEquals(1, r.timeouts(), r.toJson());
        assertEquals(0, r.writeTimeouts(), r.toJson());
        assertEquals(1, r.errors(), r.toJson());
        assertEquals(2, r.completed(), r.toJson());
        assertFalse(r.ok());
    }

    // Mutation check: with "reset"/"broken pipe" not recognised the test failed (resets 0,
    // otherErrors 1).
    @Test
    @Timeout(20)
    void shouldCountAResetAfterSomeRepliesAsAReset() throws Exception {
        LoadClient.Summary r;
        try (FakeServer s = FakeServer.start((socket, c) -> {
            InputStream in = socket.getInputStream();
            OutputStream out = socket.getOutputStream();
            KvProtocol.Session session = new KvProtocol.Session(new KvStore());
            ByteArrayOutputStream replies = new ByteArrayOutputStream();
            int b;
            while (session.requests() < 5 && (b = in.read()) >= 0) {
                session.receive(new byte[] {(byte) b}, 0, 1, replies);
                out.write(replies.toByteArray());
                replies.reset();
            }
            socket.setSoLinger(true, 0); // close() now sends an RST
        })) {
            r = LoadClient.run(config(s.port(), 1, 100));
        }
        assertEquals(1, r.resets(), r.toJson());
        assertEquals(1, r.errors(), r.toJson());
        assertEquals(5, r.completed(), r.toJson());
        assertFalse(r.ok());
    }

    // Mutation check: with the final shared GET's lower-than-seen check removed the test failed
    // (ok true, mismatches 0).
    @Test
    @Timeout(20)
    void shouldCountAFinalSharedGetLowerThanTheConnectionSawAsAMismatch() throws Exception {
        LoadClient.Config c = config(1, 1, 200).withKeys(4, 1);
        LoadClient.Summary control;
        try (FakeServer s = FakeServer.kv((conn, n, line, right, out) -> right + "\n")) {
            control = LoadClient.run(new LoadClient.Config("127.0.0.1", s.port(), c.protocol(), 1, 200, 1, c.seed(),
                c.duration(), c.replyTimeout(), 4, 1, c.keyPrefix(), false));
        }
        assertTrue(control.ok(), control.toJson());

        LoadClient.Summary r;
        try (FakeServer s = FakeServer.kv((conn, n, line, right, out) -> {
            if (line.equals("GET lc.shared.0")) {
                // one below the true count, which is the highest INCR reply this single connection saw
                return "VALUE " + (Long.parseLong(right.substring("VALUE ".length())) - 1) + "\n";
            }
            return right + "\n";
        })) {
            r = LoadClient.run(new LoadClient.Config("127.0.0.1", s.port(), c.protocol(), 1, 200, 1, c.seed(),
                c.duration(), c.replyTimeout(), 4, 1, c.keyPrefix(), false));
        }
        assertEquals(1, r.mismatches(), r.toJson());
        assertEquals(1, r.errors(), r.toJson());
        assertTrue(r.firstErrors().get(0).contains("final GET of shared lc.shared.0"), r.firstErrors().toString());
        assertEquals(r.expected(), r.completed());
        assertFalse(r.ok());
    }

    // Mutation check: with the growth check of LoadStream#sharedLogAppend removed the test
    // failed (mismatches 0 for the repeated length); with the token walk of
    // LoadStream#sharedLogGet removed it failed (mismatches 0 for the swapped tokens).
    @Test
    @Timeout(20)
    void shouldCountAWrongAppendLengthAndAReorderedSharedLogAsMismatches() throws Exception {
        LoadClient.Summary control;
        try (FakeServer s = FakeServer.kv((conn, n, line, right, out) -> right + "\n")) {
            control = LoadClient.run(logConfig(s.port()).withLoad(2, 400, 4));
        }
        assertTrue(control.ok(), control.toJson());

        // the second APPEND of the connection is answered with the length of the first
        LoadClient.Summary wrongLength;
        java.util.concurrent.atomic.AtomicReference<String> first = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicInteger appends = new java.util.concurrent.atomic.AtomicInteger();
        try (FakeServer s = FakeServer.kv((conn, n, line, right, out) -> {
            if (line.startsWith("APPEND j.sharedlog.0 ")) {
                int k = appends.incrementAndGet();
                if (k == 1) {
                    first.set(right);
                } else if (k == 2) {
                    return first.get() + "\n";
                }
            }
            return right + "\n";
        })) {
            wrongLength = LoadClient.run(logConfig(s.port()));
        }
        assertEquals(1, wrongLength.mismatches(), wrongLength.toJson());
        assertTrue(wrongLength.firstErrors().get(0).contains("shared log j.sharedlog.0 went from length"),
            wrongLength.firstErrors().toString());
        assertFalse(wrongLength.ok());

        // the final GET returns the log with the connection's first two tokens swapped
        LoadClient.Summary reordered;
        try (FakeServer s = FakeServer.kv((conn, n, line, right, out) -> {
            if (line.equals("GET j.sharedlog.0")) {
                String[] t = right.substring("VALUE ".length()).split("\\.");
                String[] swapped = t.clone();
                swapped[0] = t[1];
                swapped[1] = t[0];
                return "VALUE " + String.join(".", swapped) + ".\n";
            }
            return right + "\n";
        })) {
            reordered = LoadClient.run(logConfig(s.port()));
        }
        assertEquals(1, reordered.mismatches(), reordered.toJson());
        assertTrue(reordered.firstErrors().get(0).contains("final GET of shared log j.sharedlog.0"),
            reordered.firstErrors().toString());
        assertEquals(reordered.expected(), reordered.completed());
        assertFalse(reordered.ok());
    }

    // Mutation check: with ok() ignoring sent != expected the test failed (ok true without
    // --allow-duration-stop).
    @Test
    @Timeout(30)
    void shouldNotBeOkWhenStoppedByTheDurationBeforeTheRequestCountUnlessAllowed() throws Exception {
        LoadClient.Summary stopped;
        LoadClient.Summary allowed;
        LoadClient.Summary untilDuration;
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            LoadClient.Config c = config(s.port(), 2, 100_000_000).withDuration(Duration.ofMillis(300));
            stopped = LoadClient.run(c);
            allowed = LoadClient.run(c.withAllowDurationStop(true).withKeyPrefix("b"));
            untilDuration = LoadClient.run(c.withLoad(2, 0, 1).withKeyPrefix("c"));
        }
        assertTrue(stopped.stoppedByDuration(), stopped.toJson());
        assertEquals(0, stopped.errors(), stopped.toJson());
        assertEquals(stopped.sent(), stopped.completed());
        assertTrue(stopped.sent() < stopped.expected(), stopped.toJson());
        assertFalse(stopped.ok(), stopped.toJson());
        assertTrue(stopped.problems().get(0).contains("--allow-duration-stop"), stopped.problems().toString());
        assertEquals(false, Json.object(stopped.toJson()).get("ok"));

        assertTrue(allowed.stoppedByDuration() && allowed.ok(), allowed.toJson());
        assertTrue(untilDuration.stoppedByDuration() && untilDuration.ok(), "--requests 0 is until --duration: " + untilDuration.toJson());
        assertEquals(-1, untilDuration.expected());
        assertEquals(null, Json.object(untilDuration.toJson()).get("expected"));
    }

    // Mutation check: with gapExceeded() always false the test failed (ok true under
    // --max-gap 100ms).
    @Test
    @Timeout(20)
    void shouldCountAConnectionWhoseLongestGapExceedsMaxGapAndReportItsLocalPort() throws Exception {
        FakeServer.KvReply pausing = (c, n, line, right, out) -> {
            if (c == 0 && n == 10) {
                Thread.sleep(300);
            }
            return right + "\n";
        };
        LoadClient.Summary lenient;
        LoadClient.Summary strict;
        List<Integer> ports;
        try (FakeServer s = FakeServer.kv(pausing)) {
            lenient = LoadClient.run(config(s.port(), 1, 20));
        }
        try (FakeServer s = FakeServer.kv(pausing)) {
            strict = LoadClient.run(config(s.port(), 1, 20).withMaxGap(Duration.ofMillis(100)));
            ports = s.remotePorts();
        }
        assertTrue(lenient.ok(), "a pause alone is no error: " + lenient.toJson());
        assertTrue(lenient.perConnection().get(0).maxGapMs() >= 290, lenient.toJson());

        LoadClient.Connection c = strict.perConnection().get(0);
        assertTrue(c.gapExceeded(), strict.toJson());
        assertEquals(1, strict.gapExceeded());
        assertEquals(1, strict.errors());
        assertFalse(strict.ok());
        assertTrue(c.maxGapMs() >= 290, strict.toJson());
        assertEquals(List.of(c.localPort()), ports, "the JSON names the client port the server saw");
        assertTrue(strict.firstErrors().get(0).contains("--max-gap"), strict.firstErrors().toString());
        assertEquals(100L, Json.object(strict.toJson()).get("maxGapLimitMs"));
    }

    // Mutation check: with the record-dir failure not counted the test failed (otherErrors 0);
    // with MalformedReplyException not taken as a mismatch, the bad status line was counted as
    // an other error and the test failed.
    @Test
    @Timeout(20)
    void shouldCountAnyOtherExceptionWithItsMessage(@TempDir Path tmp) throws Exception {
        Path notADir = Files.writeString(tmp.resolve("file"), "x");
        LoadClient.Summary r;
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            r = LoadClient.run(config(s.port(), 2, 10).withRecordDir(notADir.resolve("sub")));
        }
        assertEquals(2, r.otherErrors(), r.toJson());
        assertEquals(2, r.errors());
        assertFalse(r.ok());
        assertTrue(r.perConnection().get(0).firstError().contains("cannot record"), r.toJson());

        // a malformed reply is a wrong reply
        LoadClient.Summary http;
        try (FakeServer s = FakeServer.start((socket, c) -> {
            socket.getInputStream().read(new byte[4096]);
            socket.getOutputStream().write("HTTP/1.1 abc\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            socket.getInputStream().read(new byte[4096]);
        })) {
            http = LoadClient.run(config(s.port(), 1, 10).withProtocol(LoadClient.Protocol.HTTP));
        }
        assertEquals(1, http.mismatches(), http.toJson());
        assertEquals(1, http.errors(), http.toJson());
        assertTrue(http.firstErrors().get(0).contains("bad HTTP status line"), http.toJson());
    }

    // Mutation check: with the last byte of each received chunk not tapped, the replay of the
    // .sent file no longer equalled the .recv file (failed); with the last byte of each write
    // not tapped, the .sent file was not the stream's requests (failed); with the digest not
    // updated, sentSha256 differed from the SHA-256 of the file (failed).
    @Test
    @Timeout(60)
    void shouldRunCleanAgainstEveryServerAndRecordExactlyTheBytesWhoseSha256ItReports(@TempDir Path tmp) throws Exception {
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            checkRecorded(LoadClient.run(config(s.port(), 4, 500).withLoad(4, 500, 16).withRecordDir(tmp.resolve("nio"))),
                tmp.resolve("nio"));
        }
        try (BlockingKvServer s = BlockingKvServer.start(LOOPBACK, new KvStore())) {
            checkRecorded(LoadClient.run(config(s.port(), 4, 500).withRecordDir(tmp.resolve("blocking"))), tmp.resolve("blocking"));
        }
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, new KvStore())) {
            checkRecorded(LoadClient.run(config(s.port(), 4, 300).withProtocol(LoadClient.Protocol.HTTP)
                .withRecordDir(tmp.resolve("http"))), tmp.resolve("http"));
        }
        // one connection alone: the server's replies are a function of what it was sent, so
        // replaying the .sent file into a fresh session must give the .recv file, byte for byte
        String recordedSha;
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            LoadClient.Summary r = LoadClient.run(config(s.port(), 1, 1000).withLoad(1, 1000, 8).withRecordDir(tmp.resolve("one")));
            checkRecorded(r, tmp.resolve("one"));
            LoadClient.Connection c = r.perConnection().get(0);
            byte[] sent = Files.readAllBytes(LoadClient.recordFile(tmp.resolve("one"), 0, c.localPort(), "sent"));
            ByteArrayOutputStream replayed = new ByteArrayOutputStream();
            new KvProtocol.Session(new KvStore()).receive(sent, 0, sent.length, replayed);
            assertArrayEquals(replayed.toByteArray(),
                Files.readAllBytes(LoadClient.recordFile(tmp.resolve("one"), 0, c.localPort(), "recv")));
            recordedSha = c.sentSha256();
        }
        // without --record-dir the digests are there all the same: same seed, same bytes sent
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            LoadClient.Summary r = LoadClient.run(config(s.port(), 1, 1000).withLoad(1, 1000, 8));
            assertTrue(r.ok(), r.toJson());
            assertEquals(recordedSha, r.perConnection().get(0).sentSha256());
        }
    }

    private static void checkRecorded(LoadClient.Summary r, Path dir) throws Exception {
        assertTrue(r.ok(), r.toJson());
        assertEquals(0, r.errors(), r.toJson());
        assertEquals(r.expected(), r.sent(), r.toJson());
        assertEquals(r.sent(), r.completed(), r.toJson());
        LabApps.LoadRun run = new LabApps.LoadRun(0, r.toJson(), Json.object(r.toJson()), r.toJson());
        assertTrue(run.ok());
        assertEquals(r.expected(), run.expected());
        assertEquals(r.connections(), run.connections().size());
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < r.connections(); i++) {
            LoadClient.Connection c = r.perConnection().get(i);
            LabApps.LoadConnection p = run.connections().get(i);
            assertEquals(i, c.index());
            assertTrue(c.localPort() > 0 && ports.add(c.localPort()), r.toJson());
            assertEquals(c.expected(), c.sent());
            assertEquals(c.sent(), c.completed());
            assertEquals(0, c.errors());
            byte[] sent = Files.readAllBytes(p.sentFile(dir));
            byte[] recv = Files.readAllBytes(p.receivedFile(dir));
            assertEquals(c.sentBytes(), sent.length);
            assertEquals(c.receivedBytes(), recv.length);
            assertEquals(sha256(sent), c.sentSha256());
            assertEquals(sha256(recv), c.receivedSha256());
            assertEquals(c.sentSha256(), p.sentSha256());
            assertEquals(c.receivedSha256(), p.receivedSha256());
            assertEquals(c.localPort(), p.localPort());
            assertEquals(c.sent(), p.sent());
            assertNotEquals(c.sentSha256(), c.receivedSha256());
            // exactly the stream's requests, in order
            LoadStream stream = new LoadStream(r.protocol(), r.seed(), i, "lc", 4, 4, r.requestsPerConnection(), r.target());
            ByteArrayOutputStream want = new ByteArrayOutputStream();
            for (LoadStream.Request q; (q = stream.next()) != null; ) {
                want.writeBytes(q.wire());
            }
            assertArrayEquals(want.toByteArray(), sent, "connection " + i);
        }
        assertEquals(r.connections() * 2L, Files.list(dir).count(), "a .sent and a .recv per connection");
    }
}
