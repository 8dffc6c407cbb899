package dev.understudy.benchmarks.recording;

import dev.understudy.apps.LoadClient;
import dev.understudy.lab.Json;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs {@link LoadClient} twice in one JVM, for {@link RecordingBenchmark}: a warm-up (same
 * arguments, bounded by {@code --warmup}, keys under the measured run's {@code --key-prefix} with
 * {@code w} before it, so that neither run sees the other's counters) so that the client's and the
 * server's code is compiled, then the measured run; reads the CPU time of the given server JVMs
 * right before and after the measured run only, and their RSS after it.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.recording.LoadDriver \
 *     --warmup SECONDS [--pids PID,PID,...] [--marks DIR] -- LOADCLIENT-ARGS...
 * </pre>
 *
 * Prints ONE JSON line: {@code {"warmup":{"ok":..,"completed":..,"problems":"..."},
 * "measuredStartEpochMs":..,"measuredEndEpochMs":..,"cpuTicks":[..],"rssKb":[..],
 * "clockTicksPerSecond":100,"load":LOADCLIENT-SUMMARY}} ({@code cpuTicks} and {@code rssKb} in the
 * order of {@code --pids}; the measured run's wall-clock bounds, so that a caller sampling other
 * figures meanwhile can cut the warm-up off). With {@code --marks DIR} it also writes those bounds, as
 * they happen, to {@code DIR/measured-start} and {@code DIR/measured-end} (the epoch ms as text), for
 * a caller that must act the moment the measured run ends. Exits 0 when the measured run is ok.
 */
public final class LoadDriver {
    private LoadDriver() {
    }

    public static void main(String[] args) {
        int warmupSeconds = 0;
        long[] pids = new long[0];
        Path marks = null;
        int i = 0;
        for (; i < args.length; i++) {
            if (args[i].equals("--")) {
                i++;
                break;
            } else if (args[i].equals("--warmup")) {
                warmupSeconds = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--marks")) {
                marks = Path.of(args[++i]);
            } else if (args[i].equals("--pids")) {
                pids = Arrays.stream(args[++i].split(",")).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
            } else {
                System.err.println("LoadDriver: unexpected argument " + args[i]);
                System.exit(2);
            }
        }
        String[] load = Arrays.copyOfRange(args, i, args.length);
        Map<String, Object> out = new LinkedHashMap<>();
        if (warmupSeconds > 0) {
            List<String> w = new ArrayList<>(List.of(load));
            // later options win: keys of its own (the measured run's prefix with "w" before it), a
            // duration-bounded stream
            String prefix = LoadClient.parseArgs(load).keyPrefix();
            w.addAll(List.of("--key-prefix", "w" + prefix, "--requests", "0", "--duration", warmupSeconds + "s"));
            LoadClient.Summary ws = LoadClient.run(LoadClient.parseArgs(w.toArray(new String[0])));
            Map<String, Object> warmup = new LinkedHashMap<>();
            warmup.put("ok", ws.ok());
            warmup.put("completed", ws.completed());
            warmup.put("throughputPerSec", Math.round(ws.throughputPerSec()));
            warmup.put("problems", String.join("; ", ws.problems()).replace("\n", " "));
            out.put("warmup", warmup);
        } else {
            out.put("warmup", null);
        }
        LoadClient.Config config = LoadClient.parseArgs(load);
        long[] before = new long[pids.length];
        for (int p = 0; p < pids.length; p++) {
            before[p] = ProcStat.cpuTicks(pids[p]);
        }
        long startMs = System.currentTimeMillis();
        mark(marks, "measured-start", startMs);
        LoadClient.Summary s = LoadClient.run(config);
        long endMs = System.currentTimeMillis();
        mark(marks, "measured-end", endMs);
        long[] after = new long[pids.length];
        for (int p = 0; p < pids.length; p++) {
            after[p] = ProcStat.cpuTicks(pids[p]);
        }
        out.put("measuredStartEpochMs", startMs);
        out.put("measuredEndEpochMs", endMs);
        List<Long> cpuTicks = new ArrayList<>(pids.length);
        List<Long> rssKb = new ArrayList<>(pids.length);
        for (int p = 0; p < pids.length; p++) {
            cpuTicks.add(before[p] < 0 || after[p] < 0 ? -1 : after[p] - before[p]);
            rssKb.add(ProcStat.rssKb(pids[p]));
        }
        out.put("cpuTicks", cpuTicks);
        out.put("rssKb", rssKb);
        out.put("clockTicksPerSecond", ProcStat.CLOCK_TICKS_PER_SECOND);
        out.put("load", s.toJsonMap());
        System.out.println(Json.write(out));
        System.out.flush();
        System.exit(s.ok() ? 0 : 1);
    }

    /** Writes {@code epochMs} to {@code dir/name} through a temporary file, so that a reader never sees it half written. */
    private static void mark(Path dir, String name, long epochMs) {
        if (dir == null) {
            return;
        }
        try {
            Path tmp = Files.writeString(dir.resolve(name + ".tmp"), Long.toString(epochMs));
            Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            System.err.println("LoadDriver: cannot write mark " + dir.resolve(name) + ": " + e);
        }
    }
}
