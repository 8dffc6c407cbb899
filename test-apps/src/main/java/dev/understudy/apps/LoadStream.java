package dev.understudy.apps;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * One connection's deterministic request stream and the model that predicts every reply.
 *
 * <p>The stream is a function of (seed, connection index, key prefix, key counts, protocol):
 * the same arguments give the same requests, byte for byte. Keys are of three kinds:
 * <ul>
 *   <li>own counters {@code P.cI.nJ} — only this connection touches them: INCR replies must be
 *       consecutive, GET must return the current count, DEL resets it;</li>
 *   <li>own strings {@code P.cI.sJ} (KV only) — SET, APPEND, GET and DEL, each reply predicted
 *       exactly from the last SET/APPEND;</li>
 *   <li>shared counters {@code P.shared.J} — every connection INCRs them; the replies one
 *       connection sees must be strictly increasing.</li>
 * </ul>
 * About 1% of requests are malformed on purpose and must get the exact {@code ERR} reply
 * while the connection carries on.
 *
 * <p>After the random part ({@code requests} requests, or fewer if {@link #stop()} is called)
 * comes a fixed finale ({@link #finaleSize()} requests): a GET of every own key, checking the
 * whole final state, then a GET of every shared key, which must hold a counter at least as high
 * as the highest value this connection saw for it (and may be absent only if it saw none: all
 * of this connection's INCRs were answered before the GET). Shared keys only ever see INCR, so
 * whatever the interleaving of connections their final values are the total number of INCRs;
 * a run of a fixed request count therefore always leaves the same store and the same
 * {@code DUMP} digest.
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

    private final LoadClient.Protocol protocol;
    private final SplittableRandom random;
    private final String hostHeader;
    private final String[] counters;
    private final String[] strings;
    private final String[] shared;
    /** Model of own counters: null = absent. */
    private final Long[] counterValues;
    /** Model of own strings: null = absent. */
    private final String[] stringValues;
    private final Map<String, Long> sharedSeen = new HashMap<>();
    private final long requests;
    private long generated;
    private int finale;
    private boolean stopped;

    LoadStream(LoadClient.Protocol protocol, long seed, int connection, String keyPrefix,
               int ownKeys, int sharedKeys, long requests, String hostHeader) {
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

    /** Requests of the finale: a GET of every own counter, own string and shared counter. */
    int finaleSize() {
        return counters.length + strings.length + shared.length;
    }

    /**
     * How many requests a stream of these parameters sends when it is not stopped: the random
     * part plus the finale; -1 when {@code requests} is 0 (until stopped).
     */
    static long expected(LoadClient.Protocol protocol, long requests, int ownKeys, int sharedKeys) {
        if (requests == 0) {
            return -1;
        }
        return requests + ownKeys * (protocol == LoadClient.Protocol.KV ? 2L : 1L) + sharedKeys;
    }

    /** The next request, or null when the stream (finale included) is over. */
    Request next() {
        if (!stopped && (requests == 0 || generated < requests)) {
            generated++;
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
        return null;
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
