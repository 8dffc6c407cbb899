package dev.understudy.netfilter.repair.lab;

import dev.understudy.lab.Lab;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * A JVM started in a lab host with commands on its stdin and status lines read back from its
 * log file. The lab kills it on close; {@link #kill()} kills it earlier.
 */
public final class LabProcess {
    /** Flags every child JVM of these tests needs (fd reflection) plus quick start-up. */
    public static final List<String> JVM_OPTS = List.of(
        "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED", "--add-opens=java.base/java.net=ALL-UNNAMED",
        "--add-opens=java.base/java.io=ALL-UNNAMED", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC", "-Xmx256m");

    private final String name;
    private final Process process;
    private final Path log;
    private int cursor;

    private LabProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    public static LabProcess start(Lab lab, String host, Path log, Class<?> main, String... args) throws IOException {
        Process p = lab.spawn(host, Lab.java(JVM_OPTS, main.getName(), args), log);
        return new LabProcess(host + ":" + main.getSimpleName(), p, log);
    }

    public void send(String command) throws IOException {
        OutputStream out = process.getOutputStream();
        out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    /** Waits for the next line (after the previous match) starting with {@code prefix}; fails on an ERROR line. */
    public String await(String prefix, Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            List<String> lines = Files.exists(log) ? Files.readAllLines(log, StandardCharsets.UTF_8) : List.of();
            for (int i = cursor; i < lines.size(); i++) {
                String line = lines.get(i);
                if (line.startsWith("ERROR") || line.startsWith("Exception") || line.contains("Exception in thread")) {
                    throw new AssertionError(name + " reported: " + line + "\n" + tail(lines));
                }
                if (line.startsWith(prefix)) {
                    cursor = i + 1;
                    return line;
                }
            }
            if (!process.isAlive() && !prefix.isEmpty()) {
                List<String> again = Files.readAllLines(log, StandardCharsets.UTF_8);
                for (int i = cursor; i < again.size(); i++) {
                    if (again.get(i).startsWith(prefix)) {
                        cursor = i + 1;
                        return again.get(i);
                    }
                }
                throw new AssertionError(name + " exited " + process.exitValue() + " before '" + prefix + "'\n" + tail(again));
            }
            Thread.sleep(5);
        }
        throw new AssertionError(name + ": no '" + prefix + "' within " + timeout + "\n"
            + tail(Files.readAllLines(log, StandardCharsets.UTF_8)));
    }

    /** The last line starting with {@code prefix}, or null (does not move the cursor). */
    public String last(String prefix) throws IOException {
        List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
        for (int i = lines.size() - 1; i >= 0; i--) {
            if (lines.get(i).startsWith(prefix)) {
                return lines.get(i);
            }
        }
        return null;
    }

    /** Every log line containing {@code text}. */
    public List<String> grep(String text) throws IOException {
        List<String> out = new java.util.ArrayList<>();
        for (String line : Files.readAllLines(log, StandardCharsets.UTF_8)) {
            if (line.contains(text)) {
                out.add(line);
            }
        }
        return out;
    }

    public boolean waitExit(Duration timeout) throws InterruptedException {
        return process.waitFor(timeout.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    /**
     * SIGSTOP to the process and its descendants: every thread freezes at an arbitrary point,
     * as at the instant of a crash, but its kernel sockets stay open (no FIN/RST) until
     * {@link #kill()}.
     */
    public void freeze() throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of("kill", "-STOP", Long.toString(process.pid())));
        process.descendants().forEach(d -> cmd.add(Long.toString(d.pid())));
        Process k = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(k.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!k.waitFor(10, java.util.concurrent.TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IOException(String.join(" ", cmd) + " failed: " + out.trim());
        }
    }

    /** SIGKILL (no shutdown hooks, no orderly close). */
    public void kill() throws InterruptedException {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
    }

    public long pid() {
        return process.pid();
    }

    private static String tail(List<String> lines) {
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
    }
}
