package dev.understudy.benchmarks.failover;

import static dev.understudy.benchmarks.recording.LabBench.delete;
import static dev.understudy.benchmarks.recording.LabBench.environment;
import static dev.understudy.benchmarks.recording.LabBench.findAppsJar;

import dev.understudy.benchmarks.recording.EchoFloor;
import dev.understudy.benchmarks.recording.ProcStat;
import dev.understudy.lab.Host;
import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The failover-stall harness (not JMH): what a client of a TCP service sees when the node serving the
 * lab's VIP fails, round after round, in one mode of failover ({@link Cluster}). As root, from the
 * repository root, after {@code mvn -B -q -o package -DskipTests -pl benchmarks -am}:
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.failover.FailoverBenchmark [--mode=both]
 * </pre>
 *
 * (also {@code ./understudy bench failover}). It writes {@code benchmarks/results/failover.json}:
 * <ol>
 *   <li>the environment, with the load average at the start, and the <b>floor</b>: a plain TCP
 *       ping-pong of 64 B between the client host and node1 through the VIP ({@link EchoFloor}), before
 *       any mode runs;</li>
 *   <li>per scenario ({@code --scenarios=OPEN/STREAMING,...}, default {@code 100/100,1000/10}): a fresh
 *       cluster of the mode, one {@link StreamClient} JVM in the client host with OPEN connections to the
 *       VIP of which STREAMING stream {@code INCR} on a key of their own (one in flight, the next
 *       {@code --interval-ms} after each reply) and the others stay idle until probed after each
 *       failure;</li>
 *   <li>per round: the client waits until every connection is healthy, {@code --baseline-ms} of steady
 *       streaming, the failure ({@code --kinds}, alternating, {@code --rounds} of each) on the node that
 *       serves the VIP now, the mode's own timeline (keepalived: when the VIP left and reached the other
 *       node), then what each connection saw: its stall (the longest gap between consecutive replies that
 *       ends after the failure), its outage (failure to the reply that ends it), resets, EOFs,
 *       timeouts, reconnects, and whether its counter continued or restarted (state lost); then the
 *       failed node is healed as a standby for the next round;</li>
 *   <li>per scenario and failure kind: p50/p99/max of the stall and of the outage pooled over every
 *       streaming connection of every round, the counts of broken and reconnected connections and of
 *       lost state, and the mode's own timeline (p50/max).</li>
 * </ol>
 * Every process, the lab and the temporary directory are removed at the end, also on failure (and on
 * SIGTERM, by a shutdown hook).
 *
 * <p>Modes: {@code keepalived} ({@link KeepalivedCluster}); {@code understudy} ({@link UnderstudyCluster}:
 * the same server with {@code -javaagent}, primary in node1, clones in node2 and node3, once per
 * {@code --timeouts} pair); {@code both} (the default): keepalived's scenarios, then understudy's, in
 * the same lab after the same floor. An understudy cluster fails over once ({@link Cluster#heals()}
 * false), so each of its rounds has a new cluster and a new client; the measurement is the same.
 *
 * <p>Options: {@code --mode=keepalived|understudy|both}, {@code --out=FILE} (default
 * {@code benchmarks/results/failover.json}), {@code --apps-jar=JAR}, {@code --app=NioKvServer}
 * (or {@code BlockingKvServer}: the KV line protocol), {@code --rounds=10} (per failure kind),
 * {@code --kinds=process-kill,link-down}, {@code --scenarios=100/100,1000/10}, {@code --interval-ms=5},
 * {@code --reply-timeout-ms=2000}, {@code --connect-timeout-ms=100}, {@code --retry-ms=5},
 * {@code --baseline-ms=300}, {@code --recover-timeout-ms=10000}, {@code --floor-count=10000};
 * understudy: {@code --agent=agent/target/understudy-agent.jar}, {@code --understudy-rounds=5} (per
 * failure kind), {@code --understudy-scenarios=...} (default: {@code --scenarios}),
 * {@code --timeouts=1s/100ms,200ms/40ms} (failure timeout / heartbeat interval pairs); {@code --keep-work}
 * leaves the temporary directory (logs, journals) in place and prints its path.
 */
public final class FailoverBenchmark {
    static final int PORT = 7000;
    static final int FLOOR_PORT = 7100;
    static final String MAIN = FailoverBenchmark.class.getName();
    static final List<String> MODES = List.of("keepalived", "understudy", "both");

    /** OPEN connections of which STREAMING stream. */
    record Scenario(int open, int streaming) {
        static Scenario of(String s) {
            String[] p = s.split("/");
            int open = Integer.parseInt(p[0]);
            int streaming = p.length > 1 ? Integer.parseInt(p[1]) : open;
            if (open < 1 || streaming < 1 || streaming > open || p.length > 2) {
                throw new IllegalArgumentException("invalid scenario: value=" + s + ", expected OPEN/STREAMING with"
                    + " 1 <= STREAMING <= OPEN");
            }
            return new Scenario(open, streaming);
        }

        String label() {
            return open + " open, " + streaming + " streaming";
        }
    }

    /** Understudy's failure detection: {@code understudy.failure.timeout} and {@code understudy.heartbeat.interval}. */
    record Timeouts(String failure, String heartbeat) {
        static Timeouts of(String s) {
            String[] p = s.split("/");
            if (p.length != 2 || p[0].isBlank() || p[1].isBlank()) {
                throw new IllegalArgumentException("invalid timeouts: value=" + s + ", expected FAILURE_TIMEOUT/HEARTBEAT_INTERVAL"
                    + " (e.g. 1s/100ms)");
            }
            return new Timeouts(p[0], p[1]);
        }

        String label() {
            return "failure.timeout " + failure + ", heartbeat.interval " + heartbeat;
        }
    }

    /** The settings of one run. */
    record Settings(List<String> modes, String app, String appsJar, Path agentJar, int rounds, int understudyRounds,
                    List<Timeouts> timeouts, List<FailureKind> kinds, List<Scenario> scenarios,
                    long intervalMs, int replyTimeoutMs, int connectTimeoutMs, long retryMs, long baselineMs,
                    long recoverTimeoutMs) {
        int rounds(String mode) {
            return mode.equals("understudy") ? understudyRounds : rounds;
        }
    }

    private FailoverBenchmark() {
    }

    public static void main(String[] argv) throws Exception {
        String mode = "both";
        String agent = "agent/target/understudy-agent.jar";
        int understudyRounds = 5;
        // the agent's default, and a short one: 200 ms, as 100 ms is already too short on two busy cores (a
        // heartbeat late by more than 200 ms made a clone take over at start, at load average 26)
        List<Timeouts> timeouts = List.of(new Timeouts("1s", "100ms"), new Timeouts("200ms", "40ms"));
        String out = "benchmarks/results/failover.json";
        String appsJar = null;
        String app = "NioKvServer";
        int rounds = 10;
        List<FailureKind> kinds = List.of(FailureKind.PROCESS_KILL, FailureKind.LINK_DOWN);
        List<Scenario> scenarios = List.of(new Scenario(100, 100), new Scenario(1000, 10));
        List<Scenario> understudyScenarios = null;
        long intervalMs = 5;
        int replyTimeoutMs = 2000;
        int connectTimeoutMs = 100;
        long retryMs = 5;
        long baselineMs = 300;
        long recoverTimeoutMs = 10_000;
        int floorCount = 10_000;
        boolean keepWork = false;
        for (String a : argv) {
            String v = a.substring(a.indexOf('=') + 1);
            if (a.startsWith("--mode=")) {
                mode = v;
            } else if (a.startsWith("--out=")) {
                out = v;
            } else if (a.startsWith("--apps-jar=")) {
                appsJar = v;
            } else if (a.startsWith("--app=")) {
                app = v;
            } else if (a.startsWith("--agent=")) {
                agent = v;
            } else if (a.startsWith("--rounds=")) {
                rounds = Integer.parseInt(v);
            } else if (a.startsWith("--understudy-rounds=")) {
                understudyRounds = Integer.parseInt(v);
            } else if (a.startsWith("--timeouts=")) {
                timeouts = Arrays.stream(v.split(",")).map(Timeouts::of).collect(Collectors.toList());
            } else if (a.startsWith("--kinds=")) {
                kinds = Arrays.stream(v.split(",")).map(FailureKind::of).collect(Collectors.toList());
            } else if (a.startsWith("--scenarios=")) {
                scenarios = Arrays.stream(v.split(",")).map(Scenario::of).collect(Collectors.toList());
            } else if (a.startsWith("--interval-ms=")) {
                intervalMs = Long.parseLong(v);
            } else if (a.startsWith("--reply-timeout-ms=")) {
                replyTimeoutMs = Integer.parseInt(v);
            } else if (a.startsWith("--connect-timeout-ms=")) {
                connectTimeoutMs = Integer.parseInt(v);
            } else if (a.startsWith("--retry-ms=")) {
                retryMs = Long.parseLong(v);
            } else if (a.startsWith("--baseline-ms=")) {
                baselineMs = Long.parseLong(v);
            } else if (a.startsWith("--recover-timeout-ms=")) {
                recoverTimeoutMs = Long.parseLong(v);
            } else if (a.equals("--keep-work")) {
                keepWork = true;
            } else if (a.startsWith("--understudy-scenarios=")) {
                understudyScenarios = Arrays.stream(v.split(",")).map(Scenario::of).collect(Collectors.toList());
            } else if (a.startsWith("--floor-count=")) {
                floorCount = Integer.parseInt(v);
            } else {
                System.err.println("FailoverBenchmark: unknown option " + a + " (see the class Javadoc)");
                System.exit(2);
            }
        }
        if (!MODES.contains(mode)) {
            System.err.println("FailoverBenchmark: invalid --mode: value=" + mode + ", expected keepalived|understudy|both");
            System.exit(2);
        }
        List<String> modes = mode.equals("both") ? List.of("keepalived", "understudy") : List.of(mode);
        Path agentJar = Path.of(agent).toAbsolutePath();
        if (modes.contains("understudy") && !Files.isRegularFile(agentJar)) {
            System.err.println("FailoverBenchmark: agent jar not found: " + agentJar
                + " (mvn -B -o -q package -DskipTests, or --agent=JAR)");
            System.exit(2);
        }
        String why = Host.whyNotPrivileged();
        if (why != null) {
            System.err.println("FailoverBenchmark needs root: " + why);
            System.exit(1);
        }
        if (appsJar == null) {
            appsJar = findAppsJar();
        }
        String main = app.contains(".") ? app : "dev.understudy.apps." + app;
        Settings s = new Settings(modes, main, appsJar, agentJar, rounds, understudyRounds, timeouts, kinds, scenarios,
            intervalMs, replyTimeoutMs, connectTimeoutMs, retryMs, baselineMs, recoverTimeoutMs);
        Path outFile = Path.of(out).toAbsolutePath();
        Files.createDirectories(outFile.getParent());

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("benchmark", "failover");
        result.put("command", "java -cp " + System.getProperty("java.class.path") + " " + MAIN
            + (argv.length == 0 ? "" : " " + String.join(" ", argv)));
        result.put("environment", environment());
        Map<String, Object> settings = settings(s);
        if (understudyScenarios != null && modes.contains("understudy")) {
            settings.put("understudyScenarios", understudyScenarios.stream().map(Scenario::label).collect(Collectors.toList()));
        }
        result.put("settings", settings);
        List<Object> scenarioResults = new ArrayList<>();
        Path work = Files.createTempDirectory("us-bench-failover-");
        Lab lab = null;
        Thread cleanup = null;
        boolean failed = false;
        try {
            // three nodes: understudy's primary and two clones; keepalived uses node1 and node2
            lab = Lab.up(3);
            // on SIGTERM / Ctrl-C the finally below does not run; the lab's own hook kills the processes
            // (keepalived included: it runs in the lab's namespaces) and removes the namespaces, this one the files
            Lab l = lab;
            cleanup = new Thread(() -> {
                try {
                    l.close();
                } catch (IOException | RuntimeException e) {
                    System.err.println("FailoverBenchmark: lab cleanup: " + e);
                }
                delete(work);
            }, "failover-bench-cleanup");
            Runtime.getRuntime().addShutdownHook(cleanup);
            System.out.println("lab " + lab.name() + " up; load " + ProcStat.loadAverage());
            Map<String, Object> floor = EchoFloor.measure(lab, work, "floor", FLOOR_PORT, 2000, floorCount);
            result.put("floor", floor);
            System.out.println("floor: " + Json.write(floor));
            result.put("scenarios", scenarioResults);
            int index = 0;
            for (String m : modes) {
                // keepalived has no failure timeout of its own to vary: one pass per scenario
                List<Timeouts> variants = m.equals("understudy") ? timeouts : Collections.singletonList(null);
                for (Scenario sc : m.equals("understudy") && understudyScenarios != null ? understudyScenarios : scenarios) {
                    for (Timeouts t : variants) {
                        index++;
                        System.out.println(m + " / " + sc.label() + (t == null ? "" : " / " + t.label()) + " (load "
                            + ProcStat.loadAverage() + ") ...");
                        Map<String, Object> r = runScenario(lab, work.resolve("s" + index), s, m, t, sc, "fo" + index);
                        failed |= Boolean.TRUE.equals(r.get("failed"));
                        scenarioResults.add(r);
                    }
                }
            }
        } catch (Exception e) {
            failed = true;
            result.put("error", e.toString());
            throw e;
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
            if (lab != null) {
                lab.close();
            }
            if (keepWork) {
                System.out.println("work directory kept (--keep-work): " + work);
            } else {
                delete(work);
            }
            Files.writeString(outFile, Json.pretty(result) + "\n");
            System.out.println("results: " + outFile);
        }
        for (Object r : scenarioResults) {
            Map<?, ?> m = (Map<?, ?>) r;
            for (Object k : ((Map<?, ?>) m.get("summary")).values()) {
                System.out.println(m.get("mode") + " / " + m.get("scenario") + (m.get("timeouts") == null ? "" : " / "
                + m.get("timeouts")) + ": " + Json.write(k));
            }
        }
        System.exit(failed ? 1 : 0);
    }

    /** The mode's cluster: the one place a mode plugs in ({@code t}: understudy's timeouts, else null). */
    static Cluster cluster(Settings s, String mode, Timeouts t, Lab lab, Path dir) {
        return switch (mode) {
            case "keepalived" -> new KeepalivedCluster(lab, dir, s.appsJar(), s.app(), PORT);
            case "understudy" -> new UnderstudyCluster(lab, dir, s.agentJar(), s.appsJar(), s.app(), PORT, t.failure(),
                t.heartbeat());
            default -> throw new IllegalArgumentException("invalid mode: value=" + mode + ", expected keepalived|understudy");
        };
    }

    private static Map<String, Object> runScenario(Lab lab, Path dir, Settings s, String mode, Timeouts t, Scenario sc,
                                                   String keyPrefix) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("scenario", sc.label());
        r.put("mode", mode);
        if (t != null) {
            r.put("timeouts", t.label());
        }
        r.put("open", sc.open());
        r.put("streaming", sc.streaming());
        r.put("loadAverageAtStart", ProcStat.loadAverage());
        List<String> problems = new ArrayList<>();
        List<Map<String, Object>> rounds = new ArrayList<>();
        Cluster cluster = null;
        StreamClient.Driver client = null;
        try {
            Files.createDirectories(dir);
            int total = s.rounds(mode) * s.kinds().size();
            for (int k = 1; k <= total; k++) {
                if (cluster == null) {
                    // the first round, or every round of a cluster that fails over once: a new cluster, a new client
                    cluster = cluster(s, mode, t, lab, k == 1 ? dir : dir.resolve("round-" + k));
                    cluster.start();
                    if (k == 1) {
                        r.put("cluster", cluster.describe());
                    }
                    client = StreamClient.Driver.start(lab, Lab.CLIENT, List.of("--target", lab.vip() + ":" + PORT,
                        "--connections", Integer.toString(sc.open()), "--streaming", Integer.toString(sc.streaming()),
                        "--interval-ms", Long.toString(s.intervalMs()), "--reply-timeout-ms", Integer.toString(s.replyTimeoutMs()),
                        "--connect-timeout-ms", Integer.toString(s.connectTimeoutMs()), "--retry-ms", Long.toString(s.retryMs()),
                        "--key-prefix", keyPrefix), dir.resolve("client-" + k + ".log"));
                    if (k == 1) {
                        r.put("clientReady", client.ready());
                    }
                }
                FailureKind kind = s.kinds().get((k - 1) % s.kinds().size());
                rounds.add(round(cluster, client, s, k, kind, problems));
                if (!cluster.heals()) {
                    client.close();
                    client = null;
                    cluster.close();
                    cluster = null;
                }
            }
        } catch (Exception e) {
            problems.add("scenario threw " + e);
            e.printStackTrace();
        } finally {
            if (client != null) {
                client.close();
            }
            if (cluster != null) {
                cluster.close();
            }
        }
        r.put("failed", !problems.isEmpty());
        r.put("problems", problems);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (FailureKind kind : s.kinds()) {
            List<Map<String, Object>> all = rounds.stream().filter(x -> kind.label().equals(x.get("kind")))
                .collect(Collectors.toList());
            // a round whose cluster did not fail over, or in which a clone had taken over before the failure (a
            // false takeover), measured something else: it is kept in the rounds, not pooled
            List<Map<String, Object>> of = all.stream().filter(x -> x.get("cluster") instanceof Map<?, ?> c
                && Boolean.TRUE.equals(c.get("recovered")) && c.get("takeoverBeforeFailure") == null)
                .collect(Collectors.toList());
            if (!all.isEmpty()) {
                Map<String, Object> m = summarize(mode, t, sc, kind, of);
                m.put("roundsNotPooled", all.size() - of.size());
                summary.put(kind.label(), m);
            }
        }
        r.put("summary", summary);
        r.put("rounds", rounds);
        return r;
    }

    private static Map<String, Object> round(Cluster cluster, StreamClient.Driver client, Settings s, int k,
                                             FailureKind kind, List<String> problems) throws Exception {
        Map<String, Object> round = new LinkedHashMap<>();
        round.put("round", k);
        round.put("kind", kind.label());
        Map<String, Object> pre = client.round(k);
        if (!Boolean.TRUE.equals(pre.get("healthy"))) {
            problems.add("round " + k + ": " + pre.get("unhealthy") + " connection(s) not healthy before the failure");
        }
        round.put("unhealthyBefore", pre.get("unhealthy"));
        Thread.sleep(s.baselineMs());
        Cluster.Failure f = cluster.fail(kind);
        round.put("node", f.node());
        Map<String, Object> timeline = cluster.awaitRecovered(f, Duration.ofMillis(s.recoverTimeoutMs()));
        round.put("cluster", timeline);
        Object rec = timeline.remove("recoveredEpochMicros");
        long recovered = rec instanceof Number n ? n.longValue() : f.epochMicros();
        Map<String, Object> end = client.end(k, f.epochMicros(), recovered, Duration.ofMillis(s.recoverTimeoutMs()));
        if (!Boolean.TRUE.equals(end.get("complete"))) {
            problems.add("round " + k + " (" + kind.label() + "): not every connection recovered within "
                + s.recoverTimeoutMs() + " ms: " + Json.write(end.get("counts")));
        }
        if (!Boolean.TRUE.equals(timeline.get("recovered"))) {
            problems.add("round " + k + " (" + kind.label() + "): the " + cluster.mode() + " cluster did not recover");
        }
        round.put("clientWaitedMs", end.get("waitedMs"));
        round.put("counts", end.get("counts"));
        List<Double> stall = numbers(end.get("stallMs"));
        List<Double> outage = numbers(end.get("outageMs"));
        round.put("stallMs", percentiles(stall));
        round.put("outageMs", percentiles(outage));
        round.put("maxGapMs", percentiles(numbers(end.get("maxGapMs"))));
        round.put("baselineMaxGapMs", percentiles(numbers(end.get("baselineMaxGapMs"))));
        round.put("firstErrors", end.get("firstErrors"));
        // the raw figures, one per streaming connection (null: no reply after the failure), for pooling
        round.put("perConnectionStallMs", end.get("stallMs"));
        round.put("perConnectionOutageMs", end.get("outageMs"));
        Map<String, Object> heal = cluster.heals() ? cluster.heal(f) : Map.of();
        if (!heal.isEmpty()) {
            // noted, not a failure of the run: the next round waits until every connection is healthy again
            round.put("heal", heal);
            System.out.println("  healing " + f.node() + ": " + Json.write(heal).replace("\\n", " | "));
        }
        Map<String, Object> line = new LinkedHashMap<>();
        line.put("round", k);
        line.put("kind", kind.label());
        line.put("node", f.node());
        line.put("cluster", timeline);
        line.put("stallMs", round.get("stallMs"));
        line.put("outageMs", round.get("outageMs"));
        line.put("counts", end.get("counts"));
        System.out.println("  " + Json.write(line));
        return round;
    }

    /** One failure kind of one scenario over its rounds: the pooled per-connection figures and the sums. */
    private static Map<String, Object> summarize(String mode, Timeouts timeouts, Scenario sc, FailureKind kind,
                                                 List<Map<String, Object>> rounds) {
        List<Double> stall = new ArrayList<>();
        List<Double> outage = new ArrayList<>();
        List<Double> vipMoved = new ArrayList<>();
        List<Double> vipReleased = new ArrayList<>();
        List<Double> baseline = new ArrayList<>();
        List<Double> switchoverSeen = new ArrayList<>();
        Map<String, List<Double>> phases = new LinkedHashMap<>();
        Map<String, Long> sums = new LinkedHashMap<>();
        for (Map<String, Object> r : rounds) {
            stall.addAll(numbers(r.get("perConnectionStallMs")));
            outage.addAll(numbers(r.get("perConnectionOutageMs")));
            Map<?, ?> t = (Map<?, ?>) r.get("cluster");
            if (t.get("vipMovedMs") instanceof Number n) {
                vipMoved.add(n.doubleValue());
            }
            if (t.get("vipReleasedMs") instanceof Number n) {
                vipReleased.add(n.doubleValue());
            }
            if (t.get("switchoverSeenMs") instanceof Number n) {
                switchoverSeen.add(n.doubleValue());
            }
            if (t.get("phasesMs") instanceof Map<?, ?> ph) {
                for (Map.Entry<?, ?> e : ph.entrySet()) {
                    phases.computeIfAbsent((String) e.getKey(), x -> new ArrayList<>()).add(((Number) e.getValue()).doubleValue());
                }
            }
            for (String c : List.of("connectionsRebuilt", "connectionsReset", "falseTakeoversAtStart")) {
                if (t.get(c) instanceof Number n) {
                    sums.merge(c, n.longValue(), Long::sum);
                }
            }
            Map<?, ?> b = (Map<?, ?>) r.get("baselineMaxGapMs");
            if (b.get("p50") instanceof Number n) {
                baseline.add(n.doubleValue());
            }
            for (Map.Entry<?, ?> e : ((Map<?, ?>) r.get("counts")).entrySet()) {
                sums.merge((String) e.getKey(), ((Number) e.getValue()).longValue(), Long::sum);
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("mode", mode);
        if (timeouts != null) {
            m.put("timeouts", timeouts.label());
        }
        m.put("kind", kind.label());
        m.put("scenario", sc.label());
        m.put("rounds", rounds.size());
        m.put("connectionFailovers", sums.getOrDefault("streaming", 0L));
        m.put("stallMs", percentiles(stall));
        m.put("outageMs", percentiles(outage));
        m.put("broken", sums.getOrDefault("broken", 0L));
        m.put("reconnected", sums.getOrDefault("reconnected", 0L));
        m.put("stateLost", sums.getOrDefault("stateLost", 0L));
        m.put("unrecovered", sums.getOrDefault("unrecovered", 0L));
        m.put("healsThatMovedTheVip", rounds.stream().filter(r -> r.get("heal") instanceof Map<?, ?> h
            && Boolean.TRUE.equals(h.get("vipFlapped"))).count());
        m.put("counts", sums);
        Map<String, Object> timeline = new LinkedHashMap<>();
        timeline.put("vipMovedMs", percentiles(vipMoved));
        if (!vipReleased.isEmpty()) {
            timeline.put("vipReleasedMs", percentiles(vipReleased));
        }
        if (!switchoverSeen.isEmpty()) {
            timeline.put("switchoverSeenMs", percentiles(switchoverSeen));
        }
        if (!phases.isEmpty()) {
            // the winner's own breakdown, per round (not per connection): p50 and max over the rounds
            Map<String, Object> ph = new LinkedHashMap<>();
            phases.forEach((name, v) -> ph.put(name, percentiles(v)));
            timeline.put("phasesMs", ph);
        }
        m.put("clusterTimeline", timeline);
        m.put("baselineMaxGapMsMedianOfRounds", percentiles(baseline).get("p50"));
        return m;
    }

    private static Map<String, Object> settings(Settings s) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("modes", s.modes());
        m.put("app", s.app());
        m.put("appsClassPath", s.appsJar());
        if (s.modes().contains("understudy")) {
            m.put("agentJar", s.agentJar().toString());
            m.put("understudyTimeouts", s.timeouts().stream().map(Timeouts::label).collect(Collectors.toList()));
        }
        m.put("rounds", s.modes().stream().map(x -> x + ": " + s.rounds(x)).collect(Collectors.joining(", "))
            + " per failure kind, kinds alternating: " + s.kinds().stream().map(FailureKind::label).collect(Collectors.joining(", "))
            + (s.modes().contains("understudy") ? "; understudy: a new cluster and a new client for every round (one"
            + " failover per cluster)" : ""));
        m.put("scenarios", s.scenarios().stream().map(Scenario::label).collect(Collectors.toList()));
        m.put("client", "StreamClient in the client host, one JVM per scenario, connections to " + Lab.VIP + ":" + PORT
            + "; a streaming connection sends INCR on its own key, one in flight, the next " + s.intervalMs()
            + " ms after each reply; an idle one sends one INCR per probe (at start and after each failure)."
            + " A reset, EOF or no reply within " + s.replyTimeoutMs() + " ms closes the connection and it is"
            + " reopened at once; a connect refused or unanswered within " + s.connectTimeoutMs() + " ms is retried"
            + " after " + s.retryMs() + " ms. The request in flight is not sent again.");
        m.put("round", "the client waits until every connection is healthy, " + s.baselineMs() + " ms of steady"
            + " streaming, the failure on the node serving the VIP, the mode's own recovery (at most "
            + s.recoverTimeoutMs() + " ms), until every streaming connection has a reply after that recovery (so the"
            + " failure has surely taken effect), then every idle connection probed until each has answered (at most "
            + s.recoverTimeoutMs() + " ms in all), then the failed node healed as a standby (keepalived) or the client and"
            + " the cluster stopped (understudy)");
        m.put("stall", "per streaming connection: on one that broke, the gap between the last reply before its first"
            + " reset/EOF/timeout and the first reply after it (on the new connection); on one that did not, the longest"
            + " gap between two consecutive replies that ends after the failure instant (includes the " + s.intervalMs() + " ms pause between"
            + " requests; baselineMaxGapMs is the longest gap before the failure)");
        m.put("outage", "per streaming connection: the failure instant to the reply that ends its stall (on a new"
            + " connection if the old one broke)");
        m.put("failureInstant", "wall clock right before kill(SIGKILL) of the server JVM (process-kill) or right"
            + " before the 'link set v-nodeX down' line is written to an 'ip -batch -' running in the switch namespace"
            + " (link-down; linkDownConfirmedMs: when 'ip link show' had seen it down)");
        m.put("state", "stateContinued: the INCR that ends the stall returned the value before it + 1;"
            + " stateContinuedPastLostReply: more (the reply of the request in flight was lost, the state survived);"
            + " stateLost: less or equal (the counter restarted)");
        m.put("percentiles", "nearest rank over every streaming connection of every round of a kind (pooled)");
        m.put("floor", "EchoFloor, 64 B ping-pong client -> VIP on node1, before any cluster starts");
        m.put("phases", "understudy: the winner's '[switchover] ... phases:' line: detect (last heartbeat heard to"
            + " suspicion), elect, re-inject, restore, VIP, activate, swap, release; p50/max over the rounds");
        return m;
    }

    @SuppressWarnings("unchecked")
    private static List<Double> numbers(Object list) {
        List<Double> out = new ArrayList<>();
        if (list instanceof List<?> l) {
            for (Object o : l) {
                if (o instanceof Number n) {
                    out.add(n.doubleValue());
                }
            }
        }
        return out;
    }

    /** Nearest-rank p50/p99/max and the count; nulls when empty. */
    static Map<String, Object> percentiles(List<Double> values) {
        List<Double> v = new ArrayList<>(values);
        Collections.sort(v);
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("count", v.size());
        m.put("p50", rank(v, 0.50));
        m.put("p99", rank(v, 0.99));
        m.put("max", v.isEmpty() ? null : v.get(v.size() - 1));
        return m;
    }

    private static Double rank(List<Double> sorted, double q) {
        if (sorted.isEmpty()) {
            return null;
        }
        int i = (int) Math.ceil(q * sorted.size()) - 1;
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, i)));
    }
}
