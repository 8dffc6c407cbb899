package dev.understudy.benchmarks.recording;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * What the lab benchmarks ({@link RecordingBenchmark}, {@code ReplayBenchmark}) share: the
 * environment block of their JSON, finding the sample apps' jar and a child JVM's pid, reading a
 * child's JSON line, and the cleanup (processes, trees, a lab's Aeron directories in
 * {@code /dev/shm}). Stateless.
 */
public final class LabBench {
    private LabBench() {
    }

    /** Where and when a run happened: start time, load average, kernel, JDK, cores, memory, CPU; {@code rough} when loaded. */
    public static Map<String, Object> environment() {
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("started", Instant.now().toString());
        env.put("loadAverageAtStart", ProcStat.loadAverage());
        env.put("kernel", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
            + System.getProperty("os.arch"));
        env.put("jdk", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        env.put("cores", Runtime.getRuntime().availableProcessors());
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    env.put("memTotal", line.substring(9).trim());
                }
            }
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    env.put("cpu", line.substring(line.indexOf(':') + 1).trim());
                    break;
                }
            }
        } catch (IOException ignored) {
            // optional
        }
        double load = Double.parseDouble(ProcStat.loadAverage().split(" ")[0].replace("unknown", "0"));
        env.put("rough", load >= Runtime.getRuntime().availableProcessors() * 0.5);
        env.put("note", "2 cores shared with another engineer's ITs; rough when the 1-minute load average"
            + " is at least half the core count");
        return env;
    }

    /** The last line of {@code output} that starts with '{' (a child JVM's one JSON line). */
    public static String lastJsonLine(String output, String context) throws IOException {
        String json = null;
        for (String line : output.split("\n")) {
            if (line.startsWith("{")) {
                json = line.trim();
            }
        }
        if (json == null) {
            throw new IOException(context + " without a JSON line: " + output.trim());
        }
        return json;
    }

    /** The JVM's pid: {@code ip netns exec} execs the command, but look at the descendants in case it forked. */
    public static long jvmPid(Process p) {
        if (isJava(p.toHandle())) {
            return p.pid();
        }
        return p.descendants().filter(LabBench::isJava).findFirst()
            .orElseThrow(() -> new IllegalStateException("no java process under pid " + p.pid())).pid();
    }

    private static boolean isJava(ProcessHandle h) {
        return h.info().command().map(c -> c.endsWith("/java")).orElse(false);
    }

    /** This JVM's {@code java} launcher. */
    public static Path javaPath() {
        return Path.of(System.getProperty("java.home"), "bin", "java");
    }

    /** The sample apps' jar: {@code test-apps/target}, else the newest of this version in the local Maven repository. */
    public static String findAppsJar() throws IOException {
        Path target = Path.of("test-apps/target");
        if (Files.isDirectory(target)) {
            try (Stream<Path> s = Files.list(target)) {
                List<Path> jars = s.filter(f -> f.getFileName().toString().matches("understudy-test-apps-.*\\.jar")
                    && !f.getFileName().toString().matches(".*-(sources|tests|javadoc)\\.jar")).collect(Collectors.toList());
                if (!jars.isEmpty()) {
                    return jars.get(0).toAbsolutePath().toString();
                }
            }
        }
        String version = LabBench.class.getPackage().getImplementationVersion();
        Path m2 = Path.of(System.getProperty("user.home"), ".m2/repository/dev/understudy/understudy-test-apps");
        if (Files.isDirectory(m2)) {
            try (Stream<Path> s = Files.walk(m2, 2)) {
                List<Path> jars = s.filter(f -> f.getFileName().toString().matches("understudy-test-apps-[^-]+(-SNAPSHOT)?\\.jar"))
                    .filter(f -> version == null || f.getFileName().toString().contains(version))
                    .sorted(Comparator.reverseOrder()).collect(Collectors.toList());
                if (!jars.isEmpty()) {
                    return jars.get(0).toString();
                }
            }
        }
        throw new IOException("no understudy-test-apps jar in test-apps/target or " + m2 + ": pass --apps-jar=JAR");
    }

    /** SIGTERM, then SIGKILL after 5 s. */
    public static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
        }
    }

    public static double round(double v, int digits) {
        double f = Math.pow(10, digits);
        return Math.round(v * f) / f;
    }

    /** Deletes a tree, best effort (absent: nothing to do). */
    public static void delete(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(root)) {
            walk.sorted(Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        } catch (IOException ignored) {
            // best effort
        }
    }

    /** Deletes every entry of {@code /dev/shm} whose name starts with {@code prefix} (a lab's Aeron directories). */
    public static void cleanShm(String prefix) {
        try (Stream<Path> shm = Files.list(Path.of("/dev/shm"))) {
            shm.filter(f -> f.getFileName().toString().startsWith(prefix))
                .collect(Collectors.toList()).forEach(LabBench::delete);
        } catch (IOException ignored) {
            // best effort
        }
    }
}
