package dev.understudy.transport.node;

import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.journal.JournalDigest;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * A lab of 3 nodes running {@link ReplicationNode} JVMs (node1 primary, node2/node3 clones),
 * driven through their stdin and observed through their status files. Removes its namespaces,
 * processes, temp dirs and Aeron dirs on close.
 */
final class ReplicationLab implements AutoCloseable {
    /** Copied from the parent pom's {@code surefire.jvm.args}: what Chronicle and Agrona need. */
    static final List<String> JVM_ARGS = List.of(
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED", "--add-opens=jdk.compiler/com.sun.tools.javac=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED",
        "-Dchronicle.analytics.disable=true", "-Xms256m", "-Xmx768m", "-XX:+UseSerialGC");

    private static final Duration IP_TIMEOUT = Duration.ofSeconds(10);
    private static final List<String> MULTICAST_CHAINS = List.of("OUTPUT", "INPUT");

    final Lab lab;
    final Path dir;
    private final String secretHex;
    private final List<String> extraJvm;
    private final Map<Integer, Process> nodes = new HashMap<>();
    private final long startNs = System.nanoTime();

    ReplicationLab(String secretHex, List<String> extraJvm) throws IOException {
        this.lab = Lab.up(3);
        this.dir = Files.createTempDirectory("understudy-repl-it-");
        this.secretHex = secretHex;
        this.extraJvm = extraJvm;
    }

    Path journal(int node) {
        return dir.resolve("journal-node" + node);
    }

    Path status(int node) {
        return dir.resolve("node" + node + ".status");
    }

    Path log(int node) {
        return dir.resolve("node" + node + ".log");
    }

    Path durableLog() {
        return dir.resolve("durable.log");
    }

    /** Starts node {@code n} (1 = primary) as a separate JVM in its namespace. */
    Process start(int n) throws IOException {
        return start(n, List.of());
    }

    /** Starts node {@code n} with {@code moreJvm} options after the lab's own (e.g. {@link #unicastJvmArgs()}). */
    Process start(int n, List<String> moreJvm) throws IOException {
        List<String> jvm = new ArrayList<>(JVM_ARGS);
        jvm.addAll(extraJvm);
        jvm.addAll(moreJvm);
        List<String> args = new ArrayList<>(List.of(
            "role=" + (n == 1 ? "primary" : "clone"), "node=" + n, "run=" + lab.name(),
            "address=" + lab.address(Lab.node(n)), "primary=" + lab.address(Lab.node(1)),
            "journal=" + journal(n), "status=" + status(n)));
        if (secretHex != null) {
            args.add("secret=" + secretHex);
        }
        if (n == 1) {
            args.add("durableLog=" + durableLog());
        }
        try {
            Files.deleteIfExists(status(n));
        } catch (IOException ignored) {
            // replaced below anyway
        }
        Process p = lab.spawn(Lab.node(n), Lab.java(jvm, ReplicationNode.class.getName(), args.toArray(new String[0])), log(n));
        nodes.put(n, p);
        return p;
    }

    /**
     * The system properties that switch a node to unicast destinations (Aeron MDC) over this lab's
     * three node addresses.
     */
    List<String> unicastJvmArgs() {
        List<String> nodeAddresses = new ArrayList<>();
        for (int i = 1; i <= lab.nodes(); i++) {
            nodeAddresses.add(lab.address(Lab.node(i)));
        }
        return List.of("-D" + ReplicationConfig.DESTINATIONS_PROP + "=unicast",
            "-D" + ReplicationConfig.NODES_PROP + "=" + String.join(",", nodeAddresses));
    }

    /**
     * Makes the lab a network without multicast: in every node, the multicast route goes and
     * netfilter drops whatever is addressed to {@link Lab#MULTICAST_RANGE} on the way out and in.
     * Unicast between the nodes is untouched. Undone by closing the lab (its namespaces go).
     */
    void blockMulticast() throws IOException {
        for (int n = 1; n <= lab.nodes(); n++) {
            lab.exec(Lab.node(n), IP_TIMEOUT, "ip", "route", "del", Lab.MULTICAST_RANGE, "dev", Lab.INTERFACE).check();
            for (String chain : MULTICAST_CHAINS) {
                lab.exec(Lab.node(n), IP_TIMEOUT, "iptables", "-I", chain, "-d", Lab.MULTICAST_RANGE, "-j", "DROP").check();
            }
        }
    }

