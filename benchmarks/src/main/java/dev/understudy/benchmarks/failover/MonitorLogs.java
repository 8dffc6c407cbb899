package dev.understudy.benchmarks.failover;

import dev.understudy.lab.Lab;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Reading the logs of {@code ip -ts monitor address} (in a node) and {@code ip -ts monitor link}
 * (in the switch namespace), whose lines start with the kernel notification's wall-clock time
 * ({@code [2026-12-01T20:08:34.821145] ...}), and stopping the processes a cluster started: what
 * every {@link Cluster} mode times its failovers with.
 */
final class MonitorLogs {
    private MonitorLogs() {
    }

    /**
     * The first VIP address event (added, or deleted) in an address monitor's log after byte
     * {@code offset}: epoch µs, or null.
     */
    static Long vipEvent(Path log, long offset, boolean deleted) throws IOException {
        for (String line : linesAfter(log, offset)) {
            // [2026-12-01T20:08:34.821145] Deleted 2: eth0    inet 198.18.0.100/32 scope global eth0
            if (!line.startsWith("[") || !line.contains("inet " + Lab.VIP + "/")) {
                continue;
            }
            int close = line.indexOf(']');
            if (close < 0 || line.startsWith("Deleted", close + 2) != deleted) {
                continue;
            }
            return micros(line.substring(1, close));
        }
        return null;
    }

    /**
     * The first notification of {@code host}'s bridge port, administratively up or down as asked,
     * in the switch's link monitor log after byte {@code offset}: epoch µs, or null.
     */
    static Long linkEvent(Path log, long offset, String host, boolean up) throws IOException {
        for (String line : linesAfter(log, offset)) {
            // [2026-12-01T20:08:34.821145] 4: v-node1@if2: <BROADCAST,MULTICAST> mtu 1500 ... state DOWN ...
            int close = line.indexOf(']');
            int flags = line.indexOf('<');
            if (!line.startsWith("[") || close < 0 || flags < 0 || !line.contains(" v-" + host + "@")
                || line.startsWith("Deleted", close + 2)) {
                continue;
            }
            String f = line.substring(flags, line.indexOf('>', flags) + 1);
            if ((f.contains(",UP,") || f.contains(",UP>")) == up) {
                return micros(line.substring(1, close));
            }
        }
        return null;
    }

    /** The lines of {@code log} after byte {@code offset}; none if the log does not exist (yet). */
    static List<String> linesAfter(Path log, long offset) throws IOException {
        if (!Files.exists(log)) {
            return List.of();
        }
        byte[] all = Files.readAllBytes(log);
        if (all.length <= offset) {
            return List.of();
        }
        return List.of(new String(all, (int) offset, all.length - (int) offset, StandardCharsets.UTF_8).split("\n"));
    }

    private static long micros(String isoLocal) {
        Instant t = LocalDateTime.parse(isoLocal).atZone(ZoneId.systemDefault()).toInstant();
        return ChronoUnit.MICROS.between(Instant.EPOCH, t);
    }

    /** SIGKILL of a process started here and of everything under it (keepalived forks its VRRP child). */
    static void kill(Process p) {
        if (p == null) {
            return;
        }
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        try {
            p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
