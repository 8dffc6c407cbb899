package dev.understudy.lab;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;

/**
 * A network-namespace lab: real "machines" on one host.
 *
 * <pre>
 *   ns us-RUN-client  (eth0 198.18.0.2/24)  ─┐
 *   ns us-RUN-node1   (eth0 198.18.0.11/24, VIP 198.18.0.100) ─┤ veth ─▶ ns us-RUN-sw : bridge br0
 *   ns us-RUN-node2   (eth0 198.18.0.12/24) ─┤
 *   ...                                      ─┘
 * </pre>
 *
 * The bridge lives in its own namespace ({@code us-RUN-sw}), so a lab touches nothing in the
 * root namespace: two labs with the same addresses never collide, and deleting the lab's
 * namespaces removes every veth, address, route and iptables rule it made. Every host has
 * loopback up and a route for the multicast range {@code 239.255.0.0/16} on {@code eth0}.
 * Multicast snooping is off on the bridge so that groups flood to every port.
 *
 * <p>Only iproute2 is used. Every process started with {@link #spawn} is killed on
 * {@link #close()}, which also runs from a JVM shutdown hook (unless the lab was
 * {@link #detach() detached}); {@link #downAll(String)} removes the leftovers of runs that were
 * killed with SIGKILL, {@link #downLab(String)} one lab by name.
 *
 * <p>Thread-safety: {@link #spawn}, {@link #exec} and {@link #close} may be called from any thread.
 */
public final class Lab implements AutoCloseable {
    /** Every lab namespace starts with this; {@code lab down --all} removes all of them. */
    public static final String NAMESPACE_PREFIX = "us-";
    public static final String SUBNET = "198.18.0.0/24";
    public static final String VIP = "198.18.0.100";
    public static final String MULTICAST_RANGE = "239.255.0.0/16";
    public static final String CLIENT = "client";
    public static final String INTERFACE = "eth0";
    public static final int MAX_NODES = 8;
    /** Environment variable that prefixes generated run names, so one test run can reap all its labs. */
    public static final String RUN_ENV = "UNDERSTUDY_RUN";

    private static final Pattern NAME = Pattern.compile("[a-z0-9]{1,20}");
    private static final Duration IP_TIMEOUT = Duration.ofSeconds(20);
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String name;
    private final int nodes;
    private final Map<String, String> addresses = new LinkedHashMap<>();
    private final List<Process> processes = new CopyOnWriteArrayList<>();
    private final Thread shutdownHook;
    private volatile boolean closed;

    private Lab(String name, int nodes) {
        this.name = name;
        this.nodes = nodes;
        addresses.put(CLIENT, "198.18.0.2");
        for (int i = 1; i <= nodes; i++) {
            addresses.put(node(i), "198.18.0." + (10 + i));
        }
        this.shutdownHook = new Thread(this::closeQuietly, "lab-" + name + "-down");
    }

    /** Host name of node {@code i} (1-based): {@code node1}, {@code node2}, ... */
    public static String node(int i) {
        return "node" + i;
    }

