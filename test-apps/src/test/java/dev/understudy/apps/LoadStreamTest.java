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

    private static LoadStream logStream(LoadClient.Protocol p, long seed, int connection, int logs, long requests) {
        return new LoadStream(p, seed, connection, "t", 4, 4, logs, requests, "h:1");
    }

    @Test
    void shouldAppendOneTokenPerBlockToTheSharedLogsInTurnAndGetThemLast() {
        List<String> t = texts(logStream(LoadClient.Protocol.KV, 3, 5, 2, 800));
        assertEquals(800 + 8 + 4 + 2, t.size());
        assertEquals(LoadStream.expected(LoadClient.Protocol.KV, 800, 4, 4, 2), t.size());
        List<String> appends = t.subList(0, 800).stream().filter(x -> x.startsWith("APPEND t.sharedlog.")).toList();
        assertEquals(100, appends.size(), "one per block of " + LoadStream.APPEND_BLOCK);
        for (int k = 0; k < appends.size(); k++) {
            int block = k;
            String a = appends.get(k);
            // connection 5's k-th APPEND goes to log (5 + k) mod 2, its token names the request
            assertTrue(a.matches("APPEND t\\.sharedlog\\." + (5 + k) % 2 + " c5r\\d+\\."), a);
            int n = Integer.parseInt(a.substring(a.indexOf(" c5r") + 4, a.length() - 1));
            assertEquals(a, t.get(n - 1), "the token names its request number");
            assertTrue(n > block * 8 && n <= block * 8 + 8, "in block " + block + ": " + a);
        }
        assertEquals(List.of("GET t.shared.3", "GET t.sharedlog.0", "GET t.sharedlog.1"), t.subList(t.size() - 3, t.size()));
        assertNotEquals(texts(logStream(LoadClient.Protocol.KV, 3, 5, 2, 800)).subList(0, 800),
            texts(logStream(LoadClient.Protocol.KV, 3, 5, 0, 800)).subList(0, 800));

        List<String> h = texts(logStream(LoadClient.Protocol.HTTP, 3, 5, 2, 800));
        assertEquals(800 + 4 + 4 + 2, h.size());
        assertEquals(100, h.stream().filter(x -> x.matches("POST /append/t\\.sharedlog\\.[01]/c5r\\d+\\.")).count());
        assertEquals(List.of("GET /get/t.sharedlog.0", "GET /get/t.sharedlog.1"), h.subList(h.size() - 2, h.size()));
    }

    /**
     * Five streams applied to one store in two different interleavings: every reply checks out
     * in both, and the final states differ, only in the shared logs — the order of the
     * connections' requests is now part of the state.
     */
    @Test
    void shouldPassEveryInterleavingAndLeaveAStateThatDependsOnIt() {
        for (LoadClient.Protocol p : LoadClient.Protocol.values()) {
            KvStore roundRobin = new KvStore();
            KvStore shuffled = new KvStore();
            apply(p, roundRobin, null);
            apply(p, shuffled, new java.util.SplittableRandom(7));
            assertNotEquals(roundRobin.dump(), shuffled.dump(), p.name());
            assertEquals(roundRobin.dump().count(), shuffled.dump().count());
            for (int j = 0; j < 4; j++) {
                String a = roundRobin.get("t.sharedlog." + j);
                String b = shuffled.get("t.sharedlog." + j);
                assertEquals(a.length(), b.length(), "same tokens, another order");
                assertEquals(sorted(a), sorted(b));
            }
            for (String key : new String[] {"t.shared.0", "t.c3.n1"}) {
                assertEquals(roundRobin.get(key), shuffled.get(key), "counters commute: " + key);
            }
        }
    }

    private static List<String> sorted(String log) {
        return java.util.Arrays.stream(log.split("\\.")).sorted().toList();
    }

    /** Runs five streams of seed 99 against {@code store}: round robin, or in a random order. */
    private static void apply(LoadClient.Protocol p, KvStore store, java.util.SplittableRandom order) {
        List<LoadStream> live = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            live.add(logStream(p, 99, i, 4, 3000));
        }
        int next = 0;
        while (!live.isEmpty()) {
            int i = order == null ? next++ % live.size() : order.nextInt(live.size());
            LoadStream.Request r = live.get(i).next();
            if (r == null) {
                live.remove(i);
                continue;
            }
            LoadStream.Reply reply = p == LoadClient.Protocol.KV ? kvReply(store, r) : httpReply(store, r);
            assertNull(r.expectation().check(reply), r.text());
        }
    }

    private static LoadStream.Reply kvReply(KvStore store, LoadStream.Request r) {
        String line = new String(r.wire(), StandardCharsets.UTF_8);
        return new LoadStream.Reply(0, KvProtocol.execute(store, line.substring(0, line.length() - 1)));
    }

    /** What HttpCounterServer answers, for the requests HTTP streams make. */
    private static LoadStream.Reply httpReply(KvStore store, LoadStream.Request r) {
        String[] mp = r.text().split(" ");
        String path = mp[1];
        if (mp[0].equals("POST") && path.startsWith("/incr/")) {
            return new LoadStream.Reply(200, "INT " + store.incr(path.substring(6)));
        }
        if (mp[0].equals("POST") && path.startsWith("/append/")) {
            String rest = path.substring(8);
            int slash = rest.indexOf('/');
            return new LoadStream.Reply(200, "INT " + store.append(rest.substring(0, slash), rest.substring(slash + 1)));
        }
        if (mp[0].equals("GET") && path.startsWith("/get/")) {
            String v = store.get(path.substring(5));
            return v == null ? new LoadStream.Reply(404, "NIL") : new LoadStream.Reply(200, "VALUE " + v);
        }
        if (path.startsWith("/incr/")) {
            return new LoadStream.Reply(405, "ERR method not allowed");
        }
        return new LoadStream.Reply(404, "ERR not found");
    }

    // Mutation check: with the growth check of LoadStream#sharedLogAppend removed (any INT n
    // accepted) this test failed at the first wrong length below.
    @Test
    void shouldRequireEachAppendLengthToGrowByAtLeastTheToken() {
        LoadStream s = logStream(LoadClient.Protocol.KV, 5, 0, 1, 200);
        List<LoadStream.Request> appends = new ArrayList<>();
        for (LoadStream.Request r; (r = s.next()) != null; ) {
            if (r.text().startsWith("APPEND t.sharedlog.")) {
                appends.add(r);
            }
        }
        assertEquals(25, appends.size());
        LoadStream.Request first = appends.get(0);
        int t0 = tokenOf(first).length();
        assertNotNull(first.expectation().check(new LoadStream.Reply(0, "INT " + (t0 - 1))), "shorter than the token");
        assertNotNull(first.expectation().check(new LoadStream.Reply(0, "OK")));
        assertNotNull(first.expectation().check(new LoadStream.Reply(0, "ERR value too long")));
        assertNotNull(first.expectation().check(new LoadStream.Reply(200, "INT " + t0)), "a status where none is expected");
        assertNotNull(first.expectation().check(new LoadStream.Reply(0, "INT " + (KvStore.MAX_VALUE + 1))));
        assertNull(first.expectation().check(new LoadStream.Reply(0, "INT " + (t0 + 40))), "others appended before");
        LoadStream.Request second = appends.get(1);
        int t1 = tokenOf(second).length();
        assertNotNull(second.expectation().check(new LoadStream.Reply(0, "INT " + (t0 + 40))), "must grow");
        assertNotNull(second.expectation().check(new LoadStream.Reply(0, "INT " + (t0 + 40 + t1 - 1))),
            "must grow by at least its own token");
        assertNull(second.expectation().check(new LoadStream.Reply(0, "INT " + (t0 + 40 + t1))));
    }

    private static String tokenOf(LoadStream.Request r) {
        return r.text().substring(r.text().lastIndexOf(' ') + 1);
    }

    // Mutation check: with the token walk of LoadStream#sharedLogGet replaced by a bare length
    // check, this test failed at the repeated token (a lost one is also caught by the length).
    @Test
    void shouldRequireTheFinalLogToHoldExactlyTheConnectionsTokensInItsOrder() {
        for (LoadClient.Protocol p : LoadClient.Protocol.values()) {
            int ok = p == LoadClient.Protocol.KV ? 0 : 200;
            LoadStream s = logStream(p, 5, 3, 1, 64);
            List<String> tokens = new ArrayList<>();
            LoadStream.Request finalGet = null;
            StringBuilder log = new StringBuilder("c0r1.c12r5.");
            for (LoadStream.Request r; (r = s.next()) != null; ) {
                if (r.text().startsWith("APPEND t.sharedlog.") || r.text().startsWith("POST /append/")) {
                    String token = p == LoadClient.Protocol.KV ? tokenOf(r) : r.text().substring(r.text().lastIndexOf('/') + 1);
                    tokens.add(token);
                    log.append(token).append("c1r").append(tokens.size()).append('.'); // someone else's in between
                    assertNull(r.expectation().check(new LoadStream.Reply(ok, "INT " + log.length())), r.text());
                }
                if (r.text().endsWith("t.sharedlog.0")) {
                    finalGet = r;
                }
            }
            assertEquals(8, tokens.size());
            assertNotNull(finalGet);
            String v = log.toString();
            LoadStream.Expectation e = finalGet.expectation();
            assertNull(e.check(new LoadStream.Reply(ok, "VALUE " + v)), v);
            assertNull(e.check(new LoadStream.Reply(ok, "VALUE " + v + "c9r9.")), "others may append later");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v.replace(tokens.get(4), ""))), "lost");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v + tokens.get(7))), "repeated");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v.replace(tokens.get(2), "")
                .replace(tokens.get(5), tokens.get(5) + tokens.get(2)))), "reordered");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v + "c3r999.")), "a token it never sent");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v + "junk.")), "not a token");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + v + "c1r")), "a torn token");
            assertNotNull(e.check(new LoadStream.Reply(ok, "VALUE " + String.join("", tokens))), "shorter than seen");
            assertNotNull(e.check(new LoadStream.Reply(p == LoadClient.Protocol.KV ? 0 : 404, "NIL")), "absent");
            assertNotNull(e.check(new LoadStream.Reply(ok == 0 ? 200 : 0, "VALUE " + v)), "wrong status");
        }
        // a log this connection never appended to may be absent
        LoadStream none = logStream(LoadClient.Protocol.KV, 5, 0, 1, 0);
        none.stop();
        List<LoadStream.Request> finale = new ArrayList<>();
        for (LoadStream.Request r; (r = none.next()) != null; ) {
            finale.add(r);
        }
        LoadStream.Request last = finale.get(finale.size() - 1);
        assertEquals("GET t.sharedlog.0", last.text());
        assertNull(last.expectation().check(new LoadStream.Reply(0, "NIL")));
        assertNull(last.expectation().check(new LoadStream.Reply(0, "VALUE c1r1.")));
    }

    /**
     * The bound the Config checks before a run: 32 connections x 20,000 requests with 4 logs is
     * 32 x ceil(2,500 / 4) x (3 + 2 + 5) = 200,000 characters; and the bound holds for the real
     * streams (the longest log after all their APPENDs, on one store).
     */
    @Test
    void shouldBoundTheSharedLogsWithinTheStoresValueLimit() {
        assertEquals(200_000, LoadStream.sharedLogBound(32, 20_000, 4));
        assertEquals(0, LoadStream.sharedLogBound(32, 20_000, 0));
        assertEquals(Long.MAX_VALUE, LoadStream.sharedLogBound(32, 0, 4));
        assertTrue(LoadStream.sharedLogBound(32, 100_000, 4) > KvStore.MAX_VALUE);
        KvStore store = new KvStore();
        for (int c = 0; c < 6; c++) {
            LoadStream s = logStream(LoadClient.Protocol.KV, 1, c, 3, 1000);
            for (LoadStream.Request r; (r = s.next()) != null; ) {
                kvReply(store, r);
            }
        }
        long longest = 0;
        for (int j = 0; j < 3; j++) {
            longest = Math.max(longest, store.get("t.sharedlog." + j).length());
        }
        assertTrue(longest > 0 && longest <= LoadStream.sharedLogBound(6, 1000, 3), longest + " characters");
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
