package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoadStreamTest {
    private static LoadStream kvStream(long seed, int connection, long requests) {
        return new LoadStream(LoadClient.Protocol.KV, seed, connection, "t", 4, 4, requests, "h:1");
    }

    private static List<String> texts(LoadStream s) {
        List<String> out = new ArrayList<>();
        LoadStream.Request r;
        while ((r = s.next()) != null) {
            out.add(r.text());
        }
        return out;
    }

    @Test
    void shouldGenerateTheSameStreamForTheSameSeed() {
        assertEquals(texts(kvStream(7, 3, 500)), texts(kvStream(7, 3, 500)));
        assertNotEquals(texts(kvStream(7, 3, 500)), texts(kvStream(8, 3, 500)));
        assertNotEquals(texts(kvStream(7, 3, 500)), texts(kvStream(7, 4, 500)));
    }

    @Test
    void shouldEndWithAGetOfEveryOwnKeyAndThenOfEverySharedKey() {
        List<String> t = texts(kvStream(1, 0, 100));
        assertEquals(100 + 8 + 4, t.size());
        assertEquals(LoadStream.expected(LoadClient.Protocol.KV, 100, 4, 4), t.size());
        assertEquals(List.of("GET t.c0.n0", "GET t.c0.n1", "GET t.c0.n2", "GET t.c0.n3",
            "GET t.c0.s0", "GET t.c0.s1", "GET t.c0.s2", "GET t.c0.s3",
            "GET t.shared.0", "GET t.shared.1", "GET t.shared.2", "GET t.shared.3"), t.subList(100, 112));
        assertEquals(-1, LoadStream.expected(LoadClient.Protocol.KV, 0, 4, 4), "no fixed count until stopped");
        assertEquals(300 + 2 + 2, LoadStream.expected(LoadClient.Protocol.HTTP, 300, 2, 2));
    }

    @Test
    void shouldRequireTheFinalSharedGetToBeAtLeastTheHighestValueTheConnectionSaw() {
        LoadStream s = new LoadStream(LoadClient.Protocol.KV, 5, 0, "t", 1, 1, 200, "h:1");
        LoadStream.Request finalGet = null;
        long n = 0;
        for (LoadStream.Request r; (r = s.next()) != null; ) {
            if (r.text().startsWith("INCR t.shared.0")) {
                n += 10; // others INCR in between: the replies jump by 10
                assertNull(r.expectation().check(new LoadStream.Reply(0, "INT " + n)));
            }
            if (r.text().equals("GET t.shared.0")) {
                finalGet = r;
            }
        }
        assertNotNull(finalGet, "the finale GETs the shared key");
        assertTrue(n >= 50, "enough shared INCRs in 200 requests: " + n);
        // the replies to this connection's INCRs went up to n
        assertNull(finalGet.expectation().check(new LoadStream.Reply(0, "VALUE " + n)));
        assertNull(finalGet.expectation().check(new LoadStream.Reply(0, "VALUE " + (n + 7))), "others may INCR later");
        assertNotNull(finalGet.expectation().check(new LoadStream.Reply(0, "VALUE " + (n - 1))), "lower than seen");
        assertNotNull(finalGet.expectation().check(new LoadStream.Reply(0, "NIL")), "absent, but seen");
        assertNotNull(finalGet.expectation().check(new LoadStream.Reply(0, "VALUE x")));
        assertNotNull(finalGet.expectation().check(new LoadStream.Reply(0, "INT " + n)));

        LoadStream untouched = new LoadStream(LoadClient.Protocol.HTTP, 5, 0, "t", 1, 1, 0, "h:1");
        untouched.stop();
        List<LoadStream.Request> finale = new ArrayList<>();
        for (LoadStream.Request r; (r = untouched.next()) != null; ) {
            finale.add(r);
        }
        assertEquals(List.of("GET /get/t.c0.n0", "GET /get/t.shared.0"), finale.stream().map(LoadStream.Request::text).toList());
        assertNull(finale.get(1).expectation().check(new LoadStream.Reply(404, "NIL")), "never seen: may be absent");
        assertNull(finale.get(1).expectation().check(new LoadStream.Reply(200, "VALUE 3")));
        assertNotNull(finale.get(1).expectation().check(new LoadStream.Reply(200, "VALUE 0")));
        assertNotNull(finale.get(1).expectation().check(new LoadStream.Reply(0, "VALUE 3")), "status must be 200");
    }

    @Test
    void shouldPredictEveryReplyOfARealStore() {
        KvStore store = new KvStore();
        // several connections interleaved request by request, as a server would see them
        LoadStream[] streams = new LoadStream[5];
        for (int i = 0; i < streams.length; i++) {
            streams[i] = kvStream(99, i, 3000);
        }
        int errReplies = 0;
        boolean any = true;
        while (any) {
            any = false;
            for (LoadStream s : streams) {
                LoadStream.Request r = s.next();
                if (r == null) {
                    continue;
                }
                any = true;
                String line = new String(r.wire(), StandardCharsets.UTF_8);
                assertTrue(line.endsWith("\n"));
                String reply = KvProtocol.execute(store, line.substring(0, line.length() - 1));
                errReplies += reply.startsWith("ERR") ? 1 : 0;
                assertNull(r.expectation().check(new LoadStream.Reply(0, reply)), r.text());
            }
        }
        assertTrue(errReplies > 0, "the stream should include some malformed requests");
    }

    @Test
    void shouldDetectAWrongReply() {
        LoadStream s = kvStream(5, 0, 10);
        LoadStream.Request r = s.next();
        KvStore store = new KvStore();
        String line = new String(r.wire(), StandardCharsets.UTF_8).trim();
        String right = KvProtocol.execute(store, line);
        assertNull(r.expectation().check(new LoadStream.Reply(0, right)));
        assertNotNull(r.expectation().check(new LoadStream.Reply(0, right + "x")));
        assertNotNull(r.expectation().check(new LoadStream.Reply(200, right)), "a status where none is expected");
    }

    @Test
    void shouldRequireSharedCountersToIncreasePerConnection() {
        LoadStream s = kvStream(5, 0, 100_000);
        LoadStream.Request shared = null;
        for (LoadStream.Request r; (r = s.next()) != null; ) {
            if (r.text().startsWith("INCR t.shared.0")) {
                shared = r;
                break;
            }
        }
        assertNotNull(shared);
        assertNull(shared.expectation().check(new LoadStream.Reply(0, "INT 5")));
        // the same expectation object stands for one request; later requests share the per-key memory
        LoadStream.Request next = null;
        for (LoadStream.Request r; (r = s.next()) != null; ) {
            if (r.text().startsWith("INCR t.shared.0")) {
                next = r;
                break;
            }
        }
        assertNotNull(next);
        assertNotNull(next.expectation().check(new LoadStream.Reply(0, "INT 5")), "must increase");
        assertNotNull(next.expectation().check(new LoadStream.Reply(0, "INT 3")), "must not go back");
        assertNotNull(next.expectation().check(new LoadStream.Reply(0, "VALUE 9")));
        assertNull(next.expectation().check(new LoadStream.Reply(0, "INT 9")), "others may have incremented in between");
    }

    @Test
    void shouldStopTheRandomPartButStillRunTheFinale() {
        LoadStream s = kvStream(1, 0, 0);
        for (int i = 0; i < 50; i++) {
            assertNotNull(s.next());
        }
        s.stop();
        List<String> rest = texts(s);
        assertEquals(8 + 4, rest.size());
        assertTrue(rest.stream().allMatch(t -> t.startsWith("GET ")));
        assertEquals(50, s.generated());
    }

    @Test
    void shouldSpeakHttpWithAHostHeaderAndNoStringKeys() {
        LoadStream s = new LoadStream(LoadClient.Protocol.HTTP, 3, 2, "p", 2, 2, 300, "10.0.0.1:80");
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        int n = 0;
        for (LoadStream.Request r; (r = s.next()) != null; n++) {
            all.writeBytes(r.wire());
            assertFalse(r.text().matches(".*\\.c\\d+\\.s\\d+.*"), r.text());
        }
        assertEquals(304, n);
        String wire = all.toString(StandardCharsets.US_ASCII);
        assertTrue(wire.startsWith("POST /incr/") || wire.startsWith("GET /"), wire.substring(0, 40));
        assertTrue(wire.contains("Host: 10.0.0.1:80\r\n"));
        assertTrue(wire.endsWith("GET /get/p.c2.n1 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n"
            + "GET /get/p.shared.0 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n"
            + "GET /get/p.shared.1 HTTP/1.1\r\nHost: 10.0.0.1:80\r\n\r\n"));
    }

    /**
     * The bytes of eight streams of seed 42 per protocol, pinned: the digests were computed with
     * the code before {@code --shared-appends} existed, so a stream without shared appends is
     * still, byte for byte, the stream of earlier runs (and earlier recorded journals).
     */
    @Test
    void shouldSendTheSameBytesAsBeforeSharedAppendsExisted() throws Exception {
        assertEquals("646190 0e5d4896cdb6aea1b0572fd30b5f8ac04fb3d6e4a652fe73cd801067dc79d54c",
            streamDigest(LoadClient.Protocol.KV));
        assertEquals("2781344 fd16fc6c27f693eaf73176c5c03e8f252c03a186691e11f69d0851c9f2b7321b",
            streamDigest(LoadClient.Protocol.HTTP));
    }

    private static String streamDigest(LoadClient.Protocol p) throws Exception {
        java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
        long bytes = 0;
        for (int c = 0; c < 8; c++) {
            LoadStream s = new LoadStream(p, 42, c, "lc", 4, 4, 5000, "127.0.0.1:7000");
            for (LoadStream.Request r; (r = s.next()) != null; ) {
                sha.update(r.wire());
                bytes += r.wire().length;
            }
        }
        return bytes + " " + java.util.HexFormat.of().formatHex(sha.digest());
    }

    @Test
    void shouldMixConnectionAndSeedIntoDistinctSeeds() {
        long[] seeds = new long[100];
        for (int i = 0; i < seeds.length; i++) {
            seeds[i] = LoadStream.mix(1, i);
        }
        assertEquals(100, java.util.Arrays.stream(seeds).distinct().count());
        assertArrayEquals(seeds, java.util.stream.IntStream.range(0, 100).mapToLong(i -> LoadStream.mix(1, i)).toArray());
    }
}
