package dev.understudy.benchmarks.recording;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.stream.Stream;

/**
 * What {@link RecordingBenchmark} reads from {@code /proc} about a JVM: CPU time
 * ({@code utime + stime} of {@code /proc/PID/stat}, fields 14 and 15, in clock ticks of
 * {@link #CLOCK_TICKS_PER_SECOND}; see proc(5)) and resident memory ({@code VmRSS} of
 * {@code /proc/PID/status}). Lab namespaces share the root PID namespace, so any host may read
 * any lab JVM's figures. Stateless. Also used by the replay benchmark.
 */
public final class ProcStat {
    /** {@code sysconf(_SC_CLK_TCK)}: 100 on every Linux x86-64 and arm64 kernel (USER_HZ). */
    public static final int CLOCK_TICKS_PER_SECOND = 100;

    private ProcStat() {
    }

    /** utime + stime of the process (all its threads), in clock ticks; -1 when it is gone. */
    public static long cpuTicks(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            // comm (field 2) may hold spaces and parentheses: split after the last ')'
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
            // f[0] is field 3 (state): utime is field 14 -> f[11], stime field 15 -> f[12]
            return Long.parseLong(f[11]) + Long.parseLong(f[12]);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    /**
     * utime + stime of each thread of the process, in clock ticks, summed by thread name
     * ({@code /proc/PID/task/TID/stat}; the kernel keeps 15 characters of a Java thread's name).
     * Empty when the process is gone.
     */
    public static Map<String, Long> threadTicks(long pid) {
        Map<String, Long> m = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    m.merge(name, Long.parseLong(f[11]) + Long.parseLong(f[12]), Long::sum);
                } catch (IOException | RuntimeException e) {
                    // thread ended between list and read
                }
            }
        } catch (IOException e) {
            // gone
        }
        return m;
    }

    /** One thread's name (15 characters at most, as the kernel keeps it) and utime + stime in clock ticks. */
    public record ThreadTicks(String name, long ticks) {
    }

    /**
     * utime + stime of each live thread of the process, by thread id ({@code /proc/PID/task/TID/stat}).
     * A caller that samples this repeatedly keeps the ticks of threads that end between two of its
     * samples, which {@link #threadTicks} taken once at the end would have lost. Empty when the
     * process is gone.
     */
    public static Map<Long, ThreadTicks> threadTicksById(long pid) {
        Map<Long, ThreadTicks> m = new HashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path t : (Iterable<Path>) tasks::iterator) {
                try {
                    String stat = Files.readString(t.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split(" ");
                    m.put(Long.parseLong(t.getFileName().toString()),
                        new ThreadTicks(name, Long.parseLong(f[11]) + Long.parseLong(f[12])));
                } catch (IOException | RuntimeException e) {
                    // thread ended between list and read
                }
            }
        } catch (IOException e) {
            // gone
        }
        return m;
    }

    /** VmRSS of the process in KiB; -1 when it is gone. */
    public static long rssKb(long pid) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.substring(6).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return -1;
    }

    /**
     * The machine's CPU time so far, all cores together, in clock ticks: {@code {busy, all}} from the
     * first line of {@code /proc/stat} (busy = user + nice + system + irq + softirq + steal, all = busy
     * + idle + iowait; proc(5)); {@code {-1, -1}} when unreadable.
     */
    public static long[] machineTicks() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/stat"))) {
                if (line.startsWith("cpu ")) {
                    String[] f = line.trim().split("\\s+");
                    long busy = Long.parseLong(f[1]) + Long.parseLong(f[2]) + Long.parseLong(f[3]) + Long.parseLong(f[6])
                        + Long.parseLong(f[7]) + Long.parseLong(f[8]);
                    return new long[] {busy, busy + Long.parseLong(f[4]) + Long.parseLong(f[5])};
                }
            }
        } catch (IOException | RuntimeException e) {
            // unreadable
        }
        return new long[] {-1, -1};
    }

    /**
     * The pid of the first process whose command line holds {@code needle} (its arguments joined by
     * spaces), or -1. Lab namespaces share the root PID namespace, so this finds a lab host's process.
     */
    public static long findByCommandLine(String needle) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            for (Path p : (Iterable<Path>) procs::iterator) {
                String name = p.getFileName().toString();
                if (!name.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String cmd = new String(Files.readAllBytes(p.resolve("cmdline")), java.nio.charset.StandardCharsets.UTF_8)
                        .replace('\0', ' ');
                    if (cmd.contains(needle)) {
                        return Long.parseLong(name);
                    }
                } catch (IOException | RuntimeException e) {
                    // gone, or not ours to read
                }
            }
        } catch (IOException e) {
            // no /proc
        }
        return -1;
    }

    /** The first three fields of {@code /proc/loadavg}. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split(" ");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }
}