    /** Packets {@link #blockMulticast()}'s rules dropped in node {@code n} (INPUT + OUTPUT). */
    long multicastDropped(int n) throws IOException {
        long total = 0;
        for (String chain : MULTICAST_CHAINS) {
            String out = lab.exec(Lab.node(n), IP_TIMEOUT, "iptables", "-L", chain, "-v", "-n", "-x").check().output();
            for (String line : out.split("\n")) {
                String[] f = line.trim().split("\\s+");
                if (line.contains("DROP") && line.contains(Lab.MULTICAST_RANGE) && f[0].matches("\\d+")) {
                    total += Long.parseLong(f[0]);
                }
            }
        }
        return total;
    }

    /** Removes node {@code n}'s journal (the node must be stopped): its next start begins empty. */
    void deleteJournal(int n) {
        deleteTree(journal(n));
    }

    void command(int n, String line) throws IOException {
        OutputStream out = nodes.get(n).getOutputStream();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Latest status of node {@code n} (empty before its first write). */
    Map<String, String> status(int n, boolean dummy) throws IOException {
        Map<String, String> m = new HashMap<>();
        try {
            for (String line : Files.readAllLines(status(n))) {
                int eq = line.indexOf('=');
                if (eq > 0) {
                    m.put(line.substring(0, eq), line.substring(eq + 1));
                }
            }
        } catch (NoSuchFileException e) {
            return m;
        }
        return m;
    }

    long value(int n, String key) throws IOException {
        String v = status(n, true).get(key);
        return v == null ? -1 : Long.parseLong(v);
    }

    /** Waits until node {@code n}'s status satisfies {@code condition}; fails with the logs after {@code timeout}. */
    Map<String, String> await(int n, Duration timeout, String what, Predicate<Map<String, String>> condition)
        throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            Map<String, String> s = status(n, true);
            if (!s.isEmpty() && condition.test(s)) {
                return s;
            }
            Process p = nodes.get(n);
            if (p != null && !p.isAlive() && !"true".equals(s.get("stopped"))) {
                throw new AssertionError("node" + n + " died (exit " + p.exitValue() + ") waiting for " + what + "\n" + tail(n));
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for node" + n + ": " + what + "; status=" + s + "\n" + tail(n));
            }
            Thread.sleep(50);
        }
    }

    static long num(Map<String, String> s, String key) {
        String v = s.get(key);
        return v == null ? -1 : Long.parseLong(v);
    }

    /** Sends stop and waits for the final status (with the journal verification). */
    Map<String, String> stop(int n) throws IOException, InterruptedException {
        command(n, "stop");
        Map<String, String> s = await(n, Duration.ofSeconds(60), "stopped", m -> "true".equals(m.get("stopped")));
        nodes.get(n).waitFor(java.util.concurrent.TimeUnit.SECONDS.toMillis(20), java.util.concurrent.TimeUnit.MILLISECONDS);
        return s;
    }

    void kill(int n) throws InterruptedException {
        Process p = nodes.get(n);
        p.destroyForcibly();
        p.waitFor();
    }

    void signal(int n, String signal) throws IOException {
        Host.run(Duration.ofSeconds(5), "kill", "-" + signal, Long.toString(nodes.get(n).pid())).check();
    }

    JournalDigest digest(int n) {
        return JournalDigest.of(JournalConfig.builder(journal(n)).build());
    }

    /** Last sequence of node {@code n}'s journal, read directly from its Chronicle queue (read-only, while it runs). */
    long journalLast(int n) {
        try (Journal j = Journal.open(JournalConfig.builder(journal(n)).readOnly(true).build())) {
            return j.lastSequence();
        }
    }

    String tail(int n) {
        try {
            List<String> lines = Files.readAllLines(log(n));
            return "---- node" + n + " log (tail) ----\n" + String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log for node" + n + ")";
        }
    }

    double seconds() {
        return (System.nanoTime() - startNs) / 1e9;
    }

    @Override
    public void close() throws IOException {
        try {
            lab.close();
        } finally {
            try (Stream<Path> shm = Files.list(Path.of("/dev/shm"))) {
                shm.filter(p -> p.getFileName().toString().startsWith("understudy-" + lab.name())).forEach(ReplicationLab::deleteTree);
            }
            if (Boolean.getBoolean("understudy.it.keep")) {
                System.out.println("kept " + dir);
            } else {
                deleteTree(dir);
            }
        }
    }

    static void deleteTree(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
