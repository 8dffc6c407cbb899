package dev.understudy.benchmarks.replay;

import dev.understudy.lab.Host;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * A JFR recording of one server JVM for {@link ReplayBenchmark}'s serial profile, started and
 * stopped from outside with {@code jcmd PID JFR.start / JFR.stop} (the JVM needs no option for it),
 * and its summary: where the CPU goes ({@code jdk.ExecutionSample}, every 10 ms of a running Java
 * thread: by thread group, by top frame, by the topmost Understudy frame) and where the wall time of
 * each thread group goes ({@code jdk.ThreadDump} every {@value #THREAD_DUMP_PERIOD}: each thread's
 * stack classified as waiting for the turn, in a socket read, in a socket write, in a select,
 * accepting, parked, or running), plus the parks of 1 ms or more ({@code jdk.ThreadPark}) by the
 * Understudy frame that parked.
 *
 * <p>A thread group is the thread's name without its trailing digits
 * ({@code blocking-kv-conn-17} → {@code blocking-kv-conn-}). Not thread-safe; one per JVM.
 */
final class JfrProfile {
    static final String THREAD_DUMP_PERIOD = "200 ms";
    private static final String RECORDING = "understudy-replay-bench";
    private static final int TOP = 12;
    private static final Pattern THREAD_HEADER = Pattern.compile("^\"(.*)\" .*$");

    private final long pid;
    private final String role;
    private final Path file;

    private JfrProfile(long pid, String role, Path file) {
        this.pid = pid;
        this.role = role;
        this.file = file;
    }

    String role() {
        return role;
    }

    /**
     * The JDK's {@code profile.jfc} with thread dumps every {@value #THREAD_DUMP_PERIOD} (instead of
     * 60 s) and parks recorded from 1 ms (instead of 10 ms), written to {@code file}.
     */
    static Path writeSettings(Path file) throws IOException {
        Path profile = Path.of(System.getProperty("java.home"), "lib", "jfr", "profile.jfc");
        String jfc = Files.readString(profile);
        String dumps = jfc.replaceFirst("(?s)(<event name=\"jdk.ThreadDump\">.*?<setting name=\"period\"[^>]*>)[^<]*(<)",
            "$1" + THREAD_DUMP_PERIOD + "$2");
        String parks = dumps.replaceFirst("(?s)(<event name=\"jdk.ThreadPark\">.*?<setting name=\"threshold\"[^>]*>)[^<]*(<)",
            "$11 ms$2");
        if (dumps.equals(jfc) || parks.equals(dumps)) {
            throw new IOException("unexpected layout of " + profile + ": jdk.ThreadDump period or jdk.ThreadPark threshold not found");
        }
        Files.writeString(file, parks);
        return file;
    }

    /** Starts a recording in JVM {@code pid} with {@code settings}, to be written to {@code out} on stop. */
    static JfrProfile start(Path java, long pid, String role, Path settings, Path out) throws IOException {
        Host.Result r = Host.run(Duration.ofSeconds(60), jcmd(java), Long.toString(pid), "JFR.start",
            "name=" + RECORDING, "settings=" + settings, "filename=" + out);
        if (r.exitCode() != 0 || !r.output().contains("Started recording")) {
            throw new IOException("jcmd " + pid + " JFR.start failed (exit " + r.exitCode() + "): " + r.output().trim());
        }
        return new JfrProfile(pid, role, out);
    }

    /** Stops the recording (the JVM writes the file) and summarizes it. */
    Map<String, Object> stopAndSummarize(Path java) throws IOException {
        Host.Result r = Host.run(Duration.ofSeconds(120), jcmd(java), Long.toString(pid), "JFR.stop", "name=" + RECORDING);
        if (r.exitCode() != 0 || !Files.isRegularFile(file)) {
            throw new IOException("jcmd " + pid + " JFR.stop failed (exit " + r.exitCode() + "): " + r.output().trim());
        }
        return summarize(file);
    }

    private static String jcmd(Path java) {
        return java.resolveSibling("jcmd").toString();
    }

    static Map<String, Object> summarize(Path file) throws IOException {
        Map<String, Long> samplesByGroup = new HashMap<>();
        Map<String, Long> topFrames = new HashMap<>();
        Map<String, Long> understudyFrames = new HashMap<>();
        Map<String, Map<String, Long>> dumpStates = new TreeMap<>();
        Map<String, Long> dumpSignatures = new HashMap<>();
        Map<String, long[]> parks = new HashMap<>();
        long samples = 0;
        long samplesWithAgent = 0;
        int dumps = 0;
        for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
            String type = e.getEventType().getName();
            if (type.equals("jdk.ExecutionSample")) {
                samples++;
                RecordedThread t = e.getThread("sampledThread");
                samplesByGroup.merge(group(t == null ? "?" : t.getJavaName()), 1L, Long::sum);
                RecordedStackTrace st = e.getStackTrace();
                if (st == null || st.getFrames().isEmpty()) {
                    continue;
                }
                topFrames.merge(frame(st.getFrames().get(0)), 1L, Long::sum);
                String ours = firstUnderstudyFrame(st.getFrames());
                if (ours != null) {
                    understudyFrames.merge(ours, 1L, Long::sum);
                    if (ours.startsWith("dev.understudy.agent") || ours.startsWith("dev.understudy.interceptors")) {
                        samplesWithAgent++;
                    }
                }
            } else if (type.equals("jdk.ThreadDump")) {
                dumps++;
                classify(e.getString("result"), dumpStates, dumpSignatures);
            } else if (type.equals("jdk.ThreadPark")) {
                RecordedStackTrace st = e.getStackTrace();
                String site = st == null ? "?" : firstUnderstudyFrame(st.getFrames());
                if (site == null) {
                    site = firstNonJdkFrame(st.getFrames());
                }
                RecordedThread t = e.getThread();
                long[] a = parks.computeIfAbsent(group(t == null ? "?" : t.getJavaName()) + " @ " + site, k -> new long[2]);
                a[0]++;
                a[1] += e.getDuration().toNanos();
            }
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("executionSamples", samples);
        m.put("executionSamplesInAgentCode", samplesWithAgent);
        m.put("executionSamplesByThreadGroup", top(samplesByGroup, TOP));
        m.put("topFrames", top(topFrames, TOP));
        m.put("topmostUnderstudyFrames", top(understudyFrames, TOP));
        m.put("threadDumps", dumps);
        Map<String, Object> states = new LinkedHashMap<>();
        dumpStates.forEach((g, counts) -> {
            long total = counts.values().stream().mapToLong(Long::longValue).sum();
            Map<String, Object> share = new LinkedHashMap<>();
            counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue()))
                .forEach(x -> share.put(x.getKey(), Math.round(1000.0 * x.getValue() / total) / 10.0));
            Map<String, Object> gm = new LinkedHashMap<>();
            gm.put("threadSamples", total);
            gm.put("percent", share);
            states.put(g, gm);
        });
        m.put("wallTimeByThreadGroup", states);
        m.put("topStackSignatures", top(dumpSignatures, TOP));
        Map<String, Object> parkOut = new LinkedHashMap<>();
        parks.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue()[1], a.getValue()[1])).limit(TOP)
            .forEach(x -> parkOut.put(x.getKey(), Map.of("count", x.getValue()[0],
                "totalMs", Math.round(x.getValue()[1] / 1e6))));
        m.put("parksOver1msByThreadGroupAndSite", parkOut);
        return m;
    }

    /** Each thread of a thread dump: its group's state count, and the signature of an application thread's stack. */
    private static void classify(String dump, Map<String, Map<String, Long>> states, Map<String, Long> signatures) {
        if (dump == null) {
            return;
        }
        String name = null;
        List<String> frames = new ArrayList<>();
        String state = "";
        for (String line : (dump + "\n\n").split("\n")) {
            Matcher h = THREAD_HEADER.matcher(line);
            if (h.matches()) {
                name = h.group(1);
                frames.clear();
                state = "";
            } else if (name != null && line.trim().startsWith("java.lang.Thread.State:")) {
                state = line.trim().substring("java.lang.Thread.State:".length()).trim();
            } else if (name != null && line.trim().startsWith("at ")) {
                String f = line.trim().substring(3);
                int paren = f.indexOf('(');
                frames.add(paren < 0 ? f : f.substring(0, paren));
            } else if (name != null && line.isBlank()) {
                String g = group(name);
                if (interesting(g)) {
                    String what = activity(frames, state);
                    states.computeIfAbsent(g, k -> new TreeMap<>()).merge(what, 1L, Long::sum);
                    signatures.merge(g + " " + what + " <- " + signature(frames), 1L, Long::sum);
                }
                name = null;
            }
        }
    }

    private static boolean interesting(String group) {
        return group.startsWith("blocking-kv") || group.startsWith("nio-kv") || group.startsWith("http-counter")
            || group.startsWith("understudy");
    }

    /** What a thread is doing, from its frames (top first). */
    static String activity(List<String> frames, String state) {
        for (String f : frames) {
            if (f.contains("Turns.begin")) {
                return "waiting for the turn (Turns.begin)";
            }
            if (f.endsWith("NioSocketImpl.read") || f.endsWith("NioSocketImpl.timedRead")
                || f.endsWith("SocketChannelImpl.read")) {
                return "socket read (incl. waiting for input)";
            }
            if (f.endsWith("NioSocketImpl.write") || f.endsWith("SocketChannelImpl.write")) {
                return "socket write";
            }
            if (f.endsWith("SelectorImpl.select") || f.endsWith("SelectorImpl.selectNow") || f.endsWith("EPoll.wait")) {
                return "select";
            }
            if (f.endsWith(".accept") || f.endsWith(".accept0")) {
                return "accept";
            }
            if (f.startsWith("dev.understudy")) {
                return (state.startsWith("RUNNABLE") ? "running in " : state + " in ") + f;
            }
        }
        if (!frames.isEmpty() && frames.get(0).contains("park")) {
            return "parked (" + firstNonJdk(frames) + ")";
        }
        return state + (frames.isEmpty() ? "" : " in " + frames.get(0));
    }

    private static String firstNonJdk(List<String> frames) {
        for (String f : frames) {
            if (!f.startsWith("java.") && !f.startsWith("jdk.") && !f.startsWith("sun.")) {
                return f;
            }
        }
        return frames.isEmpty() ? "?" : frames.get(frames.size() - 1);
    }

    /** Top frame and the topmost Understudy frame, e.g. {@code sun.nio.ch.Net.poll .. dev.understudy...}. */
    private static String signature(List<String> frames) {
        if (frames.isEmpty()) {
            return "(no frames)";
        }
        for (String f : frames) {
            if (f.startsWith("dev.understudy")) {
                return f.equals(frames.get(0)) ? f : frames.get(0) + " .. " + f;
            }
        }
        return frames.get(0);
    }

    private static String group(String threadName) {
        return threadName == null ? "?" : threadName.replaceAll("\\d+$", "");
    }

    private static String frame(RecordedFrame f) {
        return f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static String firstUnderstudyFrame(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String s = frame(f);
            if (s.startsWith("dev.understudy")) {
                return s;
            }
        }
        return null;
    }

    private static String firstNonJdkFrame(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            String s = frame(f);
            if (!s.startsWith("java.") && !s.startsWith("jdk.") && !s.startsWith("sun.")) {
                return s;
            }
        }
        return frames.isEmpty() ? "?" : frame(frames.get(frames.size() - 1));
    }

    private static Map<String, Object> top(Map<String, Long> counts, int n) {
        Map<String, Object> m = new LinkedHashMap<>();
        counts.entrySet().stream().sorted((a, b) -> Long.compare(b.getValue(), a.getValue())).limit(n)
            .forEach(e -> m.put(e.getKey(), e.getValue()));
        return m;
    }
}
