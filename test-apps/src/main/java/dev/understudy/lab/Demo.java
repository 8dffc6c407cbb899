package dev.understudy.lab;

import dev.understudy.apps.GapLog;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * {@code ./understudy demo}: a live failover. A lab of three nodes; the unmodified
 * {@link #APP} with the agent as primary in node1 and as clones in node2 and node3; the verifying
 * {@code LoadClient} in {@code client} streaming seeded requests on {@value #CONNECTIONS}
 * connections through the VIP (paced: {@value #RATE} a second each). Mid-stream the primary's JVM
 * is killed with SIGKILL (its node's kernel alive: the close guard keeps the kernel's FINs and
 * RSTs in); a clone takes over, records and replicates to the other clone. node1 comes back as
 * a clone with an empty journal and catches up; then the new primary is killed too, and one of
 * the other two takes over. The demo prints a summary — connections kept, client errors,
 * requests, bytes verified, the longest stall per connection, each failover's phases — writes
 * an SVG of every stall over time, and removes the lab.
 *
 * <p>It needs {@code -Dunderstudy.demo.agent=PATH} (the launcher passes the agent jar). The
 * summary, the nodes' logs, the client's gap log and the SVG stay in a directory under the
 * system's temp directory, whose path it prints; journals, byte records and Aeron directories
 * are removed.
 *
 * <p>Exit codes: 0 when LoadClient judged the load ok (no error, every request answered) and a
 * clone took over; 1 otherwise; 2 on a usage error.
 */
public final class Demo {
    static final String APP = "dev.understudy.apps.BlockingKvServer";
    static final int PORT = 7000;
    static final int ADMIN_PORT = 7001;
    static final int CONNECTIONS = 64;
    /** Requests per connection: about 100 s of load at {@link #RATE}, time for two failovers and a restart between them. */
    static final long REQUESTS = 4_000;
    static final int RATE = 40;
    static final int PIPELINE = 4;
    static final long SEED = 7;
    /** The kill comes once the primary's journal holds this much and the load has streamed {@link #STREAM_BEFORE_KILL_MS} more. */
    static final long JOURNAL_BEFORE_KILL = 20_000;
    static final long STREAM_BEFORE_KILL_MS = 1_000;
    /** Gaps shorter than this are not stalls: well above the pacing's 25 ms between two replies of a connection. */
    static final Duration GAP_LOG_THRESHOLD = Duration.ofMillis(100);
    static final String ROLE = "role (1 primary, 2 clone)";

    /** The winner's summary line, e.g. {@code [switchover] node 2 is primary of epoch 2: ...; phases: detect 1000.1 ms ..., total 1323.3 ms}. */
    static final Pattern SWITCHOVER = Pattern.compile(
        "\\[switchover] node (\\d+) is primary of epoch (\\d+): (\\d+) connections rebuilt.*?(\\d+) reset.*?phases:(.*), total ([0-9.]+) ms");
    private static final Pattern PHASE = Pattern.compile("\\s*([A-Za-z-]+) ([0-9.]+) ms");

    /** A switchover summary line, parsed: the phases in their order, in milliseconds. */
    record Switchover(int node, long epoch, long rebuilt, long reset, Map<String, Double> phasesMs, double totalMs) {
        /** {@code detect 1000.1 ms, elect 13.3 ms, ...}. */
        String timeline() {
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<String, Double> e : phasesMs.entrySet()) {
                sb.append(sb.length() == 0 ? "" : ", ").append(e.getKey()).append(' ')
                    .append(String.format(Locale.ROOT, "%.1f", e.getValue())).append(" ms");
            }
            return sb.toString();
        }
    }

    private Demo() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length > 0) {
            System.err.println("usage: understudy demo   (no arguments)");
            System.exit(2);
        }
        String why = Host.whyNotPrivileged();
        if (why != null) {
            System.err.println("understudy demo: cannot build the lab: " + why);
            System.exit(1);
        }
        String agentJar = System.getProperty("understudy.demo.agent");
        if (agentJar == null || !Files.isRegularFile(Path.of(agentJar))) {
            System.err.println("understudy demo: no agent jar: -Dunderstudy.demo.agent=" + agentJar
                + ", expected the path of understudy-agent.jar (./understudy demo builds and passes it)");
            System.exit(1);
        }
        Path out = Files.createTempDirectory("understudy-demo-");
        Path work = out.resolve("work"); // journals and the client's byte records: removed at the end
        boolean ok = false;
        try {
            ok = run(agentJar, out, work);
        } catch (Exception e) {
            say("");
            say("RESULT: FAILED - %s", e);
        } finally {
            deleteTree(work);
        }
        say("Logs, gap log and summary: %s", out);
        System.exit(ok ? 0 : 1);
    }

    private static boolean run(String agentJar, Path out, Path work) throws Exception {
        say("Understudy demo: SIGKILL of the primary under %d streaming connections", CONNECTIONS);
        say("=====================================================================");
        long t0 = System.nanoTime();
        List<LabApps.Server> servers = new ArrayList<>();
        String labName = null;
        try (Lab lab = Lab.up(3)) {
            labName = lab.name();
            try {
                return live(lab, agentJar, out, work, servers, t0);
            } finally {
                for (LabApps.Server s : servers) {
                    s.stop();
                }
            }
        } finally {
            for (int n = 1; n <= 3 && labName != null; n++) { // the nodes' Aeron directories (a killed driver leaves them)
                deleteTree(Path.of("/dev/shm/understudy-" + labName + "-" + n));
            }
            say("Lab removed (namespaces, veths, processes, journals, Aeron directories). Total %.1f s.", secs(t0));
        }
    }

    private static boolean live(Lab lab, String agentJar, Path out, Path work, List<LabApps.Server> servers, long t0)
        throws Exception {
        say("1. Lab '%s' is up (%.1f s):", lab.name(), secs(t0));
        for (String h : lab.hosts()) {
            say("     %-8s %-15s netns %s%s", h, lab.address(h), lab.namespace(h),
                h.equals(Lab.node(1)) ? "   + VIP " + lab.vip() : "");
        }
        long t1 = System.nanoTime();
        String aeron = "/dev/shm/understudy-" + lab.name() + "-{node.id}/aeron";
        LabApps.Server[] nodes = new LabApps.Server[4];
        for (int n = 2; n <= 3; n++) {
            nodes[n] = agentServer(lab, agentJar, n, "clone", out, work, aeron);
            servers.add(nodes[n]);
        }
        nodes[1] = agentServer(lab, agentJar, 1, "primary", out, work, aeron);
        servers.add(nodes[1]);
        for (int n = 2; n <= 3; n++) {
            LabApps.awaitLine(nodes[1].log(), "understudy-agent: INFO [primary] node " + n + " joined",
                nodes[1].process(), Duration.ofSeconds(120));
        }
        say("2. %s, unmodified, with -javaagent: primary in node1, clones in node2 and node3 (journal,", simple(APP));
        say("   ack quorum 1, replay), port %d (%.1f s)", PORT, secs(t1));

        String target = lab.vip() + ":" + PORT;
        Path record = work.resolve("load-record");
        Path gapLog = out.resolve("gaps.log");
        List<String> args = new ArrayList<>(LabApps.loadArgs("kv", target, CONNECTIONS, REQUESTS, PIPELINE, SEED, false));
        args.addAll(List.of("--record-dir", record.toString(), "--duration", "300s", "--shared-appends", "4", "--rate",
            Integer.toString(RATE),
            "--reply-timeout", "30s", "--gap-log", gapLog.toString(),
            "--gap-log-threshold", GAP_LOG_THRESHOLD.toMillis() + "ms"));
        say("3. LoadClient in 'client' -> %s: %d connections x %,d seeded requests (%d a second each), pipeline %d,",
            target, CONNECTIONS, REQUESTS, RATE, PIPELINE);
        say("   every reply checked");
        CompletableFuture<LabApps.LoadRun> load = CompletableFuture.supplyAsync(() -> {
            try {
                return LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(6));
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });

        // Stream a while first: the kill must land mid-stream, with a journal worth replaying.
        long journal = 0;
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (!load.isDone() && System.nanoTime() < deadline && early(nodes) == null
            && (journal = status(agentJar, aeron, 1).getOrDefault("journal position", 0L)) < JOURNAL_BEFORE_KILL) {
            Thread.sleep(500);
        }
        Thread.sleep(STREAM_BEFORE_KILL_MS);
        Switchover early = early(nodes);
        if (early != null || load.isDone()) {
            // a failover nobody asked for (heartbeats late on a starved machine), or a load too short: no kill
            if (early != null) {
                say("   node%d took over BEFORE the kill, the primary alive (its heartbeats came late): %s, total %.1f ms;",
                    early.node(), early.timeline(), early.totalMs());
                say("   that is a false failover, not the demo's: nothing is killed (see the logs)");
            }
            LabApps.LoadRun r = load.get(7, TimeUnit.MINUTES);
            Files.writeString(out.resolve("load.json"), r.json() + "\n", StandardCharsets.UTF_8);
            say("   LoadClient (to its end): %s, %,d completed of %,d expected, %d errors %s",
                r.ok() ? "ok" : "NOT ok " + r.problems(), r.completed(), r.expected(), r.errors(), r.firstErrors());
            say("");
            say("RESULT: FAILED - %s", early != null ? "a clone took over before the primary was killed"
                : "the load ended before the kill");
            return false;
        }
        // how far each clone's replay is behind its journal: what the winner must apply before it can serve
        for (int n = 2; n <= 3; n++) {
            Map<String, Long> c = status(agentJar, aeron, n);
            say("   node%d clone: journal position %,d, replay %,d records (%,d ms) behind, %d connections diverged", n,
                c.getOrDefault("journal position", -1L), c.getOrDefault("replay lag (records)", -1L),
                c.getOrDefault("replay lag (ms)", -1L), c.getOrDefault("replay diverged connections", -1L));
        }
        long killEpochMs = System.currentTimeMillis();
        long killNanos = System.nanoTime();
        nodes[1].kill(); // the JVM only: node1's kernel stays up, and the close guard keeps its FINs and RSTs in
        say("4. SIGKILL of the primary's JVM in node1 (journal position %,d), mid-stream", journal);

        Switchover sw = awaitSwitchover(nodes, 2, 1, load);
        int winner = reportWinner(sw, agentJar, aeron, (System.nanoTime() - killNanos) / 1e9);

        // node1 back as a clone: an empty journal, it finds the new primary by its heartbeats and catches up
        Switchover sw2 = null;
        int winner2 = 0;
        long kill2EpochMs = 0;
        if (winner > 0) {
            deleteTree(work.resolve("journal-1"));
            Files.deleteIfExists(work.resolve("journal-1.election"));
            long t5 = System.nanoTime();
            nodes[1] = agentServer(lab, agentJar, 1, "clone", out, work, aeron);
            servers.add(nodes[1]);
            boolean caughtUp = awaitCaughtUp(agentJar, aeron, winner, load);
            say("5. node1 started again as a clone with an empty journal: %s (%.1f s)", caughtUp
                ? "it follows node" + winner + " in epoch 2 and has replayed the whole journal" : "it did NOT catch up", secs(t5));
            if (caughtUp && !load.isDone()) {
                Thread.sleep(2 * STREAM_BEFORE_KILL_MS);
                kill2EpochMs = System.currentTimeMillis();
                long kill2Nanos = System.nanoTime();
                nodes[winner].kill();
                say("6. SIGKILL of the new primary's JVM in node%d, mid-stream", winner);
                sw2 = awaitSwitchover(nodes, 3, winner, load);
                winner2 = reportWinner(sw2, agentJar, aeron, (System.nanoTime() - kill2Nanos) / 1e9);
            } else {
                say("6. second kill SKIPPED: %s", load.isDone() ? "the load ended" : "node1 is not in step");
            }
        }

        LabApps.LoadRun run = load.get(7, TimeUnit.MINUTES);
        Files.writeString(out.resolve("load.json"), run.json() + "\n", StandardCharsets.UTF_8);
        boolean ok = run.exitCode() == 0 && run.ok() && winner > 0 && winner2 > 0;

        List<LabApps.LoadConnection> conns = run.connections();
        long kept = conns.stream().filter(c -> c.errors() == 0 && c.expected() >= 0 && c.completed() == c.expected()).count();
        long sentBytes = 0;
        long receivedBytes = 0;
        int recordsMatch = 0;
        for (LabApps.LoadConnection c : conns) {
            sentBytes += c.sentBytes();
            receivedBytes += c.receivedBytes();
            if (matches(c.sentFile(record), c.sentBytes(), c.sentSha256())
                && matches(c.receivedFile(record), c.receivedBytes(), c.receivedSha256())) {
                recordsMatch++;
            }
        }
        double[] gaps = conns.stream().mapToDouble(LabApps.LoadConnection::maxGapMs).sorted().toArray();
        double p50 = gaps.length == 0 ? 0 : gaps[gaps.length / 2];
        double p99 = gaps.length == 0 ? 0 : gaps[Math.min(gaps.length - 1, (int) (gaps.length * 0.99))];
        double max = gaps.length == 0 ? 0 : gaps[gaps.length - 1];

        say("");
        say("Summary");
        sayFailover("failover 1", 1, winner, sw);
        sayFailover("failover 2", winner, winner2, sw2);
        say("   connections kept    %d of %d (no error, every planned request answered)", kept, CONNECTIONS);
        say("   client errors       %d  (resets %d, EOFs %d, mismatches %d, timeouts %d, connect failures %d,"
                + " trailing bytes %d, other %d)", run.errors(), run.count("resets"), run.count("eofs"),
            run.count("mismatches"), run.count("timeouts"), run.count("connectFailures"), run.count("trailingBytes"),
            run.count("otherErrors"));
        say("   requests            %,d completed of %,d expected, %,d sent", run.completed(), run.expected(), run.sent());
        say("   bytes verified      %,d sent, %,d received; every reply checked by LoadClient; the byte records of",
            sentBytes, receivedBytes);
        say("                       %d of %d connections match their SHA-256", recordsMatch, conns.size());
        say("   longest stall       per connection: p50 %.1f ms, p99 %.1f ms, max %.1f ms", p50, p99, max);
        say("   LoadClient          %s in %.1f s", run.ok() ? "ok" : "NOT ok: " + run.problems() + " " + run.firstErrors(),
            run.count("durationMs") / 1000.0);

        GapLog.Contents log = GapLog.read(gapLog);
        List<StallChart.Bar> bars = StallChart.bars(log);
        double killS = (killEpochMs - log.startEpochMs()) / 1000.0;
        String title = String.format(Locale.ROOT, "SIGKILL of the primary, then of the new one, under %d connections: %d kept,"
            + " %d client errors", CONNECTIONS, kept, run.errors());
        String subtitle = String.format(Locale.ROOT, "longest stall per connection p50 %.0f ms, p99 %.0f ms, max %.0f ms;"
                + " switchover %s; bars: gaps between replies > %d ms", p50, p99, max,
            (sw == null ? "none" : String.format(Locale.ROOT, "node1 -> node%d, total %.0f ms", sw.node(), sw.totalMs()))
                + (sw2 == null ? "" : String.format(Locale.ROOT, ", node%d -> node%d, total %.0f ms", winner, sw2.node(),
                sw2.totalMs())),
            GAP_LOG_THRESHOLD.toMillis());
        Path svg = out.resolve("stalls.svg");
        List<StallChart.Marker> markers = new ArrayList<>(List.of(new StallChart.Marker(killS, "SIGKILL node1")));
        if (kill2EpochMs > 0) {
            markers.add(new StallChart.Marker((kill2EpochMs - log.startEpochMs()) / 1000.0, "SIGKILL node" + winner));
        }
        StallChart.write(svg, title, subtitle, CONNECTIONS, run.count("durationMs") / 1000.0, bars, markers);
        say("   picture             %s (%d stalls > %d ms; kills at %.1f s%s)", svg, bars.size(), GAP_LOG_THRESHOLD.toMillis(), killS,
            kill2EpochMs > 0 ? String.format(Locale.ROOT, " and %.1f s", (kill2EpochMs - log.startEpochMs()) / 1000.0) : "");
        say("");
        say(ok ? "RESULT: OK - the primary was killed mid-stream, node" + winner + " took over, then it was killed too and node"
                + winner2 + " took over, and every connection carried on with every reply right."
            : "RESULT: FAILED - " + (winner == 0 ? "no clone took over; " : winner2 == 0 ? "no second failover; " : "")
                + (run.ok() ? "" : "LoadClient: " + run.problems()));
        return ok;
    }

    /** Says who took over (its status must say primary), or that nobody did; returns the node, or 0. */
    private static int reportWinner(Switchover sw, String agentJar, String aeron, double afterS)
        throws IOException, InterruptedException {
        if (sw == null) {
            say("   no node took over within 60 s of the kill");
            return 0;
        }
        long role = status(agentJar, aeron, sw.node()).getOrDefault(ROLE, 0L);
        say("   node%d reports role %s (%s) in epoch %d; its switchover line appeared %.1f s after the kill",
            sw.node(), role, role == 1 ? "primary" : "NOT primary", sw.epoch(), afterS);
        return role == 1 ? sw.node() : 0;
    }

    /** Waits (at most 3 min) until node1 follows {@code primary} in epoch 2 and has replayed up to its journal position. */
    private static boolean awaitCaughtUp(String agentJar, String aeron, int primary, CompletableFuture<LabApps.LoadRun> load)
        throws InterruptedException, IOException {
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        long target = -1;
        while (System.nanoTime() < deadline && !load.isDone()) {
            Map<String, Long> s = status(agentJar, aeron, 1);
            if (s.getOrDefault("epoch", 0L) == 2) {
                if (target < 0) {
                    target = status(agentJar, aeron, primary).getOrDefault("journal position", Long.MAX_VALUE);
                }
                if (s.getOrDefault("replay applied position", 0L) >= target) {
                    return true;
                }
            }
            Thread.sleep(500);
        }
        return false;
    }

    /** One summary line of a failover. */
    private static void sayFailover(String what, int from, int to, Switchover sw) {
        if (sw == null) {
            say("   %-19s node%d -> ?   NO NODE TOOK OVER", what, from);
            return;
        }
        say("   %-19s node%d -> node%d: %d connections rebuilt under the app's fds, %d reset%s", what, from, sw.node(),
            sw.rebuilt(), sw.reset(), to == 0 ? " (its status does not say primary)" : "");
        say("   %-19s %s, total %.1f ms", "  phases", sw.timeline(), sw.totalMs());
    }

    /** The switchover summary line among {@code lines}, parsed, or null. */
    static Switchover switchover(List<String> lines) {
        return switchover(lines, 0);
    }

    /** The summary line of the switchover to {@code epoch} (0: any) among {@code lines}, parsed, or null. */
    static Switchover switchover(List<String> lines, long epoch) {
        for (String line : lines) {
            Matcher m = SWITCHOVER.matcher(line);
            if (m.find() && (epoch == 0 || Long.parseLong(m.group(2)) == epoch)) {
                Map<String, Double> phases = new LinkedHashMap<>();
                Matcher p = PHASE.matcher(m.group(5));
                while (p.find()) {
                    phases.put(p.group(1), Double.parseDouble(p.group(2)));
                }
                return new Switchover(Integer.parseInt(m.group(1)), Long.parseLong(m.group(2)), Long.parseLong(m.group(3)),
                    Long.parseLong(m.group(4)), phases, Double.parseDouble(m.group(6)));
            }
        }
        return null;
    }

    /** A switchover a clone logged (before the kill: one nobody asked for), or null. */
    private static Switchover early(LabApps.Server[] nodes) throws IOException {
        return switchoverTo(nodes, 2, 0);
    }

    /** The switchover to {@code epoch} that a node other than {@code except} logged, or null. */
    private static Switchover switchoverTo(LabApps.Server[] nodes, long epoch, int except) throws IOException {
        for (int n = 1; n <= 3; n++) {
            if (n != except && nodes[n] != null && Files.exists(nodes[n].log())) {
                Switchover s = switchover(Files.readAllLines(nodes[n].log(), StandardCharsets.UTF_8), epoch);
                if (s != null) {
                    return s;
                }
            }
        }
        return null;
    }

    /** Waits (at most 60 s, or until the load ends) for the switchover to {@code epoch} after {@code killed}'s kill. */
    private static Switchover awaitSwitchover(LabApps.Server[] nodes, long epoch, int killed,
                                              CompletableFuture<LabApps.LoadRun> load) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        Switchover sw = null;
        while (sw == null && System.nanoTime() < deadline && !load.isDone()) {
            sw = switchoverTo(nodes, epoch, killed);
            if (sw == null) {
                Thread.sleep(50);
            }
        }
        return sw;
    }

    private static LabApps.Server agentServer(Lab lab, String agentJar, int node, String role, Path out, Path work,
                                              String aeron) throws IOException, InterruptedException {
        List<String> options = List.of(
            "-javaagent:" + agentJar + "=role=" + role + ",node.id=" + node + ",ports=" + PORT,
            "-Dunderstudy.journal.dir=" + work.resolve("journal-" + node),
            "-Dunderstudy.aeron.dir=" + aeron,
            "-Dunderstudy.ack.quorum=1",
            "-Dunderstudy.determinism=serial",
            "-Dapps.admin.port=" + ADMIN_PORT);
        // generous: three JVMs with the agent start on a small, shared machine
        return LabApps.startServer(lab, Lab.node(node), null, LabApps.appsClassPath(), options, APP, PORT,
            out.resolve(role + "-node" + node + ".log"), Duration.ofSeconds(180));
    }

    /** Whether {@code file} holds {@code bytes} bytes whose SHA-256 is {@code sha256}. */
    private static boolean matches(Path file, long bytes, String sha256) throws IOException {
        if (!Files.isRegularFile(file) || Files.size(file) != bytes) {
            return false;
        }
        MessageDigest d;
        try {
            d = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("no SHA-256 in this JVM", e);
        }
        byte[] buf = new byte[64 * 1024];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                d.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(d.digest()).equals(sha256);
    }

    /** A node's counters, as {@code java -jar understudy-agent.jar --status DIR} prints them (empty when it cannot). */
    private static Map<String, Long> status(String agentJar, String aeron, int node) throws IOException, InterruptedException {
        String dir = aeron.replace("{node.id}", Integer.toString(node));
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-jar", agentJar, "--status", dir)
            .redirectErrorStream(true).start();
        String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        Map<String, Long> m = new LinkedHashMap<>();
        Pattern line = Pattern.compile("^(.*?)\\s+(-?\\d+)$");
        for (String l : text.split("\n")) {
            Matcher x = line.matcher(l.trim());
            if (x.matches()) {
                m.put(x.group(1), Long.parseLong(x.group(2)));
            }
        }
        return m;
    }

    private static String simple(String className) {
        return className.substring(className.lastIndexOf('.') + 1);
    }

    private static double secs(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void say(String format, Object... args) {
        System.out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