    /** A fresh run name: {@code $UNDERSTUDY_RUN} (if set) followed by random hex. */
    public static String newRunName() {
        String base = System.getenv(RUN_ENV);
        base = base == null ? "" : base.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]", "");
        if (base.length() > 12) {
            base = base.substring(0, 12);
        }
        return base + String.format("%06x", RANDOM.nextInt(1 << 24));
    }

    /** Builds a lab with a random run name. */
    public static Lab up(int nodes) throws IOException {
        return up(newRunName(), nodes);
    }

    /**
     * Builds a lab with {@code nodes} nodes, the client and the bridge. On any failure
     * everything created so far is removed before the exception propagates.
     *
     * @throws IllegalArgumentException for a bad name or node count
     * @throws IOException              when an iproute2 command fails (its output is in the message)
     */
    public static Lab up(String name, int nodes) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid lab name: value=" + name + ", expected [a-z0-9]{1,20}");
        }
        if (nodes < 1 || nodes > MAX_NODES) {
            throw new IllegalArgumentException("invalid node count: value=" + nodes + ", expected 1.." + MAX_NODES);
        }
        Host.requireTool("ip", "iproute2");
        Lab lab = new Lab(name, nodes);
        Runtime.getRuntime().addShutdownHook(lab.shutdownHook);
        try {
            lab.build();
        } catch (IOException | RuntimeException e) {
            lab.closeQuietly();
            throw e;
        }
        return lab;
    }

    private void build() throws IOException {
        String sw = switchNamespace();
        ip("netns", "add", sw);
        ip("-n", sw, "link", "set", "lo", "up");
        ip("-n", sw, "link", "add", "br0", "type", "bridge", "mcast_snooping", "0");
        ip("-n", sw, "link", "set", "br0", "up");
        for (Map.Entry<String, String> host : addresses.entrySet()) {
            String ns = namespace(host.getKey());
            String port = "v-" + host.getKey();
            ip("netns", "add", ns);
            ip("-n", ns, "link", "set", "lo", "up");
            ip("-n", sw, "link", "add", port, "type", "veth", "peer", "name", INTERFACE, "netns", ns);
            ip("-n", sw, "link", "set", port, "master", "br0");
            ip("-n", sw, "link", "set", port, "up");
            ip("-n", ns, "addr", "add", host.getValue() + "/24", "dev", INTERFACE);
            ip("-n", ns, "link", "set", INTERFACE, "up");
            ip("-n", ns, "route", "add", MULTICAST_RANGE, "dev", INTERFACE);
            if (host.getKey().startsWith("node")) {
                // what the README asks of an Understudy node: a killed primary's orphaned client sockets
                // (their FINs held back by the close guard) die within about a second, not 100 s, so that
                // the node can take those connections over again soon after
                Host.run(IP_TIMEOUT, "ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.tcp_orphan_retries=1").check();
            }
        }
        addVip(node(1));
    }

    /** The run name (the part between {@code us-} and the host name). */
    public String name() {
        return name;
    }

    public int nodes() {
        return nodes;
    }

    /** Host names: {@code client}, {@code node1..nodeN}. */
    public List<String> hosts() {
        return Collections.unmodifiableList(new ArrayList<>(addresses.keySet()));
    }

    /** Namespace of a host, e.g. {@code us-3fa2c1-node1}. */
    public String namespace(String host) {
        requireHost(host);
        return NAMESPACE_PREFIX + name + "-" + host;
    }

    /** The namespace that holds the bridge. */
    public String switchNamespace() {
        return NAMESPACE_PREFIX + name + "-sw";
    }

    /** The host's own IPv4 address on the lab subnet. */
    public String address(String host) {
        requireHost(host);
        return addresses.get(host);
    }

    public String vip() {
        return VIP;
    }

    /** Adds the VIP to a node (with iproute2; the agent itself uses rtnetlink). */
    public void addVip(String host) throws IOException {
        ip("-n", namespace(host), "addr", "add", VIP + "/32", "dev", INTERFACE);
    }

    /** Removes the VIP from a node; no error if it is not there. */
    public void removeVip(String host) throws IOException {
        Host.run(IP_TIMEOUT, "ip", "-n", namespace(host), "addr", "del", VIP + "/32", "dev", INTERFACE);
    }

    /** A command line that runs {@code command} inside the host's namespace. */
    public List<String> inHost(String host, List<String> command) {
        List<String> full = new ArrayList<>(List.of("ip", "netns", "exec", namespace(host)));
        full.addAll(command);
        return full;
    }

    /** Runs a command in a host and waits for it (bounded by {@code timeout}). */
    public Host.Result exec(String host, Duration timeout, String... command) throws IOException {
        return Host.run(timeout, inHost(host, List.of(command)).toArray(new String[0]));
    }

    /**
     * Starts a long-running process in a host; its stdout and stderr go to {@code log}
     * (appended). The process is killed (with its descendants) when the lab closes.
     */
    public Process spawn(String host, List<String> command, Path log) throws IOException {
        if (closed) {
            throw new IllegalStateException("lab " + name + " is closed");
        }
        ProcessBuilder pb = new ProcessBuilder(inHost(host, command));
        pb.redirectErrorStream(true);
        if (log != null) {
            Files.createDirectories(log.toAbsolutePath().getParent());
            pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        } else {
            pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
        }
        Process p = pb.start();
        processes.add(p);
        return p;
    }

    /**
     * The command line of a JVM running {@code mainClass} from this JVM's class path
     * (under Surefire/Failsafe: the test class path), with the given JVM options and native
     * access enabled for the class path (JNA).
     */
    public static List<String> java(List<String> jvmOptions, String mainClass, String... args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        // Lab JVMs are the project's own test machines and call libc through JNA. From JDK 22 on,
        // the first JNA call otherwise prints a "restricted method" warning to stderr, which
        // would land in the output the tests parse. JDK 17 accepts the flag as well.
        cmd.add("--enable-native-access=ALL-UNNAMED");
        cmd.addAll(jvmOptions);
        cmd.add("-cp");
        cmd.add(classPath());
        cmd.add(mainClass);
        cmd.addAll(List.of(args));
        return cmd;
    }

    /** This JVM's effective class path; prefers Surefire's test class path when present. */
    public static String classPath() {
        String cp = System.getProperty("surefire.test.class.path");
        if (cp == null || cp.isBlank()) {
            cp = System.getProperty("java.class.path");
        }
        return cp.replace(' ', File.pathSeparatorChar).replaceAll(File.pathSeparator + "+", File.pathSeparator);
    }

    /** A JSON description of the lab: namespaces, addresses, VIP, bridge. */
    public String json() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", name);
        m.put("subnet", SUBNET);
        m.put("vip", VIP);
        m.put("multicast", MULTICAST_RANGE);
        Map<String, Object> bridge = new LinkedHashMap<>();
        bridge.put("namespace", switchNamespace());
        bridge.put("device", "br0");
        m.put("bridge", bridge);
        List<Object> hosts = new ArrayList<>();
        for (Map.Entry<String, String> host : addresses.entrySet()) {
            Map<String, Object> h = new LinkedHashMap<>();
            h.put("host", host.getKey());
            h.put("namespace", namespace(host.getKey()));
            h.put("interface", INTERFACE);
            h.put("address", host.getValue());
            h.put("vip", host.getKey().equals(node(1)));
            hosts.add(h);
        }
        m.put("hosts", hosts);
        return Json.write(m);
    }

    /**
     * Leaves the lab up when this JVM exits: removes the shutdown hook that would otherwise
     * take it down. For the {@code ./understudy lab up} command, whose lab outlives it;
     * {@link #close()} still removes the lab when called explicitly, and
     * {@code lab down}/{@link #downLab(String)} remove it from another process.
     *
     * @return this lab
     */
    public Lab detach() {
        if (!closed) {
            try {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            } catch (IllegalStateException alreadyShuttingDown) {
                // the hook runs anyway
            }
        }
        return this;
    }

    /** Kills every spawned process and removes every namespace of this lab. Idempotent. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        closed = true;
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException alreadyShuttingDown) {
            // called from the hook itself
        }
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroyForcibly);
            p.destroyForcibly();
        }
        for (Process p : processes) {
            try {
                p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        down(NAMESPACE_PREFIX + name + "-");
    }

    private void closeQuietly() {
        try {
            close();
        } catch (IOException | RuntimeException e) {
            System.err.println("lab " + name + ": cleanup failed: " + e.getMessage());
        }
    }

    /**
     * Removes every lab namespace whose name starts with {@code us-} + {@code runPrefix}
     * (all labs when it is empty), killing the processes inside first.
     *
     * @return the namespaces removed
     */
    public static List<String> downAll(String runPrefix) throws IOException {
        if (runPrefix == null) {
            runPrefix = "";
        }
        if (!runPrefix.isEmpty() && !NAME.matcher(runPrefix).matches()) {
            throw new IllegalArgumentException("invalid lab name: value=" + runPrefix + ", expected [a-z0-9]{1,20}");
        }
        return down(NAMESPACE_PREFIX + runPrefix);
    }

    /**
     * Removes the lab named exactly {@code name} (the namespaces {@code us-NAME-*}), killing the
     * processes inside first. No error when there is no such lab.
     *
     * @return the namespaces removed
     */
    public static List<String> downLab(String name) throws IOException {
        if (name == null || !NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("invalid lab name: value=" + name + ", expected [a-z0-9]{1,20}");
        }
        return down(NAMESPACE_PREFIX + name + "-");
    }

    /** Names of the labs present on this machine (those whose bridge namespace exists), sorted. */
    public static List<String> list() throws IOException {
        List<String> names = new ArrayList<>();
        for (String ns : namespaces()) {
            if (ns.startsWith(NAMESPACE_PREFIX) && ns.endsWith("-sw")) {
                String name = ns.substring(NAMESPACE_PREFIX.length(), ns.length() - 3);
                if (NAME.matcher(name).matches()) {
                    names.add(name);
                }
            }
        }
        Collections.sort(names);
        return names;
    }

    /** Every named network namespace on this machine ({@code ip netns list}). */
    public static List<String> namespaces() throws IOException {
        Host.Result list = Host.run(IP_TIMEOUT, "ip", "netns", "list").check();
        List<String> result = new ArrayList<>();
        for (String line : list.output().split("\n")) {
            String ns = line.trim().split("\\s+")[0];
            if (!ns.isEmpty()) {
                result.add(ns);
            }
        }
        return result;
    }

    private static List<String> down(String namespacePrefix) throws IOException {
        List<String> removed = new ArrayList<>();
        for (String ns : namespaces()) {
            if (!ns.startsWith(namespacePrefix)) {
                continue;
            }
            // Kill what runs inside first: a live process would keep the namespace (and its
            // veths and addresses) alive after its name is gone.
            Host.Result pids = Host.run(IP_TIMEOUT, "ip", "netns", "pids", ns);
            List<ProcessHandle> victims = new ArrayList<>();
            for (String pid : pids.output().split("\\s+")) {
                if (!pid.isBlank() && pid.trim().chars().allMatch(Character::isDigit)) {
                    ProcessHandle.of(Long.parseLong(pid.trim())).ifPresent(victims::add);
                }
            }
            for (ProcessHandle h : victims) {
                h.destroyForcibly();
            }
            for (ProcessHandle h : victims) {
                try {
                    h.onExit().get(5, java.util.concurrent.TimeUnit.SECONDS);
                } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                    // reported below if the namespace cannot go
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException("interrupted while removing " + ns, e);
                }
            }
            Host.Result del = Host.run(IP_TIMEOUT, "ip", "netns", "del", ns);
            if (del.exitCode() != 0 && !del.output().contains("No such file")) {
                // "No such file": a concurrent down of the same lab got there first
                throw new IOException("ip netns del " + ns + " failed: " + del.output().trim());
            }
            removed.add(ns);
        }
        return removed;
    }

    private void requireHost(String host) {
        if (!addresses.containsKey(host)) {
            throw new IllegalArgumentException("unknown lab host: value=" + host + ", expected one of " + addresses.keySet());
        }
    }

    private static void ip(String... args) throws IOException {
        String[] cmd = new String[args.length + 1];
        cmd[0] = "ip";
        System.arraycopy(args, 0, cmd, 1, args.length);
        Host.run(IP_TIMEOUT, cmd).check();
    }
}
