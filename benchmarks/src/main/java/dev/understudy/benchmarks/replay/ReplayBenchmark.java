package dev.understudy.benchmarks.replay;

import static dev.understudy.benchmarks.recording.LabBench.delete;
import static dev.understudy.benchmarks.recording.LabBench.environment;
import static dev.understudy.benchmarks.recording.LabBench.findAppsJar;
import static dev.understudy.benchmarks.recording.LabBench.javaPath;
import static dev.understudy.benchmarks.recording.LabBench.jvmPid;
import static dev.understudy.benchmarks.recording.LabBench.lastJsonLine;
import static dev.understudy.benchmarks.recording.LabBench.round;
import static dev.understudy.benchmarks.recording.LabBench.stop;

import dev.understudy.benchmarks.recording.EchoFloor;
import dev.understudy.benchmarks.recording.LabBench;
import dev.understudy.benchmarks.recording.LoadDriver;
import dev.understudy.benchmarks.recording.ProcStat;
import dev.understudy.lab.Host;
import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * What clone replay costs an unmodified server and whether the clones keep up, measured in ONE
 * run, in one lab, per app ({@code BlockingKvServer}, then {@code NioKvServer}). As root, from the
 * repository root, after {@code mvn -B -q -o package -DskipTests -pl agent,benchmarks -am}:
 *
 * <pre>
 * java --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED \
 *     --add-opens=java.base/sun.nio.ch=ALL-UNNAMED \
 *     -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.replay.ReplayBenchmark
 * </pre>
 *
 * (also {@code ./understudy bench replay}; the module options let Agrona map the nodes'
 * {@code cnc.dat}, as {@code understudy status} does). It writes {@code benchmarks/results/replay.json}:
 * <ol>
 *   <li><b>floor</b>: a plain TCP ping-pong of 64 B messages, client → node1's VIP, no agent
 *       ({@link EchoFloor}), before the cases and again after them;</li>
 *   <li>per app, the cases: <b>agent-off</b> (the plain server in node1), <b>input-order</b> and
 *       <b>serial</b> ({@code -Dunderstudy.determinism}): the app with the agent as primary in node1
 *       and as clones in node2 and node3, ack quorum 1, the default (backoff) idle strategy; the
 *       clones are started first and the primary waits for both to join. And, to tell what each
 *       part costs on this machine, <b>record-only</b> and <b>record-only-serial</b>: the same
 *       nodes with the clones' replay held back (they journal and acknowledge only; apply policy
 *       periodic with a 1 h checkpoint interval), so that off → record-only is the recording,
 *       record-only → record-only-serial the primary's turns, and record-only → input-order what
 *       two replaying clones take from the same two cores;</li>
 *   <li>per case and per connection count (16, then 64, on the same servers): one LoadClient run
 *       through the VIP, pipeline 4, a warm-up then the measured run in the same client JVM
 *       ({@link LoadDriver}): requests/s, the per-request latency p50/p99/p99.9 that LoadClient
 *       measures under that load (send to reply of each request, so it includes the time queued
 *       behind the 3 others in flight on the connection), the CPU seconds and busiest threads of
 *       every server JVM over the measured run;</li>
 *   <li>during each run, every {@code --sample-ms}, each node's agent counters
 *       ({@link NodeCounters}): the primary's {@code journal position}, each clone's {@code replay
 *       applied position}, {@code replay lag (records)} and {@code replay lag (ms)}. Over the measured
 *       window: max, mid-run and end values, the slope of a least-squares line (per second), and
 *       whether the lag grows: the records a clone is behind the primary (primary journal position
 *       − clone applied position, which also counts what is still being replicated) grow by more
 *       than 1 % of the input rate and end above their mid-run value;</li>
 *   <li>after each run, the drain time: from the end of the measured run until each clone's
 *       applied position reaches the primary's journal position (the primary's counter no longer
 *       moving), polled every 50 ms from the moment LoadDriver marks the end of its measured run
 *       ({@code --marks}); and the deltas of the
 *       primary's {@code turns} and {@code turns forced (waited over 1 s)} and of each clone's
 *       {@code replay divergences}, {@code replay diverged connections}, {@code replay verified
 *       output bytes} and {@code replay errors} (divergences are reported, never a failure);</li>
 *   <li>per app and connection count, each agent case's throughput against agent off; the target
 *       "serial costs at most 25 % of throughput on BlockingKvServer", and per agent case "a clone
 *       keeps up (lag bounded, not growing) at the primary's full rate", as verdicts;</li>
 *   <li>with {@code --profile=auto} (the default), at each connection count where serial costs
 *       more than 25 % against agent off or a clone did not keep up: one more serial run on servers
 *       of its own, not counted in the figures, with a JFR recording on the primary and on node2
 *       ({@link JfrProfile}): CPU samples by thread and method, and thread dumps every 200 ms that
 *       say what each application thread and the replayer are doing (running, waiting for input,
 *       waiting for the turn, ...). Each clone's {@code replay grants} rate and how often its
 *       {@code replay waiting for the application} flag was up are sampled in every run.</li>
 * </ol>
 * Every run also records the machine's CPU over its measured window (servers, client, this JVM and
 * the rest): a run during which other processes took more than 30 % of a core is marked disturbed,
 * kept, left out of the medians and verdicts, and run again (at most twice more per count).
 * Every server runs with only the sample apps on its class path. A case whose LoadClient verdict
 * is not ok, whose clone does not drain, or that threw, is marked {@code "failed": true} with the
 * reasons; the others still run. Every process, the lab, the journals and the Aeron directories
 * are removed at the end, also on failure.
 *
 * <p>Options: {@code --out=FILE} (default {@code benchmarks/results/replay.json}),
 * {@code --agent=JAR} (default {@code agent/target/understudy-agent.jar}), {@code --apps-jar=JAR},
 * {@code --apps=BlockingKvServer,NioKvServer} (the default; {@code HttpCounterServer} speaks http,
 * pipeline 1), {@code --cases=agent-off,record-only,record-only-serial,input-order,serial}, {@code --connections=16,64},
 * {@code --pipeline=4}, {@code --seconds=15}, {@code --warmup-seconds=10}, {@code --sample-ms=500},
 * {@code --drain-timeout-seconds=120}, {@code --floor-count=20000},
 * {@code --profile=auto|always|never}, {@code --profile-seconds=10}, {@code --repeat=2} (runs per connection
 * count on the same servers; the figures compare the median run, every run must keep up).
 *
 * <p>On the 2-core lab machine three server JVMs (with their media drivers) and the client share
 * two cores: a clone's replay competes with the primary for the same CPU, which a deployment with
 * one machine per node would not. Read every figure next to the floor and the load average of the
 * same run.
 */
public final class ReplayBenchmark {
    static final int PORT = 7000;
    static final int FLOOR_PORT = 7100;
    static final int CLONES = 2;
    static final String MAIN = "dev.understudy.benchmarks.replay.ReplayBenchmark";
    /** What this JVM needs for Agrona to map {@code cnc.dat} from the class path (as {@code understudy status}). */
    static final String JVM_OPTIONS = "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"
        + " --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/sun.nio.ch=ALL-UNNAMED";
    static final double SERIAL_COST_TARGET = 0.25;
    /**
     * A lag grows when the records behind the primary, averaged over the last quarter of the
     * measured run, exceed their average over the first quarter by more than this much input
     * (seconds × the primary's records/s) — and their least-squares slope is positive. Single
     * spikes (a clone descheduled for a moment on 2 shared cores) do not count; a clone applying
     * 5 % slower than the input does within a 15 s run.
     */
    static final double GROWTH_SECONDS_OF_INPUT = 0.5;
    static final int TOP_THREADS = 6;
    /**
     * A run during which processes other than this run's (servers, client, this JVM) took more than
     * this much CPU, % of one core, is disturbed: other sessions share the 2 cores. It is kept in the
     * JSON, left out of the medians and verdicts, and run again (at most {@link #MAX_EXTRA_RUNS} times
     * per connection count). Without other sessions that rest stays within a few % (kernel threads).
     */
    static final double DISTURBED_PERCENT = 30;
    static final int MAX_EXTRA_RUNS = 2;
    static final long DRAIN_POLL_MS = 50;
    /** The primary's journal position must stay put this long before a drain counts as complete. */
    static final long DRAIN_STABLE_MS = 500;

