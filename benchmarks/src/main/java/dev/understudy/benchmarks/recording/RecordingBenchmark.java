package dev.understudy.benchmarks.recording;

import static dev.understudy.benchmarks.recording.LabBench.delete;
import static dev.understudy.benchmarks.recording.LabBench.environment;
import static dev.understudy.benchmarks.recording.LabBench.findAppsJar;
import static dev.understudy.benchmarks.recording.LabBench.javaPath;
import static dev.understudy.benchmarks.recording.LabBench.jvmPid;
import static dev.understudy.benchmarks.recording.LabBench.lastJsonLine;
import static dev.understudy.benchmarks.recording.LabBench.round;
import static dev.understudy.benchmarks.recording.LabBench.stop;

import dev.understudy.lab.Host;
import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * What the agent's recording costs an unmodified server, measured in ONE run, in one lab, per app
 * ({@code NioKvServer}, then {@code BlockingKvServer}).
 * As root, from the repository root, after
 * {@code mvn -B -q -o -pl agent package -DskipTests} and {@code mvn -B -q -o -pl benchmarks package -DskipTests}:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.recording.RecordingBenchmark
 * </pre>
 *
 * (also {@code ./understudy bench recording}). It writes {@code benchmarks/results/recording.json}:
 * <ol>
 *   <li><b>floor</b>: a plain TCP ping-pong of 64 B messages, client → node1's VIP, no agent
 *       ({@link EchoFloor}), after a warm-up; before the cases and again after them;</li>
 *   <li>per case, the request round trip of the app (LoadClient, 1 connection, pipeline 1, a
 *       warm-up first, in the same client JVM: {@link LoadDriver}) — p50/p99/p99.9 and what the agent
 *       adds over the agent-off case; the target is "at most one replication round trip + 20 µs at
 *       p50", where one replication round trip is taken as the floor's p50 (node1 ↔ node2 crosses
 *       the same bridge as client ↔ node1);</li>
 *   <li>per case, throughput with 16 connections and pipeline 4: requests/s, CPU per request (the
 *       server's and the clones' utime + stime over the measured run, divided by the requests
 *       answered), the server JVM's VmRSS after the run;</li>
 *   <li>per agent case, the idle CPU % of every JVM with the nodes up and no traffic.</li>
 * </ol>
 * Cases: agent off; primary + 1 clone (ack.quorum 1) with idle strategy backoff (also with output
 * commit off, to show its cost), spin, yield;
 * primary + 2 clones with ack.quorum 1 and 2 (backoff), and ack.quorum 1 with idle strategy sleep.
 * Every server runs with only the sample apps on its class path (the agent's own classes must not
 * be on the application's class path). A case whose LoadClient verdict is not ok, or that threw,
 * is marked {@code "failed": true} with the reasons; the others still run. Every process, the
 * lab, the journals and the Aeron directories are removed at the end, also on failure.
 *
 * <p>Options: {@code --out=FILE} (default {@code benchmarks/results/recording.json}),
 * {@code --agent=JAR} (default {@code agent/target/understudy-agent.jar}), {@code --apps-jar=JAR}
 * (default {@code test-apps/target/understudy-test-apps-*.jar}, else the one in the local Maven
 * repository), {@code --apps=NioKvServer,BlockingKvServer} (the default), {@code --cases=NAME,...},
 * {@code --latency-seconds=20}, {@code --throughput-seconds=15}, {@code --warmup-seconds=5},
 * {@code --idle-seconds=10}, {@code --floor-count=20000}.
 *
 * <p>On the 2-core lab machine three server JVMs, three media drivers and the client share two
 * cores: read every figure next to the floor and the load average of the same run.
 */
public final class RecordingBenchmark {
    static final int PORT = 7000;
    static final int FLOOR_PORT = 7100;
    static final String MAIN = "dev.understudy.benchmarks.recording.RecordingBenchmark";
    static final int TOP_THREADS = 6;

    /** One configuration of the servers. {@code clones < 0}: no agent at all. */
    record Case(String name, int clones, int quorum, String idle, boolean outputCommit) {
        Case(String name, int clones, int quorum, String idle) {
            this(name, clones, quorum, idle, true);
        }

        boolean agent() {
            return clones >= 0;
        }
    }

    static final List<Case> CASES = List.of(
        new Case("agent-off", -1, 0, null),
        new Case("primary+1clone-q1-backoff", 1, 1, "backoff"),
        new Case("primary+1clone-q1-backoff-output-commit-off", 1, 1, "backoff", false),
        new Case("primary+1clone-q1-spin", 1, 1, "spin"),
        new Case("primary+1clone-q1-yield", 1, 1, "yield"),
        new Case("primary+2clones-q1-backoff", 2, 1, "backoff"),
        new Case("primary+2clones-q2-backoff", 2, 2, "backoff"),
        new Case("primary+2clones-q1-sleep", 2, 1, "sleep"));

    private final Path agentJar;
    private final String appsJar;
    private final int latencySeconds;
    private final int throughputSeconds;
    private final int warmupSeconds;
    private final int idleSeconds;
    private final Path work;
    private Lab lab;

    private RecordingBenchmark(Path agentJar, String appsJar, int latencySeconds, int throughputSeconds,
                               int warmupSeconds, int idleSeconds, Path work) {
        this.agentJar = agentJar;
        this.appsJar = appsJar;
        this.latencySeconds = latencySeconds;
        this.throughputSeconds = throughputSeconds;
        this.warmupSeconds = warmupSeconds;
        this.idleSeconds = idleSeconds;
        this.work = work;
    }

    public static void main(String[] argv) throws Exception {
        String out = "benchmarks/results/recording.json";
        String agent = "agent/target/understudy-agent.jar";
        String appsJar = null;
        List<String> apps = List.of("NioKvServer", "BlockingKvServer");
        List<String> caseNames = null;
        int latency = 20;
        int throughput = 15;
        int warmup = 5;
        int idle = 10;
        int floorCount = 20_000;
        for (String a : argv) {
            String v = a.substring(a.indexOf('=') + 1);
            if (a.startsWith("--out=")) {
                out = v;
            } else if (a.startsWith("--agent=")) {
                agent = v;
            } else if (a.startsWith("--apps-jar=")) {
                appsJar = v;
            } else if (a.startsWith("--apps=")) {
                apps = List.of(v.split(","));
            } else if (a.startsWith("--cases=")) {
                caseNames = List.of(v.split(","));
            } else if (a.startsWith("--latency-seconds=")) {
                latency = Integer.parseInt(v);
            } else if (a.startsWith("--throughput-seconds=")) {
                throughput = Integer.parseInt(v);
            } else if (a.startsWith("--warmup-seconds=")) {
                warmup = Integer.parseInt(v);
            } else if (a.startsWith("--idle-seconds=")) {
                idle = Integer.parseInt(v);
            } else if (a.startsWith("--floor-count=")) {
                floorCount = Integer.parseInt(v);
            } else {
                System.err.println("RecordingBenchmark: unknown option " + a + " (see the class Javadoc)");
                System.exit(2);
            }
        }
        String why = Host.whyNotPrivileged();
        if (why != null) {
            System.err.println("RecordingBenchmark needs root: " + why);
            System.exit(1);
        }
        Path agentJar = Path.of(agent).toAbsolutePath();
        if (!Files.isRegularFile(agentJar)) {
            System.err.println("agent jar not found: " + agentJar + " (mvn -B -q -o -pl agent package -DskipTests)");
            System.exit(1);
        }
        if (appsJar == null) {
            appsJar = findAppsJar();
        }
        List<Case> cases = new ArrayList<>();
        for (Case c : CASES) {
            if (caseNames == null || caseNames.contains(c.name())) {
                cases.add(c);
            }
        }
        Path outFile = Path.of(out).toAbsolutePath();
        Files.createDirectories(outFile.getParent());

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "recording");
        result.put("command", "java -cp " + System.getProperty("java.class.path") + " " + MAIN
            + (argv.length == 0 ? "" : " " + String.join(" ", argv)));
        result.put("environment", environment());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("agentJar", agentJar.toString());
        settings.put("appsClassPath", appsJar);
        settings.put("latency", "LoadClient kv, 1 connection, pipeline 1, " + warmup + " s warm-up then "
            + latency + " s measured, same client JVM");
        settings.put("throughput", "LoadClient kv, 16 connections, pipeline 4, " + warmup + " s warm-up then "
            + throughput + " s measured, same client JVM");
        settings.put("idle", "no traffic, " + idle + " s after a 3 s settle, before any load");
        settings.put("floor", "EchoFloor, 64 B ping-pong client -> VIP on node1, 5000 warm-up + " + floorCount
            + " timed; once before the cases (floor) and once after them (floorAtEnd)");
        settings.put("target", "agent adds at most one replication round trip (taken as the floor p50) + 20 us at p50");
        result.put("settings", settings);

        Path work = Files.createTempDirectory("us-bench-recording-");
        RecordingBenchmark bench = new RecordingBenchmark(agentJar, appsJar, latency, throughput, warmup, idle, work);
        List<Object> appResults = new ArrayList<>();
        result.put("apps", appResults);
        try {
            bench.lab = Lab.up(3);
            System.out.println("lab " + bench.lab.name() + " up; load " + ProcStat.loadAverage());
            Map<String, Object> floor = bench.floor(floorCount, "floor-start");
            result.put("floor", floor);
            System.out.println("floor: " + Json.write(floor));
            for (String app : apps) {
                String main = app.contains(".") ? app : "dev.understudy.apps." + app;
                Map<String, Object> appResult = new LinkedHashMap<>();
                appResult.put("app", main);
                List<Object> caseResults = new ArrayList<>();
                appResult.put("cases", caseResults);
                appResults.add(appResult);
                Map<String, Object> off = null;
                for (Case c : cases) {
                    System.out.println(app + " / " + c.name() + " (load " + ProcStat.loadAverage() + ") ...");
                    Map<String, Object> r = bench.runCase(main, c);
                    if (!c.agent()) {
                        off = r;
                    }
                    compare(r, off, floor);
                    caseResults.add(r);
                    System.out.println("  " + Json.write(summaryLine(r)));
                }
            }
            Map<String, Object> floorEnd;
            try {
                floorEnd = bench.floor(floorCount, "floor-end");
            } catch (IOException | RuntimeException e) {
                floorEnd = Map.of("error", e.toString());
            }
            result.put("floorAtEnd", floorEnd);
            System.out.println("floor at end: " + Json.write(floorEnd));
        } finally {
            result.put("loadAverageAtEnd", ProcStat.loadAverage());
            result.put("finished", Instant.now().toString());
            if (bench.lab != null) {
                bench.lab.close();
                bench.cleanShm();
            }
            delete(work);
            Files.writeString(outFile, Json.pretty(result) + "\n");
            System.out.println("results: " + outFile);
        }
        boolean failed = appResults.stream().flatMap(a -> ((List<?>) ((Map<?, ?>) a).get("cases")).stream())
            .anyMatch(c -> Boolean.TRUE.equals(((Map<?, ?>) c).get("failed")));
        System.exit(failed ? 1 : 0);
    }

    /** The round-trip floor: EchoFloor server in node1, client in client, through the VIP. */
    private Map<String, Object> floor(int count, String name) throws Exception {
        // a log of its own: an old LISTENING line must not announce a server that is not up yet
        Path log = work.resolve(name + "-server.log");
        Files.deleteIfExists(log);
        Process server = lab.spawn(Lab.node(1), Lab.java(List.of("-XX:+UseSerialGC"),
            EchoFloor.class.getName(), "server", Integer.toString(FLOOR_PORT)), log);
        try {
            LabApps.awaitLine(log, "LISTENING", server, Duration.ofSeconds(30));
            Host.Result r = lab.exec(Lab.CLIENT, Duration.ofMinutes(3), Lab.java(List.of("-XX:+UseSerialGC"),
                EchoFloor.class.getName(), "client", lab.vip() + ":" + FLOOR_PORT, "5000", Integer.toString(count), "64")
                .toArray(new String[0]));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("what", "plain TCP ping-pong, 64 B, client -> " + lab.vip() + " (node1), no agent");
            m.putAll(Json.object(lastJsonLine(r.output(), "floor client exited " + r.exitCode())));
            return m;
        } finally {
            stop(server);
        }
    }

    private Map<String, Object> runCase(String mainClass, Case c) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("case", c.name());
        r.put("loadAverageAtStart", ProcStat.loadAverage());
        Map<String, Object> config = new LinkedHashMap<>();
        config.put("agent", c.agent());
        if (c.agent()) {
            config.put("clones", c.clones());
            config.put("ackQuorum", c.quorum());
            config.put("idleStrategy", c.idle());
            config.put("outputCommit", c.outputCommit());
            config.put("nodes", c.clones() + 1);
        }
        r.put("config", config);
        List<String> problems = new ArrayList<>();
        r.put("problems", problems);
        String aeron = "/dev/shm/understudy-" + lab.name() + "-{node.id}/aeron";
        Path caseDir = work.resolve(c.name());
        List<LabApps.Server> servers = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        try {
            Files.createDirectories(caseDir);
            LabApps.Server primary;
            if (c.agent()) {
                for (int node = 2; node <= c.clones() + 1; node++) {
                    servers.add(start(mainClass, c, node, "clone", caseDir, aeron));
                    roles.add("clone-node" + node);
                }
                primary = start(mainClass, c, 1, "primary", caseDir, aeron);
                servers.add(0, primary);
                roles.add(0, "primary-node1");
                for (int node = 2; node <= c.clones() + 1; node++) {
                    LabApps.awaitLine(primary.log(), "understudy-agent: INFO [primary] node " + node + " joined",
                        primary.process(), Duration.ofSeconds(60));
                }
                config.put("primaryJvmOptions", options(c, 1, "primary", caseDir, aeron));
            } else {
                primary = LabApps.startServer(lab, Lab.node(1), javaPath(), appsJar, List.of(), mainClass, PORT,
                    caseDir.resolve("server-node1.log"), Duration.ofSeconds(60));
                servers.add(primary);
                roles.add("server-node1");
            }
            List<Long> pids = new ArrayList<>();
            for (LabApps.Server s : servers) {
                pids.add(jvmPid(s.process()));
            }
            if (c.agent()) {
                r.put("idle", idle(roles, pids));
            }
            Map<String, Object> lat = load(1, 1, latencySeconds, pids, roles, problems, "latency");
            r.put("latency", lat);
            Map<String, Object> thr = load(16, 4, throughputSeconds, pids, roles, problems, "throughput");
            r.put("throughput", thr);
            if (c.agent()) {
                r.put("primaryStatus", status(aeron.replace("{node.id}", "1")));
            }
            for (int i = 0; i < servers.size(); i++) {
                if (!servers.get(i).process().isAlive()) {
                    problems.add(roles.get(i) + " exited " + servers.get(i).process().exitValue() + ": "
                        + LabApps.tail(servers.get(i).log()));
                }
            }
        } catch (Exception e) {
            problems.add("case threw " + e);
            for (LabApps.Server s : servers) {
                problems.add(s.host() + " log: " + LabApps.tail(s.log()));
            }
        } finally {
            for (LabApps.Server s : servers) {
                try {
                    s.stop();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            cleanShm();
            delete(caseDir);
        }
        r.put("failed", !problems.isEmpty());
        return r;
    }

    private List<String> options(Case c, int node, String role, Path caseDir, String aeron) {
        return List.of(
            "-javaagent:" + agentJar + "=role=" + role + ",node.id=" + node + ",ports=" + PORT,
            "-Dunderstudy.nodes=" + (c.clones() + 1),
            "-Dunderstudy.journal.dir=" + caseDir.resolve("journal-" + node),
            "-Dunderstudy.aeron.dir=" + aeron,
            "-Dunderstudy.ack.quorum=" + c.quorum(),
            "-Dunderstudy.idle.strategy=" + c.idle(),
            "-Dunderstudy.output.commit=" + (c.outputCommit() ? "on" : "off"));
    }

    private LabApps.Server start(String mainClass, Case c, int node, String role, Path caseDir, String aeron)
        throws IOException, InterruptedException {
        return LabApps.startServer(lab, Lab.node(node), javaPath(), appsJar, options(c, node, role, caseDir, aeron),
            mainClass, PORT, caseDir.resolve(role + "-node" + node + ".log"), Duration.ofSeconds(90));
    }

    /**
     * CPU % of each JVM over {@code idleSeconds} with no traffic, after a 3 s settle, and the
     * threads that burn it (the busiest {@value #TOP_THREADS} by name, of each JVM).
     */
    private Map<String, Object> idle(List<String> roles, List<Long> pids) throws InterruptedException {
        Thread.sleep(3000);
        long[] before = new long[pids.size()];
        List<Map<String, Long>> threadsBefore = new ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            before[i] = ProcStat.cpuTicks(pids.get(i));
            threadsBefore.add(ProcStat.threadTicks(pids.get(i)));
        }
        long t0 = System.nanoTime();
        Thread.sleep(idleSeconds * 1000L);
        double seconds = (System.nanoTime() - t0) / 1e9;
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("seconds", round(seconds, 2));
        Map<String, Object> pct = new LinkedHashMap<>();
        Map<String, Object> threads = new LinkedHashMap<>();
        double sum = 0;
        for (int i = 0; i < pids.size(); i++) {
            double p = 100.0 * (ProcStat.cpuTicks(pids.get(i)) - before[i]) / ProcStat.CLOCK_TICKS_PER_SECOND / seconds;
            pct.put(roles.get(i), round(p, 1));
            sum += p;
            Map<String, Long> tb = threadsBefore.get(i);
            Map<String, Object> top = new LinkedHashMap<>();
            ProcStat.threadTicks(pids.get(i)).entrySet().stream()
                .map(e -> Map.entry(e.getKey(), e.getValue() - tb.getOrDefault(e.getKey(), 0L)))
                .filter(e -> e.getValue() > 0)
                .sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .limit(TOP_THREADS)
                .forEach(e -> top.put(e.getKey(),
                    round(100.0 * e.getValue() / ProcStat.CLOCK_TICKS_PER_SECOND / seconds, 1)));
            threads.put(roles.get(i), top);
        }
        m.put("cpuPercentOfOneCore", pct);
        m.put("cpuPercentAllJvms", round(sum, 1));
        m.put("busiestThreadsCpuPercent", threads);
        return m;
    }

    /** One LoadDriver run in {@code client}: warm-up, then the measured run; CPU and RSS of the server JVMs. */
    private Map<String, Object> load(int connections, int pipeline, int seconds, List<Long> pids, List<String> roles,
                                     List<String> problems, String what) throws IOException {
        List<String> args = new ArrayList<>(List.of("--warmup", Integer.toString(warmupSeconds), "--pids",
            pids.stream().map(String::valueOf).collect(Collectors.joining(",")), "--"));
        args.addAll(List.of("--protocol", "kv", "--target", lab.vip() + ":" + PORT, "--connections",
            Integer.toString(connections), "--pipeline", Integer.toString(pipeline), "--requests", "0",
            "--duration", seconds + "s", "--seed", "1", "--key-prefix", what));
        Host.Result res = lab.exec(Lab.CLIENT, Duration.ofSeconds(warmupSeconds + seconds + 120),
            Lab.java(List.of(), LoadDriver.class.getName(), args.toArray(new String[0])).toArray(new String[0]));
        Map<String, Object> d = Json.object(lastJsonLine(res.output(), what + " LoadDriver exited " + res.exitCode()));
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) d.get("load");
        Map<String, Object> m = new LinkedHashMap<>();
        boolean ok = Boolean.TRUE.equals(s.get("ok"));
        m.put("connections", connections);
        m.put("pipeline", pipeline);
        m.put("ok", ok);
        if (!ok) {
            problems.add(what + ": LoadClient not ok: " + s.get("problems") + " " + s.get("firstErrors"));
        }
        m.put("warmup", d.get("warmup"));
        if (d.get("warmup") instanceof Map && !Boolean.TRUE.equals(((Map<?, ?>) d.get("warmup")).get("ok"))) {
            problems.add(what + " warm-up: LoadClient not ok: " + ((Map<?, ?>) d.get("warmup")).get("problems"));
        }
        long completed = ((Number) s.get("completed")).longValue();
        m.put("completed", completed);
        m.put("durationMs", s.get("durationMs"));
        m.put("throughputPerSec", s.get("throughputPerSec"));
        m.put("latencyUs", s.get("latencyUs"));
        List<?> ticks = (List<?>) d.get("cpuTicks");
        List<?> rss = (List<?>) d.get("rssKb");
        Map<String, Object> cpu = new LinkedHashMap<>();
        Map<String, Object> rssMap = new LinkedHashMap<>();
        double total = 0;
        for (int i = 0; i < roles.size(); i++) {
            double sec = ((Number) ticks.get(i)).doubleValue() / ProcStat.CLOCK_TICKS_PER_SECOND;
            cpu.put(roles.get(i), round(sec, 2));
            total += sec;
            rssMap.put(roles.get(i), rss.get(i));
        }
        m.put("cpuSeconds", cpu);
        m.put("cpuUsPerRequestAllServerJvms", completed == 0 ? null : round(total * 1e6 / completed, 1));
        m.put("cpuUsPerRequestServerOnly", completed == 0 ? null
            : round(((Number) ticks.get(0)).doubleValue() / ProcStat.CLOCK_TICKS_PER_SECOND * 1e6 / completed, 1));
        m.put("rssKbAfterRun", rssMap);
        m.put("loadClientProblems", s.get("problems"));
        return m;
    }

    /** The agent's counters ({@code --status}): each printed line {@code NAME   VALUE} as an entry. */
    private Map<String, Object> status(String aeronDir) {
        Map<String, Object> m = new LinkedHashMap<>();
        try {
            Host.Result r = Host.run(Duration.ofSeconds(60), javaPath().toString(),
                "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED", "--add-opens=java.base/java.nio=ALL-UNNAMED",
                "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "-jar", agentJar.toString(), "--status", aeronDir);
            for (String line : r.output().trim().split("\n")) {
                String[] kv = line.trim().split("\\s{2,}");
                if (kv.length == 2) {
                    try {
                        m.put(kv[0], Long.parseLong(kv[1]));
                    } catch (NumberFormatException e) {
                        m.put(kv[0], kv[1]);
                    }
                } else if (!line.isBlank()) {
                    m.put("line" + m.size(), line);
                }
            }
        } catch (IOException e) {
            m.put("error", e.getMessage());
        }
        return m;
    }

    /** Adds, to an agent case, what it adds over agent-off and whether the p50 target is met. */
    @SuppressWarnings("unchecked")
    private static void compare(Map<String, Object> r, Map<String, Object> off, Map<String, Object> floor) {
        if (off == null || r == off || off.get("latency") == null || r.get("latency") == null) {
            return;
        }
        Map<String, Object> lat = (Map<String, Object>) ((Map<String, Object>) r.get("latency")).get("latencyUs");
        Map<String, Object> offLat = (Map<String, Object>) ((Map<String, Object>) off.get("latency")).get("latencyUs");
        Map<String, Object> added = new LinkedHashMap<>();
        for (String p : List.of("p50", "p99", "p999")) {
            added.put(p, ((Number) lat.get(p)).doubleValue() - ((Number) offLat.get(p)).doubleValue());
        }
        r.put("addedLatencyUsOverAgentOff", added);
        double budget = ((Number) floor.get("p50Us")).doubleValue() + 20;
        Map<String, Object> target = new LinkedHashMap<>();
        target.put("budgetUs", round(budget, 1));
        target.put("addedP50Us", added.get("p50"));
        target.put("met", ((Number) added.get("p50")).doubleValue() <= budget);
        r.put("p50Target", target);
        if (off.get("throughput") != null && r.get("throughput") != null) {
            Map<String, Object> t = (Map<String, Object>) r.get("throughput");
            Map<String, Object> ot = (Map<String, Object>) off.get("throughput");
            double tp = ((Number) t.get("throughputPerSec")).doubleValue();
            double otp = ((Number) ot.get("throughputPerSec")).doubleValue();
            t.put("throughputVsAgentOff", otp == 0 ? null : round(tp / otp, 3));
            long rss = ((Number) ((Map<String, Object>) t.get("rssKbAfterRun")).get("primary-node1")).longValue();
            long orss = ((Number) ((Map<String, Object>) ot.get("rssKbAfterRun")).get("server-node1")).longValue();
            t.put("serverRssKbOverAgentOff", rss - orss);
        }
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> summaryLine(Map<String, Object> r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("case", r.get("case"));
        m.put("failed", r.get("failed"));
        if (r.get("latency") != null) {
            m.put("latencyUs", ((Map<String, Object>) r.get("latency")).get("latencyUs"));
        }
        if (r.get("throughput") != null) {
            Map<String, Object> t = (Map<String, Object>) r.get("throughput");
            m.put("throughputPerSec", t.get("throughputPerSec"));
            m.put("cpuUsPerRequest", t.get("cpuUsPerRequestAllServerJvms"));
        }
        if (r.get("idle") != null) {
            m.put("idle", ((Map<String, Object>) r.get("idle")).get("cpuPercentOfOneCore"));
        }
        if (!((List<?>) r.get("problems")).isEmpty()) {
            m.put("problems", r.get("problems"));
        }
        return m;
    }

    private void cleanShm() {
        LabBench.cleanShm("understudy-" + lab.name());
    }

}
