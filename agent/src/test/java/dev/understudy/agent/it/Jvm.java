package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Assumptions;

/** Starts a child JVM for the agent ITs and captures its output. */
public final class Jvm {
    /** The JDK 17 used by the ITs. */
    public static final Path JAVA_17 = pick("/usr/lib/jvm/java-17-openjdk-amd64/bin/java", 17);
    /** The JDK 25 used by the ITs. */
    public static final Path JAVA_25 = pick("/usr/lib/jvm/temurin-25-jdk-amd64/bin/java", 25);

    private Jvm() {
    }

    /** Exit status and output of a finished JVM. */
    public record Result(int exit, String out, String err) {
        @Override
        public String toString() {
            return "exit=" + exit + "\n--- stdout ---\n" + out + "--- stderr ---\n" + err;
        }
    }

    /**
     * @return the JDK 17 and 25 launchers; the test is aborted (not passed) if one is missing.
     */
    public static Stream<Path> javas() {
        // -Dunderstudy.it.jdk=17 or 25 narrows a local run to one JDK; CI runs both
        String only = System.getProperty("understudy.it.jdk", "");
        return Stream.of(JAVA_17, JAVA_25).filter(j -> only.isEmpty() || (only.equals("17") ? j == JAVA_17 : j == JAVA_25));
    }

    private static Path pick(final String path, final int feature) {
        final Path p = Path.of(path);
        if (Files.isExecutable(p)) {
            return p;
        }
        final Path own = Path.of(System.getProperty("java.home"), "bin", "java");
        return Runtime.version().feature() == feature ? own : p;
    }

    /**
     * @return the packaged agent jar (Failsafe passes its path).
     */
    public static Path agentJar() {
        final Path jar = Path.of(System.getProperty("agent.jar", "target/understudy-agent.jar"));
        if (!Files.isRegularFile(jar)) {
            fail("agent jar not found at " + jar + ": run the ITs through Maven (mvn -pl agent verify)");
        }
        return jar;
    }

    /**
     * @return this module's test classes, where the test applications live.
     */
    public static Path testClasses() {
        return Path.of(TinyApp.class.getProtectionDomain().getCodeSource().getLocation().getPath());
    }

    /**
     * Runs {@code java <command>} with a scrubbed environment (no {@code UNDERSTUDY_*}) plus
     * {@code env}, waits up to 60 s.
     *
     * @param java    the launcher.
     * @param tmp     a private directory for stdout/stderr files.
     * @param env     extra environment variables.
     * @param command JVM options, main class or {@code -jar}, arguments.
     * @return the result.
     * @throws Exception on I/O failure or timeout.
     */
    public static Result run(final Path java, final Path tmp, final Map<String, String> env, final List<String> command)
        throws Exception {
        Assumptions.assumeTrue(Files.isExecutable(java), "no JVM at " + java);
        final List<String> cmd = new ArrayList<>();
        cmd.add(java.toString());
        cmd.addAll(command);
        final File out = Files.createTempFile(tmp, "out", ".txt").toFile();
        final File err = Files.createTempFile(tmp, "err", ".txt").toFile();
        final ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out).redirectError(err);
        pb.environment().keySet().removeIf(k -> k.startsWith("UNDERSTUDY_") || k.startsWith("JAVA_TOOL_OPTIONS") || k.equals("JDK_JAVA_OPTIONS"));
        pb.environment().putAll(env);
        final Process p = pb.start();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            fail("JVM did not finish in 60 s: " + cmd + "\n" + read(out) + read(err));
        }
        return new Result(p.exitValue(), read(out), read(err));
    }

    private static String read(final File f) throws IOException {
        return new String(Files.readAllBytes(f.toPath()), StandardCharsets.UTF_8);
    }
}
