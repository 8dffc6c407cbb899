package dev.understudy.apps;

import dev.understudy.lab.Json;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A verifying load client for the sample servers: N connections, each a deterministic,
 * seeded request stream ({@link LoadStream}) with a configurable pipelining depth; every
 * reply is checked against what it must be. It is the judge of every failover test, so it
 * counts every unexpected event on a connection as an error, by kind: a wrong reply
 * (mismatch, including a malformed one, a final shared-counter GET below what the
 * connection saw and a shared log that lost, repeated or reordered one of the connection's
 * tokens), a reset, an EOF, a timeout (a reply, or a write, taking longer than
 * {@code --reply-timeout}), a failed connect, bytes after the last reply that no request asked
 * for (trailing bytes), a gap between two replies longer than {@code --max-gap}, and any
 * other exception (other, with its message). A connection that fails is not reopened: the
 * point is to see whether a connection survives.
 *
 * <p>Every blocking operation is bounded: reads by the socket timeout, and reads, writes and
 * the final wait for trailing bytes by one watchdog thread per run that closes the socket of
 * an operation older than {@code --reply-timeout} (socket writes cannot time out by
 * themselves). Per connection it records the longest gap between consecutive replies, the
 * client's local port, the bytes sent and received with their SHA-256 and, with
 * {@code --record-dir}, the exact bytes in {@code conn-<index>-<localPort>.sent} and
 * {@code .recv}; with {@code --gap-log}, every gap between replies longer than
 * {@code --gap-log-threshold} (wall clock at its end, connection, length: {@link GapLog}),
 * written when the run ends (a failed write is an error of the run).
 *
 * <p>The run is bounded by the request count per connection and by wall time. A run stopped
 * by the wall time before the request count is not ok unless {@code --allow-duration-stop}
 * is given ({@code --requests 0} means "until --duration": there it is the plan). Command line:
 *
 * <pre>
 * java dev.understudy.apps.LoadClient --target HOST:PORT [--protocol kv|http]
 *     [--connections 16] [--requests 2000] [--pipeline 1] [--seed 1] [--duration 60s]
 *     [--reply-timeout 10s] [--own-keys 4] [--shared-keys 4] [--key-prefix lc] [--dump]
 *     [--allow-duration-stop] [--max-gap T] [--record-dir DIR] [--trailing-wait 200ms] [--send-buffer 0]
 *     [--shared-appends 0] [--gap-log FILE] [--gap-log-threshold 20ms]
 * </pre>
 *
 * It prints ONE line of JSON ({@link Summary#toJson()}) on stdout and exits 0 when the run is
 * ok ({@link Summary#ok()}), 1 when not, 2 on a usage error. From code: {@link #run(Config)}.
 *
 * <p>Thread-safety: {@link #run} starts one thread per connection plus a watchdog and returns
 * when all have finished; it may be called from several threads at once.
 */
public final class LoadClient {
    /** Which server dialect to speak. */
    public enum Protocol {
        /** The {@link KvProtocol} line protocol. */
        KV,
        /** {@link HttpCounterServer}'s HTTP/1.1 API. */
        HTTP
    }

    /** How long a connection waits after its last reply for bytes nobody asked for, by default. */
    public static final Duration DEFAULT_TRAILING_WAIT = Duration.ofMillis(200);

    /**
     * Everything a run needs; {@link #defaults(String, int)} gives the usual values.
     *
     * @param allowDurationStop a run stopped by {@code duration} before {@code requests} may still be ok
     * @param maxGap            longest allowed gap between consecutive replies of a connection; null = no limit
     * @param recordDir         where to write each connection's sent and received bytes; null = do not
     * @param trailingWait      how long to wait after the last reply for trailing bytes
     * @param sendBuffer        SO_SNDBUF of each connection in bytes, 0 = the system's (autotuned) default
     * @param sharedAppends     shared logs every connection APPENDs tokens to ({@link LoadStream}); 0 = none,
     *                          the streams of earlier versions byte for byte. Above 0 it needs a fixed
     *                          {@code requests} and a worst-case log size ({@link LoadStream#sharedLogBound})
     *                          within {@link KvStore#MAX_VALUE}, so no APPEND is ever refused
     * @param gapLog            where to write every gap between replies longer than {@code gapLogThreshold}
     *                          ({@link GapLog}); null = do not
     * @param gapLogThreshold   gaps at most this long are not logged
     */
    public record Config(String host, int port, Protocol protocol, int connections, long requests, int pipeline,
                         long seed, Duration duration, Duration replyTimeout, int ownKeys, int sharedKeys,
                         String keyPrefix, boolean dump, boolean allowDurationStop, Duration maxGap, Path recordDir,
                         Duration trailingWait, int sendBuffer, int sharedAppends, Path gapLog,
                         Duration gapLogThreshold, int rate) {
        public Config {
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("invalid target host: value=" + host + ", expected a host");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("invalid target port: value=" + port + ", expected 1..65535");
            }
            if (protocol == null) {
                throw new IllegalArgumentException("invalid protocol: value=null, expected kv|http");
            }
            if (connections < 1 || connections > 10_000) {
                throw new IllegalArgumentException("invalid --connections: value=" + connections + ", expected 1..10000");
            }
            if (requests < 0) {
                throw new IllegalArgumentException("invalid --requests: value=" + requests + ", expected >= 0 (0 = until --duration)");
            }
            if (pipeline < 1 || pipeline > 4096) {
                throw new IllegalArgumentException("invalid --pipeline: value=" + pipeline + ", expected 1..4096");
            }
            if (duration == null || duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("invalid --duration: value=" + duration + ", expected > 0");
            }
            if (replyTimeout == null || replyTimeout.isNegative() || replyTimeout.isZero()) {
                throw new IllegalArgumentException("invalid --reply-timeout: value=" + replyTimeout + ", expected > 0");
            }
            if (ownKeys < 1 || ownKeys > 1000) {
                throw new IllegalArgumentException("invalid --own-keys: value=" + ownKeys + ", expected 1..1000");
            }
            if (sharedKeys < 1 || sharedKeys > 1000) {
                throw new IllegalArgumentException("invalid --shared-keys: value=" + sharedKeys + ", expected 1..1000");
            }
            if (keyPrefix == null || !keyPrefix.matches("[A-Za-z0-9_-]{1,32}")) {
                throw new IllegalArgumentException("invalid --key-prefix: value=" + keyPrefix + ", expected [A-Za-z0-9_-]{1,32}");
            }
            if (maxGap != null && (maxGap.isNegative() || maxGap.isZero())) {
                throw new IllegalArgumentException("invalid --max-gap: value=" + maxGap + ", expected > 0");
            }
            if (trailingWait == null || trailingWait.isNegative() || trailingWait.isZero()
                || trailingWait.compareTo(Duration.ofMinutes(1)) > 0) {
                throw new IllegalArgumentException("invalid --trailing-wait: value=" + trailingWait + ", expected > 0 and <= 1m");
            }
            if (sendBuffer < 0 || sendBuffer > 64 * 1024 * 1024) {
                throw new IllegalArgumentException("invalid --send-buffer: value=" + sendBuffer + ", expected 0..67108864 (0 = default)");
            }
            if (sharedAppends < 0 || sharedAppends > 1000) {
                throw new IllegalArgumentException("invalid --shared-appends: value=" + sharedAppends + ", expected 0..1000");
            }
            if (sharedAppends > 0 && requests == 0) {
                throw new IllegalArgumentException("invalid --shared-appends: value=" + sharedAppends
                    + " with --requests 0: a run until --duration could grow a shared log past KvStore.MAX_VALUE ("
                    + KvStore.MAX_VALUE + " characters); give a --requests bound (with --allow-duration-stop if the"
                    + " duration is to end it)");
            }
            if (rate < 0 || rate > 1_000_000) {
                throw new IllegalArgumentException("invalid --rate: value=" + rate + ", expected 0..1000000 (0 = as fast as replies come)");
            }
            if (gapLogThreshold == null || gapLogThreshold.isNegative()) {
                throw new IllegalArgumentException("invalid --gap-log-threshold: value=" + gapLogThreshold + ", expected >= 0");
            }
            long bound = LoadStream.sharedLogBound(connections, requests, sharedAppends);
            if (bound > KvStore.MAX_VALUE) {
                throw new IllegalArgumentException("invalid --shared-appends: value=" + sharedAppends + " with --connections "
                    + connections + " and --requests " + requests + ": a shared log could reach " + bound
                    + " characters, more than KvStore.MAX_VALUE (" + KvStore.MAX_VALUE + "); use more shared logs,"
                    + " fewer connections or fewer requests");
            }
        }

        /** The settings without a rate limit. */
        public Config(String host, int port, Protocol protocol, int connections, long requests, int pipeline,
                      long seed, Duration duration, Duration replyTimeout, int ownKeys, int sharedKeys,
                      String keyPrefix, boolean dump, boolean allowDurationStop, Duration maxGap, Path recordDir,
                      Duration trailingWait, int sendBuffer, int sharedAppends, Path gapLog, Duration gapLogThreshold) {
            this(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys, sharedKeys,
                keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog,
                gapLogThreshold, 0);
        }

        /** The settings without the strictness options: no duration stop allowed, no gap limit, no recording. */
        public Config(String host, int port, Protocol protocol, int connections, long requests, int pipeline,
                      long seed, Duration duration, Duration replyTimeout, int ownKeys, int sharedKeys,
                      String keyPrefix, boolean dump) {
            this(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, false, null, null, DEFAULT_TRAILING_WAIT, 0, 0, null,
                Duration.ofMillis(GapLog.DEFAULT_THRESHOLD_MS));
        }

        /** KV, 16 connections x 2,000 requests, no pipelining, seed 1, 60 s wall time, 10 s reply timeout, no dump. */
        public static Config defaults(String host, int port) {
            return new Config(host, port, Protocol.KV, 16, 2000, 1, 1, Duration.ofSeconds(60), Duration.ofSeconds(10),
                4, 4, "lc", false);
        }

        /** Requests per connection when it is not stopped (random part + finale), or -1 for {@code --requests 0}. */
        public long expectedPerConnection() {
            return LoadStream.expected(protocol, requests, ownKeys, sharedKeys, sharedAppends);
        }

        public Config withProtocol(Protocol p) {
            return new Config(host, port, p, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withLoad(int connections, long requests, int pipeline) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withSeed(long s) {
            return new Config(host, port, protocol, connections, requests, pipeline, s, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withDuration(Duration d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, d, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withReplyTimeout(Duration d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, d, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withKeys(int own, int shared) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, own,
                shared, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withDump(boolean d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, d, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withKeyPrefix(String p) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, p, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withAllowDurationStop(boolean allow) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allow, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        /** A gap limit, or null for none. */
        public Config withMaxGap(Duration limit) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, limit, recordDir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        /** A directory for the per-connection byte records, or null for none. */
        public Config withRecordDir(Path dir) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, dir, trailingWait, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        public Config withTrailingWait(Duration d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, d, sendBuffer, sharedAppends, gapLog, gapLogThreshold);
        }

        /** Shared logs to APPEND to, 0 for none (see {@link LoadStream}). */
        public Config withSharedAppends(int logs) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, logs, gapLog, gapLogThreshold);
        }

        /** A file for the gaps between replies longer than {@code threshold} ({@link GapLog}), or null for none. */
        public Config withGapLog(Path file, Duration threshold) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends,
                file, threshold);
        }

        /** SO_SNDBUF of each connection, 0 for the system default. */
        public Config withSendBuffer(int bytes) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys,
                sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, bytes, sharedAppends, gapLog, gapLogThreshold);
        }
    }

    /** The store's digest as the server reported it. */
    public record Dump(long count, String sha256) {
    }

    /** Latency percentiles in microseconds. */
    public record Latency(long p50, long p99, long p999, long max, long mean) {
    }

    /**
     * The outcome of one connection.
     *
     * @param localPort            the client's port (0 when the connect failed)
     * @param expected             requests it would send when not stopped, -1 for {@code --requests 0}
     * @param timeouts             replies or writes slower than the reply timeout (at most 1)
     * @param writeTimeouts        the part of {@code timeouts} that were writes
     * @param trailingBytes        bytes received after the last reply, that no request asked for
     * @param gapExceeded          its longest gap exceeded {@code --max-gap}
     * @param maxGapMs             longest time between two consecutive replies (the first from the first request)
     * @param sentBytes            bytes written (each write completed), exactly those of {@code sentSha256}
     * @param sentBytesUnconfirmed bytes of a write that failed: some may have reached the server
     * @param receivedBytes        bytes read, exactly those of {@code receivedSha256}
     * @param firstError           the first error's message, or null
     */
    public record Connection(int index, int localPort, long sent, long completed, long expected, long mismatches,
                             long resets, long eofs, long timeouts, long writeTimeouts, long connectFailures,
                             long otherErrors, long trailingBytes, boolean gapExceeded, double maxGapMs,
                             boolean stoppedByDuration, long sentBytes, long sentBytesUnconfirmed, long receivedBytes,
                             String sentSha256, String receivedSha256, String firstError) {
        /** Sum of its error counters; trailing bytes and an exceeded gap count 1 each. */
        public long errors() {
            return mismatches + resets + eofs + timeouts + connectFailures + otherErrors
                + (trailingBytes > 0 ? 1 : 0) + (gapExceeded ? 1 : 0);
        }

        Map<String, Object> toJsonMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("index", index);
            m.put("localPort", localPort);
            m.put("sent", sent);
            m.put("completed", completed);
            m.put("expected", expected < 0 ? null : expected);
            m.put("errors", errors());
            m.put("mismatches", mismatches);
            m.put("resets", resets);
            m.put("eofs", eofs);
            m.put("timeouts", timeouts);
            m.put("writeTimeouts", writeTimeouts);
            m.put("connectFailures", connectFailures);
            m.put("otherErrors", otherErrors);
            m.put("trailingBytes", trailingBytes);
            m.put("gapExceeded", gapExceeded);
            m.put("maxGapMs", Json.round3(maxGapMs));
            m.put("stoppedByDuration", stoppedByDuration);
            m.put("sentBytes", sentBytes);
            m.put("sentBytesUnconfirmed", sentBytesUnconfirmed);
            m.put("receivedBytes", receivedBytes);
            m.put("sentSha256", sentSha256);
            m.put("receivedSha256", receivedSha256);
            m.put("firstError", firstError);
            return m;
        }
    }

    /**
     * The outcome of a run: the totals are sums over {@link #perConnection()}. A run is
     * {@link #ok()} when it has no error, every sent request was answered, and (for a fixed
     * request count) every planned request was sent, unless a duration stop is allowed.
     */
    public record Summary(Protocol protocol, String target, int connections, long requestsPerConnection, int pipeline,
                          long seed, long durationMs, boolean allowDurationStop, Duration maxGap, Latency latencyUs,
                          List<Connection> perConnection, Dump dump, String dumpError, String gapLogError,
                          List<String> firstErrors) {
        private long sum(java.util.function.ToLongFunction<Connection> f) {
            long s = 0;
            for (Connection c : perConnection) {
                s += f.applyAsLong(c);
            }
            return s;
        }

        public long sent() {
            return sum(Connection::sent);
        }

        public long completed() {
            return sum(Connection::completed);
        }

        /** Requests of all connections when none is stopped, or -1 for {@code --requests 0}. */
        public long expected() {
            long e = 0;
            for (Connection c : perConnection) {
                if (c.expected() < 0) {
                    return -1;
                }
                e += c.expected();
            }
            return e;
        }

        public long mismatches() {
            return sum(Connection::mismatches);
        }

        public long resets() {
            return sum(Connection::resets);
        }

        public long eofs() {
            return sum(Connection::eofs);
        }

        public long timeouts() {
            return sum(Connection::timeouts);
        }

        public long writeTimeouts() {
            return sum(Connection::writeTimeouts);
        }

        public long connectFailures() {
            return sum(Connection::connectFailures);
        }

        public long otherErrors() {
            return sum(Connection::otherErrors);
        }

        /** Connections that received trailing bytes. */
        public long trailingBytes() {
            return sum(c -> c.trailingBytes() > 0 ? 1 : 0);
        }

        /** Connections whose longest gap exceeded {@link #maxGap()}. */
        public long gapExceeded() {
            return sum(c -> c.gapExceeded() ? 1 : 0);
        }

        public boolean stoppedByDuration() {
            return sum(c -> c.stoppedByDuration() ? 1 : 0) > 0;
        }

        /** Total of all error counters, plus 1 when a requested dump failed and 1 when writing the gap log failed. */
        public long errors() {
            return sum(Connection::errors) + (dumpError != null ? 1 : 0) + (gapLogError != null ? 1 : 0);
        }

        /** Why the run is not ok; empty when it is. */
        public List<String> problems() {
            List<String> p = new ArrayList<>();
            if (errors() != 0) {
                p.add(errors() + " errors");
            }
            if (completed() != sent()) {
                p.add("completed " + completed() + " of " + sent() + " sent requests");
            }
            long expected = expected();
            if (expected >= 0 && sent() != expected && !(allowDurationStop && stoppedByDuration())) {
                p.add("sent " + sent() + " of " + expected + " expected requests"
                    + (stoppedByDuration() ? " (stopped by --duration; --allow-duration-stop not given)" : ""));
            }
            return p;
        }

        /** No error, completed == sent, and sent == expected (for a fixed count, unless a duration stop is allowed). */
        public boolean ok() {
            return problems().isEmpty();
        }

        /** The longest gap of each connection, in milliseconds, in connection order. */
        public List<Double> maxGapMs() {
            List<Double> l = new ArrayList<>(perConnection.size());
            for (Connection c : perConnection) {
                l.add(c.maxGapMs());
            }
            return l;
        }

        /** The longest gap of any connection, in milliseconds. */
        public double maxGapOverallMs() {
            double m = 0;
            for (Connection c : perConnection) {
                m = Math.max(m, c.maxGapMs());
            }
            return m;
        }

        public double throughputPerSec() {
            return durationMs == 0 ? 0 : completed() * 1000.0 / durationMs;
        }

        /** One line of JSON, no line end. */
        public String toJson() {
            return Json.write(toJsonMap());
        }

        /** What {@link #toJson()} writes, in its order: for embedding in a larger JSON value. */
        public Map<String, Object> toJsonMap() {
            List<String> problems = problems();
            long expected = expected();
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("ok", problems.isEmpty());
            m.put("protocol", protocol.name().toLowerCase(Locale.ROOT));
            m.put("target", target);
            m.put("connections", connections);
            m.put("requestsPerConnection", requestsPerConnection);
            m.put("pipeline", pipeline);
            m.put("seed", seed);
            m.put("sent", sent());
            m.put("completed", completed());
            m.put("expected", expected < 0 ? null : expected);
            m.put("errors", errors());
            m.put("mismatches", mismatches());
            m.put("resets", resets());
            m.put("eofs", eofs());
            m.put("timeouts", timeouts());
            m.put("writeTimeouts", writeTimeouts());
            m.put("connectFailures", connectFailures());
            m.put("otherErrors", otherErrors());
            m.put("trailingBytes", trailingBytes());
            m.put("gapExceeded", gapExceeded());
            m.put("durationMs", durationMs);
            m.put("stoppedByDuration", stoppedByDuration());
            m.put("allowDurationStop", allowDurationStop);
            m.put("maxGapLimitMs", maxGap == null ? null : maxGap.toMillis());
            m.put("throughputPerSec", Math.round(throughputPerSec()));
            Map<String, Object> latency = new LinkedHashMap<>();
            latency.put("p50", latencyUs.p50());
            latency.put("p99", latencyUs.p99());
            latency.put("p999", latencyUs.p999());
            latency.put("max", latencyUs.max());
            latency.put("mean", latencyUs.mean());
            m.put("latencyUs", latency);
            m.put("maxGapMsOverall", Json.round3(maxGapOverallMs()));
            List<Object> gaps = new ArrayList<>(perConnection.size());
            for (Connection c : perConnection) {
                gaps.add(Json.round3(c.maxGapMs()));
            }
            m.put("maxGapMs", gaps);
            if (dump != null) {
                Map<String, Object> d = new LinkedHashMap<>();
                d.put("count", dump.count());
                d.put("sha256", dump.sha256());
                m.put("dump", d);
            }
            if (dumpError != null) {
                m.put("dumpError", dumpError);
            }
            if (gapLogError != null) {
                m.put("gapLogError", gapLogError);
            }
            m.put("problems", problems);
            m.put("firstErrors", firstErrors);
            List<Object> conns = new ArrayList<>(perConnection.size());
            for (Connection c : perConnection) {
                conns.add(c.toJsonMap());
            }
            m.put("perConnection", conns);
            return m;
        }
    }

    static final int MAX_REPORTED_ERRORS = 10;
    /** At most this many trailing bytes are read (and recorded) per connection. */
    static final int MAX_TRAILING_BYTES = 64 * 1024;

    private LoadClient() {
    }

    public static void main(String[] args) {
        Config config;
        try {
            config = parseArgs(args);
        } catch (IllegalArgumentException e) {
            System.err.println("LoadClient: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        if (config == null) {
            System.out.println(USAGE);
            return;
        }
        Summary s = run(config);
        System.out.println(s.toJson());
        System.out.flush();
        System.exit(s.ok() ? 0 : 1);
    }

    static final String USAGE = String.join("\n",
        "usage: java dev.understudy.apps.LoadClient --target HOST:PORT [options]",
        "  --protocol kv|http     dialect (default kv)",
        "  --connections N        concurrent connections (default 16)",
        "  --requests N           random requests per connection, 0 = until --duration (default 2000)",
        "  --pipeline D           requests in flight per connection (default 1; keep 1 for",
        "                         HttpCounterServer: the JDK server stalls on pipelined requests)",
        "  --seed S               stream seed; same seed, same requests (default 1)",
        "  --duration T           wall-time bound, e.g. 500ms, 30s, 2m (default 60s)",
        "  --allow-duration-stop  a run stopped by --duration before --requests may be ok",
        "  --reply-timeout T      a reply, or a write, slower than this is a timeout error (default 10s)",
        "  --max-gap T            a connection whose longest gap between replies exceeds T is an error",
        "  --trailing-wait T      after the last reply, wait T for bytes nobody asked for (default 200ms)",
        "  --send-buffer BYTES    SO_SNDBUF per connection, 0 = system default (small: writes block sooner)",
        "  --rate R               at most R requests a second per connection, 0 = as fast as replies come (default 0)",
        "  --record-dir DIR       write each connection's bytes to DIR/conn-<index>-<localPort>.sent/.recv",
        "  --gap-log FILE         write every gap between two replies of a connection longer than",
        "                         --gap-log-threshold to FILE: end-epoch-ms connection gap-ms, one a line",
        "  --gap-log-threshold T  shorter gaps are not logged (default 20ms)",
        "  --own-keys N           counters (and strings, kv) per connection (default 4)",
        "  --shared-keys N        counters all connections INCR (default 4)",
        "  --shared-appends N     N shared logs all connections APPEND tokens to, so the final state",
        "                         depends on the order of their requests (default 0 = none)",
        "  --key-prefix P         key namespace, [A-Za-z0-9_-]{1,32} (default lc)",
        "  --dump                 after the run, ask the server for its DUMP digest",
        "prints one JSON line; exit 0 = ok, 1 = not ok (errors, or requests missing), 2 = usage");

    /**
     * Parses the command line.
     *
     * @return the configuration, or null for {@code --help}
     * @throws IllegalArgumentException naming the bad option and value
     */
    public static Config parseArgs(String[] args) {
        Config d = Config.defaults("localhost", 1);
        String host = null;
        int port = 0;
        Protocol protocol = d.protocol();
        int connections = d.connections();
        long requests = d.requests();
        int pipeline = d.pipeline();
        long seed = d.seed();
        Duration duration = d.duration();
        Duration replyTimeout = d.replyTimeout();
        int ownKeys = d.ownKeys();
        int sharedKeys = d.sharedKeys();
        String keyPrefix = d.keyPrefix();
        boolean dump = false;
        boolean allowDurationStop = false;
        Duration maxGap = null;
        Path recordDir = null;
        Duration trailingWait = d.trailingWait();
        int sendBuffer = 0;
        int sharedAppends = 0;
        int rate = 0;
        Path gapLog = null;
        Duration gapLogThreshold = d.gapLogThreshold();
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("--help") || opt.equals("-h")) {
                return null;
            }
            if (opt.equals("--dump")) {
                dump = true;
                continue;
            }
            if (opt.equals("--allow-duration-stop")) {
                allowDurationStop = true;
                continue;
            }
            if (!opt.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument: value=" + opt + ", expected an --option");
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + opt);
            }
            String v = args[++i];
            switch (opt) {
                case "--target": {
                    int colon = v.lastIndexOf(':');
                    if (colon <= 0 || colon == v.length() - 1) {
                        throw new IllegalArgumentException("invalid --target: value=" + v + ", expected HOST:PORT");
                    }
                    host = v.substring(0, colon);
                    port = (int) parseLong(opt, v.substring(colon + 1));
                    break;
                }
                case "--protocol":
                    if (v.equalsIgnoreCase("kv")) {
                        protocol = Protocol.KV;
                    } else if (v.equalsIgnoreCase("http")) {
                        protocol = Protocol.HTTP;
                    } else {
                        throw new IllegalArgumentException("invalid --protocol: value=" + v + ", expected kv|http");
                    }
                    break;
                case "--connections":
                    connections = (int) parseLong(opt, v);
                    break;
                case "--requests":
                    requests = parseLong(opt, v);
                    break;
                case "--pipeline":
                    pipeline = (int) parseLong(opt, v);
                    break;
                case "--seed":
                    seed = parseLong(opt, v);
                    break;
                case "--duration":
                    duration = parseDuration(opt, v);
                    break;
                case "--reply-timeout":
                    replyTimeout = parseDuration(opt, v);
                    break;
                case "--max-gap":
                    maxGap = parseDuration(opt, v);
                    break;
                case "--trailing-wait":
                    trailingWait = parseDuration(opt, v);
                    break;
                case "--send-buffer":
                    sendBuffer = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, parseLong(opt, v)));
                    break;
                case "--record-dir":
                    if (v.isEmpty()) {
                        throw new IllegalArgumentException("invalid --record-dir: value=, expected a directory");
                    }
                    recordDir = Path.of(v);
                    break;
                case "--gap-log":
                    if (v.isEmpty()) {
                        throw new IllegalArgumentException("invalid --gap-log: value=, expected a file");
                    }
                    gapLog = Path.of(v);
                    break;
                case "--gap-log-threshold":
                    gapLogThreshold = parseDuration(opt, v);
                    break;
                case "--own-keys":
                    ownKeys = (int) parseLong(opt, v);
                    break;
                case "--shared-keys":
                    sharedKeys = (int) parseLong(opt, v);
                    break;
                case "--key-prefix":
                    keyPrefix = v;
                    break;
                case "--shared-appends":
                    sharedAppends = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, parseLong(opt, v)));
                    break;
                case "--rate":
                    rate = (int) Math.max(-1, Math.min(Integer.MAX_VALUE, parseLong(opt, v)));
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + opt);
            }
        }
        if (host == null) {
            throw new IllegalArgumentException("missing --target HOST:PORT");
        }
        return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout,
            ownKeys, sharedKeys, keyPrefix, dump, allowDurationStop, maxGap, recordDir, trailingWait, sendBuffer, sharedAppends,
            gapLog, gapLogThreshold, rate);
    }

    private static long parseLong(String opt, String v) {
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + opt + ": value=" + v + ", expected an integer");
        }
    }

    /** {@code 250ms}, {@code 30s}, {@code 2m}, or a bare number of seconds. */
    static Duration parseDuration(String opt, String v) {
        try {
            if (v.endsWith("ms")) {
                return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
            }
            if (v.endsWith("s")) {
                return Duration.ofMillis(Math.round(Double.parseDouble(v.substring(0, v.length() - 1)) * 1000));
            }
            if (v.endsWith("m")) {
                return Duration.ofSeconds(Long.parseLong(v.substring(0, v.length() - 1)) * 60);
            }
            return Duration.ofMillis(Math.round(Double.parseDouble(v) * 1000));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid " + opt + ": value=" + v + ", expected e.g. 500ms, 30s, 2m");
        }
    }

    /** The record file of a connection: {@code dir/conn-<index>-<localPort>.<ext>}, ext {@code sent} or {@code recv}. */
    public static Path recordFile(Path dir, int index, int localPort, String ext) {
        return dir.resolve("conn-" + index + "-" + localPort + "." + ext);
    }

    /** Runs the load and returns its summary; never throws for network errors (they are counted). */
    public static Summary run(Config config) {
        int n = config.connections();
        Worker[] workers = new Worker[n];
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[n];
        Watchdog watchdog = new Watchdog(workers, config.replyTimeout());
        Thread watchdogThread = new Thread(watchdog, "load-client-watchdog");
        watchdogThread.setDaemon(true);
        long start;
        long startEpochMs;
        try {
            for (int i = 0; i < n; i++) {
                workers[i] = new Worker(config, i, connected, go);
            }
            watchdogThread.start();
            for (int i = 0; i < n; i++) {
                threads[i] = new Thread(workers[i], "load-client-" + i);
                threads[i].setDaemon(true);
                try {
                    threads[i].start();
                } catch (OutOfMemoryError e) {
                    threads[i] = null;
                    workers[i].failedToStart(e);
                    connected.countDown();
                }
            }
            try {
                connected.await(config.replyTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            start = System.nanoTime();
            startEpochMs = System.currentTimeMillis();
            long deadline = start + config.duration().toNanos();
            for (Worker w : workers) {
                w.deadline = deadline;
            }
        } finally {
            go.countDown();
        }
        boolean interrupted = false;
        for (int i = 0; i < n; i++) {
            Thread t = threads[i];
            while (t != null) {
                try {
                    // bounded: the watchdog ends every read or write older than the reply timeout,
                    // and the deadline stops new random requests
                    t.join();
                    t = null;
                } catch (InterruptedException e) {
                    // end it all now: every blocked operation fails on its closed socket (and counts)
                    interrupted = true;
                    for (Worker w : workers) {
                        w.abort("run interrupted");
                    }
                }
            }
        }
        watchdog.stop(watchdogThread);
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        long durationMs = (System.nanoTime() - start) / 1_000_000;

        int latencies = 0;
        List<Connection> conns = new ArrayList<>(n);
        List<String> errors = new ArrayList<>();
        for (Worker w : workers) {
            conns.add(w.result());
            latencies += w.latencyCount;
            for (String e : w.errors) {
                if (errors.size() < MAX_REPORTED_ERRORS) {
                    errors.add("conn " + w.index + ": " + e);
                }
            }
        }
        long[] all = new long[latencies];
        int pos = 0;
        for (Worker w : workers) {
            System.arraycopy(w.latencies, 0, all, pos, w.latencyCount);
            pos += w.latencyCount;
        }
        Latency latency = latency(all);

        Dump dump = null;
        String dumpError = null;
        if (config.dump()) {
            try {
                dump = dump(config);
            } catch (IOException | RuntimeException e) {
                dumpError = e.toString();
            }
        }
        String gapLogError = null;
        if (config.gapLog() != null) {
            List<GapLog.Gap> gaps = new ArrayList<>();
            for (Worker w : workers) {
                for (int i = 0; i < w.gapCount; i++) {
                    gaps.add(new GapLog.Gap(w.gapEndEpochMs[i], w.index, w.gapNanos[i] / 1e6));
                }
            }
            try {
                GapLog.write(config.gapLog(), startEpochMs, config.gapLogThreshold().toMillis(), n, gaps);
            } catch (IOException | RuntimeException e) {
                gapLogError = "writing the gap log " + config.gapLog() + " failed: " + e;
            }
        }
        return new Summary(config.protocol(), config.host() + ":" + config.port(), n, config.requests(),
            config.pipeline(), config.seed(), durationMs, config.allowDurationStop(), config.maxGap(), latency,
            Collections.unmodifiableList(conns), dump, dumpError, gapLogError, Collections.unmodifiableList(errors));
    }

    /** Percentiles (nearest rank) of latencies given in nanoseconds, reported in microseconds. */
    static Latency latency(long[] nanos) {
        if (nanos.length == 0) {
            return new Latency(0, 0, 0, 0, 0);
        }
        Arrays.sort(nanos);
        long sum = 0;
        for (long v : nanos) {
            sum += v;
        }
        return new Latency(rank(nanos, 0.50) / 1000, rank(nanos, 0.99) / 1000, rank(nanos, 0.999) / 1000,
            nanos[nanos.length - 1] / 1000, sum / nanos.length / 1000);
    }

    private static long rank(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** Asks the server for its digest on a fresh connection ({@code DUMP} or {@code GET /dump}). */
    public static Dump dump(Config config) throws IOException {
        try (Socket s = new Socket()) {
            int timeout = (int) Math.min(Integer.MAX_VALUE, config.replyTimeout().toMillis());
            s.connect(new InetSocketAddress(config.host(), config.port()), timeout);
            s.setSoTimeout(timeout);
            s.setTcpNoDelay(true);
            ReplyReader in = new ReplyReader(s.getInputStream());
            OutputStream out = s.getOutputStream();
            LoadStream.Reply reply;
            if (config.protocol() == Protocol.KV) {
                out.write("DUMP\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reply = new LoadStream.Reply(0, in.line());
            } else {
                out.write(("GET /dump HTTP/1.1\r\nHost: " + config.host() + ":" + config.port() + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
                out.flush();
                reply = in.httpReply();
            }
            String[] parts = reply.line().split(" ");
            if (parts.length != 3 || !parts[0].equals("DUMP") || (reply.status() != 0 && reply.status() != 200)) {
                throw new IOException("unexpected dump reply: " + reply);
            }
            return new Dump(Long.parseLong(parts[1]), parts[2]);
        }
    }

    /**
     * Ends operations that take too long: every few milliseconds it looks at each connection's
     * current read or write and closes the socket of one older than the reply timeout. The
     * connection then sees its operation fail and counts a timeout. One thread per run,
     * stopped (and joined) when the run ends.
     */
    private static final class Watchdog implements Runnable {
        private final Worker[] workers;
        private final long timeoutNanos;
        private final long tickNanos;
        private volatile boolean stopped;

        Watchdog(Worker[] workers, Duration timeout) {
            this.workers = workers;
            this.timeoutNanos = timeout.toNanos();
            this.tickNanos = Math.max(1_000_000L, Math.min(20_000_000L, timeoutNanos / 20));
        }

        @Override
        public void run() {
            while (!stopped) {
                long now = System.nanoTime();
                for (Worker w : workers) {
                    if (w != null) {
                        w.expireIfOlder(now, timeoutNanos);
                    }
                }
                LockSupport.parkNanos(tickNanos);
            }
        }

        void stop(Thread t) {
            stopped = true;
            LockSupport.unpark(t);
            boolean interrupted = false;
            while (t.isAlive()) {
                try {
                    t.join();
                } catch (InterruptedException e) {
                    interrupted = true;
                }
            }
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** A read or write that the watchdog ended, or that took longer than the reply timeout. */
    static final class OperationTimeoutException extends IOException {
        private static final long serialVersionUID = 1L;
        final boolean write;

        OperationTimeoutException(String message, boolean write) {
            super(message);
            this.write = write;
        }
    }

    /** A reply that is not well-formed: counted as a mismatch. */
    static final class MalformedReplyException extends IOException {
        private static final long serialVersionUID = 1L;

        MalformedReplyException(String message) {
            super(message);
        }

        MalformedReplyException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Writing a record file failed: counted as an other error. */
    static final class RecordException extends IOException {
        private static final long serialVersionUID = 1L;

        RecordException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** One direction of a connection's bytes: count, SHA-256 and, optionally, a file holding them. */
    static final class Tap {
        private final MessageDigest digest;
        private long bytes;
        private OutputStream file;
        private Path path;
        private String hex;

        Tap() {
            try {
                digest = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no SHA-256 in this JVM", e);
            }
        }

        void open(Path p) throws IOException {
            path = p;
            file = new BufferedOutputStream(Files.newOutputStream(p), 64 * 1024);
        }

        void add(byte[] b, int off, int len) throws RecordException {
            if (len <= 0) {
                return;
            }
            digest.update(b, off, len);
            bytes += len;
            if (file != null) {
                try {
                    file.write(b, off, len);
                } catch (IOException e) {
                    closeQuietly();
                    throw new RecordException("writing " + path + " failed: " + e, e);
                }
            }
        }

        long bytes() {
            return bytes;
        }

        /** Closes the file; returns the error, if any. */
        String close() {
            if (file == null) {
                return null;
            }
            OutputStream f = file;
            file = null;
            try {
                f.close();
                return null;
            } catch (IOException e) {
                return "closing " + path + " failed: " + e;
            }
        }

        private void closeQuietly() {
            OutputStream f = file;
            file = null;
            try {
                f.close();
            } catch (IOException ignored) {
                // the write error is what is reported
            }
        }

        /** Lowercase hex SHA-256 of all bytes so far; ends the digest (call once, at the end). */
        String sha256() {
            if (hex == null) {
                hex = HexFormat.of().formatHex(digest.digest());
            }
            return hex;
        }
    }

    /** The socket's input, every byte read also going to a {@link Tap}. */
    private static final class TapInputStream extends FilterInputStream {
        private final Tap tap;

        TapInputStream(InputStream in, Tap tap) {
            super(in);
            this.tap = tap;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            int n = read(one, 0, 1);
            return n < 0 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] b, int off, int len) throws IOException {
            int n = in.read(b, off, len);
            if (n > 0) {
                tap.add(b, off, n);
            }
            return n;
        }
    }

    /** One connection: connects, waits for the common start, runs its stream, looks for trailing bytes. */
    private static final class Worker implements Runnable {
        private static final int IDLE = 0;
        private static final int RUNNING = 1;
        private static final int EXPIRED = 2;

        private final Config config;
        final int index;
        private final CountDownLatch connected;
        private final CountDownLatch go;
        private final Socket socket = new Socket();
        volatile long deadline;

        /** The current operation, for the watchdog: IDLE, RUNNING (since opStart) or EXPIRED (socket closed). */
        private final AtomicInteger opState = new AtomicInteger(IDLE);
        private volatile long opStart;
        private volatile boolean opIsWrite;
        private volatile String aborted;

        final long expected;
        /** Gaps longer than this go to the gap log; -1 without --gap-log. */
        private final long gapLogThresholdNanos;
        long sent;
        long completed;
        long mismatches;
        long resets;
        long eofs;
        long timeouts;
        long writeTimeouts;
        long connectFailures;
        long otherErrors;
        long trailingBytes;
        boolean stoppedByDuration;
        long maxGapNanos;
        long sentBytesUnconfirmed;
        int localPort;
        final Tap sentTap = new Tap();
        final Tap recvTap = new Tap();
        long[] latencies = new long[1024];
        int latencyCount;
        /** The gaps longer than the gap-log threshold (with --gap-log): wall clock at their end, and length. */
        long[] gapEndEpochMs = new long[16];
        long[] gapNanos = new long[16];
        int gapCount;
        String firstError;
        final List<String> errors = new ArrayList<>();
        private Connection result;

        Worker(Config config, int index, CountDownLatch connected, CountDownLatch go) {
            this.config = config;
            this.index = index;
            this.connected = connected;
            this.go = go;
            this.expected = config.expectedPerConnection();
            this.gapLogThresholdNanos = config.gapLog() == null ? -1 : config.gapLogThreshold().toNanos();
        }

        @Override
        public void run() {
            boolean counted = false;
            try (socket) {
                int timeout = (int) Math.min(Integer.MAX_VALUE, config.replyTimeout().toMillis());
                try {
                    if (config.sendBuffer() > 0) {
                        socket.setSendBufferSize(config.sendBuffer()); // before connect: fixed, not autotuned
                    }
                    socket.connect(new InetSocketAddress(config.host(), config.port()), timeout);
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(timeout);
                    localPort = socket.getLocalPort();
                } catch (IOException e) {
                    connectFailures++;
                    error("connect failed: " + e);
                    return;
                }
                if (config.recordDir() != null) {
                    try {
                        Files.createDirectories(config.recordDir());
                        sentTap.open(recordFile(config.recordDir(), index, localPort, "sent"));
                        recvTap.open(recordFile(config.recordDir(), index, localPort, "recv"));
                    } catch (IOException | RuntimeException e) {
                        otherErrors++;
                        error("cannot record to " + config.recordDir() + ": " + e);
                        return;
                    }
                }
                connected.countDown();
                counted = true;
                go.await();
                if (aborted != null) {
                    otherErrors++;
                    error(aborted + " before the start");
                    return;
                }
                exchange();
            } catch (IOException e) {
                otherErrors++;
                error("close failed: " + e);
            } catch (InterruptedException e) {
                otherErrors++;
                error("interrupted: " + e);
                Thread.currentThread().interrupt();
            } catch (Throwable e) {
                otherErrors++;
                error("unexpected " + e);
            } finally {
                if (!counted) {
                    connected.countDown();
                }
                finish();
            }
        }

        private void finish() {
            for (String e : new String[] {sentTap.close(), recvTap.close()}) {
                if (e != null) {
                    otherErrors++;
                    error(e);
                }
            }
            if (gapExceeded()) {
                error("longest gap between replies " + round3(maxGapNanos / 1e6) + " ms exceeds --max-gap "
                    + config.maxGap().toMillis() + " ms");
            }
            result = snapshot();
        }

        private boolean gapExceeded() {
            return config.maxGap() != null && maxGapNanos > config.maxGap().toNanos();
        }

        void failedToStart(Throwable e) {
            otherErrors++;
            error("thread did not start: " + e);
            finish();
        }

        /** Its result; valid after its thread ended (or it failed to start). */
        Connection result() {
            return result != null ? result : snapshot();
        }

        private Connection snapshot() {
            return new Connection(index, localPort, sent, completed, expected, mismatches, resets, eofs, timeouts,
                writeTimeouts, connectFailures, otherErrors, trailingBytes, gapExceeded(), maxGapNanos / 1e6,
                stoppedByDuration, sentTap.bytes(), sentBytesUnconfirmed, recvTap.bytes(), sentTap.sha256(),
                recvTap.sha256(), firstError);
        }

        /** Called by the watchdog: ends (closes the socket of) an operation older than {@code timeoutNanos}. */
        void expireIfOlder(long now, long timeoutNanos) {
            if (opState.get() == RUNNING && now - opStart > timeoutNanos && opState.compareAndSet(RUNNING, EXPIRED)) {
                closeQuietly();
            }
        }

        /** Ends the connection now (its current operation fails and is counted). */
        void abort(String why) {
            aborted = why;
            closeQuietly();
        }

        private void closeQuietly() {
            try {
                socket.close();
            } catch (IOException ignored) {
                // the failing operation is what is reported
            }
        }

        private void beginOp(boolean write) {
            opIsWrite = write;
            opStart = System.nanoTime();
            opState.set(RUNNING);
        }

        /** Ends the operation; it is a timeout when the watchdog ended it or it took longer than the reply timeout. */
        private void endOp() throws OperationTimeoutException {
            long took = System.nanoTime() - opStart;
            if (opState.getAndSet(IDLE) == EXPIRED || took > config.replyTimeout().toNanos()) {
                throw timeout(took);
            }
        }

        private OperationTimeoutException timeout(long tookNanos) {
            return new OperationTimeoutException((opIsWrite ? "write" : "read") + " took " + tookNanos / 1_000_000
                + " ms, more than the reply timeout of " + config.replyTimeout().toMillis() + " ms", opIsWrite);
        }

        private void exchange() {
            LoadStream stream = new LoadStream(config.protocol(), config.seed(), index, config.keyPrefix(),
                config.ownKeys(), config.sharedKeys(), config.sharedAppends(), config.requests(),
                config.host() + ":" + config.port());
            ArrayDeque<LoadStream.Request> inflight = new ArrayDeque<>();
            ArrayDeque<Long> sentAt = new ArrayDeque<>();
            long paceNs = config.rate() > 0 ? 1_000_000_000L / config.rate() : 0;
            long nextSendAt = System.nanoTime();
            ByteArrayOutputStream batch = new ByteArrayOutputStream(1024);
            LoadStream.Request current = null;
            String phase = "request";
            try {
                OutputStream out = socket.getOutputStream();
                ReplyReader in = new ReplyReader(new TapInputStream(socket.getInputStream(), recvTap));
                long lastReply = 0;
                while (true) {
                    if (!stoppedByDuration && !stream.randomPartDone() && System.nanoTime() - deadline >= 0) {
                        stoppedByDuration = true;
                        stream.stop();
                    }
                    batch.reset();
                    int added = 0;
                    LoadStream.Request r;
                    boolean notDue = false;
                    while (inflight.size() < config.pipeline()) {
                        if (paceNs > 0 && System.nanoTime() - nextSendAt < 0) {
                            notDue = true; // --rate: the next request is not due yet
                            break;
                        }
                        if ((r = stream.next()) == null) {
                            break;
                        }
                        batch.write(r.wire(), 0, r.wire().length);
                        inflight.add(r);
                        added++;
                        if (paceNs > 0) {
                            // no burst after a stall: the schedule restarts from now
                            nextSendAt = Math.max(nextSendAt, System.nanoTime() - paceNs) + paceNs;
                        }
                    }
                    if (added == 0 && inflight.isEmpty() && notDue) {
                        // nothing in flight and the next request not due: wait for it (deciding on a second reading of
                        // the clock here would end the connection when the request fell due in between)
                        LockSupport.parkNanos(Math.max(0, nextSendAt - System.nanoTime()));
                        continue;
                    }
                    if (added > 0) {
                        byte[] b = batch.toByteArray();
                        current = inflight.peekLast();
                        phase = "write of";
                        long now = System.nanoTime();
                        sentBytesUnconfirmed = b.length;
                        beginOp(true);
                        out.write(b);
                        out.flush();
                        sentBytesUnconfirmed = 0;
                        sentTap.add(b, 0, b.length);
                        sent += added;
                        for (int i = 0; i < added; i++) {
                            sentAt.add(now);
                        }
                        if (lastReply == 0) {
                            lastReply = now;
                        }
                        endOp();
                    }
                    current = inflight.poll();
                    if (current == null) {
                        break;
                    }
                    phase = "reply to";
                    beginOp(false);
                    LoadStream.Reply reply = config.protocol() == Protocol.KV
                        ? new LoadStream.Reply(0, in.line()) : in.httpReply();
                    endOp();
                    long now = System.nanoTime();
                    recordLatency(now - sentAt.poll());
                    long gap = now - lastReply;
                    maxGapNanos = Math.max(maxGapNanos, gap);
                    if (gapLogThresholdNanos >= 0 && gap > gapLogThresholdNanos) {
                        recordGap(gap);
                    }
                    lastReply = now;
                    completed++;
                    String mismatch = current.expectation().check(reply);
                    if (mismatch != null) {
                        mismatches++;
                        error("request '" + current.text() + "': " + mismatch);
                    }
                }
                phase = "wait for trailing bytes after";
                current = null;
                // bounded by itself: every read waits at most the rest of the trailing wait
                trailingBytes = in.drainTrailing(socket, config.trailingWait(), MAX_TRAILING_BYTES);
                if (trailingBytes > 0) {
                    error(trailingBytes + (trailingBytes >= MAX_TRAILING_BYTES ? "+" : "")
                        + " bytes after the last reply that no request asked for");
                }
            } catch (Throwable e) {
                failed(e, phase + " '" + describe(current) + "'"
                    + (inflight.isEmpty() ? "" : " (+" + inflight.size() + " in flight)"));
            }
        }

        /** Counts the exception that ended the connection by its kind. */
        private void failed(Throwable e, String where) {
            Throwable t = e;
            if (opState.getAndSet(IDLE) == EXPIRED && !(e instanceof OperationTimeoutException)) {
                t = timeout(System.nanoTime() - opStart); // the watchdog closed the socket under it
            }
            if (t instanceof OperationTimeoutException) {
                timeouts++;
                if (((OperationTimeoutException) t).write) {
                    writeTimeouts++;
                    error("write timeout at " + where + ": " + t.getMessage());
                } else {
                    error("timeout at " + where + ": " + t.getMessage());
                }
            } else if (t instanceof SocketTimeoutException) {
                timeouts++;
                error("timeout at " + where + ": no data within " + config.replyTimeout().toMillis() + " ms");
            } else if (t instanceof EOFException) {
                eofs++;
                error("EOF at " + where);
            } else if (t instanceof MalformedReplyException) {
                mismatches++;
                error("malformed " + where + ": " + t.getMessage());
            } else if (t instanceof SocketException && isReset(t.getMessage())) {
                resets++;
                error("connection reset at " + where + ": " + t.getMessage());
            } else if (aborted != null) {
                otherErrors++;
                error(aborted + " at " + where + ": " + t);
            } else {
                otherErrors++;
                error("error at " + where + ": " + t);
            }
        }

        private static boolean isReset(String message) {
            String m = String.valueOf(message).toLowerCase(Locale.ROOT);
            return m.contains("reset") || m.contains("broken pipe");
        }

        private static String describe(LoadStream.Request r) {
            return r == null ? "(none)" : r.text();
        }

        private void recordGap(long nanos) {
            if (gapCount == gapNanos.length) {
                gapNanos = Arrays.copyOf(gapNanos, gapCount * 2);
                gapEndEpochMs = Arrays.copyOf(gapEndEpochMs, gapCount * 2);
            }
            gapEndEpochMs[gapCount] = System.currentTimeMillis();
            gapNanos[gapCount++] = nanos;
        }

        private void recordLatency(long nanos) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[latencyCount++] = nanos;
        }

        private void error(String message) {
            if (firstError == null) {
                firstError = message;
            }
            if (errors.size() < MAX_REPORTED_ERRORS) {
                errors.add(message);
            }
        }
    }

    /**
     * Reads replies from a socket: KV lines, or HTTP/1.1 responses with a {@code Content-Length}.
     * A clean end of stream before a complete reply is an {@link EOFException}; a reply that is
     * not well-formed a {@link MalformedReplyException}.
     */
    static final class ReplyReader {
        private static final int MAX_LINE = 2 * KvStore.MAX_VALUE + 64;
        private final InputStream in;
        private final byte[] buf = new byte[16 * 1024];
        private int pos;
        private int limit;
        private final ByteArrayOutputStream line = new ByteArrayOutputStream(128);

        ReplyReader(InputStream in) {
            this.in = in;
        }

        /** The next line without its LF (and CR), UTF-8 decoded. */
        String line() throws IOException {
            line.reset();
            while (true) {
                if (pos == limit) {
                    fill();
                }
                int start = pos;
                while (pos < limit && buf[pos] != '\n') {
                    pos++;
                }
                line.write(buf, start, pos - start);
                if (line.size() > MAX_LINE) {
                    throw new MalformedReplyException("reply line longer than " + MAX_LINE + " bytes");
                }
                if (pos < limit) {
                    pos++; // the LF
                    byte[] b = line.toByteArray();
                    int n = b.length > 0 && b[b.length - 1] == '\r' ? b.length - 1 : b.length;
                    return new String(b, 0, n, StandardCharsets.UTF_8);
                }
            }
        }

        /** One HTTP/1.1 response: status and the body's first line. */
        LoadStream.Reply httpReply() throws IOException {
            String status = line();
            if (!status.startsWith("HTTP/1.") || status.length() < 12) {
                throw new MalformedReplyException("bad HTTP status line: " + status);
            }
            int code;
            try {
                code = Integer.parseInt(status.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new MalformedReplyException("bad HTTP status line: " + status, e);
            }
            long length = -1;
            String h;
            while (!(h = line()).isEmpty()) {
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    try {
                        length = Long.parseLong(h.substring(colon + 1).trim());
                    } catch (NumberFormatException e) {
                        throw new MalformedReplyException("bad Content-Length: " + h, e);
                    }
                }
            }
            if (length < 0 || length > MAX_LINE) {
                throw new MalformedReplyException("expected a Content-Length of at most " + MAX_LINE
                    + " in the response, status " + code);
            }
            byte[] body = new byte[(int) length];
            int have = 0;
            while (have < length) {
                if (pos == limit) {
                    fill();
                }
                int n = Math.min(limit - pos, (int) length - have);
                System.arraycopy(buf, pos, body, have, n);
                pos += n;
                have += n;
            }
            String text = new String(body, StandardCharsets.UTF_8);
            int lf = text.indexOf('\n');
            return new LoadStream.Reply(code, lf < 0 ? text : text.substring(0, lf));
        }

        /**
         * After the last reply: the bytes already read past it plus whatever arrives within
         * {@code wait} (at most {@code max} in all; an end of stream ends the wait early).
         *
         * @return how many such bytes there were
         */
        long drainTrailing(Socket socket, Duration wait, int max) throws IOException {
            long count = limit - pos;
            pos = limit;
            long end = System.nanoTime() + wait.toNanos();
            while (count < max) {
                long left = (end - System.nanoTime()) / 1_000_000;
                if (left < 1) {
                    break;
                }
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
                int n;
                try {
                    n = in.read(buf, 0, (int) Math.min(buf.length, max - count));
                } catch (SocketTimeoutException e) {
                    break;
                }
                if (n < 0) {
                    break;
                }
                count += n;
            }
            return count;
        }

        private void fill() throws IOException {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                throw new EOFException("end of stream");
            }
            pos = 0;
            limit = n;
        }
    }

    static String round3(double v) {
        return String.format(Locale.ROOT, "%.3f", v);
    }
}
