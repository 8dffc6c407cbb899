package dev.understudy.apps;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One connection's deterministic request stream and the model that predicts every reply.
 *
 * <p>The stream is a function of (seed, connection index, key prefix, key counts, protocol):
 * the same arguments give the same requests, byte for byte. Keys are of three kinds, and a
 * fourth when shared logs are asked for:
 * <ul>
 *   <li>own counters {@code P.cI.nJ} — only this connection touches them: INCR replies must be
 *       consecutive, GET must return the current count, DEL resets it;</li>
 *   <li>own strings {@code P.cI.sJ} (KV only) — SET, APPEND, GET and DEL, each reply predicted
 *       exactly from the last SET/APPEND;</li>
 *   <li>shared counters {@code P.shared.J} — every connection INCRs them; the replies one
 *       connection sees must be strictly increasing.</li>
 *   <li>shared logs {@code P.sharedlog.J} (only when {@code sharedAppends} is above 0) — every
 *       connection APPENDs tokens {@code c<I>r<N>.} to them, naming itself (connection
 *       {@code I}) and the request ({@code N}, 1-based in the random part), so a log's final
 *       value records the order in which the server applied the connections' requests. One
 *       random request of every block of {@value #APPEND_BLOCK} is such an APPEND, to the
 *       connection's logs in turn (its k-th APPEND goes to log {@code (I + k) mod sharedAppends}).
 *       The {@code INT length} replies one connection sees for a log must grow by at least its
 *       token each time (others may append in between).</li>
 * </ul>
 * About 1% of requests are malformed on purpose and must get the exact {@code ERR} reply
 * while the connection carries on.
 *
 * <p>After the random part ({@code requests} requests, or fewer if {@link #stop()} is called)
 * comes a fixed finale ({@link #finaleSize()} requests): a GET of every own key, checking the
 * whole final state, then a GET of every shared key, which must hold a counter at least as high
 * as the highest value this connection saw for it (and may be absent only if it saw none: all
 * of this connection's INCRs were answered before the GET), then a GET of every shared log,
 * which must be at least as long as the longest length this connection saw for it, consist of
 * tokens only, and hold exactly the tokens this connection appended, in its order (absent only
 * if it appended none).
 *
 * <p>Determinism of the final state: shared counters only ever see INCR, which commutes, so
 * whatever the interleaving of connections their final values are the total number of INCRs.
 * <em>Without shared logs</em> ({@code sharedAppends} 0) a run of a fixed request count that is
 * not stopped therefore always leaves the same store and the same {@code DUMP} digest. With
 * shared logs it does not: their values depend on the order in which the server applied the
 * APPENDs of different connections (the point of them: a clone must reproduce the primary's
 * order, not just its totals). Only their lengths, the tokens and each connection's order
 * within them are fixed.
 *
 * <p>Size of the shared logs: a connection makes at most {@code ceil(requests / 8)} APPENDs,
 * at most {@code ceil(ceil(requests / 8) / sharedAppends)} of them to one log, each token at
 * most {@code 3 + digits(connections - 1) + digits(requests)} characters; with
 * {@code connections} connections a log never exceeds {@link #sharedLogBound}. For 32
 * connections × 20,000 requests and 4 logs: 32 × ceil(2,500 / 4) × (3 + 2 + 5) = 32 × 625 × 10
 * = 200,000 characters, a fifth of {@link KvStore#MAX_VALUE} (1,048,576).
 * {@link LoadClient.Config} refuses a run whose bound exceeds it, and a run without a fixed
 * request count.
 *
 * <p>Not thread-safe: one stream per connection thread.
 */
final class LoadStream {
    /** What a reply must be. */
    interface Expectation {
        /** Null when {@code reply} is right; else a description of the mismatch. */
        String check(Reply reply);
    }

    /** A reply: the HTTP status (0 for the KV protocol) and the reply line without its line end. */
    record Reply(int status, String line) {
        @Override
        public String toString() {
            return status == 0 ? line : status + " " + line;
        }
    }

    /** A request: the bytes to send and the check of its reply. */
    record Request(byte[] wire, Expectation expectation, String text) {
    }

    private static final String LETTERS = "abcdefghijklmnopqrstuvwxyz";
    /** One shared-log APPEND per block of this many random-part requests, at a random place in the block. */
    static final int APPEND_BLOCK = 8;

    private final LoadClient.Protocol protocol;
    private final SplittableRandom random;
    private final String hostHeader;
    private final String[] counters;
    private final String[] strings;
    private final String[] shared;
    private final String[] logs;
    /** Model of own counters: null = absent. */
    private final Long[] counterValues;
    /** Model of own strings: null = absent. */
    private final String[] stringValues;
    private final Map<String, Long> sharedSeen = new HashMap<>();
    /** Model of shared logs: the tokens this connection appended to each, in order. */
    private final List<List<String>> logTokens;
    /** The longest length this connection saw for each shared log (0 = none yet). */
    private final long[] logSeen;
    private final String tokenPrefix;
    private final int connection;
    private final long requests;
    private long generated;
    /** Shared logs: APPENDs so far, and the position of the APPEND in the current block. */
    private long appends;
    private int appendSlot;
    private int finale;
    private boolean stopped;

    LoadStream(LoadClient.Protocol protocol, long seed, int connection, String keyPrefix,
               int ownKeys, int sharedKeys, long requests, String hostHeader) {
        this(protocol, seed, connection, keyPrefix, ownKeys, sharedKeys, 0, requests, hostHeader);
    }

    /**
     * @param sharedAppends how many shared logs {@code P.sharedlog.J} to APPEND to; 0 = none, and
     *                      then the stream is exactly the one of the constructor without it
     */
    LoadStream(LoadClient.Protocol protocol, long seed, int connection, String keyPrefix,
               int ownKeys, int sharedKeys, int sharedAppends, long requests, String hostHeader) {
        this.protocol = protocol;
        this.random = new SplittableRandom(mix(seed, connection));
        this.hostHeader = hostHeader;
        this.requests = requests;
        counters = new String[ownKeys];
        strings = new String[protocol == LoadClient.Protocol.KV ? ownKeys : 0];
        shared = new String[sharedKeys];
        for (int j = 0; j < ownKeys; j++) {
            counters[j] = keyPrefix + ".c" + connection + ".n" + j;
        }
        for (int j = 0; j < strings.length; j++) {
            strings[j] = keyPrefix + ".c" + connection + ".s" + j;
        }
        for (int j = 0; j < sharedKeys; j++) {
            shared[j] = keyPrefix + ".shared." + j;
        }
        counterValues = new Long[counters.length];
        stringValues = new String[strings.length];
        logs = new String[sharedAppends];
        logTokens = new ArrayList<>(sharedAppends);
        for (int j = 0; j < sharedAppends; j++) {
            logs[j] = keyPrefix + ".sharedlog." + j;
            logTokens.add(new ArrayList<>());
        }
        logSeen = new long[sharedAppends];
        tokenPrefix = "c" + connection + "r";
        this.connection = connection;
    }

    /** Ends the random part early (wall time is up); the finale still follows. */
    void stop() {
        stopped = true;
    }

    /** Random requests generated so far. */
    long generated() {
        return generated;
    }

    /** Whether the random part is over: all {@code requests} generated, or stopped. */
    boolean randomPartDone() {
        return stopped || (requests != 0 && generated >= requests);
    }

    /** Requests of the finale: a GET of every own counter, own string, shared counter and shared log. */
    int finaleSize() {
        return counters.length + strings.length + shared.length + logs.length;
    }

    /**
     * How many requests a stream of these parameters sends when it is not stopped: the random
     * part plus the finale; -1 when {@code requests} is 0 (until stopped).
     */
    static long expected(LoadClient.Protocol protocol, long requests, int ownKeys, int sharedKeys) {
        return expected(protocol, requests, ownKeys, sharedKeys, 0);
    }

    /** As {@link #expected(LoadClient.Protocol, long, int, int)}, with {@code sharedAppends} shared logs. */
    static long expected(LoadClient.Protocol protocol, long requests, int ownKeys, int sharedKeys, int sharedAppends) {
        if (requests == 0) {
            return -1;
        }
        return requests + ownKeys * (protocol == LoadClient.Protocol.KV ? 2L : 1L) + sharedKeys + sharedAppends;
    }

    /**
     * The most characters one shared log can hold after {@code connections} streams of
     * {@code requests} random requests with {@code sharedAppends} logs (on a fresh store):
     * {@code connections × ceil(ceil(requests / 8) / sharedAppends) × (3 + digits(connections - 1)
     * + digits(requests))}; 0 when {@code sharedAppends} is 0, and {@link Long#MAX_VALUE} when
     * {@code requests} is 0 (no bound).
     */
    static long sharedLogBound(int connections, long requests, int sharedAppends) {
        if (sharedAppends == 0) {
            return 0;
        }
        if (requests == 0) {
            return Long.MAX_VALUE;
        }
        long appendsPerConnection = (requests + APPEND_BLOCK - 1) / APPEND_BLOCK;
        long perLog = (appendsPerConnection + sharedAppends - 1) / sharedAppends;
        long token = 3 + digits(connections - 1) + digits(requests);
        return connections * perLog * token;
    }

    private static int digits(long n) {
        return Long.toString(n).length();
    }

    /** The next request, or null when the stream (finale included) is over. */
    Request next() {
        if (!stopped && (requests == 0 || generated < requests)) {
            generated++;
            if (logs.length > 0) {
                // one APPEND per block, at a place drawn when the block begins; with no logs nothing
                // is drawn, so the stream stays the one of earlier versions
                int inBlock = (int) ((generated - 1) % APPEND_BLOCK);
                if (inBlock == 0) {
                    appendSlot = random.nextInt(APPEND_BLOCK);
                }
                if (inBlock == appendSlot) {
                    return sharedAppend();
                }
            }
            return protocol == LoadClient.Protocol.KV ? nextKv() : nextHttp();
        }
        int own = counters.length + strings.length;
        if (finale < own) {
            int j = finale++;
            if (j < counters.length) {
                return protocol == LoadClient.Protocol.KV ? getCounterKv(j) : getCounterHttp(j);
            }
            return getStringKv(j - counters.length);
        }
        if (finale < own + shared.length) {
            String key = shared[finale++ - own];
            return protocol == LoadClient.Protocol.KV
                ? kv("GET " + key, sharedGet(key))
                : http("GET", "/get/" + key, sharedGet(key));
        }
        if (finale < own + shared.length + logs.length) {
            int j = finale++ - own - shared.length;
            return protocol == LoadClient.Protocol.KV
                ? kv("GET " + logs[j], sharedLogGet(j))
                : http("GET", "/get/" + logs[j], sharedLogGet(j));
        }
        return null;
    }

    // ---- shared logs (both protocols) ----

    private Request sharedAppend() {
        int j = (int) ((connection + appends++) % logs.length);
        String token = tokenPrefix + generated + ".";
        logTokens.get(j).add(token);
        return protocol == LoadClient.Protocol.KV
            ? kv("APPEND " + logs[j] + " " + token, sharedLogAppend(j, token))
            : http("POST", "/append/" + logs[j] + "/" + token, sharedLogAppend(j, token));
    }

    // ---- KV ----

    private Request nextKv() {
        int r = random.nextInt(100);
        if (r < 30) {
            int j = random.nextInt(counters.length);
            long n = counterValues[j] == null ? 1 : counterValues[j] + 1;
            counterValues[j] = n;
            return kv("INCR " + counters[j], exact(0, "INT " + n));
        }
        if (r < 40) {
            return getCounterKv(random.nextInt(counters.length));
        }
        if (r < 45) {
            int j = random.nextInt(counters.length);
            boolean existed = counterValues[j] != null;
            counterValues[j] = null;
            return kv("DEL " + counters[j], exact(0, existed ? "INT 1" : "INT 0"));
        }
        if (r < 57) {
            int j = random.nextInt(strings.length);
            String v = word(1 + random.nextInt(16));
            stringValues[j] = v;
            return kv("SET " + strings[j] + " " + v, exact(0, "OK"));
        }
        if (r < 69) {
            int j = random.nextInt(strings.length);
            String v = word(1 + random.nextInt(8));
            String next = (stringValues[j] == null ? "" : stringValues[j]) + v;
            if (next.length() > 4096) {
                // keep values small: a SET instead of letting APPEND grow one without bound
                stringValues[j] = v;
                return kv("SET " + strings[j] + " " + v, exact(0, "OK"));
            }
            stringValues[j] = next;
            return kv("APPEND " + strings[j] + " " + v, exact(0, "INT " + next.length()));
        }
        if (r < 79) {
            return getStringKv(random.nextInt(strings.length));
        }
        if (r < 82) {
            int j = random.nextInt(strings.length);
            boolean existed = stringValues[j] != null;
            stringValues[j] = null;
            return kv("DEL " + strings[j], exact(0, existed ? "INT 1" : "INT 0"));
        }
        if (r < 99) {
            String key = shared[random.nextInt(shared.length)];
            return kv("INCR " + key, sharedIncr(key));
        }
        switch (random.nextInt(4)) {
            case 0:
                return kv("BOGUS " + counters[0], exact(0, "ERR unknown command"));
            case 1:
                return kv("INCR", exact(0, "ERR missing key"));
            case 2:
                return kv("SET " + strings[0], exact(0, "ERR wrong number of arguments"));
            default:
                return kv("GET " + counters[0] + " extra", exact(0, "ERR wrong number of arguments"));
        }
    }

    private Request getCounterKv(int j) {
        Long v = counterValues[j];
        return kv("GET " + counters[j], exact(0, v == null ? "NIL" : "VALUE " + v));
    }

    private Request getStringKv(int j) {
        String v = stringValues[j];
        return kv("GET " + strings[j], exact(0, v == null ? "NIL" : "VALUE " + v));
    }

    private static Request kv(String line, Expectation e) {
        return new Request((line + "\n").getBytes(StandardCharsets.UTF_8), e, line);
    }

    // ---- HTTP ----

    private Request nextHttp() {
        int r = random.nextInt(100);
        if (r < 50) {
            int j = random.nextInt(counters.length);
            long n = counterValues[j] == null ? 1 : counterValues[j] + 1;
            counterValues[j] = n;
            return http("POST", "/incr/" + counters[j], exact(200, "INT " + n));
        }
        if (r < 70) {
            return getCounterHttp(random.nextInt(counters.length));
        }
        if (r < 99) {
            String key = shared[random.nextInt(shared.length)];
            return http("POST", "/incr/" + key, sharedIncr(key));
        }
        if (random.nextBoolean()) {
            return http("GET", "/nope/" + counters[0], exact(404, "ERR not found"));
        }
        return http("GET", "/incr/" + counters[0], exact(405, "ERR method not allowed"));
    }

    private Request getCounterHttp(int j) {
        Long v = counterValues[j];
        return http("GET", "/get/" + counters[j], v == null ? exact(404, "NIL") : exact(200, "VALUE " + v));
    }

    private Request http(String method, String path, Expectation e) {
        String head = method + " " + path + " HTTP/1.1\r\nHost: " + hostHeader + "\r\n"
            + (method.equals("POST") ? "Content-Length: 0\r\n" : "") + "\r\n";
        return new Request(head.getBytes(StandardCharsets.US_ASCII), e, method + " " + path);
    }

    // ---- expectations ----

    static Expectation exact(int status, String line) {
        return reply -> {
            if (reply.status() == status && reply.line().equals(line)) {
                return null;
            }
            return "expected " + new Reply(status, line) + ", got " + reply;
        };
    }

    private Expectation sharedIncr(String key) {
        int status = protocol == LoadClient.Protocol.KV ? 0 : 200;
        return reply -> {
            if (reply.status() != status || !reply.line().startsWith("INT ")) {
                return "expected " + new Reply(status, "INT n") + " for shared " + key + ", got " + reply;
            }
            long n;
            try {
                n = Long.parseLong(reply.line().substring(4));
            } catch (NumberFormatException e) {
                return "expected INT n for shared " + key + ", got " + reply;
            }
            long last = sharedSeen.getOrDefault(key, 0L);
            if (n <= last) {
                return "shared " + key + " went from " + last + " to " + n + ", expected it to increase";
            }
            sharedSeen.put(key, n);
            return null;
        };
    }

    /**
     * The final GET of a shared counter: it must be at least the highest value this connection
     * saw (INCR replies are in order, so all of them came before this reply); absent only when
     * this connection saw none. Evaluated when the reply arrives, so it sees every INCR reply.
     */
    private Expectation sharedGet(String key) {
        boolean kv = protocol == LoadClient.Protocol.KV;
        return reply -> {
            long seen = sharedSeen.getOrDefault(key, 0L);
            if (reply.line().equals(KvProtocol.NIL) && reply.status() == (kv ? 0 : 404)) {
                return seen == 0 ? null
                    : "final GET of shared " + key + ": absent, but this connection saw it reach " + seen;
            }
            if (reply.status() != (kv ? 0 : 200) || !reply.line().startsWith(KvProtocol.VALUE)) {
                return "final GET of shared " + key + ": expected " + new Reply(kv ? 0 : 200, "VALUE n")
                    + " with n >= " + seen + ", got " + reply;
            }
            long n;
            try {
                n = Long.parseLong(reply.line().substring(KvProtocol.VALUE.length()));
            } catch (NumberFormatException e) {
                return "final GET of shared " + key + ": expected an integer, got " + reply;
            }
            if (n < seen || n < 1) {
                return "final GET of shared " + key + ": " + n + ", but this connection saw it reach " + seen;
            }
            return null;
        };
    }

    /**
     * The reply to an APPEND of {@code token} to shared log {@code j}: its new length, which must
     * have grown by at least the token since the last length this connection saw (only APPENDs
     * touch a log; others may append in between) and stay within {@link KvStore#MAX_VALUE}.
     * Evaluated when the reply arrives, in request order.
     */
    private Expectation sharedLogAppend(int j, String token) {
        int status = protocol == LoadClient.Protocol.KV ? 0 : 200;
        String key = logs[j];
        return reply -> {
            if (reply.status() != status || !reply.line().startsWith(KvProtocol.INT)) {
                return "expected " + new Reply(status, "INT length") + " for the APPEND of " + token + " to shared log "
                    + key + ", got " + reply;
            }
            long n;
            try {
                n = Long.parseLong(reply.line().substring(KvProtocol.INT.length()));
            } catch (NumberFormatException e) {
                return "expected INT length for the APPEND of " + token + " to shared log " + key + ", got " + reply;
            }
            long last = logSeen[j];
            if (n < last + token.length() || n > KvStore.MAX_VALUE) {
                return "shared log " + key + " went from length " + last + " to " + n + " with the APPEND of " + token
                    + ", expected " + (last + token.length()) + ".." + KvStore.MAX_VALUE;
            }
            logSeen[j] = n;
            return null;
        };
    }

    /**
     * The final GET of shared log {@code j}: absent only when this connection appended nothing to
     * it; else at least as long as the longest length this connection saw, nothing but tokens
     * {@code c<I>r<N>.}, and among them this connection's tokens exactly as it appended them, in
     * its order (none lost, none repeated).
     */
    private Expectation sharedLogGet(int j) {
        boolean kv = protocol == LoadClient.Protocol.KV;
        String key = logs[j];
        return reply -> {
            List<String> mine = logTokens.get(j);
            String what = "final GET of shared log " + key + ": ";
            if (reply.line().equals(KvProtocol.NIL) && reply.status() == (kv ? 0 : 404)) {
                return mine.isEmpty() ? null
                    : what + "absent, but this connection appended " + mine.size() + " tokens to it";
            }
            if (reply.status() != (kv ? 0 : 200) || !reply.line().startsWith(KvProtocol.VALUE)) {
                return what + "expected " + new Reply(kv ? 0 : 200, "VALUE tokens") + ", got " + excerpt(reply.toString(), 0);
            }
            String v = reply.line().substring(KvProtocol.VALUE.length());
            if (v.length() < logSeen[j]) {
                return what + "length " + v.length() + ", but this connection saw it reach " + logSeen[j];
            }
            int matched = 0;
            int pos = 0;
            while (pos < v.length()) {
                int dot = v.indexOf('.', pos);
                if (dot < 0 || !isToken(v, pos, dot)) {
                    return what + "not a token at character " + pos + ": " + excerpt(v, pos);
                }
                if (v.startsWith(tokenPrefix, pos)) {
                    if (matched == mine.size() || !v.startsWith(mine.get(matched), pos)
                        || mine.get(matched).length() != dot + 1 - pos) {
                        return what + "token " + v.substring(pos, dot + 1) + " at character " + pos + " where "
                            + (matched == mine.size() ? "this connection's tokens had ended"
                                : "this connection's next token is " + mine.get(matched))
                            + " (" + matched + " of its " + mine.size() + " tokens found before it)";
                    }
                    matched++;
                }
                pos = dot + 1;
            }
            if (matched < mine.size()) {
                return what + "this connection's token " + mine.get(matched) + " is missing (" + matched + " of its "
                    + mine.size() + " tokens found, in order)";
            }
            return null;
        };
    }

    /** Whether {@code v[from, dot)} is {@code c<digits>r<digits>}. */
    private static boolean isToken(String v, int from, int dot) {
        if (dot - from < 4 || v.charAt(from) != 'c') {
            return false;
        }
        int r = v.indexOf('r', from + 1);
        return r > from + 1 && r < dot - 1 && allDigits(v, from + 1, r) && allDigits(v, r + 1, dot);
    }

    private static boolean allDigits(String v, int from, int to) {
        for (int i = from; i < to; i++) {
            if (v.charAt(i) < '0' || v.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Up to 60 characters of {@code v} from {@code pos}, for messages. */
    private static String excerpt(String v, int pos) {
        return v.length() - pos <= 60 ? v.substring(pos) : v.substring(pos, pos + 60) + "...";
    }

    private String word(int length) {
        char[] c = new char[length];
        for (int i = 0; i < length; i++) {
            c[i] = LETTERS.charAt(random.nextInt(LETTERS.length()));
        }
        return new String(c);
    }

    /** Mixes the run seed and the connection index into one well-spread 64-bit seed (SplitMix64 finaliser). */
    static long mix(long seed, int connection) {
        long z = seed + 0x9E3779B97F4A7C15L * (connection + 1L);
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }
}
