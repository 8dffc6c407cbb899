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
 * <p>The agent and failover are not implemented yet, so the server runs WITHOUT
 * {@code -javaagent} and nothing is killed or failed over; the demo says so.
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
        say("NOTE: the agent and failover are not implemented yet. This demo runs the lab, an");
        say("unmodified server and the verifying load client WITHOUT the agent: nothing is");
        say("recorded, replicated, killed or failed over.");
        say("");
        long t0 = System.nanoTime();
        try (Lab lab = Lab.up(2)) {
            say("1. Lab '%s' is up (%.1f s): bridge br0 in namespace %s", lab.name(), secs(t0), lab.switchNamespace());
            for (String h : lab.hosts()) {
                say("     %-8s %-15s netns %s%s", h, lab.address(h), lab.namespace(h),
                    h.equals(Lab.node(1)) ? "   + VIP " + lab.vip() : "");
            }
            long t1 = System.nanoTime();
            LabApps.Server server = LabApps.startServer(lab, Lab.node(1), List.of(), "dev.understudy.apps.NioKvServer",
                PORT, logs.resolve("server.log"), Duration.ofSeconds(30));
            say("2. NioKvServer (one Selector thread, plain JDK, no agent) listens on port %d in node1 (%.1f s)",
                server.port(), secs(t1));
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
            if (ok) {
                say("RESULT: OK - every reply was what it had to be.");
            } else {
                say("RESULT: FAILED - see the errors above and the logs in %s", logs);
                say("   %s", run.json());
            }
            say("Failover: NOT YET - the agent is not in. Once it is, the demo is meant to kill node1 mid-run");
            say("and show the same client finishing with 0 errors through node2.");
            server.stop();
        } finally {
            say("4. Lab removed (namespaces, veths and processes). Total %.1f s.", secs(t0));
        }
        if (ok) {
            deleteTree(logs);
        }
        System.exit(ok ? 0 : 1);
    }

    private static double secs(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static void say(String format, Object... args) {
        System.out.println(args.length == 0 ? format : String.format(Locale.ROOT, format, args));
        System.out.flush();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) s.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