    /**
     * One configuration of the servers; {@code determinism == null}: no agent at all. {@code replay}
     * false: the clones journal and acknowledge but hold their replay back (apply policy periodic,
     * checkpoint interval 1 h: nothing is applied during the run), which separates what recording
     * costs from what the clones' replay adds on this machine.
     */
    record Mode(String name, String determinism, boolean replay) {
        boolean agent() {
            return determinism != null;
        }
    }

    static final List<Mode> MODES = List.of(
        new Mode("agent-off", null, false),
        new Mode("record-only", "input-order", false),
        new Mode("record-only-serial", "serial", false),
        new Mode("input-order", "input-order", true),
        new Mode("serial", "serial", true));

    /** One sample of the counters: the primary's journal position and, per clone, the replay counters. */
    record Sample(long epochMs, long primaryJournal, long[] applied, long[] lagRecords, long[] lagMs, long[] grants,
                  long[] waiting) {
    }

    /**
     * At one moment: the per-thread CPU ticks of every server JVM, the client JVM's and this JVM's
     * ticks (-1 when unknown) and the machine's {@code {busy, all}} ticks ({@link ProcStat#machineTicks}).
     */
    record ThreadSample(long epochMs, List<Map<Long, ProcStat.ThreadTicks>> byJvm, long clientTicks, long selfTicks,
                        long[] machine) {
    }

    /** The servers of one case, up. */
    record Cluster(Mode mode, String mainClass, List<LabApps.Server> servers, List<String> roles, List<Long> pids,
                   Path dir) {
    }

    private final Path agentJar;
    private final String appsJar;
    private final int pipeline;
    private final int seconds;
    private final int warmupSeconds;
    private final long sampleMs;
    private final int drainTimeoutSeconds;
    private final int repeat;
    private final Path work;
    private Lab lab;
    private String aeron;

    private ReplayBenchmark(Path agentJar, String appsJar, int pipeline, int seconds, int warmupSeconds, long sampleMs,
                            int drainTimeoutSeconds, int repeat, Path work) {
        this.repeat = repeat;
        this.agentJar = agentJar;
        this.appsJar = appsJar;
        this.pipeline = pipeline;
        this.seconds = seconds;
        this.warmupSeconds = warmupSeconds;
        this.sampleMs = sampleMs;
        this.drainTimeoutSeconds = drainTimeoutSeconds;
        this.work = work;
    }

