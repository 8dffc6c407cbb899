package dev.understudy.lab;

import dev.understudy.apps.LoadClient;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Runs the sample servers and the load client as separate JVMs inside lab hosts, the way the
 * ITs, the demo and the benchmarks use them. Each JVM gets this JVM's class path
 * ({@link Lab#java}); extra JVM options (e.g. {@code -javaagent:...}) are passed through.
 *
 * <p>Thread-safety: stateless; processes belong to the lab and die with it.
 */
public final class LabApps {
    private static final Pattern LISTENING = Pattern.compile("(?m)^LISTENING (\\d+)\\s*$");
    private static final Pattern ADMIN = Pattern.compile("(?m)^ADMIN (\\d+)\\s*$");
    private static final Pattern DUMP = Pattern.compile("(?m)^(DUMP \\d+ [0-9a-f]{64})\\s*$");
    /** What starting a JVM in a host may take on top of an admin query's own timeout. */
    private static final Duration JVM_START = Duration.ofSeconds(30);

    private LabApps() {
    }

    /** A server JVM running in a lab host. */
    public record Server(String host, String mainClass, Process process, int port, Path log) {
        /** Kills the JVM (SIGKILL) and waits for it to go. */
        public void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }

        /** Stops the JVM with SIGTERM, then SIGKILL after 5 s. */
        public void stop() throws InterruptedException {
            process.destroy();
            if (!process.waitFor(5, TimeUnit.SECONDS)) {
                kill();
            }
        }
    }

    /**
     * One connection of a load-client run, from the summary's {@code perConnection} (see
     * {@code LoadClient.Connection}). {@code expected} is -1 when the run had no fixed count;
     * {@code trailingBytes} is a byte count (an error when above 0).
     */
    public record LoadConnection(int index, int localPort, long sent, long completed, long expected, long errors,
                                 long mismatches, long resets, long eofs, long timeouts, long writeTimeouts,
                                 long connectFailures, long otherErrors, long trailingBytes, boolean gapExceeded,
                                 double maxGapMs, boolean stoppedByDuration, long sentBytes, long sentBytesUnconfirmed,
                                 long receivedBytes, String sentSha256, String receivedSha256, String firstError) {
        static LoadConnection of(Map<String, Object> m) {
            return new LoadConnection((int) num(m, "index"), (int) num(m, "localPort"), num(m, "sent"),
                num(m, "completed"), m.get("expected") == null ? -1 : num(m, "expected"), num(m, "errors"),
                num(m, "mismatches"), num(m, "resets"), num(m, "eofs"), num(m, "timeouts"), num(m, "writeTimeouts"),
                num(m, "connectFailures"), num(m, "otherErrors"), num(m, "trailingBytes"),
                Boolean.TRUE.equals(m.get("gapExceeded")), real(m, "maxGapMs"),
                Boolean.TRUE.equals(m.get("stoppedByDuration")), num(m, "sentBytes"), num(m, "sentBytesUnconfirmed"),
                num(m, "receivedBytes"), (String) m.get("sentSha256"), (String) m.get("receivedSha256"),
                (String) m.get("firstError"));
        }

        /** Where {@code --record-dir dir} put the bytes this connection sent. */
        public Path sentFile(Path dir) {
            return LoadClient.recordFile(dir, index, localPort, "sent");
        }

        /** Where {@code --record-dir dir} put the bytes this connection received. */
        public Path receivedFile(Path dir) {
            return LoadClient.recordFile(dir, index, localPort, "recv");
        }
    }

    /** A finished load-client run: exit code, its JSON summary parsed, and all it printed. */
    public record LoadRun(int exitCode, String json, Map<String, Object> summary, String output) {
        /** A number from the summary (0 when absent). */
        public long count(String field) {
            return num(summary, field);
        }

        /** The client's verdict: no error, completed == sent == expected (see {@code LoadClient.Summary#ok}). */
        public boolean ok() {
            return Boolean.TRUE.equals(summary.get("ok"));
        }

        public long sent() {
            return count("sent");
        }

        public long completed() {
            return count("completed");
        }

        /** Planned requests of all connections, or -1 when the run had no fixed count ({@code --requests 0}). */
        public long expected() {
            return summary.get("expected") == null ? -1 : count("expected");
        }

        public long errors() {
            return count("errors");
        }

        /** Why the client judged the run not ok; empty when ok. */
        public List<String> problems() {
            return strings("problems");
        }

        /** The first error messages (at most 10), each prefixed with its connection. */
        public List<String> firstErrors() {
            return strings("firstErrors");
        }

        /** Every connection, in index order. */
        @SuppressWarnings("unchecked")
        public List<LoadConnection> connections() {
            Object v = summary.get("perConnection");
            List<LoadConnection> l = new ArrayList<>();
            if (v instanceof List) {
                for (Object o : (List<Object>) v) {
                    l.add(LoadConnection.of((Map<String, Object>) o));
                }
            }
            return l;
        }

        @SuppressWarnings("unchecked")
        private List<String> strings(String field) {
            Object v = summary.get(field);
            List<String> l = new ArrayList<>();
            if (v instanceof List) {
                for (Object o : (List<Object>) v) {
                    l.add(String.valueOf(o));
                }
            }
            return l;
        }

        /** A decimal number from the summary (0 when absent). */
        public double real(String field) {
            return LabApps.real(summary, field);
        }

        /** The {@code sha256} of the summary's {@code dump}, or null. */
        @SuppressWarnings("unchecked")
        public String dumpSha256() {
            Object d = summary.get("dump");
            return d instanceof Map ? (String) ((Map<String, Object>) d).get("sha256") : null;
        }

        /** The {@code count} of the summary's {@code dump}, or -1. */
        @SuppressWarnings("unchecked")
        public long dumpCount() {
            Object d = summary.get("dump");
            return d instanceof Map ? ((Number) ((Map<String, Object>) d).get("count")).longValue() : -1;
        }
    }

    private static long num(Map<String, Object> m, String field) {
        Object v = m.get(field);
        return v instanceof Number ? ((Number) v).longValue() : 0;
    }

    private static double real(Map<String, Object> m, String field) {
        Object v = m.get(field);
        return v instanceof Number ? ((Number) v).doubleValue() : 0;
    }

    /**
     * Starts {@code mainClass PORT} (a server that prints {@code LISTENING <port>}) in
     * {@code host} and waits until it listens.
     *
     * @param jvmOptions options placed before {@code -cp}, e.g. {@code -javaagent:...}
     * @param log        where the JVM's stdout and stderr go (appended)
     * @throws IOException when the JVM exits or does not announce itself within {@code timeout}
     *                     (the message carries the end of its log)
     */
    public static Server startServer(Lab lab, String host, List<String> jvmOptions, String mainClass, int port,
                                     Path log, Duration timeout) throws IOException, InterruptedException {
        return startServer(lab, host, null, null, jvmOptions, mainClass, port, log, timeout);
    }

    /**
     * Like {@link #startServer(Lab, String, List, String, int, Path, Duration)} with another
     * {@code java} launcher (e.g. a JDK 25 beside the test JVM's 17) and another class path (e.g.
     * only the sample apps, for a server started with {@code -javaagent}: the agent's own classes
     * must not be on the application's class path); {@code null}: this JVM's.
     */
    public static Server startServer(Lab lab, String host, Path java, String classPath, List<String> jvmOptions,
                                     String mainClass, int port, Path log, Duration timeout)
        throws IOException, InterruptedException {
        return startServer(lab, host, java, classPath, jvmOptions, mainClass, port, null, log, timeout);
    }

    /** Like the method above, with the server's bind address as its second argument ({@code null}: its default). */
    public static Server startServer(Lab lab, String host, Path java, String classPath, List<String> jvmOptions,
                                     String mainClass, int port, String bindAddress, Path log, Duration timeout)
        throws IOException, InterruptedException {
        Files.createDirectories(log.toAbsolutePath().getParent());
        Files.deleteIfExists(log);
        List<String> cmd = new ArrayList<>(bindAddress == null ? Lab.java(jvmOptions, mainClass, Integer.toString(port))
            : Lab.java(jvmOptions, mainClass, Integer.toString(port), bindAddress));
        if (java != null) {
            cmd.set(0, java.toString());
        }
        if (classPath != null) {
            cmd.set(cmd.indexOf("-cp") + 1, classPath);
        }
        Process p = lab.spawn(host, cmd, log);
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0) {
            String out = Files.exists(log) ? Files.readString(log, StandardCharsets.UTF_8) : "";
            Matcher m = LISTENING.matcher(out);
            if (m.find()) {
                return new Server(host, mainClass, p, Integer.parseInt(m.group(1)), log);
            }
            if (!p.isAlive()) {
                throw new IOException(mainClass + " in " + host + " exited " + p.exitValue() + " before listening: " + tail(log));
            }
            Thread.sleep(20);
        }
        p.destroyForcibly();
        throw new IOException(mainClass + " in " + host + " did not print LISTENING within " + timeout + ": " + tail(log));
    }

    /**
     * Waits until the log of process {@code p} holds a line starting with {@code prefix} and
     * returns the first such line. Looks once more after the process has exited (it may have
     * written the line just before).
     *
     * @throws IOException when the process exits without the line, or no such line appears
     *                     within {@code timeout} (the message carries the log)
     */
    public static String awaitLine(Path log, String prefix, Process p, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            String line = firstLine(log, prefix);
            if (line != null) {
                return line;
            }
            if (!p.isAlive()) {
                line = firstLine(log, prefix);
                if (line != null) {
                    return line;
                }
                throw new IOException("process exited " + p.exitValue() + " before printing " + prefix + ": "
                    + (Files.exists(log) ? Files.readString(log) : "(no log)"));
            }
            Thread.sleep(20);
        }
        throw new IOException("no " + prefix + " line within " + timeout + ": "
            + (Files.exists(log) ? Files.readString(log) : "(no log)"));
    }

    private static String firstLine(Path log, String prefix) throws IOException {
        if (!Files.exists(log)) {
            return null;
        }
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        return null;
    }

    /**
     * Runs {@code dev.understudy.apps.LoadClient} with {@code args} in {@code host} and waits
     * for it (at most {@code timeout}).
     *
     * @throws IOException when it printed no JSON summary (the message carries its output)
     */
    public static LoadRun runLoadClient(Lab lab, String host, List<String> jvmOptions, List<String> args,
                                        Duration timeout) throws IOException {
        List<String> cmd = Lab.java(jvmOptions, "dev.understudy.apps.LoadClient", args.toArray(new String[0]));
        Host.Result r = lab.exec(host, timeout, cmd.toArray(new String[0]));
        String json = null;
        for (String line : r.output().split("\n")) {
            if (line.startsWith("{")) {
                json = line.trim();
            }
        }
        if (json == null) {
            throw new IOException("LoadClient in " + host + " exited " + r.exitCode() + " without a summary: " + r.output().trim());
        }
        return new LoadRun(r.exitCode(), json, Json.object(json), r.output());
    }

    /**
     * The admin port a server announced ({@code ADMIN <port>}, printed before {@code LISTENING}
     * when it was started with {@code -Dapps.admin.port=P}; see {@code dev.understudy.apps.ServerArgs}),
     * or -1 when it has none.
     */
    public static int adminPort(Server server) throws IOException {
        String out = Files.exists(server.log()) ? Files.readString(server.log(), StandardCharsets.UTF_8) : "";
        Matcher m = ADMIN.matcher(out);
        return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }

    /**
     * Asks the app listening on admin port {@code adminPort} in {@code host} for its state, from
     * inside that host's namespace ({@code dev.understudy.apps.AdminClient 127.0.0.1 PORT} run
     * with {@link Lab#exec}), so it works on a clone whose service port belongs to the replay
     * machinery and for an app reachable only inside its namespace.
     *
     * @param timeout bound of the query itself; the JVM's start may add up to 30 s
     * @return the reply line {@code DUMP count sha256hex}, as the KV {@code DUMP} reply and the
     *         body of {@code GET /dump}
     * @throws IOException when the query fails (the message carries the client's output)
     */
    public static String adminDump(Lab lab, String host, int adminPort, Duration timeout) throws IOException {
        List<String> cmd = Lab.java(List.of(), "dev.understudy.apps.AdminClient", "127.0.0.1",
            Integer.toString(adminPort), timeout.toMillis() + "ms");
        Host.Result r = lab.exec(host, timeout.plus(JVM_START), cmd.toArray(new String[0]));
        Matcher m = DUMP.matcher(r.output());
        if (r.exitCode() != 0 || !m.find()) {
            throw new IOException("AdminClient for port " + adminPort + " in " + host + " exited " + r.exitCode() + ": "
                + r.output().trim());
        }
        return m.group(1);
    }

    /** The usual load-client arguments for a target in the lab. */
    public static List<String> loadArgs(String protocol, String target, int connections, long requests, int pipeline,
                                        long seed, boolean dump) {
        List<String> a = new ArrayList<>(List.of("--protocol", protocol, "--target", target,
            "--connections", Integer.toString(connections), "--requests", Long.toString(requests),
            "--pipeline", Integer.toString(pipeline), "--seed", Long.toString(seed)));
        if (dump) {
            a.add("--dump");
        }
        return a;
    }

    /** The entries of this JVM's class path that hold the sample apps (test-apps), for servers run with the agent. */
    public static String appsClassPath() {
        StringBuilder sb = new StringBuilder();
        for (String e : Lab.classPath().split(java.io.File.pathSeparator)) {
            if (e.contains("test-apps") || e.contains("understudy-test-apps")) {
                sb.append(sb.length() == 0 ? "" : java.io.File.pathSeparator).append(e);
            }
        }
        return sb.toString();
    }

    /** The last lines of a log, for error messages. */
    public static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }
}
