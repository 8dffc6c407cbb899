package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The line protocol of {@link BlockingKvServer} and {@link NioKvServer}.
 *
 * <p>A request is one line of UTF-8 ending in LF (a CR before the LF is ignored), at most
 * {@value #MAX_LINE} bytes. The command word is case-insensitive; a key is one token
 * ({@link KvStore#checkKey}); a value is everything after the single space that follows
 * the key, spaces included. Each request gets exactly one reply line, in request order:
 *
 * <table>
 *   <caption>requests and replies</caption>
 *   <tr><th>request</th><th>reply</th></tr>
 *   <tr><td>{@code SET k v}</td><td>{@code OK}</td></tr>
 *   <tr><td>{@code GET k}</td><td>{@code VALUE v} or {@code NIL}</td></tr>
 *   <tr><td>{@code INCR k}</td><td>{@code INT n} (absent counts as 0), or {@code ERR not an integer}</td></tr>
 *   <tr><td>{@code APPEND k v}</td><td>{@code INT length} (new length in characters), or {@code ERR value too long}</td></tr>
 *   <tr><td>{@code DEL k}</td><td>{@code INT 1} when the key existed, else {@code INT 0}</td></tr>
 *   <tr><td>{@code DUMP}</td><td>{@code DUMP count sha256hex} ({@link KvStore#dump()})</td></tr>
 *   <tr><td>anything else</td><td>{@code ERR reason}; the connection and the store are unaffected</td></tr>
 * </table>
 *
 * <p>Bad input never closes a connection: an unknown command, a missing argument, an invalid
 * key or value, invalid UTF-8 or an over-long line (discarded up to its LF) each get an
 * {@code ERR} reply and the session goes on with the next line.
 */
public final class KvProtocol {
    /** Longest request line accepted, in bytes, without the LF. */
    public static final int MAX_LINE = 64 * 1024;

    public static final String OK = "OK";
    public static final String NIL = "NIL";
    public static final String VALUE = "VALUE ";
    public static final String INT = "INT ";
    public static final String DUMP = "DUMP ";
    public static final String ERR = "ERR ";

    private KvProtocol() {
    }

    /**
     * Executes one request line (without its line end) against {@code store}.
     *
     * @return the reply line, without its line end; never null
     */
    public static String execute(KvStore store, String line) {
        if (line.isEmpty()) {
            return ERR + "empty request";
        }
        int sp = line.indexOf(' ');
        String command = (sp < 0 ? line : line.substring(0, sp)).toUpperCase(Locale.ROOT);
        String rest = sp < 0 ? null : line.substring(sp + 1);
        switch (command) {
            case "GET":
            case "INCR":
            case "DEL": {
                String why = KvStore.checkKey(rest);
                if (why != null) {
                    return ERR + (rest != null && rest.indexOf(' ') >= 0 ? "wrong number of arguments" : why);
                }
                if (command.equals("GET")) {
                    String v = store.get(rest);
                    return v == null ? NIL : VALUE + v;
                }
                if (command.equals("INCR")) {
                    Long n = store.incr(rest);
                    return n == null ? ERR + "not an integer" : INT + n;
                }
                return INT + (store.del(rest) ? 1 : 0);
            }
            case "SET":
            case "APPEND": {
                int sp2 = rest == null ? -1 : rest.indexOf(' ');
                if (sp2 < 0) {
                    return ERR + "wrong number of arguments";
                }
                String key = rest.substring(0, sp2);
                String value = rest.substring(sp2 + 1);
                String why = KvStore.checkKey(key);
                if (why == null) {
                    why = KvStore.checkValue(value);
                }
                if (why != null) {
                    return ERR + why;
                }
                if (command.equals("SET")) {
                    store.set(key, value);
                    return OK;
                }
                int length = store.append(key, value);
                return length < 0 ? ERR + "value too long" : INT + length;
            }
            case "DUMP":
                if (rest != null) {
                    return ERR + "wrong number of arguments";
                }
                return DUMP + store.dump();
            default:
                return ERR + "unknown command";
        }
    }

    /**
     * One connection's protocol state: splits the incoming byte stream into lines, however it
     * is chunked, and appends one reply line per request to the output.
     *
     * <p>Not thread-safe: one session per connection, used by one thread at a time.
     */
    public static final class Session {
        private final KvStore store;
        private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
        private byte[] line = new byte[256];
        private int length;
        private boolean overlong;
        private long requests;

        public Session(KvStore store) {
            this.store = store;
        }

        /**
         * Consumes {@code len} bytes from {@code src} at {@code off}, executing every request
         * line they complete and appending the replies (each ending in LF) to {@code out}.
         * A partial line is kept for the next call.
         */
        public void receive(byte[] src, int off, int len, ByteArrayOutputStream out) {
            int end = off + len;
            for (int i = off; i < end; i++) {
                byte b = src[i];
                if (b == '\n') {
                    reply(out);
                } else if (!overlong) {
                    if (length == MAX_LINE) {
                        overlong = true;
                    } else {
                        if (length == line.length) {
                            line = java.util.Arrays.copyOf(line, Math.min(MAX_LINE, line.length * 2));
                        }
                        line[length++] = b;
                    }
                }
            }
        }

        /** Requests answered so far. */
        public long requests() {
            return requests;
        }

        /** True when part of a request line has been received but not its LF. */
        public boolean hasPartialLine() {
            return length > 0 || overlong;
        }

        private void reply(ByteArrayOutputStream out) {
            String reply;
            if (overlong) {
                reply = ERR + "line too long";
            } else {
                int n = length > 0 && line[length - 1] == '\r' ? length - 1 : length;
                String request;
                try {
                    CharBuffer chars = utf8.reset().decode(ByteBuffer.wrap(line, 0, n));
                    request = chars.toString();
                } catch (CharacterCodingException e) {
                    request = null;
                }
                reply = request == null ? ERR + "invalid utf-8" : execute(store, request);
            }
            length = 0;
            overlong = false;
            requests++;
            byte[] bytes = reply.getBytes(StandardCharsets.UTF_8);
            out.write(bytes, 0, bytes.length);
            out.write('\n');
        }
    }
}
