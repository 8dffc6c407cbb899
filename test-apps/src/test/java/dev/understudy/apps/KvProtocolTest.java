package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class KvProtocolTest {
    private final KvStore store = new KvStore();

    private String exec(String line) {
        return KvProtocol.execute(store, line);
    }

    @Test
    void shouldAnswerEveryCommandInTheDocumentedFormat() {
        assertEquals("NIL", exec("GET a"));
        assertEquals("OK", exec("SET a hello world"));
        assertEquals("VALUE hello world", exec("GET a"));
        assertEquals("INT 13", exec("APPEND a !!"));
        assertEquals("VALUE hello world!!", exec("GET a"));
        assertEquals("INT 1", exec("INCR n"));
        assertEquals("INT 2", exec("incr n"));
        assertEquals("INT 1", exec("DEL n"));
        assertEquals("INT 0", exec("DEL n"));
        assertEquals("INT 1", exec("INCR n"));
        assertEquals("INT 3", exec("APPEND fresh abc"));
        assertTrue(exec("DUMP").matches("DUMP 3 [0-9a-f]{64}"), exec("DUMP"));
    }

    @Test
    void shouldReplyErrWithoutChangingStateForBadInput() {
        exec("SET s text");
        String before = exec("DUMP");
        assertEquals("ERR empty request", exec(""));
        assertEquals("ERR unknown command", exec("BOGUS x"));
        assertEquals("ERR missing key", exec("GET"));
        assertEquals("ERR missing key", exec("INCR "));
        assertEquals("ERR wrong number of arguments", exec("GET a b"));
        assertEquals("ERR wrong number of arguments", exec("SET a"));
        assertEquals("ERR wrong number of arguments", exec("APPEND"));
        assertEquals("ERR missing value", exec("SET a "));
        assertEquals("ERR wrong number of arguments", exec("DUMP x"));
        assertEquals("ERR not an integer", exec("INCR s"));
        assertEquals("ERR invalid key", exec("GET k\u00e9y"));
        assertEquals("ERR key too long", exec("GET " + "k".repeat(KvStore.MAX_KEY + 1)));
        assertEquals("ERR invalid value", exec("SET a x\0y"));
        exec("SET big " + Long.MAX_VALUE);
        assertEquals("ERR not an integer", exec("INCR big"));
        assertEquals("VALUE text", exec("GET s"));
        exec("DEL big");
        assertEquals(before, exec("DUMP"));
    }

    @Test
    void shouldDigestSortedEntriesAsDocumented() throws Exception {
        assertEquals("DUMP 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", exec("DUMP"));
        exec("SET b 2");
        exec("SET a 1");
        MessageDigest sha = MessageDigest.getInstance("SHA-256");
        sha.update("a\u00001\nb\u00002\n".getBytes(StandardCharsets.UTF_8));
        assertEquals("DUMP 2 " + HexFormat.of().formatHex(sha.digest()), exec("DUMP"));

        KvStore other = new KvStore();
        KvProtocol.execute(other, "SET a 1");
        KvProtocol.execute(other, "SET b 2");
        assertEquals(store.dump(), other.dump(), "insertion order must not matter");
        KvProtocol.execute(other, "SET b 3");
        assertNotEquals(store.dump(), other.dump());
    }

    @Test
    void shouldAssembleLinesHoweverTheBytesAreChunked() {
        byte[] input = "SET k v1\r\nAPPEND k 2\nGET k\nINCR c\nINCR c\nGET nope\n".getBytes(StandardCharsets.UTF_8);
        String whole = feed(new KvProtocol.Session(new KvStore()), input, input.length);
        assertEquals("OK\nINT 3\nVALUE v12\nINT 1\nINT 2\nNIL\n", whole);
        for (int chunk = 1; chunk < 8; chunk++) {
            assertEquals(whole, feed(new KvProtocol.Session(new KvStore()), input, chunk), "chunk " + chunk);
        }
    }

    @Test
    void shouldRejectOverlongAndInvalidUtf8LinesAndCarryOn() {
        KvProtocol.Session session = new KvProtocol.Session(store);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] longLine = ("SET k " + "x".repeat(KvProtocol.MAX_LINE + 10) + "\n").getBytes(StandardCharsets.US_ASCII);
        session.receive(longLine, 0, longLine.length, out);
        byte[] bad = {'G', 'E', 'T', ' ', (byte) 0xC3, (byte) 0x28, '\n'};
        session.receive(bad, 0, bad.length, out);
        assertTrue(session.hasPartialLine() == false);
        byte[] ok = "SET k fine\nGET k\n".getBytes(StandardCharsets.US_ASCII);
        session.receive(ok, 0, ok.length, out);
        assertEquals("ERR line too long\nERR invalid utf-8\nOK\nVALUE fine\n", out.toString(StandardCharsets.UTF_8));
        assertEquals(4, session.requests());
    }

    @Test
    void shouldKeepAPartialLineForTheNextChunk() {
        KvProtocol.Session session = new KvProtocol.Session(store);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] part = "INCR".getBytes(StandardCharsets.US_ASCII);
        session.receive(part, 0, part.length, out);
        assertTrue(session.hasPartialLine());
        assertEquals(0, out.size());
        byte[] rest = " x\n".getBytes(StandardCharsets.US_ASCII);
        session.receive(rest, 0, rest.length, out);
        assertFalse(session.hasPartialLine());
        assertEquals("INT 1\n", out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void shouldRefuseToGrowAValuePastTheLimit() {
        String chunk = "y".repeat(60_000);
        String reply = "";
        for (int i = 0; i < 20; i++) {
            reply = exec("APPEND big " + chunk);
        }
        assertEquals("ERR value too long", reply);
        assertTrue(store.get("big").length() <= KvStore.MAX_VALUE);
    }

    private static String feed(KvProtocol.Session session, byte[] input, int chunk) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (int off = 0; off < input.length; off += chunk) {
            session.receive(input, off, Math.min(chunk, input.length - off), out);
        }
        return out.toString(StandardCharsets.UTF_8);
    }
}
