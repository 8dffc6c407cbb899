package dev.understudy.benchmarks.failover;

import dev.understudy.benchmarks.recording.LabBench;
import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The baseline of {@link FailoverBenchmark}: keepalived (the Debian package, VRRPv3, {@code advert_int
 * 0.01}, its fastest) moving the lab's VIP between two plain copies of the same server in node1 and
 * node2, no agent. node1 has priority 150, node2 100, both start as BACKUP with {@code nopreempt}, so
 * that a healed node never takes the VIP back (which would break every connection once more): the
 * master alternates between the nodes from round to round.
 *
 * <p><b>How keepalived learns that the server died.</b> This build has no {@code track_process}
 * (Debian's configure options leave it out, and its process-event connector works only in the
 * initial network namespace), and a {@code vrrp_script} runs at most once a second ({@code interval}
 * is whole seconds). The fastest reaction keepalived offers is {@code track_file}, which it watches
 * with inotify: each server runs under a supervising shell in its node ({@code "$@" & wait; echo 1 >
 * track}, the shell at real-time priority, the server not), like a service manager's stop hook, which
 * marks the file the moment the server has exited; with
 * weight 0 keepalived enters FAULT, sends a priority-0 advertisement and removes the VIP, and the
 * backup takes over at once. A deployment with the usual {@code vrrp_script} (interval 1, fall 1)
 * would be out up to a second longer. For a link loss nothing needs to notice: the backup stops
 * hearing advertisements (3 × advert_int + skew).
 *
 * <p>A round fails the node that holds the VIP now. Process kill: SIGKILL of its server JVM (its
 * kernel closes every socket: the clients see EOF or a reset at once). Link down: its port on the lab
 * bridge down ({@code ip link set v-nodeX down} in the switch namespace); its kernel keeps the
 * connections, which are simply gone for the clients until the backup's gratuitous ARP sends their
 * retransmissions to a kernel that answers them with a reset. The port is taken down by an
 * {@code ip -batch -} kept running in the switch namespace, so the failure instant is one pipe write
 * before it. Heal: after a process kill, a new
 * server (empty store) and the track file cleared; after a link loss, a rebooted machine: its
 * keepalived and server killed, the VIP removed, its kernel's sockets of the service port destroyed
 * ({@code ss -K}; a reboot leaves no orphaned connection behind), the link up, a new server and a new
 * keepalived.
 *
 * <p>The VIP's moves are timed by {@code ip -ts monitor address} in each node, the bridge ports' by
 * {@code ip -ts monitor link} in the switch namespace (µs wall-clock timestamps of the kernel's
 * notifications, like the failure instant). The monitors and the switch's {@code ip -batch} run at
 * real-time priority ({@code chrt -f 50}, as keepalived's VRRP process does): on two busy cores a normal
 * process can wait tens of ms for a CPU, and the failure and its timestamps would move by as much.
 */
final class KeepalivedCluster implements Cluster {
    static final String KEEPALIVED = "keepalived";
    static final int VRID = 51;
    static final String ADVERT_INT = "0.01";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration STATE_TIMEOUT = Duration.ofSeconds(10);
    /** After a heal, how long the VIP must stay where it is before the next round. */
    private static final long HEAL_SETTLE_MS = 300;

    private final Lab lab;
    private final Path work;
    private final String appsJar;
    private final String serverMain;
    private final int port;
    private final List<Node> nodes = new ArrayList<>();
    private Node master;
    private int starts;
    /**
     * {@code ip -batch -} in the switch namespace: one command per line from stdin, run as it arrives, so
     * that a link goes down within a pipe write of the failure instant rather than after an {@code ip}
     * process has started (several ms, far more on busy cores).
     */
    private Process switchShell;
    /** {@code ip -ts monitor link} in the switch namespace: when each bridge port went down or up. */
    private Process switchMonitor;
    private java.io.PrintStream switchCommands;

    /** One node: its server (under the supervising shell), its keepalived, its address monitor. */
    private static final class Node {
        final String host;
        final int priority;
        final Path conf;
        final Path track;
        final Path monitorLog;
        Process server;
        long serverPid;
        Process keepalived;
        Path keepalivedLog;
        Process monitor;

        Node(String host, int priority, Path dir) {
            this.host = host;
            this.priority = priority;
            this.conf = dir.resolve(host + "-keepalived.conf");
            this.track = dir.resolve(host + "-server-down");
            this.monitorLog = dir.resolve(host + "-addr-monitor.log");
        }
    }

    KeepalivedCluster(Lab lab, Path work, String appsJar, String serverMain, int port) {
        if (lab.nodes() < 2) {
            throw new IllegalArgumentException("keepalived mode needs 2 lab nodes, the lab has " + lab.nodes());
        }
        this.lab = lab;
        this.work = work;
        this.appsJar = appsJar;
        this.serverMain = serverMain;
        this.port = port;
        nodes.add(new Node(Lab.node(1), 150, work));
        nodes.add(new Node(Lab.node(2), 100, work));
    }

    @Override
    public String mode() {
        return "keepalived";
    }

    @Override
    public void start() throws Exception {
        Host.requireTool(KEEPALIVED, "keepalived");
        Files.createDirectories(work);
        // the lab puts the VIP on node1; here keepalived owns it
        lab.removeVip(Lab.node(1));
        // real-time priority (as keepalived's own VRRP process): on busy cores a normal process can wait
        // tens of ms for a CPU, which would move the failure, and the timestamps, by as much
        switchMonitor = new ProcessBuilder(realtime(List.of("ip", "-n", lab.switchNamespace(), "-ts", "monitor", "link")))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(switchMonitorLog().toFile())).start();
        switchShell = new ProcessBuilder(realtime(List.of("ip", "-n", lab.switchNamespace(), "-force", "-batch", "-")))
            .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(work.resolve("switch.log").toFile()))
            .start();
        switchCommands = new java.io.PrintStream(switchShell.getOutputStream(), true, StandardCharsets.US_ASCII);
        for (Node n : nodes) {
            n.monitor = lab.spawn(n.host, realtime(List.of("ip", "-ts", "monitor", "address")), n.monitorLog);
            Files.writeString(n.conf, config(n));
            startServer(n);
        }
        // node1 first, until MASTER: two BACKUPs with nopreempt started together race for the VIP
        startKeepalived(nodes.get(0), "Entering MASTER STATE");
        startKeepalived(nodes.get(1), "Entering BACKUP STATE");
        master = nodes.get(0);
        awaitVip(master, 0, Instant.now().plusSeconds(10));
    }

    @Override
    public Map<String, Object> describe() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("keepalived", version());
        m.put("vrrp", "VRRPv3, virtual_router_id " + VRID + ", advert_int " + ADVERT_INT + " s, multicast on eth0,"
            + " node1 priority 150, node2 100, both state BACKUP with nopreempt (a healed node does not take the VIP"
            + " back), vrrp_rt_priority 50, vrrp_rlimit_rttime 1 s, gratuitous ARPs as by default (5 at the takeover, 5 more 5 s later); started as 'keepalived -n -l -D --vrrp'");
        m.put("processDetection", "track_file (inotify) weight 0, marked by the server's supervising shell when the"
            + " server exits: FAULT, priority-0 advertisement, VIP removed (vrrp_script polls at most once a second;"
            + " track_process is not in Debian's build)");
        m.put("linkDownDetection", "the backup's master-down timer: 3 x advert_int + skew");
        m.put("servers", serverMain + " on port " + port + " in node1 and node2, no agent, -XX:+UseSerialGC -Xmx256m,"
            + " class path " + appsJar);
        m.put("heal", "process-kill: a new server (empty store), track file cleared; link-down: keepalived and server"
            + " killed, VIP removed, the node's TCP sockets of the service port destroyed (ss -K), link up, new server"
            + " and keepalived (a rebooted machine)");
        m.put("config", config(nodes.get(0)));
        return m;
    }

    @Override
    public Failure fail(FailureKind kind) throws Exception {
        Node n = master;
        Map<String, Object> d = new LinkedHashMap<>();
        for (Node x : nodes) {
            d.put("monitorOffset." + x.host, Files.size(x.monitorLog));
        }
        d.put("keepalivedLogOffset", Files.size(n.keepalivedLog));
        long at;
        switch (kind) {
            case PROCESS_KILL -> {
                ProcessHandle h = ProcessHandle.of(n.serverPid)
                    .orElseThrow(() -> new IllegalStateException("server of " + n.host + " is gone: pid " + n.serverPid));
                at = epochMicros();
                h.destroyForcibly();
            }
            case LINK_DOWN -> {
                d.put("switchMonitorOffset", Files.size(switchMonitorLog()));
                at = epochMicros();
                switchCommands.println("link set v-" + n.host + " down");
            }
            default -> throw new IllegalArgumentException("unsupported failure kind: " + kind);
        }
        return new Failure(kind, n.host, at, d);
    }

    @Override
    public Map<String, Object> awaitRecovered(Failure f, Duration timeout) throws Exception {
        Node failed = node(f.node());
        Node other = nodes.get(0) == failed ? nodes.get(1) : nodes.get(0);
        Map<String, Object> m = new LinkedHashMap<>();
        long offset = (long) f.details().get("monitorOffset." + other.host);
        Long added = awaitVip(other, offset, Instant.now().plus(timeout));
        m.put("recovered", added != null);
        m.put("newMaster", other.host);
        if (added != null) {
            m.put("vipMovedMs", round3((added - f.epochMicros()) / 1000.0));
            m.put("recoveredEpochMicros", added);
            master = other;
        }
        if (f.kind() == FailureKind.PROCESS_KILL) {
            // keepalived sends its priority-0 advertisement before it removes the VIP: the removal can come later
            long failedOffset = (long) f.details().get("monitorOffset." + failed.host);
            Long removed = null;
            for (long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2); removed == null && System.nanoTime() < end; ) {
                removed = vipEvent(failed, failedOffset, true);
                if (removed == null) {
                    Thread.sleep(5);
                }
            }
            m.put("vipReleasedMs", removed == null ? null : round3((removed - f.epochMicros()) / 1000.0));
        } else {
            Long down = linkEvent(n(f), (long) f.details().get("switchMonitorOffset"), false);
            // the bridge port's own notification (switch monitor, real-time priority)
            m.put("linkDownSeenMs", down == null ? null : round3((down - f.epochMicros()) / 1000.0));
        }
        return m;
    }

    @Override
    public Map<String, Object> heal(Failure f) throws Exception {
        Node n = node(f.node());
        if (f.kind() == FailureKind.PROCESS_KILL) {
            long logOffset = (long) f.details().get("keepalivedLogOffset");
            awaitExit(n.server);
            startServer(n);
            awaitLog(n.keepalivedLog, logOffset, "Entering BACKUP STATE", STATE_TIMEOUT);
        } else {
            // SIGTERM: keepalived reaps its VRRP child and removes the VIP; its priority-0 advertisement
            // goes nowhere, the link is still down. After a SIGKILL the orphaned child would keep the
            // pid file's claim and the next keepalived would refuse to start ("daemon is already running").
            stopKeepalived(n);
            kill(n.server);
            lab.removeVip(n.host);
            // a rebooted kernel has no TCP state: the killed server's sockets, orphaned in FIN_WAIT1
            // behind the dead link, would otherwise answer a client whose new connection reuses one's
            // 4-tuple with out-of-window ACKs instead of the reset the new master's kernel owes it
            String filter = "( sport = :" + port + " )";
            lab.exec(n.host, Duration.ofSeconds(10), "ss", "-K", "-tn", "state", "all", filter);
            String left = lab.exec(n.host, Duration.ofSeconds(10), "ss", "-H", "-tn", "state", "all", filter).output().trim();
            if (!left.isEmpty()) {
                throw new IOException("TCP sockets of port " + port + " left in " + n.host + " after ss -K: " + left);
            }
            long offset = Files.size(switchMonitorLog());
            switchCommands.println("link set v-" + n.host + " up");
            awaitLinkState(n, offset, true, Duration.ofSeconds(5));
            startServer(n);
            startKeepalived(n, "Entering BACKUP STATE");
        }
        long offset = Files.size(n.monitorLog);
        Thread.sleep(HEAL_SETTLE_MS);
        Map<String, Object> notes = new LinkedHashMap<>();
        if (vipEvent(n, offset, false) != null) {
            // it did not hear the master in time and took the VIP; the two masters then settle by priority
            notes.put("vipFlapped", true);
            notes.put("healedKeepalivedLog", LabApps.tail(n.keepalivedLog));
            Thread.sleep(2000);
            master = null;
            for (Node x : nodes) {
                boolean has = Host.run(Duration.ofSeconds(10), "ip", "-n", lab.namespace(x.host), "-br", "addr", "show", "dev",
                    Lab.INTERFACE).output().contains(Lab.VIP + "/");
                if (has && master != null) {
                    throw new IOException("both nodes hold the VIP after healing " + n.host);
                }
                master = has ? x : master;
            }
            if (master == null) {
                throw new IOException("no node holds the VIP after healing " + n.host);
            }
            notes.put("masterAfterHeal", master.host);
        }
        return notes;
    }

    @Override
    public void close() {
        for (Node n : nodes) {
            stopKeepalived(n);
            kill(n.server);
            kill(n.monitor);
        }
        if (switchShell != null) {
            switchCommands.close();
            kill(switchShell);
        }
        kill(switchMonitor);
    }

    private String config(Node n) {
        return "global_defs {\n"
            + "  router_id " + n.host + "\n"
            + "  vrrp_version 3\n"
            + "  vrrp_rt_priority 50\n"
            // the default 10 ms of CPU between blocking calls under SCHED_RR is not enough for a VRRP child
            // starting on two busy cores: the kernel kills it (RLIMIT_RTTIME) and the parent respawns it
            + "  vrrp_rlimit_rttime 1000000\n"
            + "}\n"
            + "track_file server_down {\n"
            + "  file \"" + n.track + "\"\n"
            + "}\n"
            + "vrrp_instance VI_" + VRID + " {\n"
            + "  state BACKUP\n"
            + "  nopreempt\n"
            + "  interface " + Lab.INTERFACE + "\n"
            + "  virtual_router_id " + VRID + "\n"
            + "  priority " + n.priority + "\n"
            + "  advert_int " + ADVERT_INT + "\n"
            + "  virtual_ipaddress {\n"
            + "    " + Lab.VIP + "/32 dev " + Lab.INTERFACE + "\n"
            + "  }\n"
            + "  track_file {\n"
            + "    server_down weight 0\n"
            + "  }\n"
            + "}\n";
    }

    private void startServer(Node n) throws IOException, InterruptedException {
        Files.writeString(n.track, "1\n");
        Path log = work.resolve(n.host + "-server-" + (++starts) + ".log");
        List<String> cmd = new ArrayList<>(List.of("sh", "-c",
            // the shell itself (not the server it has started) at real-time priority, so that it marks the
            // file as soon as the server has exited, however busy the cores
            "\"$@\" & p=$!; " + (Host.findTool("chrt") == null ? "" : "chrt -f -p 50 $$ >/dev/null; ")
                + "wait $p; rc=$?; echo 1 > '" + n.track + "'; exit $rc", "server-supervisor",
            LabBench.javaPath().toString(), "-XX:+UseSerialGC", "-Xmx256m", "-cp", appsJar, serverMain,
            Integer.toString(port)));
        n.server = lab.spawn(n.host, cmd, log);
        LabApps.awaitLine(log, "LISTENING", n.server, START_TIMEOUT);
        n.serverPid = LabBench.jvmPid(n.server);
        Files.writeString(n.track, "0\n");
    }

    private void startKeepalived(Node n, String state) throws IOException, InterruptedException {
        int start = ++starts;
        n.keepalivedLog = work.resolve(n.host + "-keepalived-" + start + ".log");
        // pid files of its own per start: a keepalived refuses to start over a live pid file
        n.keepalived = lab.spawn(n.host, List.of(KEEPALIVED, "-n", "-l", "-D", "--vrrp", "-f", n.conf.toString(),
            "-p", work.resolve(n.host + "-keepalived-" + start + ".pid").toString(),
            "-r", work.resolve(n.host + "-vrrp-" + start + ".pid").toString()), n.keepalivedLog);
        awaitLog(n.keepalivedLog, 0, state, STATE_TIMEOUT);
    }

    private Path switchMonitorLog() {
        return work.resolve("switch-link-monitor.log");
    }

    /** Waits until the switch monitor reports the node's bridge port up (or down) after {@code offset}. */
    private void awaitLinkState(Node n, long offset, boolean up, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (linkEvent(n, offset, up) != null) {
                return;
            }
            if (!switchShell.isAlive()) {
                throw new IOException("ip -batch in " + lab.switchNamespace() + " exited " + switchShell.exitValue());
            }
            Thread.sleep(2);
        }
        throw new IOException("v-" + n.host + " not " + (up ? "up" : "down") + " within " + timeout + " (switch monitor: "
            + LabApps.tail(switchMonitorLog()) + ")");
    }

    /**
     * The first notification of the node's bridge port, administratively up or down as asked, in the switch
     * monitor's log after {@code offset}: epoch µs, or null.
     */
    private Long linkEvent(Node n, long offset, boolean up) throws IOException {
        return MonitorLogs.linkEvent(switchMonitorLog(), offset, n.host, up);
    }

    private Node n(Failure f) {
        return node(f.node());
    }

    /** Waits for the VIP to be added on {@code n} after byte {@code offset} of its monitor log; its epoch µs, or null. */
    private static Long awaitVip(Node n, long offset, Instant deadline) throws IOException, InterruptedException {
        while (Instant.now().isBefore(deadline)) {
            Long t = vipEvent(n, offset, false);
            if (t != null) {
                return t;
            }
            Thread.sleep(2);
        }
        return null;
    }

    /** The first VIP address event (added, or deleted) in {@code n}'s monitor log after {@code offset}: epoch µs, or null. */
    private static Long vipEvent(Node n, long offset, boolean deleted) throws IOException {
        return MonitorLogs.vipEvent(n.monitorLog, offset, deleted);
    }

    private static void awaitLog(Path log, long offset, String text, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (Files.exists(log)) {
                byte[] all = Files.readAllBytes(log);
                if (all.length > offset && new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8)
                    .contains(text)) {
                    return;
                }
            }
            Thread.sleep(5);
        }
        throw new IOException("no '" + text + "' in " + log + " within " + timeout + ": " + LabApps.tail(log));
    }

    private Node node(String host) {
        for (Node n : nodes) {
            if (n.host.equals(host)) {
                return n;
            }
        }
        throw new IllegalArgumentException("unknown node: " + host);
    }

    private static void awaitExit(Process p) throws InterruptedException {
        if (p != null) {
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** SIGTERM of a node's keepalived (it stops its VRRP child and removes its VIP), SIGKILL after 5 s. */
    private static void stopKeepalived(Node n) {
        Process p = n.keepalived;
        if (p == null || !p.isAlive()) {
            return;
        }
        p.destroy();
        try {
            if (p.waitFor(5, TimeUnit.SECONDS)) {
                return;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        kill(p);
    }

    private static void kill(Process p) {
        MonitorLogs.kill(p);
    }

    /** {@code command} under {@code chrt -f 50} (SCHED_FIFO) when util-linux's chrt is there, else as it is. */
    static List<String> realtime(List<String> command) {
        if (Host.findTool("chrt") == null) {
            return command;
        }
        List<String> c = new ArrayList<>(List.of("chrt", "-f", "50"));
        c.addAll(command);
        return c;
    }

    private static String version() {
        try {
            String out = Host.run(Duration.ofSeconds(10), KEEPALIVED, "--version").output();
            return out.lines().findFirst().orElse("unknown").trim();
        } catch (IOException e) {
            return "unknown: " + e.getMessage();
        }
    }

    static long epochMicros() {
        return ChronoUnit.MICROS.between(Instant.EPOCH, Instant.now());
    }

    private static double round3(double v) {
        return Math.round(v * 1000) / 1000.0;
    }
}
