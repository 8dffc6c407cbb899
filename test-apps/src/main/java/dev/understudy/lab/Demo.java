package dev.understudy.lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * {@code ./understudy demo}: a lab, an unmodified server in {@code node1}, and the verifying
 * load client in {@code client} talking to it through the VIP; prints a readable summary and
 * removes the lab.
 *
 * <p>With {@code -Dunderstudy.demo.agent=PATH} (the launcher passes the agent jar) the server runs
 * in node1 as the agent's primary, and the same server runs in node2 and node3 as clones that
 * journal and acknowledge every record; the demo then prints each node's counters and checks that
 * both clones hold everything the primary recorded. Replay and failover are not implemented yet:
 * nothing is killed or failed over; the demo says so. Without the property the server runs
 * without the agent.
 *
 * <p>Exit codes: 0 when the load ran without error, 1 otherwise.
 */
public final class Demo {
    static final int PORT = 7000;
    static final int CONNECTIONS = 16;
    static final int REQUESTS = 2000;
    static final int PIPELINE = 4;
    static final long SEED = 42;

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
        Path logs = Files.createTempDirectory("understudy-demo-");
        boolean ok = false;
        say("Understudy demo");
        say("===============");
        String agentJar = System.getProperty("understudy.demo.agent");
        boolean withAgent = agentJar != null && Files.isRegularFile(Path.of(agentJar));
        if (withAgent) {
            say("NOTE: the agent records, replicates and replays the record into each clone's own copy of");
            say("the app; failover is not implemented yet: nothing is killed or failed over.");
        } else {
            say("NOTE: no agent jar given: the server runs WITHOUT the agent; nothing is recorded.");
        }
        say("");
        long t0 = System.nanoTime();
        List<LabApps.Server> servers = new java.util.ArrayList<>();
        String labName = "none";
        try (Lab lab = Lab.up(withAgent ? 3 : 2)) {
            say("1. Lab '%s' is up (%.1f s): bridge br0 in namespace %s", lab.name(), secs(t0), lab.switchNamespace());
            for (String h : lab.hosts()) {
                say("     %-8s %-15s netns %s%s", h, lab.address(h), lab.namespace(h),
                    h.equals(Lab.node(1)) ? "   + VIP " + lab.vip() : "");
            }
            long t1 = System.nanoTime();
            labName = lab.name();
            String aeron = "/dev/shm/understudy-" + lab.name() + "-{node.id}/aeron";
            LabApps.Server server;
            if (withAgent) {
                for (int n = 2; n <= 3; n++) {
                    servers.add(agentServer(lab, agentJar, n, "clone", logs, aeron));
                }
                server = agentServer(lab, agentJar, 1, "primary", logs, aeron);
                servers.add(server);
                for (int n = 2; n <= 3; n++) {
                    LabApps.awaitLine(server.log(), "understudy-agent: INFO [primary] node " + n + " joined",
                        server.process(), Duration.ofSeconds(120));
                }
                say("2. NioKvServer, unmodified, with -javaagent: primary in node1 (capture, interceptors, input");
                say("   commit on 1 clone), clones in node2 and node3 (journal + ack + replay), port %d (%.1f s)", server.port(), secs(t1));
            } else {
                server = LabApps.startServer(lab, Lab.node(1), List.of(), "dev.understudy.apps.NioKvServer",
                    PORT, logs.resolve("server.log"), Duration.ofSeconds(30));
                servers.add(server);
                say("2. NioKvServer (one Selector thread, plain JDK, no agent) listens on port %d in node1 (%.1f s)",
                    server.port(), secs(t1));
            }
            String target = lab.vip() + ":" + server.port();
            say("3. LoadClient in 'client' -> %s: %d connections x %d seeded requests, pipeline depth %d, every reply checked ...",
                target, CONNECTIONS, REQUESTS, PIPELINE);
            LabApps.LoadRun run = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(),
                LabApps.loadArgs("kv", target, CONNECTIONS, REQUESTS, PIPELINE, SEED, true), Duration.ofMinutes(3));
            ok = run.exitCode() == 0 && run.ok();
            say("");
            say("   requests completed  %,d of %,d sent, %,d expected (+ a final GET of every own and shared key per connection)",
                run.completed(), run.sent(), run.expected());
            say("   errors              %d  (mismatches %d, resets %d, EOFs %d, timeouts %d, connect failures %d,"
                    + " trailing bytes %d, other %d)",
                run.count("errors"), run.count("mismatches"), run.count("resets"), run.count("eofs"),
                run.count("timeouts"), run.count("connectFailures"), run.count("trailingBytes"), run.count("otherErrors"));
            say("   throughput          %,d requests/s over %.2f s", run.count("throughputPerSec"), run.count("durationMs") / 1000.0);
            @SuppressWarnings("unchecked")
            java.util.Map<String, Object> lat = (java.util.Map<String, Object>) run.summary().get("latencyUs");
            say("   latency             p50 %s us, p99 %s us, max %s us", lat.get("p50"), lat.get("p99"), lat.get("max"));
            say("   longest reply gap   %.3f ms (the stall a client would see during a failover)", run.real("maxGapMsOverall"));
            say("   server state        DUMP %d keys, sha256 %s", run.dumpCount(), run.dumpSha256());
            say("");
            if (!ok) {
                say("   %s", run.problems());
            }
            if (withAgent) {
                say("");
                say("4. What the agent recorded (./understudy status, read from each node's Aeron directory):");
                java.util.Map<Integer, java.util.Map<String, Long>> status = new java.util.TreeMap<>();
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(10);
                do { // the clones acknowledge the last records within milliseconds; the counters refresh every 50 ms
                    Thread.sleep(200);
                    for (int n = 1; n <= 3; n++) {
                        status.put(n, status(agentJar, aeron.replace("{node.id}", Integer.toString(n))));
                    }
                } while (System.nanoTime() < deadline
                    && !(status.get(2).get("journal position") != null
                        && status.get(2).get("journal position").equals(status.get(1).get("journal position"))
                        && status.get(3).get("journal position").equals(status.get(1).get("journal position"))));
                java.util.Map<String, Long> p = status.get(1);
                say("   node1 primary: %d connections, %d records, %d client segments recorded, %d held until durable and",
                    p.getOrDefault("connections opened", -1L), p.getOrDefault("records published", -1L),
                    p.getOrDefault("segments recorded", -1L), p.getOrDefault("segments released", -1L));
                say("                  released, %d dropped, ring full %d, agent errors %d",
                    p.getOrDefault("segments dropped (publish failed)", -1L), p.getOrDefault("ring full", -1L),
                    p.getOrDefault("agent errors", -1L));
                long position = p.getOrDefault("journal position", -1L);
                for (int n = 2; n <= 3; n++) {
                    long cp = status.get(n).getOrDefault("journal position", -1L);
                    say("   node%d clone:   journal position %d of the primary's %d%s", n, cp, position,
                        cp == position ? " - holds everything" : " - BEHIND");
                    java.util.Map<String, Long> c = status.get(n);
                    say("                  replayed to %d, %d output bytes checked against the primary's, %d divergences",
                        c.getOrDefault("replay applied position", -1L), c.getOrDefault("replay verified output bytes", -1L),
                        c.getOrDefault("replay divergences", -1L));
                    ok &= cp == position;
                }
            }
            say("");
            say(ok ? "RESULT: OK - every reply was what it had to be" + (withAgent ? ", and both clones hold the whole record." : ".")
                : "RESULT: FAILED - see above and the logs in " + logs);
            say("Failover: NOT YET - the switchover comes next; then the demo kills");
            say("node1 mid-run and shows the same client finishing with 0 errors through node2.");
        } finally {
            for (LabApps.Server sv : servers) {
                sv.stop();
            }
            for (int n = 1; n <= 3; n++) { // the nodes' Aeron directories (a killed driver leaves them)
                deleteTree(Path.of("/dev/shm/understudy-" + labName + "-" + n));
            }
            say("%d. Lab removed (namespaces, veths and processes). Total %.1f s.", withAgent ? 5 : 4, secs(t0));
        }
        if (ok) {
            deleteTree(logs);
        }
        System.exit(ok ? 0 : 1);
    }

    private static LabApps.Server agentServer(Lab lab, String agentJar, int node, String role, Path logs, String aeron)
        throws IOException, InterruptedException {
        List<String> options = List.of(
            "-javaagent:" + agentJar + "=role=" + role + ",node.id=" + node + ",ports=" + PORT,
            "-Dunderstudy.journal.dir=" + logs.resolve("journal-" + node),
            "-Dunderstudy.aeron.dir=" + aeron);
        return LabApps.startServer(lab, Lab.node(node), null, LabApps.appsClassPath(), options,
            "dev.understudy.apps.NioKvServer", PORT, logs.resolve(role + "-node" + node + ".log"), Duration.ofSeconds(180));
    }

    /** A node's counters, as {@code java -jar understudy-agent.jar --status DIR} prints them. */
    private static java.util.Map<String, Long> status(String agentJar, String aeronDir) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
            "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-jar", agentJar, "--status", aeronDir)
            .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        p.waitFor(30, java.util.concurrent.TimeUnit.SECONDS);
        java.util.Map<String, Long> m = new java.util.LinkedHashMap<>();
        for (String line : out.split("\n")) {
            java.util.regex.Matcher x = java.util.regex.Pattern.compile("^(.*?)\\s+(-?\\d+)$").matcher(line.trim());
            if (x.matches()) {
                m.put(x.group(1), Long.parseLong(x.group(2)));
            }
        }
        return m;
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
