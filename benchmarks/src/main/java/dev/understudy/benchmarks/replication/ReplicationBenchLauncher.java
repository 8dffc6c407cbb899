package dev.understudy.benchmarks.replication;

import dev.understudy.lab.Lab;
import dev.understudy.transport.aeron.ReplicationConfig;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Runs the replication JMH benchmarks against real lab namespaces, in ONE command (as root, from
 * the repository root, after {@code mvn -B -o -q -pl benchmarks package -DskipTests}):
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.replication.ReplicationBenchLauncher
 * </pre>
 *
 * It builds a 3-node lab, starts clone JVMs ({@code ReplicationNode role=clone}) in node2 and
 * node3, runs JMH ({@link ReplicationRoundTripBenchmark}, {@link ReplicationThroughputBenchmark})
 * inside node1 with {@code ip netns exec}, writes {@code benchmarks/results/replication.json}, and
 * removes the lab, the clones, their journals and Aeron directories.
 *
 * <p>Options (before any JMH arguments): {@code --threading=SHARED|SHARED_NETWORK|DEDICATED},
 * {@code --idle=backoff|sleeping|yielding|busy} (for every node), {@code --out=FILE}. Everything
 * else is passed to JMH, e.g. {@code -wi 1 -i 2 -r 1s} for a quick run or a benchmark regex.
 */
public final class ReplicationBenchLauncher {
    private static final List<String> JVM = List.of(
        "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED", "--add-exports=jdk.unsupported/sun.misc=ALL-UNNAMED",
        "--add-opens=java.base/java.lang=ALL-UNNAMED", "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "--add-opens=java.base/java.util=ALL-UNNAMED",
        "--add-opens=java.base/java.nio=ALL-UNNAMED", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
        "--add-opens=java.base/java.net=ALL-UNNAMED", "-Dchronicle.analytics.disable=true");

    private ReplicationBenchLauncher() {
    }

    public static void main(String[] argv) throws Exception {
        String threading = ReplicationConfig.THREADING_DEFAULT.name();
        String idle = ReplicationConfig.IDLE_DEFAULT;
        String out = "benchmarks/results/replication.json";
        List<String> jmh = new ArrayList<>();
        for (String a : argv) {
            if (a.startsWith("--threading=")) {
                threading = a.substring(12);
            } else if (a.startsWith("--idle=")) {
                idle = a.substring(7);
            } else if (a.startsWith("--out=")) {
                out = a.substring(6);
            } else {
                jmh.add(a);
            }
        }
        if (jmh.stream().noneMatch(a -> !a.startsWith("-") && !isOptionValue(jmh, a))) {
            jmh.add(0, "dev.understudy.benchmarks.replication.Replication.*Benchmark");
        }
        Path outFile = Path.of(out).toAbsolutePath();
        Files.createDirectories(outFile.getParent());
        List<String> props = List.of("-D" + ReplicationConfig.THREADING_PROP + "=" + threading,
            "-D" + ReplicationConfig.IDLE_PROP + "=" + idle);
        Path dir = Files.createTempDirectory("understudy-bench-");
        int exit;
        Lab lab = Lab.up(3);
        try {
            List<Process> clones = new ArrayList<>();
            for (int n = 2; n <= 3; n++) {
                List<String> jvm = new ArrayList<>(JVM);
                jvm.addAll(props);
                jvm.add("-XX:+UseSerialGC");
                clones.add(lab.spawn(Lab.node(n), Lab.java(jvm, "dev.understudy.transport.node.ReplicationNode",
                    "role=clone", "node=" + n, "run=" + lab.name(), "address=" + lab.address(Lab.node(n)),
                    "primary=" + lab.address(Lab.node(1)), "journal=" + dir.resolve("journal-node" + n),
                    "status=" + dir.resolve("node" + n + ".status")), dir.resolve("node" + n + ".log")));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
            while (!(Files.exists(dir.resolve("node2.status")) && Files.exists(dir.resolve("node3.status")))) {
                if (System.nanoTime() > deadline || clones.stream().anyMatch(p -> !p.isAlive())) {
                    throw new IllegalStateException("clones did not start; logs in " + dir);
                }
                Thread.sleep(100);
            }
            StringBuilder forkArgs = new StringBuilder();
            for (String j : JVM) {
                forkArgs.append(j).append(' ');
            }
            for (String p : props) {
                forkArgs.append(p).append(' ');
            }
            forkArgs.append("-D" + BenchPrimary.LAB_PROP + "=" + lab.name() + " -D" + BenchPrimary.DIR_PROP + "=" + dir);
            List<String> cmd = new ArrayList<>();
            cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
            cmd.addAll(JVM);
            cmd.add("-cp");
            cmd.add(Lab.classPath());
            cmd.add("org.openjdk.jmh.Main");
            cmd.addAll(jmh);
            cmd.addAll(List.of("-rf", "json", "-rff", outFile.toString(), "-jvmArgsAppend", forkArgs.toString().trim()));
            System.out.println("lab " + lab.name() + ": clones up in node2, node3 (" + threading + "/" + idle + "); JMH in node1");
            Process p = new ProcessBuilder(lab.inHost(Lab.node(1), cmd)).inheritIO().start();
            exit = p.waitFor();
            for (int n = 2; n <= 3; n++) {
                System.out.println("node" + n + " final status: " + Files.readString(dir.resolve("node" + n + ".status")).replace('\n', ' '));
            }
        } finally {
            lab.close();
            try (Stream<Path> shm = Files.list(Path.of("/dev/shm"))) {
                shm.filter(f -> f.getFileName().toString().startsWith("understudy-" + lab.name()))
                    .forEach(ReplicationBenchLauncher::delete);
            }
            delete(dir);
        }
        System.out.println("results: " + outFile);
        System.exit(exit);
    }

    private static boolean isOptionValue(List<String> args, String a) {
        int i = args.indexOf(a);
        return i > 0 && args.get(i - 1).startsWith("-");
    }

    private static void delete(Path root) {
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }
}
