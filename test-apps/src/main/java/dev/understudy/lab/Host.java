package dev.understudy.lab;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Small helpers for running host commands and checking privileges. */
public final class Host {
    /** CAP_NET_ADMIN, from linux/capability.h. */
    public static final int CAP_NET_ADMIN = 12;
    /** CAP_SYS_ADMIN, from linux/capability.h: needed to create network namespaces. */
    public static final int CAP_SYS_ADMIN = 21;

    private Host() {
    }

    /** The outcome of a finished command: exit code and combined stdout+stderr. */
    public record Result(List<String> command, int exitCode, String output) {
        /** Throws when the command did not exit 0. */
        public Result check() throws IOException {
            if (exitCode != 0) {
                throw new IOException(String.join(" ", command) + " exited " + exitCode + ": " + output.trim());
            }
            return this;
        }
    }

    /**
     * Runs a command, waits at most {@code timeout}, and returns its exit code and output.
     * A command still running at the timeout is killed and reported with exit code -1.
     */
    public static Result run(Duration timeout, String... command) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
        Process p = pb.start();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Thread reader = new Thread(() -> {
            try (InputStream in = p.getInputStream()) {
                in.transferTo(out);
            } catch (IOException ignored) {
                // the process went away
            }
        }, "host-run-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                p.waitFor(5, TimeUnit.SECONDS);
                reader.join(1000);
                return new Result(List.of(command), -1, "timed out after " + timeout + "\n" + out.toString(StandardCharsets.UTF_8));
            }
            reader.join(5000);
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", command), e);
        }
        return new Result(List.of(command), p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }

    /** Throws a clear error naming the Debian package when {@code tool} is not on the PATH. */
    public static void requireTool(String tool, String debianPackage) throws IOException {
        if (findTool(tool) == null) {
            throw new IOException("missing tool: " + tool + " (install the Debian package '" + debianPackage + "')");
        }
    }

    /** The absolute path of {@code tool} on PATH or in the sbin directories, or null. */
    public static Path findTool(String tool) {
        String path = System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/local/sbin";
        for (String dir : path.split(":")) {
            if (dir.isEmpty()) {
                continue;
            }
            Path candidate = Path.of(dir, tool);
            if (Files.isExecutable(candidate)) {
                return candidate;
            }
        }
        return null;
    }

    /** The effective capability mask of this process, from /proc/self/status. */
    public static long effectiveCapabilities() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("CapEff:")) {
                    return Long.parseUnsignedLong(line.substring(7).trim(), 16);
                }
            }
        } catch (IOException | NumberFormatException e) {
            return 0;
        }
        return 0;
    }

    /** Null when this process may build labs and touch the kernel's network state; else the reason why not. */
    public static String whyNotPrivileged() {
        long caps = effectiveCapabilities();
        if ((caps & (1L << CAP_NET_ADMIN)) == 0 || (caps & (1L << CAP_SYS_ADMIN)) == 0) {
            return "needs CAP_NET_ADMIN and CAP_SYS_ADMIN (network namespaces, NFQUEUE, TCP_REPAIR); this process has CapEff="
                + Long.toHexString(caps) + " — run as root";
        }
        if (findTool("ip") == null) {
            return "needs the 'ip' tool (Debian package 'iproute2')";
        }
        return null;
    }
}
