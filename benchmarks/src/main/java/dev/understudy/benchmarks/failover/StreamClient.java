package dev.understudy.benchmarks.failover;

import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;

import java.io.BufferedReader;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * The client side of the failover harness: the same measurement for every {@link Cluster}. One JVM
 * in the lab's {@code client} host opens {@code --connections} TCP connections to the VIP; the first
 * {@code --streaming} of them stream {@code INCR <prefix>-<index>} requests (one in flight, the next
 * {@code --interval-ms} after each reply), the others stay open and idle and send one {@code INCR} only
 * when probed. The KV line protocol of {@code NioKvServer}/{@code BlockingKvServer} is spoken.
 *
 * <p>Unlike {@code LoadClient}, which judges whether a connection survives and never reopens one, this
 * client behaves like an application that must carry on: a connection that sees a reset, an EOF or no
 * reply within {@code --reply-timeout-ms} is closed and reopened at once; a connect that is refused, or
 * not answered within {@code --connect-timeout-ms} (the kernel's own SYN retransmission would wait 1 s),
 * is retried after {@code --retry-ms}. The request that was in flight is not sent again: the next
 * {@code INCR} on the new connection tells whether the server still has the connection's counter.
 *
 * <p>Driven over stdin, one command a line, each answered with ONE line of JSON on stdout:
 * <pre>
 * java -cp benchmarks.jar dev.understudy.benchmarks.failover.StreamClient --target HOST:PORT
 *     [--connections 100] [--streaming 100] [--interval-ms 5] [--reply-timeout-ms 2000]
 *     [--connect-timeout-ms 100] [--retry-ms 5] [--key-prefix fo]
 *
 * (start)                 → {"reply":"ready","open":N,"streaming":M,"readyMs":..}  every connection has one reply
 * ROUND r                 → {"reply":"round",...}  waits (≤ 10 s) until every connection is healthy, then
 *                           starts round r's window: what happens from here on belongs to round r
 * END r FAIL_US REC_US WAIT_MS → {"reply":"end",...}  FAIL_US: the failure instant, REC_US: when the mode had
 *                           recovered (keepalived: the VIP on the other node), epoch µs; waits (≤ WAIT_MS in
 *                           all) until every streaming connection has a reply after the recovery, then
 *                           probes every idle connection and waits until each has answered, then reports
 *                           round r
 * STOP                    → {"reply":"stopped",...} and exits 0
 * </pre>
 *
 * Per connection and round it records the stall (on a connection that broke, the gap between the last
 * reply before its first break and the first reply after it; on one that did not, the longest gap
 * between consecutive replies that ends after the failure instant: the failure's own gap), the outage (the failure instant to the reply that ends
 * the stall), the longest gap of the window and the longest one before the failure (the baseline), resets, EOFs, timeouts, other errors, refused or
 * unanswered connects, reconnects, and whether the counter continued ({@code INCR} after the failure
 * after the stall gives the value before it + 1), continued past a request whose reply was lost (+2 or more: the state
 * survived) or restarted (the state was lost). Times are {@link System#nanoTime()} in this JVM; the
 * failure instant arrives as wall-clock µs and is converted with the offset between the two clocks at
 * {@code END}.
 *
 * <p>Thread-safety: one thread per connection plus the command loop on the main thread; a
 * connection's records are guarded by the connection itself.
 */
public final class StreamClient {
    static final String MAIN = StreamClient.class.getName();
    private static final long READY_TIMEOUT_MS = 60_000;
    private static final long HEALTHY_TIMEOUT_MS = 10_000;

    private final InetSocketAddress target;
    private final int replyTimeoutMs;
    private final int connectTimeoutMs;
    private final long retryNanos;
    private final long intervalNanos;
    private final Conn[] conns;
    private final Object probeLock = new Object();
    private volatile boolean stopping;
    /** Raised by the command loop to make every idle connection send one INCR; guarded by {@link #probeLock}. */
    private long probeGeneration;

    private StreamClient(InetSocketAddress target, int connections, int streaming, long intervalMs, int replyTimeoutMs,
                         int connectTimeoutMs, long retryMs, String keyPrefix) {
        this.target = target;
        this.replyTimeoutMs = replyTimeoutMs;
        this.connectTimeoutMs = connectTimeoutMs;
        this.retryNanos = TimeUnit.MILLISECONDS.toNanos(retryMs);
        this.intervalNanos = TimeUnit.MILLISECONDS.toNanos(intervalMs);
        this.conns = new Conn[connections];
        for (int i = 0; i < connections; i++) {
            conns[i] = new Conn(i, i < streaming, keyPrefix + "-" + i);
        }
    }

    /** What an I/O failure on a connection was. */
    enum ErrorKind { RESET, EOF, TIMEOUT, OTHER }

    /** A growable pair of long arrays: reply times (nanoTime) and the INCR values they carried. */
    private static final class Replies {
        long[] at = new long[256];
        long[] value = new long[256];
        int size;

        void add(long t, long v) {
            if (size == at.length) {
                at = Arrays.copyOf(at, size * 2);
                value = Arrays.copyOf(value, size * 2);
            }
            at[size] = t;
            value[size] = v;
            size++;
        }

        void clear() {
            size = 0;
        }
    }

    /** One connection: its thread's state and its records of the current round's window. */
    private final class Conn implements Runnable {
        final int index;
        final boolean streaming;
        final byte[] request;
        // guarded by this
        final Replies replies = new Replies();
        long lastReplyNanos;
        long lastValue;
        long valueBeforeWindow;
        final long[] errors = new long[ErrorKind.values().length];
        long connectFailures;
        long reconnects;
        long answeredGeneration;
        boolean connected;
        String firstError;
        /** nanoTime of the window's first I/O failure; 0: none. */
        long firstErrorNanos;
        // the connection thread's own
        Socket socket;
        boolean everConnected;

        Conn(int index, boolean streaming, String key) {
            this.index = index;
            this.streaming = streaming;
            this.request = ("INCR " + key + "\n").getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public void run() {
            byte[] line = new byte[64];
            long generation = 0;
            while (!stopping) {
                if (!streaming) {
                    generation = awaitProbe(answeredGeneration());
                    if (stopping) {
                        break;
                    }
                }
                if (socket == null && !connect()) {
                    continue;
                }
                try {
                    OutputStream out = socket.getOutputStream();
                    out.write(request);
                    out.flush();
                    long value = readReply(socket.getInputStream(), line);
                    long now = System.nanoTime();
                    synchronized (this) {
                        replies.add(now, value);
                        lastReplyNanos = now;
                        lastValue = value;
                        if (!streaming) {
                            answeredGeneration = generation;
                        }
                    }
                } catch (IOException e) {
                    failed(e);
                    continue;
                }
                if (streaming) {
                    LockSupport.parkNanos(intervalNanos);
                }
            }
            closeSocket();
        }

        private synchronized long answeredGeneration() {
            return answeredGeneration;
        }

        /** Connects once; false (after counting it and waiting {@link #retryNanos}) when refused or unanswered. */
        private boolean connect() {
            Socket s = new Socket();
            try {
                s.setTcpNoDelay(true);
                s.connect(target, connectTimeoutMs);
                s.setSoTimeout(replyTimeoutMs);
            } catch (IOException e) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // nothing to release
                }
                synchronized (this) {
                    connectFailures++;
                }
                LockSupport.parkNanos(retryNanos);
                return false;
            }
            socket = s;
            synchronized (this) {
                connected = true;
                if (everConnected) {
                    reconnects++;
                }
            }
            everConnected = true;
            return true;
        }

        private void failed(IOException e) {
            ErrorKind kind;
            if (e instanceof SocketTimeoutException) {
                kind = ErrorKind.TIMEOUT;
            } else if (e instanceof EOFException) {
                kind = ErrorKind.EOF;
            } else if (e instanceof SocketException && e.getMessage() != null
                && (e.getMessage().contains("reset") || e.getMessage().contains("Broken pipe"))) {
                // a write into a connection the peer has reset reports EPIPE
                kind = ErrorKind.RESET;
            } else {
                kind = ErrorKind.OTHER;
            }
            synchronized (this) {
                errors[kind.ordinal()]++;
                connected = false;
                if (firstError == null) {
                    firstError = kind + ": " + e;
                    firstErrorNanos = System.nanoTime();
                }
            }
            closeSocket();
        }

        private void closeSocket() {
            if (socket != null) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // already gone
                }
                socket = null;
            }
        }

        /** Starts a new window: the records so far belong to the previous round. */
        synchronized void resetWindow() {
            replies.clear();
            valueBeforeWindow = lastValue;
            Arrays.fill(errors, 0);
            connectFailures = 0;
            reconnects = 0;
            firstError = null;
            firstErrorNanos = 0;
        }
    }

    /** Reads one reply line {@code INT n}; anything else is an {@link IOException} of kind OTHER. */
    private static long readReply(InputStream in, byte[] line) throws IOException {
        int n = 0;
        while (true) {
            int b = in.read();
            if (b < 0) {
                throw new EOFException("EOF after " + n + " bytes of a reply");
            }
            if (b == '\n') {
                break;
            }
            if (n == line.length) {
                throw new IOException("reply longer than " + line.length + " bytes");
            }
            line[n++] = (byte) b;
        }
        String s = new String(line, 0, n, StandardCharsets.US_ASCII);
        if (!s.startsWith("INT ")) {
            throw new IOException("unexpected reply: " + s);
        }
        return Long.parseLong(s.substring(4).trim());
    }

    private long awaitProbe(long answered) {
        synchronized (probeLock) {
            while (!stopping && probeGeneration <= answered) {
                try {
                    probeLock.wait();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return answered;
                }
            }
            return probeGeneration;
        }
    }

    private long probe() {
        synchronized (probeLock) {
            probeGeneration++;
            probeLock.notifyAll();
            return probeGeneration;
        }
    }

    private void stop() {
        stopping = true;
        synchronized (probeLock) {
            probeLock.notifyAll();
        }
    }

    public static void main(String[] args) throws Exception {
        String target = null;
        int connections = 100;
        int streaming = -1;
        long intervalMs = 5;
        int replyTimeoutMs = 2000;
        int connectTimeoutMs = 100;
        long retryMs = 5;
        String prefix = "fo";
        for (int i = 0; i < args.length; i++) {
            String v = i + 1 < args.length ? args[i + 1] : null;
            switch (args[i]) {
                case "--target" -> target = v;
                case "--connections" -> connections = Integer.parseInt(v);
                case "--streaming" -> streaming = Integer.parseInt(v);
                case "--interval-ms" -> intervalMs = Long.parseLong(v);
                case "--reply-timeout-ms" -> replyTimeoutMs = Integer.parseInt(v);
                case "--connect-timeout-ms" -> connectTimeoutMs = Integer.parseInt(v);
                case "--retry-ms" -> retryMs = Long.parseLong(v);
                case "--key-prefix" -> prefix = v;
                default -> {
                    System.err.println("StreamClient: unknown option " + args[i] + " (see the class Javadoc)");
                    System.exit(2);
                }
            }
            i++;
        }
        if (target == null || target.lastIndexOf(':') < 0) {
            System.err.println("StreamClient: --target HOST:PORT is required");
            System.exit(2);
        }
        if (streaming < 0) {
            streaming = connections;
        }
        if (connections < 1 || streaming > connections) {
            System.err.println("StreamClient: invalid --connections " + connections + " / --streaming " + streaming
                + ", expected 1 <= streaming <= connections");
            System.exit(2);
        }
        int colon = target.lastIndexOf(':');
        StreamClient client = new StreamClient(new InetSocketAddress(target.substring(0, colon),
            Integer.parseInt(target.substring(colon + 1))), connections, streaming, intervalMs, replyTimeoutMs,
            connectTimeoutMs, retryMs, prefix);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        client.commandLoop(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out);
        System.exit(0);
    }

    private void commandLoop(BufferedReader in, PrintStream out) throws IOException, InterruptedException {
        long t0 = System.nanoTime();
        List<Thread> threads = new ArrayList<>();
        long firstProbe = probe();
        for (Conn c : conns) {
            Thread t = new Thread(null, c, "conn-" + c.index, 256 * 1024);
            t.setDaemon(true);
            t.start();
            threads.add(t);
        }
        boolean ready = awaitHealthy(firstProbe, t0, READY_TIMEOUT_MS);
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("reply", "ready");
        r.put("ok", ready);
        r.put("open", conns.length);
        r.put("streaming", Arrays.stream(conns).filter(c -> c.streaming).count());
        r.put("readyMs", ms(System.nanoTime() - t0));
        r.put("unhealthy", unhealthy(firstProbe, System.nanoTime()));
        out.println(Json.write(r));
        String line;
        long generation = firstProbe;
        while ((line = in.readLine()) != null) {
            String[] w = line.trim().split("\\s+");
            Map<String, Object> reply = new LinkedHashMap<>();
            switch (w[0]) {
                case "ROUND" -> {
                    long start = System.nanoTime();
                    boolean healthy = awaitHealthy(generation, start, HEALTHY_TIMEOUT_MS);
                    reply.put("reply", "round");
                    reply.put("round", Integer.parseInt(w[1]));
                    reply.put("healthy", healthy);
                    reply.put("unhealthy", unhealthy(generation, System.nanoTime()));
                    reply.put("waitedMs", ms(System.nanoTime() - start));
                    for (Conn c : conns) {
                        c.resetWindow();
                    }
                }
                case "END" -> {
                    int round = Integer.parseInt(w[1]);
                    long failEpochMicros = Long.parseLong(w[2]);
                    long recoveredEpochMicros = Long.parseLong(w[3]);
                    long waitMs = Long.parseLong(w[4]);
                    long offset = epochOffsetNanos();
                    long failNanos = failEpochMicros * 1000 - offset;
                    // a reply after the mode's recovery: the failure has taken effect (a link can go down
                    // some ms after the command on busy cores) and the connection works after it
                    long recoveredNanos = Math.max(failNanos, recoveredEpochMicros * 1000 - offset);
                    long start = System.nanoTime();
                    // the streaming connections first: the idle ones' reconnect storm (after a broken
                    // failover, all of them at once) must not be part of the streaming ones' stall
                    boolean complete = awaitRecovered(recoveredNanos, Long.MIN_VALUE, start, waitMs);
                    generation = probe();
                    complete &= awaitRecovered(recoveredNanos, generation, start, waitMs);
                    reply.put("reply", "end");
                    reply.put("round", round);
                    reply.put("complete", complete);
                    reply.put("waitedMs", ms(System.nanoTime() - start));
                    reply.putAll(report(failNanos, generation));
                }
                case "STOP" -> {
                    stop();
                    for (Thread t : threads) {
                        t.join(2000);
                    }
                    reply.put("reply", "stopped");
                    out.println(Json.write(reply));
                    return;
                }
                default -> {
                    reply.put("reply", "error");
                    reply.put("message", "unknown command: " + line);
                }
            }
            out.println(Json.write(reply));
        }
        stop();
    }

    /** Wall-clock ns minus {@link System#nanoTime()}, sampled now (both read back to back). */
    private static long epochOffsetNanos() {
        Instant now = Instant.now();
        long nano = System.nanoTime();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano() - nano;
    }

    /** Healthy: connected, and a streaming connection replied within the last interval + 100 ms, an idle one answered probe {@code generation}. */
    private boolean healthy(Conn c, long generation, long now) {
        synchronized (c) {
            if (!c.connected) {
                return false;
            }
            return c.streaming ? now - c.lastReplyNanos < intervalNanos + TimeUnit.MILLISECONDS.toNanos(100)
                : c.answeredGeneration >= generation;
        }
    }

    private int unhealthy(long generation, long now) {
        int n = 0;
        for (Conn c : conns) {
            n += healthy(c, generation, now) ? 0 : 1;
        }
        return n;
    }

    private boolean awaitHealthy(long generation, long start, long timeoutMs) throws InterruptedException {
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (System.nanoTime() < deadline) {
            if (unhealthy(generation, System.nanoTime()) == 0) {
                return true;
            }
            Thread.sleep(5);
        }
        return false;
    }

    private boolean awaitRecovered(long afterNanos, long generation, long start, long waitMs) throws InterruptedException {
        long deadline = start + TimeUnit.MILLISECONDS.toNanos(waitMs);
        while (System.nanoTime() < deadline) {
            boolean all = true;
            for (Conn c : conns) {
                synchronized (c) {
                    // a streaming connection that broke after the failure instant must have replied since
                    all &= c.streaming ? c.lastReplyNanos > Math.max(afterNanos, c.firstErrorNanos)
                        : c.answeredGeneration >= generation;
                }
                if (!all) {
                    break;
                }
            }
            if (all) {
                return true;
            }
            Thread.sleep(2);
        }
        return false;
    }

    /**
     * One round's figures: per streaming connection (arrays in connection order) and counted over all
     * connections. A streaming connection without a reply after the failure is unrecovered; its stall and
     * outage are then null.
     */
    private Map<String, Object> report(long failNanos, long generation) {
        List<Double> stall = new ArrayList<>();
        List<Double> outage = new ArrayList<>();
        List<Double> maxGap = new ArrayList<>();
        List<Double> baselineGap = new ArrayList<>();
        long[] errors = new long[ErrorKind.values().length];
        int broken = 0;
        int reconnected = 0;
        long reconnects = 0;
        long connectFailures = 0;
        int continued = 0;
        int continuedPastLostReply = 0;
        int restarted = 0;
        int unrecovered = 0;
        int idleBroken = 0;
        int idleRestarted = 0;
        int idleUnanswered = 0;
        List<String> firstErrors = new ArrayList<>();
        for (Conn c : conns) {
            synchronized (c) {
                boolean wasBroken = false;
                for (int k = 0; k < errors.length; k++) {
                    errors[k] += c.errors[k];
                    wasBroken |= c.errors[k] > 0;
                }
                reconnects += c.reconnects;
                reconnected += c.reconnects > 0 ? 1 : 0;
                connectFailures += c.connectFailures;
                if (c.firstError != null && firstErrors.size() < 5) {
                    firstErrors.add("conn " + c.index + ": " + c.firstError);
                }
                Replies r = c.replies;
                // the stall: the longest gap between consecutive replies that ends after the failure instant
                // (the failure's own gap, however late after the instant it began: under load the failure
                // can take effect some ms after it was injected), and the counter values on either side
                int first = 0;
                while (first < r.size && r.at[first] <= failNanos) {
                    first++;
                }
                int g = -1;
                long gapNanos = -1;
                if (c.firstErrorNanos != 0) {
                    // a connection that broke: the gap over its first break (a later gap on the new
                    // connection, however long on busy cores, is not the failure's)
                    int k = 0;
                    while (k < r.size && r.at[k] <= c.firstErrorNanos) {
                        k++;
                    }
                    if (k < r.size) {
                        g = k;
                        gapNanos = r.at[k] - (k > 0 ? r.at[k - 1] : Math.min(failNanos, c.firstErrorNanos));
                    }
                } else {
                    for (int k = Math.max(first, 1); k < r.size; k++) {
                        if (r.at[k] - r.at[k - 1] > gapNanos) {
                            gapNanos = r.at[k] - r.at[k - 1];
                            g = k;
                        }
                    }
                    if (first == 0 && first < r.size && r.at[0] - failNanos > gapNanos) {
                        // no reply in the window before the failure: from the failure to the first reply
                        gapNanos = r.at[0] - failNanos;
                        g = 0;
                    }
                }
                long before = g > 0 ? r.value[g - 1] : c.valueBeforeWindow;
                if (!c.streaming) {
                    idleBroken += wasBroken ? 1 : 0;
                    if (c.answeredGeneration < generation || first == r.size) {
                        idleUnanswered++;
                    } else if (r.value[first] <= (first > 0 ? r.value[first - 1] : c.valueBeforeWindow)) {
                        idleRestarted++;
                    }
                    continue;
                }
                broken += wasBroken ? 1 : 0;
                double baseline = 0;
                double gapMax = 0;
                for (int k = 1; k < r.size; k++) {
                    double gap = ms(r.at[k] - r.at[k - 1]);
                    gapMax = Math.max(gapMax, gap);
                    if (r.at[k] <= failNanos) {
                        baseline = Math.max(baseline, gap);
                    }
                }
                maxGap.add(round1(gapMax));
                baselineGap.add(round1(baseline));
                if (g < 0) {
                    unrecovered++;
                    stall.add(null);
                    outage.add(null);
                    continue;
                }
                stall.add(round1(ms(gapNanos)));
                outage.add(round1(ms(r.at[g] - failNanos)));
                long after = r.value[g];
                if (after == before + 1) {
                    continued++;
                } else if (after > before + 1) {
                    continuedPastLostReply++;
                } else {
                    restarted++;
                }
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        Map<String, Object> counts = new LinkedHashMap<>();
        counts.put("streaming", stall.size());
        counts.put("broken", broken);
        counts.put("resets", errors[ErrorKind.RESET.ordinal()]);
        counts.put("eofs", errors[ErrorKind.EOF.ordinal()]);
        counts.put("timeouts", errors[ErrorKind.TIMEOUT.ordinal()]);
        counts.put("otherErrors", errors[ErrorKind.OTHER.ordinal()]);
        counts.put("reconnected", reconnected);
        counts.put("reconnects", reconnects);
        counts.put("connectFailures", connectFailures);
        counts.put("stateContinued", continued);
        counts.put("stateContinuedPastLostReply", continuedPastLostReply);
        counts.put("stateLost", restarted);
        counts.put("unrecovered", unrecovered);
        if (conns.length > stall.size()) {
            counts.put("idle", conns.length - stall.size());
            counts.put("idleBroken", idleBroken);
            counts.put("idleStateLost", idleRestarted);
            counts.put("idleUnanswered", idleUnanswered);
        }
        m.put("counts", counts);
        m.put("stallMs", stall);
        m.put("outageMs", outage);
        m.put("maxGapMs", maxGap);
        m.put("baselineMaxGapMs", baselineGap);
        m.put("firstErrors", firstErrors);
        return m;
    }

    private static double ms(long nanos) {
        return nanos / 1e6;
    }

    private static double round1(double v) {
        return Math.round(v * 10) / 10.0;
    }

    /**
     * The harness side: a {@link StreamClient} JVM in a lab host, its commands and replies. The JVM's
     * stderr goes to a log; it lives in the host's namespace, so removing the lab also ends it.
     *
     * <p>Thread-safety: one caller at a time.
     */
    static final class Driver implements AutoCloseable {
        private final Process process;
        private final BufferedReader replies;
        private final PrintStream commands;
        private final Map<String, Object> ready;

        private Driver(Process process, Map<String, Object> ready, BufferedReader replies, PrintStream commands) {
            this.process = process;
            this.ready = ready;
            this.replies = replies;
            this.commands = commands;
        }

        /** Starts the client in {@code host} and waits for its {@code ready} line. */
        static Driver start(Lab lab, String host, List<String> clientArgs, Path log) throws IOException {
            List<String> cmd = Lab.java(List.of("-XX:+UseSerialGC", "-Xmx512m"), MAIN, clientArgs.toArray(new String[0]));
            ProcessBuilder pb = new ProcessBuilder(lab.inHost(host, cmd));
            pb.redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
            Process p = pb.start();
            BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            PrintStream out = new PrintStream(p.getOutputStream(), true, StandardCharsets.UTF_8);
            Driver d = new Driver(p, null, in, out);
            Map<String, Object> ready = d.read(Duration.ofMillis(READY_TIMEOUT_MS + 10_000));
            if (!Boolean.TRUE.equals(ready.get("ok"))) {
                d.close();
                throw new IOException("StreamClient not ready: " + Json.write(ready));
            }
            return new Driver(p, ready, in, out);
        }

        Map<String, Object> ready() {
            return ready;
        }

        Map<String, Object> round(int round) throws IOException {
            commands.println("ROUND " + round);
            return read(Duration.ofMillis(HEALTHY_TIMEOUT_MS + 10_000));
        }

        Map<String, Object> end(int round, long failEpochMicros, long recoveredEpochMicros, Duration wait) throws IOException {
            commands.println("END " + round + " " + failEpochMicros + " " + recoveredEpochMicros + " " + wait.toMillis());
            return read(wait.plusSeconds(10));
        }

        /** Reads the next JSON line; the client's own lines only, so a timeout means it hangs or died. */
        private Map<String, Object> read(Duration timeout) throws IOException {
            long deadline = System.nanoTime() + timeout.toNanos();
            StringBuilder line = new StringBuilder();
            while (System.nanoTime() < deadline) {
                while (replies.ready()) {
                    int ch = replies.read();
                    if (ch < 0) {
                        throw new IOException("StreamClient exited: " + process.exitValue());
                    }
                    if (ch == '\n') {
                        String s = line.toString().trim();
                        line.setLength(0);
                        if (s.startsWith("{")) {
                            return Json.object(s);
                        }
                    } else {
                        line.append((char) ch);
                    }
                }
                if (!process.isAlive()) {
                    throw new IOException("StreamClient exited " + process.exitValue());
                }
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
            }
            throw new IOException("no reply from StreamClient within " + timeout);
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                commands.println("STOP");
                try {
                    if (!process.waitFor(5, TimeUnit.SECONDS)) {
                        process.descendants().forEach(ProcessHandle::destroyForcibly);
                        process.destroyForcibly();
                        process.waitFor(5, TimeUnit.SECONDS);
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    process.destroyForcibly();
                }
            }
        }
    }
}