    public static void main(String[] argv) throws Exception {
        String out = "benchmarks/results/replay.json";
        String agent = "agent/target/understudy-agent.jar";
        String appsJar = null;
        List<String> apps = List.of("BlockingKvServer", "NioKvServer");
        List<String> caseNames = null;
        List<Integer> connections = List.of(16, 64);
        int pipeline = 4;
        int seconds = 15;
        int warmup = 10;
        long sampleMs = 500;
        int drainTimeout = 120;
        int floorCount = 20_000;
        String profile = "auto";
        int profileSeconds = 10;
        int repeat = 2;
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
            } else if (a.startsWith("--connections=")) {
                connections = java.util.Arrays.stream(v.split(",")).map(Integer::valueOf).collect(Collectors.toList());
            } else if (a.startsWith("--pipeline=")) {
                pipeline = Integer.parseInt(v);
            } else if (a.startsWith("--seconds=")) {
                seconds = Integer.parseInt(v);
            } else if (a.startsWith("--warmup-seconds=")) {
                warmup = Integer.parseInt(v);
            } else if (a.startsWith("--sample-ms=")) {
                sampleMs = Long.parseLong(v);
            } else if (a.startsWith("--drain-timeout-seconds=")) {
                drainTimeout = Integer.parseInt(v);
            } else if (a.startsWith("--floor-count=")) {
                floorCount = Integer.parseInt(v);
            } else if (a.startsWith("--profile=") && List.of("auto", "always", "never").contains(v)) {
                profile = v;
            } else if (a.startsWith("--repeat=")) {
                repeat = Integer.parseInt(v);
            } else if (a.startsWith("--profile-seconds=")) {
                profileSeconds = Integer.parseInt(v);
            } else {
                System.err.println("ReplayBenchmark: unknown option " + a + " (see the class Javadoc)");
                System.exit(2);
            }
        }
        if (!Object.class.getModule().isExported("jdk.internal.misc", ReplayBenchmark.class.getModule())) {
            // Agrona (NodeCounters) reads cnc.dat through jdk.internal.misc.Unsafe, as the agent's --status does
            System.err.println("ReplayBenchmark reads the nodes' counters with Agrona: run java with " + JVM_OPTIONS);
            System.exit(2);
        }
        String why = Host.whyNotPrivileged();
        if (why != null) {
            System.err.println("ReplayBenchmark needs root: " + why);
            System.exit(1);
        }
        Path agentJar = Path.of(agent).toAbsolutePath();
        if (!Files.isRegularFile(agentJar)) {
            System.err.println("agent jar not found: " + agentJar + " (mvn -B -q -o package -DskipTests -pl agent,benchmarks -am)");
            System.exit(1);
        }
        if (appsJar == null) {
            appsJar = findAppsJar();
        }
        List<Mode> modes = new ArrayList<>();
        for (Mode m : MODES) {
            if (caseNames == null || caseNames.contains(m.name())) {
                modes.add(m);
            }
        }
        Path outFile = Path.of(out).toAbsolutePath();
        Files.createDirectories(outFile.getParent());

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "replay");
        result.put("command", "java " + JVM_OPTIONS + " -cp " + System.getProperty("java.class.path") + " " + MAIN
            + (argv.length == 0 ? "" : " " + String.join(" ", argv)));
        result.put("environment", environment());
        Map<String, Object> settings = new LinkedHashMap<>();
        settings.put("agentJar", agentJar.toString());
        settings.put("appsClassPath", appsJar);
        settings.put("nodes", "agent cases: primary node1, clones node2 and node3 (started first), ack.quorum 1,"
            + " idle strategy backoff (default), apply policy continuous (default); agent-off: the plain server in node1");
        settings.put("load", "LoadClient through the VIP, connections " + connections + ", pipeline " + pipeline
            + " (1 for http), " + warmup + " s warm-up then " + seconds + " s measured, same client JVM, the same"
            + " servers for every connection count of a case; " + repeat + " run(s) per count, figures compared by the"
            + " median run (by throughput; the faster middle one for an even count: noise here only slows a run down);"
            + " a run during which other processes took more than " + (int) DISTURBED_PERCENT + " % of a core is marked"
            + " disturbed, left out of the medians and verdicts, and run again (at most " + MAX_EXTRA_RUNS + " more)");
        settings.put("latency", "LoadClient's per-request latency (send -> reply) of the measured run, under that"
            + " load: with pipeline 4 it includes the wait behind the requests in flight before it");
        settings.put("lagSampling", "every " + sampleMs + " ms, the agent counters of every node (cnc.dat); figures"
            + " over the samples inside the measured run");
        settings.put("lagGrowing", "the records a clone is behind the primary (primary journal position - clone applied"
            + " position), averaged over the last quarter of the measured run, exceed their average over the first"
            + " quarter by more than " + GROWTH_SECONDS_OF_INPUT + " s of input (x the primary's records/s), with a"
            + " positive least-squares slope");
        settings.put("drain", "time from the end of the measured run until the clone's applied position reaches the"
            + " primary's journal position (unchanged for " + DRAIN_STABLE_MS + " ms); polled every " + DRAIN_POLL_MS
            + " ms from the moment LoadDriver marks the end of the measured run (a file it writes), so a drain"
            + " shorter than the first poll is reported as at most firstCheckMsAfterLoadEnd");
        settings.put("floor", "EchoFloor, 64 B ping-pong client -> VIP on node1, 5000 warm-up + " + floorCount
            + " timed; once before the cases (floor) and once after them (floorAtEnd)");
        settings.put("targets", List.of("a clone keeps up (lag bounded, not growing) at the primary's full rate in both modes",
            "serial costs at most 25 % of throughput on BlockingKvServer against agent off"));
        settings.put("profile", profile + ": serial on servers of its own, a " + profileSeconds + " s run under JFR on the"
            + " primary and node2 at each connection count where serial costs more than 25 % against agent off or a"
            + " clone did not keep up (auto), at every count (always)");
        result.put("settings", settings);

        Path work = Files.createTempDirectory("us-bench-replay-");
        ReplayBenchmark bench = new ReplayBenchmark(agentJar, appsJar, pipeline, seconds, warmup, sampleMs, drainTimeout,
            repeat, work);
        List<Object> appResults = new ArrayList<>();
        result.put("apps", appResults);
        List<Object> verdicts = new ArrayList<>();
        result.put("verdicts", verdicts);
        List<String> notes = new ArrayList<>();
        result.put("notes", notes);
        Thread cleanup = null;
        try {
            bench.lab = Lab.up(CLONES + 1);
            bench.aeron = "/dev/shm/understudy-" + bench.lab.name() + "-{node.id}/aeron";
            // on SIGTERM / Ctrl-C the finally below does not run; the lab's own hook would kill the
            // processes and remove the namespaces, this one also removes the Aeron directories and journals
            Lab lab = bench.lab;
            cleanup = new Thread(() -> {
                try {
                    lab.close();
                } catch (IOException | RuntimeException e) {
                    System.err.println("ReplayBenchmark: lab cleanup: " + e);
                }
                LabBench.cleanShm("understudy-" + lab.name());
                delete(work);
            }, "replay-bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            System.out.println("lab " + bench.lab.name() + " up; load " + ProcStat.loadAverage());
            Map<String, Object> floor = bench.floor(floorCount, "floor-start");
            result.put("floor", floor);
            System.out.println("floor: " + Json.write(floor));
            for (String app : apps) {
                String main = app.contains(".") ? app : "dev.understudy.apps." + app;
                Map<String, Object> appResult = new LinkedHashMap<>();
                appResult.put("app", main);
                List<Map<String, Object>> caseResults = new ArrayList<>();
                appResult.put("cases", caseResults);
                appResults.add(appResult);
                for (Mode m : modes) {
                    System.out.println(app + " / " + m.name() + " (load " + ProcStat.loadAverage() + ") ...");
                    Map<String, Object> r = bench.runCase(main, m, connections);
                    caseResults.add(r);
                }
                Map<String, Object> vsOff = compare(main, caseResults, connections, verdicts);
                appResult.put("throughputVsAgentOff", vsOff);
                Map<Integer, String> toProfile = profileWhere(caseResults, vsOff, connections, profile.equals("always"));
                if (!profile.equals("never") && !toProfile.isEmpty()) {
                    System.out.println(app + " / serial, profiled (load " + ProcStat.loadAverage() + ") ...");
                    appResult.put("serialProfile", bench.profile(main, toProfile, profileSeconds));
                }
                notes.addAll(notes(app, caseResults, vsOff, connections, pipeline, appResult.get("serialProfile")));
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
            if (cleanup != null) {
                try {
                    Runtime.getRuntime().removeShutdownHook(cleanup);
                } catch (IllegalStateException shuttingDown) {
                    // the hook is running or has run
                }
            }
            result.put("loadAverageAtEnd", ProcStat.loadAverage());
            result.put("finished", Instant.now().toString());
            if (bench.lab != null) {
                bench.lab.close();
                LabBench.cleanShm("understudy-" + bench.lab.name());
            }
            delete(work);
            Files.writeString(outFile, Json.pretty(result) + "\n");
            System.out.println("results: " + outFile);
        }
        for (Object v : verdicts) {
            System.out.println("verdict: " + Json.write(v));
        }
        boolean failed = appResults.stream().flatMap(a -> ((List<?>) ((Map<?, ?>) a).get("cases")).stream())
            .anyMatch(c -> Boolean.TRUE.equals(((Map<?, ?>) c).get("failed")));
        System.exit(failed ? 1 : 0);
    }

    /** The round-trip floor: EchoFloor server in node1, client in client, through the VIP. */
    private Map<String, Object> floor(int count, String name) throws Exception {
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

    private Map<String, Object> runCase(String mainClass, Mode mode, List<Integer> connectionCounts) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("case", mode.name());
        r.put("loadAverageAtStart", ProcStat.loadAverage());
        List<String> problems = new ArrayList<>();
        r.put("problems", problems);
        Cluster cluster = null;
        Path caseDir = work.resolve(mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-" + mode.name());
        try {
            cluster = start(mainClass, mode, caseDir, List.of());
            Map<String, Object> config = new LinkedHashMap<>();
            config.put("agent", mode.agent());
            if (mode.agent()) {
                config.put("determinism", mode.determinism());
                config.put("clonesReplay", mode.replay());
                config.put("clones", CLONES);
                config.put("ackQuorum", 1);
                config.put("primaryJvmOptions", options(mode, 1, "primary", caseDir));
            }
            r.put("config", config);
            List<Object> runs = new ArrayList<>();
            r.put("runs", runs);
            for (int conns : connectionCounts) {
                int undisturbed = 0;
                for (int k = 1; undisturbed < repeat && k <= repeat + MAX_EXTRA_RUNS; k++) {
                    System.out.println("  " + conns + " connections, run " + k + " (load " + ProcStat.loadAverage() + ") ...");
                    Map<String, Object> run = new LinkedHashMap<>();
                    run.put("repeat", k);
                    run.put("loadAverageAtStart", ProcStat.loadAverage());
                    run.putAll(run(cluster, conns, seconds, problems, "r" + k));
                    Double rest = disturbance(run);
                    boolean disturbed = rest != null && rest > DISTURBED_PERCENT;
                    run.put("disturbed", disturbed);
                    undisturbed += disturbed ? 0 : 1;
                    runs.add(run);
                    System.out.println("    " + Json.write(summaryLine(run)) + (disturbed ? " DISTURBED: other processes took "
                        + rest + " % of a core" : ""));
                }
            }
            checkAlive(cluster, problems);
            if (mode.agent()) {
                r.put("cloneLogDivergenceLines", divergenceLines(cluster));
            }
        } catch (Exception e) {
            problems.add("case threw " + e);
            if (cluster != null) {
                for (LabApps.Server s : cluster.servers()) {
                    problems.add(s.host() + " log: " + LabApps.tail(s.log()));
                }
            }
        } finally {
            stopAll(cluster);
            delete(caseDir);
        }
        r.put("failed", !problems.isEmpty());
        return r;
    }

    /**
     * A serial run with a JFR recording on the primary and on node2 ({@link JfrProfile}), not counted
     * in the figures: what the serial mode's cost is made of.
     */
    private Map<String, Object> profile(String mainClass, Map<Integer, String> counts, int profileSeconds) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("loadAverageAtStart", ProcStat.loadAverage());
        r.put("note", "serial, on servers of its own; each run under JFR (thread dumps every "
            + JfrProfile.THREAD_DUMP_PERIOD + "), the recording covering its warm-up and its " + profileSeconds
            + " s measured run: not comparable with the measured runs");
        List<String> problems = new ArrayList<>();
        r.put("problems", problems);
        List<Object> runs = new ArrayList<>();
        r.put("runs", runs);
        Mode serial = new Mode("serial", "serial", true);
        Path caseDir = work.resolve(mainClass.substring(mainClass.lastIndexOf('.') + 1) + "-serial-profile");
        Cluster cluster = null;
        try {
            Files.createDirectories(caseDir);
            Path jfc = JfrProfile.writeSettings(caseDir.resolve("profile.jfc"));
            cluster = start(mainClass, serial, caseDir, List.of());
            for (Map.Entry<Integer, String> e : counts.entrySet()) {
                int conns = e.getKey();
                System.out.println("  profiled, " + conns + " connections (" + e.getValue() + ") ...");
                Map<String, Object> pr = new LinkedHashMap<>();
                pr.put("connections", conns);
                pr.put("why", e.getValue());
                List<JfrProfile> recordings = new ArrayList<>();
                for (int i = 0; i < 2; i++) {
                    recordings.add(JfrProfile.start(javaPath(), cluster.pids().get(i), cluster.roles().get(i), jfc,
                        caseDir.resolve(cluster.roles().get(i) + "-" + conns + ".jfr")));
                }
                Map<String, Object> run = run(cluster, conns, profileSeconds, problems, "p");
                pr.put("run", summaryLine(run));
                Map<String, Object> jfr = new LinkedHashMap<>();
                for (JfrProfile p : recordings) {
                    jfr.put(p.role(), p.stopAndSummarize(javaPath()));
                }
                pr.put("jfr", jfr);
                runs.add(pr);
            }
        } catch (Exception e) {
            problems.add("profile threw " + e);
        } finally {
            stopAll(cluster);
            delete(caseDir);
        }
        return r;
    }

    private Cluster start(String mainClass, Mode mode, Path caseDir, List<String> extra)
        throws IOException, InterruptedException {
        Files.createDirectories(caseDir);
        List<LabApps.Server> servers = new ArrayList<>();
        List<String> roles = new ArrayList<>();
        Cluster cluster = new Cluster(mode, mainClass, servers, roles, new ArrayList<>(), caseDir);
        try {
            if (mode.agent()) {
                for (int node = 2; node <= CLONES + 1; node++) {
                    servers.add(server(mainClass, node, "clone", options(mode, node, "clone", caseDir), caseDir));
                    roles.add("clone-node" + node);
                }
                LabApps.Server primary = server(mainClass, 1, "primary", options(mode, 1, "primary", caseDir), caseDir);
                servers.add(0, primary);
                roles.add(0, "primary-node1");
                for (int node = 2; node <= CLONES + 1; node++) {
                    LabApps.awaitLine(primary.log(), "understudy-agent: INFO [primary] node " + node + " joined",
                        primary.process(), Duration.ofSeconds(60));
                }
            } else {
                servers.add(server(mainClass, 1, "server", List.of(), caseDir));
                roles.add("server-node1");
            }
            for (LabApps.Server s : servers) {
                cluster.pids().add(jvmPid(s.process()));
            }
            return cluster;
        } catch (IOException | InterruptedException | RuntimeException e) {
            stopAll(cluster);
            throw e;
        }
    }

    private LabApps.Server server(String mainClass, int node, String role, List<String> options, Path caseDir)
        throws IOException, InterruptedException {
        return LabApps.startServer(lab, Lab.node(node), javaPath(), appsJar, options, mainClass, PORT,
            caseDir.resolve(role + "-node" + node + ".log"), Duration.ofSeconds(90));
    }

    private List<String> options(Mode mode, int node, String role, Path caseDir) {
        List<String> o = new ArrayList<>(List.of(
            "-javaagent:" + agentJar + "=role=" + role + ",node.id=" + node + ",ports=" + PORT,
            "-Dunderstudy.nodes=" + (CLONES + 1),
            "-Dunderstudy.journal.dir=" + caseDir.resolve("journal-" + node),
            "-Dunderstudy.aeron.dir=" + aeron,
            "-Dunderstudy.ack.quorum=1",
            "-Dunderstudy.determinism=" + mode.determinism()));
        if (!mode.replay()) {
            // the replayer applies up to the journal position of its first tick (at start: nothing), then
            // waits an hour for the next; connection opens beyond the limit are never reached
            o.addAll(List.of("-Dunderstudy.apply.policy=periodic", "-Dunderstudy.checkpoint.interval=1h"));
        }
        return o;
    }

    private void stopAll(Cluster cluster) {
        if (cluster == null) {
            return;
        }
        for (LabApps.Server s : cluster.servers()) {
            try {
                s.stop();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        LabBench.cleanShm("understudy-" + lab.name());
    }

    /** The first lines of each clone's log that speak of a divergence (the agent says where the first one is). */
    private static Map<String, Object> divergenceLines(Cluster cluster) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 1; i < cluster.servers().size(); i++) {
            try {
                m.put(cluster.roles().get(i), Files.readAllLines(cluster.servers().get(i).log()).stream()
                    .filter(l -> l.toLowerCase(java.util.Locale.ROOT).contains("diverg")).limit(3)
                    .collect(Collectors.toList()));
            } catch (IOException e) {
                m.put(cluster.roles().get(i), List.of("unreadable: " + e));
            }
        }
        return m;
    }

    private static void checkAlive(Cluster cluster, List<String> problems) {
        for (int i = 0; i < cluster.servers().size(); i++) {
            LabApps.Server s = cluster.servers().get(i);
            if (!s.process().isAlive()) {
                problems.add(cluster.roles().get(i) + " exited " + s.process().exitValue() + ": " + LabApps.tail(s.log()));
            }
        }
    }

    private File aeronDir(int node) {
        return new File(aeron.replace("{node.id}", Integer.toString(node)));
    }

    /**
     * One LoadDriver run against the cluster, its counters sampled meanwhile, then the drain.
     *
     * @param tag a key-prefix tag so that no two runs on the same servers share keys
     */
    private Map<String, Object> run(Cluster cluster, int connections, int runSeconds, List<String> problems, String tag)
        throws IOException, InterruptedException {
        boolean agent = cluster.mode().agent();
        boolean http = cluster.mainClass().contains("Http");
        int pipe = http ? 1 : pipeline;
        String what = (tag == null ? "" : tag) + "c" + connections;
        Map<String, Long> primaryBefore = agent ? NodeCounters.read(aeronDir(1)) : Map.of();
        List<Map<String, Long>> clonesBefore = new ArrayList<>();
        for (int node = 2; agent && node <= CLONES + 1; node++) {
            clonesBefore.add(NodeCounters.read(aeronDir(node)));
        }
        Path marks = Files.createDirectories(cluster.dir().resolve("marks-" + what));
        List<String> args = new ArrayList<>(List.of("--warmup", Integer.toString(warmupSeconds), "--pids",
            cluster.pids().stream().map(String::valueOf).collect(Collectors.joining(",")),
            "--marks", marks.toString(), "--"));
        args.addAll(List.of("--protocol", http ? "http" : "kv", "--target", lab.vip() + ":" + PORT, "--connections",
            Integer.toString(connections), "--pipeline", Integer.toString(pipe), "--requests", "0",
            "--duration", runSeconds + "s", "--seed", "1", "--key-prefix", what));
        String[] command = Lab.java(List.of(), LoadDriver.class.getName(), args.toArray(new String[0])).toArray(new String[0]);
        Duration timeout = Duration.ofSeconds(warmupSeconds + runSeconds + 120L);
        CompletableFuture<Host.Result> load = CompletableFuture.supplyAsync(() -> {
            try {
                return lab.exec(Lab.CLIENT, timeout, command);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
        // samples every sampleMs; the end mark is looked for every DRAIN_POLL_MS, so that the drain is
        // timed from the end of the measured run, not from the exit of the client JVM
        List<Sample> samples = new ArrayList<>();
        List<ThreadSample> threadSamples = new ArrayList<>();
        Path endMark = marks.resolve("measured-end");
        long nextSample = 0;
        long clientPid = -1;
        Map<String, Object> drain = null;
        while (!load.isDone()) {
            long now = System.currentTimeMillis();
            boolean ended = Files.exists(endMark);
            if (now >= nextSample || ended) {
                if (agent) {
                    samples.add(sample());
                }
                if (clientPid < 0) {
                    clientPid = ProcStat.findByCommandLine("--marks " + marks); // the client JVM of this run
                }
                threadSamples.add(threadSample(cluster.pids(), clientPid));
                nextSample = now + sampleMs;
            }
            if (ended) {
                if (agent && cluster.mode().replay()) {
                    drain = drain(samples, Long.parseLong(Files.readString(endMark).trim()));
                }
                break;
            }
            try {
                load.get(DRAIN_POLL_MS, TimeUnit.MILLISECONDS);
            } catch (TimeoutException e) {
                // next look
            } catch (ExecutionException e) {
                break; // reported below
            }
        }
        Host.Result res;
        try {
            res = load.get(timeout.toMillis() + 10_000, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
            throw new IOException(what + " LoadDriver: " + (e.getCause() != null ? e.getCause() : e), e);
        }
        Map<String, Object> d = Json.object(lastJsonLine(res.output(), what + " LoadDriver exited " + res.exitCode()));
        long startMs = ((Number) d.get("measuredStartEpochMs")).longValue();
        long endMs = ((Number) d.get("measuredEndEpochMs")).longValue();

        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", connections);
        m.put("pipeline", pipe);
        @SuppressWarnings("unchecked")
        Map<String, Object> s = (Map<String, Object>) d.get("load");
        boolean ok = Boolean.TRUE.equals(s.get("ok"));
        m.put("ok", ok);
        if (!ok) {
            problems.add(what + ": LoadClient not ok: " + s.get("problems") + " " + s.get("firstErrors"));
        }
        if (d.get("warmup") instanceof Map && !Boolean.TRUE.equals(((Map<?, ?>) d.get("warmup")).get("ok"))) {
            problems.add(what + " warm-up: LoadClient not ok: " + ((Map<?, ?>) d.get("warmup")).get("problems"));
        }
        long completed = ((Number) s.get("completed")).longValue();
        m.put("completed", completed);
        m.put("durationMs", s.get("durationMs"));
        m.put("throughputPerSec", s.get("throughputPerSec"));
        m.put("latencyUs", s.get("latencyUs"));
        m.put("warmupThroughputPerSec", d.get("warmup") instanceof Map ? ((Map<?, ?>) d.get("warmup")).get("throughputPerSec") : null);
        m.put("cpu", cpu(d, cluster.roles(), completed, threadSamples, startMs, endMs));

        if (agent) {
            Map<String, Object> primaryAfter = delta(primaryBefore, NodeCounters.read(aeronDir(1)),
                List.of("journal position", "records published", "turns", "turns forced (waited over 1 s)",
                    "segments dropped (publish failed)", "ring full", "agent errors"), List.of("degraded"));
            m.put("primary", primaryAfter);
        }
        if (agent && cluster.mode().replay()) {
            Map<String, Object> lag = new LinkedHashMap<>();
            List<Sample> window = samples.stream().filter(x -> x.epochMs() >= startMs && x.epochMs() <= endMs)
                .collect(Collectors.toList());
            double inputRate = rate(window, x -> x.primaryJournal());
            lag.put("samplesInMeasuredRun", window.size());
            lag.put("primaryInputRecordsPerSec", round(inputRate, 0));
            if (drain == null) {
                drain = drain(samples, endMs); // the end mark was missed: timed from the client's exit on
            }
            Map<String, Object> clones = new LinkedHashMap<>();
            for (int i = 0; i < CLONES; i++) {
                int node = i + 2;
                final int c = i;
                Map<String, Object> cl = new LinkedHashMap<>();
                cl.put("lagRecords", series(window, x -> x.lagRecords()[c]));
                cl.put("lagMs", series(window, x -> x.lagMs()[c]));
                Map<String, Object> behind = series(window, x -> Math.max(0, x.primaryJournal() - x.applied()[c]));
                cl.put("behindPrimaryRecords", behind);
                double applyRate = rate(window, x -> x.applied()[c]);
                cl.put("appliedRecordsPerSec", round(applyRate, 0));
                cl.put("grantsPerSec", round(rate(window, x -> x.grants()[c]), 0));
                // the replayer's own flag, refreshed every 50 ms: how often it was waiting for the application to take a grant
                cl.put("waitingForTheApplicationShareOfSamples", window.isEmpty() ? null
                    : round((double) window.stream().filter(x -> x.waiting()[c] > 0).count() / window.size(), 2));
                double rise = quarterRise(window, x -> Math.max(0, x.primaryJournal() - x.applied()[c]));
                cl.put("behindRiseFirstToLastQuarter", round(rise, 0));
                boolean growing = behind.get("slopePerSec") != null
                    && ((Number) behind.get("slopePerSec")).doubleValue() > 0
                    && rise > GROWTH_SECONDS_OF_INPUT * inputRate;
                cl.put("growing", growing);
                @SuppressWarnings("unchecked")
                Map<String, Object> dn = (Map<String, Object>) drain.get("clone-node" + node);
                cl.put("drain", dn);
                if (dn.get("drainMs") == null) {
                    problems.add(what + ": clone-node" + node + " did not reach the primary's journal position within "
                        + drainTimeoutSeconds + " s: " + dn);
                }
                cl.put("counters", delta(clonesBefore.get(i), NodeCounters.read(aeronDir(node)),
                    List.of("replay divergences", "replay diverged connections", "replay verified output bytes",
                        "replay connections", "replay errors", "replay stray accepts", "agent errors"),
                    List.of("replay kept output bytes", "replay divergences", "replay applied position")));
                cl.put("samples", compact(samples, c, startMs));
                clones.put("clone-node" + node, cl);
            }
            lag.put("clones", clones);
            m.put("replay", lag);
        }
        return m;
    }

    /** The counters now: the primary's journal position and each clone's replay figures. */
    private Sample sample() {
        long now = System.currentTimeMillis();
        long primary = NodeCounters.read(aeronDir(1)).getOrDefault("journal position", -1L);
        long[] applied = new long[CLONES];
        long[] lagRecords = new long[CLONES];
        long[] lagMs = new long[CLONES];
        long[] grants = new long[CLONES];
        long[] waiting = new long[CLONES];
        for (int i = 0; i < CLONES; i++) {
            Map<String, Long> c = NodeCounters.read(aeronDir(i + 2));
            applied[i] = c.getOrDefault("replay applied position", -1L);
            lagRecords[i] = c.getOrDefault("replay lag (records)", -1L);
            lagMs[i] = c.getOrDefault("replay lag (ms)", -1L);
            grants[i] = c.getOrDefault("replay grants", -1L);
            waiting[i] = c.getOrDefault("replay waiting for the application", -1L);
        }
        return new Sample(now, primary, applied, lagRecords, lagMs, grants, waiting);
    }

    private static ThreadSample threadSample(List<Long> pids, long clientPid) {
        List<Map<Long, ProcStat.ThreadTicks>> byJvm = new ArrayList<>();
        for (long pid : pids) {
            byJvm.add(ProcStat.threadTicksById(pid));
        }
        return new ThreadSample(System.currentTimeMillis(), byJvm, clientPid < 0 ? -1 : ProcStat.cpuTicks(clientPid),
            ProcStat.cpuTicks(ProcessHandle.current().pid()), ProcStat.machineTicks());
    }

    /**
     * Mean of a counter over the last quarter of the window minus its mean over the first quarter
     * (NaN with fewer than 4 samples).
     */
    private static double quarterRise(List<Sample> window, java.util.function.ToLongFunction<Sample> f) {
        int q = window.size() / 4;
        if (q == 0) {
            return Double.NaN;
        }
        double first = 0;
        double last = 0;
        for (int i = 0; i < q; i++) {
            first += f.applyAsLong(window.get(i));
            last += f.applyAsLong(window.get(window.size() - 1 - i));
        }
        return (last - first) / q;
    }

    /**
     * Polls until every clone's applied position has reached the primary's journal position and
     * that position has not moved for {@value #DRAIN_STABLE_MS} ms, or the drain timeout; per clone
     * the time from {@code endMs} (end of the measured run) to the first poll, or sample, at which it
     * had reached the final position.
     */
    private Map<String, Object> drain(List<Sample> samples, long endMs) throws InterruptedException {
        long deadline = System.currentTimeMillis() + drainTimeoutSeconds * 1000L;
        List<Sample> polls = new ArrayList<>();
        long lastPrimary = -1;
        long primaryStableSince = 0;
        while (System.currentTimeMillis() < deadline) {
            Sample x = sample();
            polls.add(x);
            if (x.primaryJournal() != lastPrimary) {
                lastPrimary = x.primaryJournal();
                primaryStableSince = x.epochMs();
            }
            boolean all = true;
            for (long a : x.applied()) {
                all &= a >= x.primaryJournal();
            }
            if (all && x.epochMs() - primaryStableSince >= DRAIN_STABLE_MS) {
                break;
            }
            Thread.sleep(DRAIN_POLL_MS);
        }
        long finalPrimary = lastPrimary;
        List<Sample> tail = new ArrayList<>();
        for (Sample x : samples) {
            if (x.epochMs() > endMs) {
                tail.add(x);
            }
        }
        tail.addAll(polls);
        Map<String, Object> out = new LinkedHashMap<>();
        for (int i = 0; i < CLONES; i++) {
            Map<String, Object> c = new LinkedHashMap<>();
            Long reachedAt = null;
            for (int k = tail.size() - 1; k >= 0 && tail.get(k).applied()[i] >= finalPrimary; k--) {
                reachedAt = tail.get(k).epochMs();
            }
            boolean atFirstCheck = reachedAt != null && !tail.isEmpty() && reachedAt == tail.get(0).epochMs();
            c.put("drainMs", reachedAt == null ? null : Math.max(0, reachedAt - endMs));
            c.put("caughtUpByFirstCheck", atFirstCheck);
            c.put("firstCheckMsAfterLoadEnd", tail.isEmpty() ? null : tail.get(0).epochMs() - endMs);
            c.put("primaryJournalPosition", finalPrimary);
            c.put("appliedPosition", polls.isEmpty() ? null : polls.get(polls.size() - 1).applied()[i]);
            out.put("clone-node" + (i + 2), c);
        }
        return out;
    }

    /** max, mean, mid-run, end and least-squares slope (per second) of a counter over the samples. */
    private static Map<String, Object> series(List<Sample> window, java.util.function.ToLongFunction<Sample> f) {
        Map<String, Object> m = new LinkedHashMap<>();
        if (window.isEmpty()) {
            m.put("max", null);
            return m;
        }
        long max = Long.MIN_VALUE;
        double sum = 0;
        for (Sample x : window) {
            long v = f.applyAsLong(x);
            max = Math.max(max, v);
            sum += v;
        }
        long t0 = window.get(0).epochMs();
        long mid = (t0 + window.get(window.size() - 1).epochMs()) / 2;
        Sample midSample = window.get(0);
        for (Sample x : window) {
            if (Math.abs(x.epochMs() - mid) < Math.abs(midSample.epochMs() - mid)) {
                midSample = x;
            }
        }
        m.put("max", max);
        m.put("mean", round(sum / window.size(), 1));
        m.put("mid", f.applyAsLong(midSample));
        m.put("end", f.applyAsLong(window.get(window.size() - 1)));
        m.put("slopePerSec", window.size() < 3 ? null : round(slope(window, f), 1));
        return m;
    }

    private static double slope(List<Sample> window, java.util.function.ToLongFunction<Sample> f) {
        long t0 = window.get(0).epochMs();
        double n = window.size();
        double sx = 0;
        double sy = 0;
        double sxx = 0;
        double sxy = 0;
        for (Sample x : window) {
            double t = (x.epochMs() - t0) / 1000.0;
            double y = f.applyAsLong(x);
            sx += t;
            sy += y;
            sxx += t * t;
            sxy += t * y;
        }
        double den = n * sxx - sx * sx;
        return den == 0 ? 0 : (n * sxy - sx * sy) / den;
    }

    /** How fast a counter rose between the first and the last sample of the window, per second. */
    private static double rate(List<Sample> window, java.util.function.ToLongFunction<Sample> f) {
        if (window.size() < 2) {
            return Double.NaN;
        }
        Sample a = window.get(0);
        Sample b = window.get(window.size() - 1);
        return (f.applyAsLong(b) - f.applyAsLong(a)) * 1000.0 / Math.max(1, b.epochMs() - a.epochMs());
    }

    /** Every sample of clone {@code c} as {@code [ms since the measured start, lag records, lag ms, behind primary]}. */
    private static List<Object> compact(List<Sample> samples, int c, long startMs) {
        List<Object> out = new ArrayList<>();
        for (Sample x : samples) {
            out.add(List.of(x.epochMs() - startMs, x.lagRecords()[c], x.lagMs()[c],
                Math.max(0, x.primaryJournal() - x.applied()[c])));
        }
        return out;
    }

    /** Counter deltas over the run ({@code deltas}) and values at its end ({@code values}). */
    private static Map<String, Object> delta(Map<String, Long> before, Map<String, Long> after, List<String> deltas,
                                             List<String> values) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (String k : deltas) {
            if (after.containsKey(k)) {
                m.put(k, after.get(k) - before.getOrDefault(k, 0L));
            }
        }
        for (String k : values) {
            if (after.containsKey(k)) {
                m.put(k + " (at end)", after.get(k));
            }
        }
        return m;
    }

    /**
     * CPU of each server JVM over the measured run (LoadDriver's utime + stime right before and after
     * it), per request, and each JVM's busiest threads by name (from the thread samples: per thread id,
     * the ticks between the last sample at or before the start and the last one it was seen in before
     * the end, so that threads that end in the run still count).
     */
    private static Map<String, Object> cpu(Map<String, Object> d, List<String> roles, long completed,
                                           List<ThreadSample> threads, long startMs, long endMs) {
        List<?> ticks = (List<?>) d.get("cpuTicks");
        double sec = (endMs - startMs) / 1000.0;
        Map<String, Object> cpu = new LinkedHashMap<>();
        Map<String, Object> pct = new LinkedHashMap<>();
        double total = 0;
        for (int i = 0; i < roles.size(); i++) {
            double s = ((Number) ticks.get(i)).doubleValue() / ProcStat.CLOCK_TICKS_PER_SECOND;
            total += s;
            pct.put(roles.get(i), round(100 * s / sec, 1));
        }
        cpu.put("percentOfOneCore", pct);
        cpu.put("usPerRequestAllServerJvms", completed == 0 ? null : round(total * 1e6 / completed, 1));
        ThreadSample base = null;
        ThreadSample last = null;
        for (ThreadSample t : threads) {
            if (t.epochMs() <= startMs) {
                base = t;
            }
            if (t.epochMs() <= endMs + 2 * DRAIN_POLL_MS) { // the sample taken when the end mark was seen
                last = t;
            }
        }
        Map<String, Object> busiest = new LinkedHashMap<>();
        if (base != null && last != null && last.epochMs() > base.epochMs()) {
            double wsec = (last.epochMs() - base.epochMs()) / 1000.0;
            for (int i = 0; i < roles.size(); i++) {
                Map<Long, ProcStat.ThreadTicks> seen = new java.util.HashMap<>();
                for (ThreadSample t : threads) {
                    if (t.epochMs() > base.epochMs() && t.epochMs() <= last.epochMs()) {
                        seen.putAll(t.byJvm().get(i));
                    }
                }
                Map<Long, ProcStat.ThreadTicks> at0 = base.byJvm().get(i);
                Map<String, Long> byName = new java.util.HashMap<>();
                seen.forEach((tid, tt) -> byName.merge(tt.name(),
                    tt.ticks() - (at0.containsKey(tid) ? at0.get(tid).ticks() : 0), Long::sum));
                Map<String, Object> top = new LinkedHashMap<>();
                byName.entrySet().stream().filter(e -> e.getValue() > 0)
                    .sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(TOP_THREADS)
                    .forEach(e -> top.put(e.getKey(),
                        round(100.0 * e.getValue() / ProcStat.CLOCK_TICKS_PER_SECOND / wsec, 1)));
                busiest.put(roles.get(i), top);
            }
            cpu.put("threadWindowSeconds", round(wsec, 1));
            // the whole machine over the same window: what the servers, the client and this JVM leave is
            // other sessions' load (and the kernel's work outside any process, e.g. softirq of other hosts)
            long busy = last.machine()[0] - base.machine()[0];
            long all = last.machine()[1] - base.machine()[1];
            if (base.machine()[0] >= 0 && all > 0) {
                double perOneCore = ProcStat.CLOCK_TICKS_PER_SECOND * wsec;
                double servers = 0;
                for (int i = 0; i < roles.size(); i++) {
                    servers += ((Number) ticks.get(i)).doubleValue() / ProcStat.CLOCK_TICKS_PER_SECOND / sec * 100;
                }
                double client = base.clientTicks() >= 0 && last.clientTicks() >= 0
                    ? 100.0 * (last.clientTicks() - base.clientTicks()) / perOneCore : Double.NaN;
                double self = 100.0 * (last.selfTicks() - base.selfTicks()) / perOneCore;
                double machine = 100.0 * busy / perOneCore;
                Map<String, Object> mm = new LinkedHashMap<>();
                mm.put("busyPercentOfOneCore", round(machine, 1));
                mm.put("coresBusyFraction", round((double) busy / all, 3));
                mm.put("serverJvmsPercentOfOneCore", round(servers, 1));
                mm.put("clientJvmPercentOfOneCore", Double.isNaN(client) ? null : round(client, 1));
                mm.put("benchmarkJvmPercentOfOneCore", round(self, 1));
                mm.put("restPercentOfOneCore", Double.isNaN(client) ? null : round(machine - servers - client - self, 1));
                cpu.put("machine", mm);
            }
        }
        cpu.put("busiestThreadsPercentOfOneCore", busiest);
        return cpu;
    }

    /**
     * Per connection count, each agent case's throughput against agent off; adds the verdicts: the
     * serial cost target (BlockingKvServer) and whether the clones keep up, per agent case and count.
     */
    @SuppressWarnings("unchecked")
    private static Map<String, Object> compare(String app, List<Map<String, Object>> cases, List<Integer> connections,
                                               List<Object> verdicts) {
        Map<String, Object> out = new LinkedHashMap<>();
        String simple = app.substring(app.lastIndexOf('.') + 1);
        for (int conns : connections) {
            Map<String, Object> off = runOf(cases, "agent-off", conns);
            Map<String, Object> row = new LinkedHashMap<>();
            for (Map<String, Object> c : cases) {
                String name = (String) c.get("case");
                Map<String, Object> run = runOf(cases, name, conns);
                if (run == null) {
                    continue;
                }
                double tp = ((Number) run.get("throughputPerSec")).doubleValue();
                if (!name.equals("agent-off") && off != null) {
                    double otp = ((Number) off.get("throughputPerSec")).doubleValue();
                    row.put(name, otp == 0 ? null : round(tp / otp, 3));
                }
                if (run.get("replay") != null) {
                    // every repeat must keep up, not only the median one
                    List<String> growing = new ArrayList<>();
                    List<Object> drains = new ArrayList<>();
                    List<Object> maxLagMs = new ArrayList<>();
                    List<Object> divergences = new ArrayList<>();
                    List<Object> rates = new ArrayList<>();
                    boolean drained = true;
                    for (Map<String, Object> each : runsOf(cases, name, conns)) {
                        rates.add(Math.round(((Number) each.get("throughputPerSec")).doubleValue()));
                        Map<String, Object> clones = (Map<String, Object>) ((Map<String, Object>) each.get("replay")).get("clones");
                        for (Map.Entry<String, Object> e : clones.entrySet()) {
                            Map<String, Object> cl = (Map<String, Object>) e.getValue();
                            if (Boolean.TRUE.equals(cl.get("growing"))) {
                                growing.add(e.getKey() + (each.get("repeat") != null ? " (repeat " + each.get("repeat") + ")" : ""));
                            }
                            Object dm = ((Map<String, Object>) cl.get("drain")).get("drainMs");
                            drained &= dm != null;
                            drains.add(dm);
                            maxLagMs.add(((Map<String, Object>) cl.get("lagMs")).get("max"));
                            divergences.add(((Map<String, Object>) cl.get("counters")).get("replay divergences"));
                        }
                    }
                    Map<String, Object> v = new LinkedHashMap<>();
                    v.put("target", "a clone keeps up (lag bounded, not growing) at the primary's full rate");
                    v.put("app", simple);
                    v.put("case", name);
                    v.put("connections", conns);
                    v.put("met", growing.isEmpty() && drained);
                    v.put("verdict", (growing.isEmpty() && drained ? "met" : "missed") + ": primary " + rates
                        + " req/s; lag growing on " + (growing.isEmpty() ? "no clone" : growing)
                        + "; max lag ms " + maxLagMs + "; drain ms after the run " + drains + "; divergences " + divergences);
                    verdicts.add(v);
                }
            }
            out.put(Integer.toString(conns), row);
            if (simple.equals("BlockingKvServer") && row.get("serial") != null) {
                double ratio = ((Number) row.get("serial")).doubleValue();
                Map<String, Object> v = new LinkedHashMap<>();
                v.put("target", "serial costs at most 25 % of throughput on BlockingKvServer against agent off");
                v.put("app", simple);
                v.put("connections", conns);
                v.put("serialVsAgentOff", ratio);
                v.put("cost", round(1 - ratio, 3));
                v.put("met", 1 - ratio <= SERIAL_COST_TARGET);
                v.put("verdict", (1 - ratio <= SERIAL_COST_TARGET ? "met" : "missed") + ": serial at "
                    + Math.round(ratio * 100) + " % of agent off (cost " + Math.round((1 - ratio) * 100) + " %)"
                    + (row.get("input-order") != null ? "; input-order at "
                    + Math.round(((Number) row.get("input-order")).doubleValue() * 100) + " %" : ""));
                verdicts.add(v);
            }
        }
        return out;
    }

    /**
     * What the figures of one app say, computed: how the throughput splits between recording, the
     * primary's turns and the clones' replay; whether the rate is bound by the request round trip
     * (Little's law: requests in flight / throughput against the mean latency); and, from the serial
     * profile, where the primary's application threads and the clone's replay thread spend their time.
     */
    @SuppressWarnings("unchecked")
    static List<String> notes(String app, List<Map<String, Object>> cases, Map<String, Object> vsOff,
                              List<Integer> connections, int pipeline, Object profile) {
        List<String> notes = new ArrayList<>();
        boolean http = app.contains("Http");
        for (int conns : connections) {
            Map<String, Object> row = (Map<String, Object>) vsOff.get(Integer.toString(conns));
            StringBuilder sb = new StringBuilder(app + ", " + conns + " connections, throughput against agent off:");
            row.forEach((k, v) -> sb.append(' ').append(k).append(' ').append(pct(v)).append(','));
            Double ro = num(row.get("record-only"));
            Double ros = num(row.get("record-only-serial"));
            Double io = num(row.get("input-order"));
            Double se = num(row.get("serial"));
            if (ro != null && ros != null) {
                sb.append(" the primary's turns alone (record-only-serial / record-only) ").append(pct(ros / ro)).append(',');
            }
            if (ro != null && io != null) {
                sb.append(" two replaying clones (input-order / record-only) ").append(pct(io / ro)).append(',');
            }
            if (io != null && se != null) {
                sb.append(" serial / input-order ").append(pct(se / io)).append(',');
            }
            sb.setLength(sb.length() - 1);
            notes.add(sb.toString());
            List<String> little = new ArrayList<>();
            for (Map<String, Object> c : cases) {
                Map<String, Object> run = runOf(cases, (String) c.get("case"), conns);
                if (run == null) {
                    continue;
                }
                double tp = ((Number) run.get("throughputPerSec")).doubleValue();
                Object mean = ((Map<String, Object>) run.get("latencyUs")).get("mean");
                double inFlightMs = tp == 0 ? Double.NaN : conns * (http ? 1 : pipeline) * 1000.0 / tp;
                little.add(c.get("case") + " " + round(inFlightMs, 2) + " ms vs " + round(((Number) mean).doubleValue() / 1000, 2));
            }
            notes.add(app + ", " + conns + " connections, requests in flight / throughput vs mean latency (ms), equal"
                + " when every connection keeps its pipeline full: " + String.join("; ", little));
            for (String mode : List.of("input-order", "serial")) {
                Map<String, Object> run = runOf(cases, mode, conns);
                if (run == null || run.get("replay") == null) {
                    continue;
                }
                Map<String, Object> replay = (Map<String, Object>) run.get("replay");
                List<String> per = new ArrayList<>();
                ((Map<String, Object>) replay.get("clones")).forEach((k, v) -> {
                    Map<String, Object> cl = (Map<String, Object>) v;
                    per.add(k + " applies " + cl.get("appliedRecordsPerSec") + " records/s in " + cl.get("grantsPerSec")
                        + " grants/s, waiting for the application in " + pct(cl.get("waitingForTheApplicationShareOfSamples"))
                        + " of the samples, " + ((Map<String, Object>) cl.get("behindPrimaryRecords")).get("end")
                        + " records behind at the end");
                });
                notes.add(app + ", " + conns + " connections, " + mode + " (median run): the primary journals "
                    + replay.get("primaryInputRecordsPerSec") + " records/s; " + String.join("; ", per));
            }
        }
        List<Object> profiled = profile instanceof Map && ((Map<String, Object>) profile).get("runs") instanceof List
            ? (List<Object>) ((Map<String, Object>) profile).get("runs") : List.of();
        for (Object pro : profiled) {
            Map<String, Object> pr = (Map<String, Object>) pro;
            Map<String, Object> jfr = (Map<String, Object>) pr.get("jfr");
            jfr.forEach((role, v) -> {
                Map<String, Object> summary = (Map<String, Object>) v;
                Map<String, Object> wall = (Map<String, Object>) summary.get("wallTimeByThreadGroup");
                List<String> parts = new ArrayList<>();
                wall.forEach((group, g) -> {
                    if (group.startsWith("understudy-replay") || group.endsWith("-conn-") || group.startsWith("nio-kv")
                        || group.startsWith("http-counter")) {
                        Map<String, Object> share = (Map<String, Object>) ((Map<String, Object>) g).get("percent");
                        List<String> top = new ArrayList<>();
                        share.entrySet().stream().limit(3).forEach(e -> top.add(e.getValue() + " % " + e.getKey()));
                        parts.add(group + ": " + String.join(", ", top));
                    }
                });
                Map<String, Object> parks = (Map<String, Object>) summary.get("parksOver1msByThreadGroupAndSite");
                parks.forEach((site, pv) -> {
                    if (site.contains("Turns.begin")) {
                        Map<String, Object> p = (Map<String, Object>) pv;
                        long n = ((Number) p.get("count")).longValue();
                        long ms = ((Number) p.get("totalMs")).longValue();
                        parts.add("parks of 1 ms or more in Turns.begin (" + site.substring(0, site.indexOf(" @")) + "): "
                            + n + ", " + ms + " ms in all, " + (n == 0 ? 0 : ms / n) + " ms each on average");
                    }
                });
                notes.add(app + " serial profile at " + pr.get("connections") + " connections (JFR thread dumps every "
                    + JfrProfile.THREAD_DUMP_PERIOD + "), " + role + ": " + String.join("; ", parts));
            });
        }
        return notes;
    }

    private static Double num(Object o) {
        return o instanceof Number ? ((Number) o).doubleValue() : null;
    }

    private static String pct(Object v) {
        return v instanceof Number ? Math.round(((Number) v).doubleValue() * 100) + " %" : String.valueOf(v);
    }

    /**
     * The median run (by throughput) of a case at a connection count, or null; for an even count the
     * faster of the two middle ones: the noise here (other sessions' load on the 2 cores, a JIT still
     * compiling in the first run of a case) only ever slows a run down.
     */
    private static Map<String, Object> runOf(List<Map<String, Object>> cases, String name, int conns) {
        List<Map<String, Object>> runs = runsOf(cases, name, conns);
        if (runs.isEmpty()) {
            return null;
        }
        runs.sort(java.util.Comparator.comparingDouble(r -> ((Number) r.get("throughputPerSec")).doubleValue()));
        return runs.get(runs.size() / 2);
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> runsOf(List<Map<String, Object>> cases, String name, int conns) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (Map<String, Object> c : cases) {
            if (name.equals(c.get("case")) && c.get("runs") != null) {
                for (Object r : (List<Object>) c.get("runs")) {
                    Map<String, Object> run = (Map<String, Object>) r;
                    if (((Number) run.get("connections")).intValue() == conns && run.get("throughputPerSec") != null) {
                        out.add(run);
                    }
                }
            }
        }
        // disturbed runs count only when no other run is left
        List<Map<String, Object>> quiet = new ArrayList<>();
        for (Map<String, Object> run : out) {
            if (!Boolean.TRUE.equals(run.get("disturbed"))) {
                quiet.add(run);
            }
        }
        return quiet.isEmpty() ? out : quiet;
    }

    /** The CPU that processes other than this run's took during the run's measured window, % of one core; null if unknown. */
    @SuppressWarnings("unchecked")
    private static Double disturbance(Map<String, Object> run) {
        Object m = ((Map<String, Object>) run.get("cpu")).get("machine");
        Object rest = m instanceof Map ? ((Map<String, Object>) m).get("restPercentOfOneCore") : null;
        return rest instanceof Number ? ((Number) rest).doubleValue() : null;
    }

    /**
     * The connection counts at which to profile serial, with the reason: serial costs more than the
     * target against agent off, or a clone did not keep up in input-order or serial; all counts with
     * {@code always}.
     */
    @SuppressWarnings("unchecked")
    private static Map<Integer, String> profileWhere(List<Map<String, Object>> cases, Map<String, Object> vsOff,
                                                     List<Integer> connections, boolean always) {
        Map<Integer, String> out = new LinkedHashMap<>();
        for (int conns : connections) {
            List<String> why = new ArrayList<>();
            Object ratio = ((Map<String, Object>) vsOff.getOrDefault(Integer.toString(conns), Map.of())).get("serial");
            if (ratio instanceof Number && 1 - ((Number) ratio).doubleValue() > SERIAL_COST_TARGET) {
                why.add("serial costs " + Math.round((1 - ((Number) ratio).doubleValue()) * 100) + " % against agent off");
            }
            for (String mode : List.of("input-order", "serial")) {
                for (Map<String, Object> run : runsOf(cases, mode, conns)) {
                    Map<String, Object> replay = (Map<String, Object>) run.get("replay");
                    boolean behind = replay != null && ((Map<String, Object>) replay.get("clones")).values().stream()
                        .anyMatch(c -> Boolean.TRUE.equals(((Map<String, Object>) c).get("growing"))
                            || ((Map<String, Object>) ((Map<String, Object>) c).get("drain")).get("drainMs") == null);
                    if (behind && !why.contains("a clone did not keep up in " + mode)) {
                        why.add("a clone did not keep up in " + mode);
                    }
                }
            }
            if (!why.isEmpty() || always) {
                out.put(conns, why.isEmpty() ? "--profile=always" : String.join("; ", why));
            }
        }
        return out;
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> summaryLine(Map<String, Object> run) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("connections", run.get("connections"));
        m.put("ok", run.get("ok"));
        m.put("throughputPerSec", run.get("throughputPerSec"));
        Map<String, Object> lat = (Map<String, Object>) run.get("latencyUs");
        if (lat != null) {
            m.put("p50Us", lat.get("p50"));
            m.put("p99Us", lat.get("p99"));
        }
        m.put("cpu", ((Map<String, Object>) run.get("cpu")).get("percentOfOneCore"));
        m.put("otherProcessesPercentOfOneCore", disturbance(run));
        if (run.get("primary") != null) {
            m.put("primary", run.get("primary"));
        }
        if (run.get("replay") != null) {
            Map<String, Object> clones = (Map<String, Object>) ((Map<String, Object>) run.get("replay")).get("clones");
            Map<String, Object> cs = new LinkedHashMap<>();
            clones.forEach((k, v) -> {
                Map<String, Object> cl = (Map<String, Object>) v;
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("lagRecordsMax", ((Map<String, Object>) cl.get("lagRecords")).get("max"));
                c.put("lagMsMax", ((Map<String, Object>) cl.get("lagMs")).get("max"));
                c.put("behind", cl.get("behindPrimaryRecords"));
                c.put("growing", cl.get("growing"));
                c.put("drainMs", ((Map<String, Object>) cl.get("drain")).get("drainMs"));
                c.put("appliedPerSec", cl.get("appliedRecordsPerSec"));
                c.put("grantsPerSec", cl.get("grantsPerSec"));
                c.put("waitingShare", cl.get("waitingForTheApplicationShareOfSamples"));
                c.put("divergences", ((Map<String, Object>) cl.get("counters")).get("replay divergences"));
                cs.put(k, c);
            });
            m.put("clones", cs);
        }
        return m;
    }
}
