package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * A verifying load client for the sample servers: N connections, each a deterministic,
 * seeded request stream ({@link LoadStream}) with a configurable pipelining depth; every
 * reply is checked against what it must be. It records per-request latency and, per
 * connection, the longest gap between consecutive replies (the stall a client sees during a
 * failover), and counts resets, EOFs, timeouts and mismatches. A connection that fails is
 * not reopened: the point is to see whether a connection survives.
 *
 * <p>The run is bounded by the request count per connection and by wall time (whichever
 * comes first; reaching the wall time is not an error). Command line:
 *
 * <pre>
 * java dev.understudy.apps.LoadClient --target HOST:PORT [--protocol kv|http]
 *     [--connections 16] [--requests 2000] [--pipeline 1] [--seed 1] [--duration 60s]
 *     [--reply-timeout 10s] [--own-keys 4] [--shared-keys 4] [--key-prefix lc] [--dump]
 * </pre>
 *
 * It prints ONE line of JSON ({@link Summary#toJson()}) on stdout and exits 0 when there was
 * no error, 1 when there was any, 2 on a usage error. From code: {@link #run(Config)}.
 *
 * <p>Thread-safety: {@link #run} starts one thread per connection and returns when all have
 * finished; it may be called from several threads at once.
 */
public final class LoadClient {
    /** Which server dialect to speak. */
    public enum Protocol {
        /** The {@link KvProtocol} line protocol. */
        KV,
        /** {@link HttpCounterServer}'s HTTP/1.1 API. */
        HTTP
    }

    /** Everything a run needs; {@link #defaults(String, int)} gives the usual values. */
    public record Config(String host, int port, Protocol protocol, int connections, long requests, int pipeline,
                         long seed, Duration duration, Duration replyTimeout, int ownKeys, int sharedKeys,
                         String keyPrefix, boolean dump) {
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
        }

        /** KV, 16 connections x 2,000 requests, no pipelining, seed 1, 60 s wall time, 10 s reply timeout, no dump. */
        public static Config defaults(String host, int port) {
            return new Config(host, port, Protocol.KV, 16, 2000, 1, 1, Duration.ofSeconds(60), Duration.ofSeconds(10),
                4, 4, "lc", false);
        }

        public Config withProtocol(Protocol p) {
            return new Config(host, port, p, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys, sharedKeys, keyPrefix, dump);
        }

        public Config withLoad(int connections, long requests, int pipeline) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys, sharedKeys, keyPrefix, dump);
        }

        public Config withSeed(long s) {
            return new Config(host, port, protocol, connections, requests, pipeline, s, duration, replyTimeout, ownKeys, sharedKeys, keyPrefix, dump);
        }

        public Config withDuration(Duration d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, d, replyTimeout, ownKeys, sharedKeys, keyPrefix, dump);
        }

        public Config withReplyTimeout(Duration d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, d, ownKeys, sharedKeys, keyPrefix, dump);
        }

        public Config withDump(boolean d) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys, sharedKeys, keyPrefix, d);
        }

        public Config withKeyPrefix(String p) {
            return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout, ownKeys, sharedKeys, p, dump);
        }
    }

    /** The store's digest as the server reported it. */
    public record Dump(long count, String sha256) {
    }

    /** Latency percentiles in microseconds. */
    public record Latency(long p50, long p99, long p999, long max, long mean) {
    }

    /**
     * The outcome of a run. {@code errors} is the sum of every error counter; a run is good when
     * it is 0. {@code maxGapMs} holds, per connection, the longest time between two consecutive
     * replies (the first gap counted from the first request).
     */
    public record Summary(Protocol protocol, String target, int connections, long requestsPerConnection, int pipeline,
                          long seed, long sent, long completed, long mismatches, long resets, long eofs, long timeouts,
                          long connectFailures, long ioErrors, long durationMs, boolean stoppedByDuration,
                          Latency latencyUs, List<Double> maxGapMs, Dump dump, String dumpError, List<String> firstErrors) {
        /** Total of all error counters, plus 1 when a requested dump failed. */
        public long errors() {
            return mismatches + resets + eofs + timeouts + connectFailures + ioErrors + (dumpError != null ? 1 : 0);
        }

        public boolean ok() {
            return errors() == 0;
        }

        /** The longest gap of any connection, in milliseconds. */
        public double maxGapOverallMs() {
            double m = 0;
            for (double g : maxGapMs) {
                m = Math.max(m, g);
            }
            return m;
        }

        public double throughputPerSec() {
            return durationMs == 0 ? 0 : completed * 1000.0 / durationMs;
        }

        /** One line of JSON, no line end. */
        public String toJson() {
            StringBuilder sb = new StringBuilder(512);
            sb.append("{\"ok\":").append(ok());
            sb.append(",\"protocol\":\"").append(protocol.name().toLowerCase(Locale.ROOT)).append('"');
            sb.append(",\"target\":").append(quote(target));
            sb.append(",\"connections\":").append(connections);
            sb.append(",\"requestsPerConnection\":").append(requestsPerConnection);
            sb.append(",\"pipeline\":").append(pipeline);
            sb.append(",\"seed\":").append(seed);
            sb.append(",\"sent\":").append(sent);
            sb.append(",\"completed\":").append(completed);
            sb.append(",\"errors\":").append(errors());
            sb.append(",\"mismatches\":").append(mismatches);
            sb.append(",\"resets\":").append(resets);
            sb.append(",\"eofs\":").append(eofs);
            sb.append(",\"timeouts\":").append(timeouts);
            sb.append(",\"connectFailures\":").append(connectFailures);
            sb.append(",\"ioErrors\":").append(ioErrors);
            sb.append(",\"durationMs\":").append(durationMs);
            sb.append(",\"stoppedByDuration\":").append(stoppedByDuration);
            sb.append(",\"throughputPerSec\":").append(Math.round(throughputPerSec()));
            sb.append(",\"latencyUs\":{\"p50\":").append(latencyUs.p50())
                .append(",\"p99\":").append(latencyUs.p99())
                .append(",\"p999\":").append(latencyUs.p999())
                .append(",\"max\":").append(latencyUs.max())
                .append(",\"mean\":").append(latencyUs.mean()).append('}');
            sb.append(",\"maxGapMsOverall\":").append(round3(maxGapOverallMs()));
            sb.append(",\"maxGapMs\":[");
            for (int i = 0; i < maxGapMs.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(round3(maxGapMs.get(i)));
            }
            sb.append(']');
            if (dump != null) {
                sb.append(",\"dump\":{\"count\":").append(dump.count()).append(",\"sha256\":").append(quote(dump.sha256())).append('}');
            }
            if (dumpError != null) {
                sb.append(",\"dumpError\":").append(quote(dumpError));
            }
            sb.append(",\"firstErrors\":[");
            for (int i = 0; i < firstErrors.size(); i++) {
                sb.append(i == 0 ? "" : ",").append(quote(firstErrors.get(i)));
            }
            sb.append("]}");
            return sb.toString();
        }

        private static String round3(double v) {
            return String.format(Locale.ROOT, "%.3f", v);
        }
    }

    static final int MAX_REPORTED_ERRORS = 10;

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
        "  --reply-timeout T      a reply later than this is a timeout error (default 10s)",
        "  --own-keys N           counters (and strings, kv) per connection (default 4)",
        "  --shared-keys N        counters all connections INCR (default 4)",
        "  --key-prefix P         key namespace, [A-Za-z0-9_-]{1,32} (default lc)",
        "  --dump                 after the run, ask the server for its DUMP digest",
        "prints one JSON line; exit 0 = no error, 1 = errors, 2 = usage");

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
        for (int i = 0; i < args.length; i++) {
            String opt = args[i];
            if (opt.equals("--help") || opt.equals("-h")) {
                return null;
            }
            if (opt.equals("--dump")) {
                dump = true;
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
                case "--own-keys":
                    ownKeys = (int) parseLong(opt, v);
                    break;
                case "--shared-keys":
                    sharedKeys = (int) parseLong(opt, v);
                    break;
                case "--key-prefix":
                    keyPrefix = v;
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: " + opt);
            }
        }
        if (host == null) {
            throw new IllegalArgumentException("missing --target HOST:PORT");
        }
        return new Config(host, port, protocol, connections, requests, pipeline, seed, duration, replyTimeout,
            ownKeys, sharedKeys, keyPrefix, dump);
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

    /** Runs the load and returns its summary; never throws for network errors (they are counted). */
    public static Summary run(Config config) {
        int n = config.connections();
        Worker[] workers = new Worker[n];
        CountDownLatch connected = new CountDownLatch(n);
        CountDownLatch go = new CountDownLatch(1);
        Thread[] threads = new Thread[n];
        for (int i = 0; i < n; i++) {
            workers[i] = new Worker(config, i, connected, go);
            threads[i] = new Thread(workers[i], "load-client-" + i);
            threads[i].setDaemon(true);
            threads[i].start();
        }
        try {
            connected.await(config.replyTimeout().toMillis() + 1000, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        long start = System.nanoTime();
        long deadline = start + config.duration().toNanos();
        for (Worker w : workers) {
            w.deadline = deadline;
        }
        go.countDown();
        for (Thread t : threads) {
            try {
                // bounded: every blocking read has a timeout and the deadline stops new requests
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        long durationMs = (System.nanoTime() - start) / 1_000_000;

        long sent = 0;
        long completed = 0;
        long mismatches = 0;
        long resets = 0;
        long eofs = 0;
        long timeouts = 0;
        long connectFailures = 0;
        long ioErrors = 0;
        boolean stopped = false;
        int latencies = 0;
        List<Double> gaps = new ArrayList<>();
        List<String> errors = new ArrayList<>();
        for (Worker w : workers) {
            sent += w.sent;
            completed += w.completed;
            mismatches += w.mismatches;
            resets += w.resets;
            eofs += w.eofs;
            timeouts += w.timeouts;
            connectFailures += w.connectFailures;
            ioErrors += w.ioErrors;
            stopped |= w.stoppedByDuration;
            latencies += w.latencyCount;
            gaps.add(w.maxGapNanos / 1e6);
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
        return new Summary(config.protocol(), config.host() + ":" + config.port(), n, config.requests(),
            config.pipeline(), config.seed(), sent, completed, mismatches, resets, eofs, timeouts, connectFailures,
            ioErrors, durationMs, stopped, latency, Collections.unmodifiableList(gaps), dump, dumpError,
            Collections.unmodifiableList(errors));
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

    /** One connection: connects, waits for the common start, runs its stream. */
    private static final class Worker implements Runnable {
        private final Config config;
        final int index;
        private final CountDownLatch connected;
        private final CountDownLatch go;
        volatile long deadline;

        long sent;
        long completed;
        long mismatches;
        long resets;
        long eofs;
        long timeouts;
        long connectFailures;
        long ioErrors;
        boolean stoppedByDuration;
        long maxGapNanos;
        long[] latencies = new long[1024];
        int latencyCount;
        final List<String> errors = new ArrayList<>();

        Worker(Config config, int index, CountDownLatch connected, CountDownLatch go) {
            this.config = config;
            this.index = index;
            this.connected = connected;
            this.go = go;
        }

        @Override
        public void run() {
            Socket socket = new Socket();
            try (socket) {
                int timeout = (int) Math.min(Integer.MAX_VALUE, config.replyTimeout().toMillis());
                try {
                    socket.connect(new InetSocketAddress(config.host(), config.port()), timeout);
                    socket.setTcpNoDelay(true);
                    socket.setSoTimeout(timeout);
                } catch (IOException e) {
                    connectFailures++;
                    error("connect failed: " + e);
                    return;
                } finally {
                    connected.countDown();
                }
                go.await();
                exchange(socket);
            } catch (IOException e) {
                ioErrors++;
                error("close failed: " + e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private void exchange(Socket socket) {
            LoadStream stream = new LoadStream(config.protocol(), config.seed(), index, config.keyPrefix(),
                config.ownKeys(), config.sharedKeys(), config.requests(), config.host() + ":" + config.port());
            ArrayDeque<LoadStream.Request> inflight = new ArrayDeque<>();
            ArrayDeque<Long> sentAt = new ArrayDeque<>();
            ByteArrayOutputStream batch = new ByteArrayOutputStream(1024);
            LoadStream.Request current = null;
            try {
                OutputStream out = socket.getOutputStream();
                ReplyReader in = new ReplyReader(socket.getInputStream());
                long lastReply = 0;
                while (true) {
                    if (!stoppedByDuration && System.nanoTime() - deadline >= 0) {
                        stoppedByDuration = true;
                        stream.stop();
                    }
                    batch.reset();
                    int added = 0;
                    LoadStream.Request r;
                    while (inflight.size() < config.pipeline() && (r = stream.next()) != null) {
                        batch.write(r.wire(), 0, r.wire().length);
                        inflight.add(r);
                        added++;
                    }
                    if (added > 0) {
                        long now = System.nanoTime();
                        out.write(batch.toByteArray());
                        out.flush();
                        sent += added;
                        for (int i = 0; i < added; i++) {
                            sentAt.add(now);
                        }
                        if (lastReply == 0) {
                            lastReply = now;
                        }
                    }
                    current = inflight.poll();
                    if (current == null) {
                        return;
                    }
                    LoadStream.Reply reply = config.protocol() == Protocol.KV
                        ? new LoadStream.Reply(0, in.line()) : in.httpReply();
                    long now = System.nanoTime();
                    recordLatency(now - sentAt.poll());
                    maxGapNanos = Math.max(maxGapNanos, now - lastReply);
                    lastReply = now;
                    completed++;
                    String mismatch = current.expectation().check(reply);
                    if (mismatch != null) {
                        mismatches++;
                        error("request '" + current.text() + "': " + mismatch);
                    }
                }
            } catch (SocketTimeoutException e) {
                timeouts++;
                error("no reply within " + config.replyTimeout().toMillis() + " ms to '" + describe(current) + "'");
            } catch (EOFException e) {
                eofs++;
                error("EOF waiting for the reply to '" + describe(current) + "'" + (inflight.isEmpty() ? "" : " (+" + inflight.size() + " in flight)"));
            } catch (SocketException e) {
                String m = String.valueOf(e.getMessage()).toLowerCase(Locale.ROOT);
                if (m.contains("reset") || m.contains("broken pipe")) {
                    resets++;
                    error("connection reset at '" + describe(current) + "': " + e.getMessage());
                } else {
                    ioErrors++;
                    error("socket error at '" + describe(current) + "': " + e);
                }
            } catch (IOException e) {
                ioErrors++;
                error("I/O error at '" + describe(current) + "': " + e);
            }
        }

        private static String describe(LoadStream.Request r) {
            return r == null ? "(none)" : r.text();
        }

        private void recordLatency(long nanos) {
            if (latencyCount == latencies.length) {
                latencies = Arrays.copyOf(latencies, latencies.length * 2);
            }
            latencies[latencyCount++] = nanos;
        }

        private void error(String message) {
            if (errors.size() < MAX_REPORTED_ERRORS) {
                errors.add(message);
            }
        }
    }

    /**
     * Reads replies from a socket: KV lines, or HTTP/1.1 responses with a {@code Content-Length}.
     * A clean end of stream before a complete reply is an {@link EOFException}.
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
                    throw new IOException("reply line longer than " + MAX_LINE + " bytes");
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
                throw new IOException("bad HTTP status line: " + status);
            }
            int code;
            try {
                code = Integer.parseInt(status.substring(9, 12));
            } catch (NumberFormatException e) {
                throw new IOException("bad HTTP status line: " + status, e);
            }
            long length = -1;
            String h;
            while (!(h = line()).isEmpty()) {
                int colon = h.indexOf(':');
                if (colon > 0 && h.substring(0, colon).trim().equalsIgnoreCase("Content-Length")) {
                    try {
                        length = Long.parseLong(h.substring(colon + 1).trim());
                    } catch (NumberFormatException e) {
                        throw new IOException("bad Content-Length: " + h, e);
                    }
                }
            }
            if (length < 0 || length > MAX_LINE) {
                throw new IOException("expected a Content-Length of at most " + MAX_LINE + " in the response, status " + code);
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

        private void fill() throws IOException {
            int n = in.read(buf, 0, buf.length);
            if (n < 0) {
                throw new EOFException("end of stream");
            }
            pos = 0;
            limit = n;
        }
    }

    static String quote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"':
                    sb.append("\\\"");
                    break;
                case '\\':
                    sb.append("\\\\");
                    break;
                case '\n':
                    sb.append("\\n");
                    break;
                case '\r':
                    sb.append("\\r");
                    break;
                case '\t':
                    sb.append("\\t");
                    break;
                default:
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
            }
        }
        return sb.append('"').toString();
    }
}
