package dev.understudy.benchmarks.failover;

import static dev.understudy.benchmarks.failover.KeepalivedCluster.epochMicros;
import static dev.understudy.benchmarks.failover.KeepalivedCluster.realtime;

import dev.understudy.benchmarks.recording.LabBench;
import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Understudy mode of {@link FailoverBenchmark}: the same unmodified server with
 * {@code -javaagent}, primary in node1 and clones in node2 and node3 (as {@code FailoverIT} starts
 * them: {@code role=...,node.id=N,ports=PORT}, a journal directory of its own, the Aeron directory
 * {@code /dev/shm/understudy-<lab>-{node.id}/aeron}, {@code understudy.ack.quorum=1}), with the
 * failure timeout and heartbeat interval of the run.
 *
 * <p><b>One failover per cluster.</b> The new primary does not yet record or replicate to the
 * remaining clone, so a cluster cannot fail over twice: {@link #heals()} is false and the harness
 * builds a new cluster (and a new client) for every round. {@link #start()} first puts the lab back
 * as a fresh one would be (every bridge port up, no TCP socket of the service port left in any node,
 * the VIP on node1 only, no Aeron directory), then starts the clones, then the primary, and returns
 * once both clones have joined.
 *
 * <p>The failure is the one {@link KeepalivedCluster} injects, on node1: SIGKILL of the primary JVM
 * (its kernel alive; the agent's close guard keeps the kernel's FINs and RSTs from the clients), or
 * node1's bridge port down at the switch through an {@code ip -batch -} kept running there (machine
 * loss). Recovered: a clone's log has the switchover's summary line ({@code [switchover] node N is
 * primary of epoch E: ... phases: detect X ms elect X ms ... total X ms}), polled every 2 ms; its
 * phases are the round's breakdown. The VIP's arrival on the winner is timed as in keepalived mode,
 * by {@code ip -ts monitor address} in node2 and node3 at real-time priority.
 *
 * <p>Thread-safety: one caller at a time, as {@link Cluster} says.
 */
final class UnderstudyCluster implements Cluster {
    static final int CLONES = 2;
    private static final Duration START_TIMEOUT = Duration.ofSeconds(180);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(60);
    /** How often a start with a false takeover is tried again. */
    private static final int START_ATTEMPTS = 3;
    /** After the clones have joined, how long they must stay clones before the round starts. */
    private static final long START_SETTLE_MS = 500;
    private static final String SWITCHOVER_LINE = "understudy-agent: INFO [switchover] node ";
    private static final Pattern SWITCHOVER = Pattern.compile("\\[switchover] node (\\d+) is primary of epoch (\\d+): (\\d+)"
        + " connections rebuilt under the application's fds, (\\d+) reset.*phases: (.*), total ([0-9.]+) ms");
    private static final Pattern PHASE = Pattern.compile("(detect|elect|re-inject|restore|VIP|activate|swap|release) ([0-9.]+) ms");

    private final Lab lab;
    private final Path work;
    private final Path agentJar;
    private final String appsJar;
    private final String serverMain;
    private final int port;
    private final String failureTimeout;
    private final String heartbeatInterval;
    private final String determinism;
    private final String aeron;
    private final LabApps.Server[] servers = new LabApps.Server[CLONES + 2];
    private final Process[] monitors = new Process[CLONES + 2];
    private long primaryPid;
    private Process switchShell;
    private Process switchMonitor;
    private PrintStream switchCommands;
    private long startedMs;
    private final List<String> falseTakeovers = new ArrayList<>();

    UnderstudyCluster(Lab lab, Path work, Path agentJar, String appsJar, String serverMain, int port, String failureTimeout,
                      String heartbeatInterval) {
        if (lab.nodes() < CLONES + 1) {
            throw new IllegalArgumentException("understudy mode needs " + (CLONES + 1) + " lab nodes, the lab has " + lab.nodes());
        }
        this.lab = lab;
        this.work = work;
        this.agentJar = agentJar;
        this.appsJar = appsJar;
        this.serverMain = serverMain;
        this.port = port;
        this.failureTimeout = failureTimeout;
        this.heartbeatInterval = heartbeatInterval;
        // single event-loop servers need only the order of input; the others a serial schedule (as FailoverIT)
        this.determinism = serverMain.endsWith("NioKvServer") ? "input-order" : "serial";
        this.aeron = "/dev/shm/understudy-" + lab.name() + "-{node.id}/aeron";
    }

    @Override
    public String mode() {
        return "understudy";
    }

    @Override
    public boolean heals() {
        return false;
    }

    /**
     * Starts the cluster; a start in which a clone took over before any failure (a false takeover: on
     * busy cores a heartbeat can come later than a short failure timeout) is stopped and started again,
     * at most {@link #START_ATTEMPTS} times, and counted ({@code falseTakeoversAtStart}).
     */
    @Override
    public void start() throws Exception {
        long t0 = System.nanoTime();
        for (int attempt = 1; ; attempt++) {
            startOnce();
            Thread.sleep(START_SETTLE_MS);
            String takeover = takeoverLine();
            if (takeover == null) {
                break;
            }
            falseTakeovers.add(takeover);
            System.out.println("  understudy: false takeover at start (attempt " + attempt + "): " + takeover);
            if (attempt == START_ATTEMPTS) {
                throw new IOException("a clone took over before any failure in " + attempt + " starts: " + falseTakeovers);
            }
            close();
        }
        startedMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
    }

    /** A clone's line saying it took over (since it started), or null. */
    private String takeoverLine() throws IOException {
        for (int node = 2; node <= CLONES + 1; node++) {
            for (String l : MonitorLogs.linesAfter(servers[node].log(), 0)) {
                if (l.contains(" takes over at journal sequence ")) {
                    return "node" + node + ": " + l.substring(l.indexOf('[')).trim();
                }
            }
        }
        return null;
    }

    private void startOnce() throws Exception {
        Files.createDirectories(work);
        switchMonitor = new ProcessBuilder(realtime(List.of("ip", "-n", lab.switchNamespace(), "-ts", "monitor", "link")))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(switchMonitorLog().toFile())).start();
        switchShell = new ProcessBuilder(realtime(List.of("ip", "-n", lab.switchNamespace(), "-force", "-batch", "-")))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("switch.log").toFile()))
            .start();
        switchCommands = new PrintStream(switchShell.getOutputStream(), true, StandardCharsets.US_ASCII);
        resetLab();
        for (int node = 2; node <= CLONES + 1; node++) {
            monitors[node] = lab.spawn(Lab.node(node), realtime(List.of("ip", "-ts", "monitor", "address")), monitorLog(node));
        }
        for (int node = 2; node <= CLONES + 1; node++) {
            servers[node] = server(node, "clone");
        }
        servers[1] = server(1, "primary");
        primaryPid = LabBench.jvmPid(servers[1].process());
        for (int node = 2; node <= CLONES + 1; node++) {
            LabApps.awaitLine(servers[1].log(), "understudy-agent: INFO [primary] node " + node + " joined",
                servers[1].process(), JOIN_TIMEOUT);
        }
    }

    /** The lab as a fresh one: links up, no socket of the port, the VIP on node1 only, no Aeron directory. */
    private void resetLab() throws IOException, InterruptedException {
        for (int node = 1; node <= CLONES + 1; node++) {
            switchCommands.println("link set v-" + Lab.node(node) + " up");
        }
        LabBench.cleanShm("understudy-" + lab.name());
        String filter = "( sport = :" + port + " )";
        for (int node = 1; node <= CLONES + 1; node++) {
            String host = Lab.node(node);
            // the sockets a killed primary's kernel orphaned (FIN_WAIT1 behind the guard or a dead link) would
            // answer a reused 4-tuple of the next round with out-of-window ACKs; a fresh cluster has none
            lab.exec(host, Duration.ofSeconds(10), "ss", "-K", "-tn", "state", "all", filter);
            if (node == 1) {
                if (!hasVip(host)) {
                    lab.addVip(host);
                }
            } else {
                lab.removeVip(host);
            }
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!Host.run(Duration.ofSeconds(10), "ip", "-n", lab.switchNamespace(), "-br", "link", "show", "v-" + Lab.node(1))
            .output().contains(" UP ")) {
            if (System.nanoTime() > deadline) {
                throw new IOException("v-node1 not up again in " + lab.switchNamespace());
            }
            Thread.sleep(10);
        }
    }

    private boolean hasVip(String host) throws IOException {
        return Host.run(Duration.ofSeconds(10), "ip", "-n", lab.namespace(host), "-br", "addr", "show", "dev", Lab.INTERFACE)
            .output().contains(Lab.VIP + "/");
    }

    private LabApps.Server server(int node, String role) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of(
            "-javaagent:" + agentJar + "=role=" + role + ",node.id=" + node + ",ports=" + port,
            "-Dunderstudy.nodes=" + (CLONES + 1),
            "-Dunderstudy.journal.dir=" + work.resolve("journal-" + node),
            "-Dunderstudy.aeron.dir=" + aeron,
            "-Dunderstudy.ack.quorum=1",
            "-Dunderstudy.determinism=" + determinism,
            "-Dunderstudy.failure.timeout=" + failureTimeout,
            "-Dunderstudy.heartbeat.interval=" + heartbeatInterval));
        return LabApps.startServer(lab, Lab.node(node), LabBench.javaPath(), appsJar, options, serverMain, port,
            work.resolve(role + "-node" + node + ".log"), START_TIMEOUT);
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("agent", agentJar.toString());
        m.put("nodes", "primary in node1, clones in node2 and node3; a new cluster (3 new JVMs, empty journals) for every"
            + " round: one cluster fails over once (the new primary does not yet replicate to the remaining clone)");
        m.put("servers", serverMain + " on port " + port + " with -javaagent:understudy-agent.jar=role=...,node.id=N,ports="
            + port + ", class path " + appsJar);
        m.put("failureTimeout", failureTimeout);
        m.put("heartbeatInterval", heartbeatInterval);
        m.put("properties", "understudy.ack.quorum=1, understudy.determinism=" + determinism + ", understudy.failure.timeout="
            + failureTimeout + ", understudy.heartbeat.interval=" + heartbeatInterval + "; the rest as by default");
        m.put("processDetection", "the clones' failure timeout: no heartbeat from the primary for " + failureTimeout
            + " (the close guard keeps the dead JVM's kernel FINs and RSTs from the clients)");
        m.put("linkDownDetection", "the same failure timeout");
        m.put("recovered", "the winner's '[switchover] node N is primary of epoch E' line in its log (polled every 2 ms);"
            + " vipMovedMs from ip -ts monitor address in the winner's node");
        return m;
    }

    @Override
    public Failure fail(FailureKind kind) throws Exception {
        Map<String, Object> d = new LinkedHashMap<>();
        for (int node = 2; node <= CLONES + 1; node++) {
            d.put("monitorOffset.node" + node, Files.size(monitorLog(node)));
            d.put("logOffset.node" + node, Files.size(servers[node].log()));
        }
        d.put("clusterStartMs", startedMs);
        d.put("falseTakeoversAtStart", falseTakeovers.size());
        String early = takeoverLine();
        if (early != null) {
            // after the start's check, before the failure: this round does not measure a failover of ours
            d.put("takeoverBeforeFailure", early);
        }
        long at;
        switch (kind) {
            case PROCESS_KILL -> {
                ProcessHandle h = ProcessHandle.of(primaryPid)
                    .orElseThrow(() -> new IllegalStateException("the primary of node1 is gone: pid " + primaryPid));
                at = epochMicros();
                h.destroyForcibly();
            }
            case LINK_DOWN -> {
                d.put("switchMonitorOffset", Files.size(switchMonitorLog()));
                at = epochMicros();
                switchCommands.println("link set v-" + Lab.node(1) + " down");
            }
            default -> throw new IllegalArgumentException("unsupported failure kind: " + kind);
        }
        return new Failure(kind, Lab.node(1), at, d);
    }

    @Override
    public Map<String, Object> awaitRecovered(Failure f, Duration timeout) throws Exception {
        Map<String, Object> m = new LinkedHashMap<>();
        long deadline = System.nanoTime() + timeout.toNanos();
        String line = null;
        int winner = 0;
        while (line == null && System.nanoTime() < deadline) {
            for (int node = 2; node <= CLONES + 1 && line == null; node++) {
                for (String l : MonitorLogs.linesAfter(servers[node].log(), (long) f.details().get("logOffset.node" + node))) {
                    if (l.startsWith(SWITCHOVER_LINE) && l.contains(" is primary of epoch ")) {
                        line = l;
                        winner = node;
                        break;
                    }
                }
            }
            if (line == null) {
                Thread.sleep(2);
            }
        }
        long seen = epochMicros();
        m.put("recovered", line != null);
        if (f.details().get("takeoverBeforeFailure") != null) {
            m.put("takeoverBeforeFailure", f.details().get("takeoverBeforeFailure"));
        }
        if (line == null) {
            for (int node = 2; node <= CLONES + 1; node++) {
                m.put("log.node" + node, LabApps.tail(servers[node].log()));
            }
            return m;
        }
        m.put("newPrimary", Lab.node(winner));
        m.put("switchoverSeenMs", round3((seen - f.epochMicros()) / 1000.0));
        m.put("recoveredEpochMicros", seen);
        Long added = vipAdded(winner, (long) f.details().get("monitorOffset.node" + winner));
        m.put("vipMovedMs", added == null ? null : round3((added - f.epochMicros()) / 1000.0));
        Matcher s = SWITCHOVER.matcher(line);
        if (s.find()) {
            m.put("epoch", Long.parseLong(s.group(2)));
            m.put("connectionsRebuilt", Long.parseLong(s.group(3)));
            m.put("connectionsReset", Long.parseLong(s.group(4)));
            Map<String, Object> phases = new LinkedHashMap<>();
            Matcher p = PHASE.matcher(s.group(5));
            while (p.find()) {
                phases.put(p.group(1), Double.parseDouble(p.group(2)));
            }
            phases.put("total", Double.parseDouble(s.group(6)));
            m.put("phasesMs", phases);
        }
        m.put("switchoverLine", line.substring(line.indexOf("[switchover]")));
        if (f.kind() == FailureKind.LINK_DOWN) {
            Long down = linkDown((long) f.details().get("switchMonitorOffset"));
            m.put("linkDownSeenMs", down == null ? null : round3((down - f.epochMicros()) / 1000.0));
        }
        m.put("clusterStartMs", f.details().get("clusterStartMs"));
        m.put("falseTakeoversAtStart", f.details().get("falseTakeoversAtStart"));
        return m;
    }

    @Override
    public Map<String, Object> heal(Failure failure) {
        throw new UnsupportedOperationException("an understudy cluster fails over once: the harness starts a new one");
    }

    @Override
    public void close() {
        // SIGTERM to all at once (a clean stop removes each primary's close guard), SIGKILL after 5 s
        for (LabApps.Server s : servers) {
            if (s != null) {
                s.process().destroy();
            }
        }
        for (int i = 0; i < servers.length; i++) {
            LabApps.Server s = servers[i];
            if (s != null) {
                try {
                    if (!s.process().waitFor(5, TimeUnit.SECONDS)) {
                        s.kill();
                    }
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                servers[i] = null;
            }
        }
        for (int i = 0; i < monitors.length; i++) {
            kill(monitors[i]);
            monitors[i] = null;
        }
        if (switchCommands != null) {
            // the link of a failed node back up for whatever runs next in this lab
            switchCommands.println("link set v-" + Lab.node(1) + " up");
            switchCommands.close();
            switchCommands = null;
        }
        kill(switchShell);
        switchShell = null;
        kill(switchMonitor);
        switchMonitor = null;
        LabBench.cleanShm("understudy-" + lab.name());
    }

    private Path monitorLog(int node) {
        return work.resolve("node" + node + "-addr-monitor.log");
    }

    private Path switchMonitorLog() {
        return work.resolve("switch-link-monitor.log");
    }

    /** When the VIP was added in {@code node} after {@code offset} of its monitor log (epoch µs), or null. */
    private Long vipAdded(int node, long offset) throws IOException {
        return MonitorLogs.vipEvent(monitorLog(node), offset, false);
    }

    /** When the switch monitor saw node1's bridge port go down after {@code offset} (epoch µs), or null. */
    private Long linkDown(long offset) throws IOException {
        return MonitorLogs.linkEvent(switchMonitorLog(), offset, Lab.node(1), false);
    }

    private static void kill(Process p) {
        MonitorLogs.kill(p);
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
