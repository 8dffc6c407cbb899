package dev.understudy.benchmarks.capture;

import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Capture benchmark (lab harness, not JMH): the cost of the NFQUEUE capture on the data path,
 * measured as pairs in one run. A one-node lab; the client namespace sends to VIP:port on
 * node1, where a sink JVM reads; with capture, the sink JVM also binds an {@code NfQueue}
 * (copy each payload out, ACCEPT, batched verdicts) behind the iptables capture rule.
 *
 * <ol>
 * <li>bulk, no capture: 256 KiB writes for {@code --seconds}</li>
 * <li>bulk, capture (NFQA_CFG_F_GSO, the default)</li>
 * <li>bulk, capture without GSO (the kernel segments each burst before queueing)</li>
 * <li>small segments, no capture: 64-byte writes with TCP_NODELAY on 4 connections</li>
 * <li>small segments, capture</li>
 * <li>raw small segments, no capture: a raw-socket sender ({@link CaptureBlaster}) offers one 64-byte segment per sendto,
 *     node1 drops them at INPUT ({@link CaptureRawNode})</li>
 * <li>raw small segments, capture</li>
 * <li>raw small segments, capture with a coalescing delay ({@code --gather-us})</li>
 * </ol>
 * Rates are measured on node1 after a warm-up from the first byte to EOF: payload MB/s, and
 * segments/s from the kernel's TcpInSegs of node1's namespace (and the capture's own count).
 * Writes {@code benchmarks/results/capture.json} with the figures, the targets (capture keeps
 * &ge; 50 % of uncaptured bulk throughput; &ge; 200,000 small segments/s), where the time goes
 * (packets per recvmmsg and per verdict send, syscalls and capture-thread CPU per packet),
 * the environment and the command.
 *
 * <p>Run (root, from the repository root, after {@code mvn -B -o -q -pl benchmarks package -DskipTests}):
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.capture.CaptureBenchmark --seconds 5
 * </pre>
 * Options: {@code --seconds S} per run (default 5), {@code --warmup-ms M} (default 1000),
 * {@code --small-size B} (default 64), {@code --small-connections N} (default 4), {@code --blaster-threads N} (default 2),
 * {@code --blaster-batch N} segments per sendmmsg (default 128), {@code --gather-us U} coalescing delay of the third raw run (default 200), {@code --runs bulk,small,raw} (default all three; a partial run
 * prints its figures and writes no file), {@code --out FILE} (default benchmarks/results/capture.json).
 *
 * <p>{@code --queues N} adds, to the raw small-segment runs, the capture over N NFQUEUEs (N readers, each its own
 * thread, behind {@code --queue-balance first:first+N-1}, {@link dev.understudy.netfilter.rules.IptablesRule#captureBalanced})
 * with and without the coalescing delay, next to the single-queue and the uncaptured runs of the same invocation, and
 * writes {@code --queues-out FILE} (default benchmarks/results/capture-queues.json) with the rate per run and per
 * queue. The kernel spreads by a hash of the IP addresses (not the ports), so the blaster then sends from
 * {@code --flows F} source addresses (default 32 with --queues; 1 otherwise), in every raw run of the invocation.
 * {@code --repeat R} runs the raw sequence R times, interleaved (names get {@code _r2}, ...), and the queues file adds
 * the median per case: on a shared machine one run of each is not enough to tell a 10 % difference from noise.
 * E.g. {@code --runs raw --queues 2 --seconds 3 --repeat 3}.
 */
public final class CaptureBenchmark {
    private CaptureBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        double seconds = 5;
        long warmupMs = 1000;
        int smallSize = 64;
        int smallConnections = 4;
        int blasterThreads = 2;
        int blasterBatch = 128;
        int gatherMicros = 200;
        List<String> runs = List.of("bulk", "small", "raw");
        Path out = Path.of("benchmarks/results/capture.json");
        int queues = 0;
        int flows = 0;
        int repeat = 1;
        Path queuesOut = Path.of("benchmarks/results/capture-queues.json");
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--seconds":
                    seconds = Double.parseDouble(args[++i]);
                    break;
                case "--warmup-ms":
                    warmupMs = Long.parseLong(args[++i]);
                    break;
                case "--small-size":
                    smallSize = Integer.parseInt(args[++i]);
                    break;
                case "--small-connections":
                    smallConnections = Integer.parseInt(args[++i]);
                    break;
                case "--blaster-threads":
                    blasterThreads = Integer.parseInt(args[++i]);
                    break;
                case "--blaster-batch":
                    blasterBatch = Integer.parseInt(args[++i]);
                    break;
                case "--gather-us":
                    gatherMicros = Integer.parseInt(args[++i]);
                    break;
                case "--runs":
                    runs = List.of(args[++i].split(","));
                    break;
                case "--out":
                    out = Path.of(args[++i]);
                    break;
                case "--queues":
                    queues = Integer.parseInt(args[++i]);
                    break;
                case "--flows":
                    flows = Integer.parseInt(args[++i]);
                    break;
                case "--repeat":
                    repeat = Integer.parseInt(args[++i]);
                    break;
                case "--queues-out":
                    queuesOut = Path.of(args[++i]);
                    break;
                default:
                    throw new IllegalArgumentException("unknown option: value=" + args[i]
                        + ", expected --seconds/--warmup-ms/--small-size/--small-connections/--blaster-threads/--blaster-batch/--gather-us/--runs/--out/--queues/--flows/--repeat/--queues-out");
            }
        }
        if (queues < 0 || queues > 16) {
            throw new IllegalArgumentException("invalid --queues: value=" + queues + ", expected 1..16");
        }
        if (repeat < 1 || repeat > 5) {
            throw new IllegalArgumentException("invalid --repeat: value=" + repeat + ", expected 1..5");
        }
        if (flows == 0) {
            flows = queues > 1 ? 32 : 1;
        }
        if (flows < 1 || flows > 32) {
            throw new IllegalArgumentException("invalid --flows: value=" + flows + ", expected 1..32");
        }
        if (smallConnections < 1 || smallConnections > 64) {
            throw new IllegalArgumentException("invalid --small-connections: value=" + smallConnections + ", expected 1..64");
        }
        if (seconds <= 0 || seconds > 120) {
            throw new IllegalArgumentException("invalid --seconds: value=" + seconds + ", expected 0..120");
        }
        String command = "java -cp benchmarks/target/benchmarks.jar " + CaptureBenchmark.class.getName() + " " + String.join(" ", args);
        Path logs = Files.createTempDirectory("capture-bench");
        Map<String, Map<String, Object>> node = new LinkedHashMap<>();
        Map<String, Map<String, Object>> client = new LinkedHashMap<>();
        Instant started = Instant.now();
        loadAtStart = loadAverage();
        try (Lab lab = Lab.up(1)) {
            // One segment per small write: no autocorking in the client's namespace (per-netns sysctl, gone with the lab).
            lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "sysctl", "-q", "-w", "net.ipv4.tcp_autocorking=0").check();
            int port = 7100;
            for (String kind : List.of("bulk", "small")) {
                if (!runs.contains(kind)) {
                    continue;
                }
                for (String mode : List.of("plain", "capture", "capture-nogso")) {
                    if (kind.equals("small") && mode.equals("capture-nogso")) {
                        continue; // small segments are never GSO
                    }
                    port++;
                    String name = kind + "_" + mode.replace("-", "_");
                    boolean bulk = kind.equals("bulk");
                    int conns = bulk ? 1 : smallConnections;
                    System.out.println("run " + name + " ...");
                    Path nodeLog = logs.resolve(name + "-node.log");
                    Path clientLog = logs.resolve(name + "-client.log");
                    Process n = lab.spawn("node1", Lab.java(List.of("-Xmx512m", "-XX:+UseParallelGC"), CaptureBenchNode.class.getName(),
                        mode, Lab.VIP, Integer.toString(port), Integer.toString(port - 7100), Long.toString(warmupMs), Integer.toString(conns)), nodeLog);
                    LabApps.awaitLine(nodeLog, "READY", n, Duration.ofSeconds(30));
                    Process c = lab.spawn(Lab.CLIENT, Lab.java(List.of("-Xmx256m"), CaptureBenchClient.class.getName(), Lab.VIP,
                        Integer.toString(port), Double.toString(seconds + warmupMs / 1000.0), Integer.toString(bulk ? 256 * 1024 : smallSize),
                        Boolean.toString(!bulk), Long.toString(bulk ? 64L << 30 : 4L << 30), Integer.toString(conns)), clientLog);
                    Duration limit = Duration.ofSeconds((long) (seconds + warmupMs / 1000.0) + 60);
                    client.put(name, fields(LabApps.awaitLine(clientLog, "RESULT ", c, limit)));
                    node.put(name, fields(LabApps.awaitLine(nodeLog, "RESULT ", n, Duration.ofSeconds(30))));
                    n.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                    c.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                    System.out.println("  node:   " + node.get(name));
                    System.out.println("  client: " + client.get(name));
                }
            }
            // Raw small segments: no TCP connection and no congestion control, one 64-byte segment per sendto, so
            // segments/s is the offered load the capture has to take (node1 drops them at INPUT after the capture).
            List<String> rawModes = queues > 0 ? List.of("plain", "capture", "capture-queues", "capture-gather", "capture-queues-gather")
                : List.of("plain", "capture", "capture-gather");
            List<String[]> rawRuns = new ArrayList<>();
            for (int r = 1; r <= (runs.contains("raw") ? repeat : 0); r++) {
                for (String mode : rawModes) {
                    rawRuns.add(new String[] {mode, r > 1 ? "_r" + r : ""});
                }
            }
            for (String[] run : rawRuns) {
                String mode = run[0];
                port++;
                String name = "small_raw_" + mode.replace("-", "_") + run[1];
                System.out.println("run " + name + " ...");
                Path nodeLog = logs.resolve(name + "-node.log");
                Path clientLog = logs.resolve(name + "-client.log");
                Process n = lab.spawn("node1", Lab.java(List.of("-Xmx256m"), CaptureRawNode.class.getName(),
                    mode.startsWith("capture") ? "capture" : mode, Lab.VIP, Integer.toString(port),
                    Integer.toString(queues > 0 ? (port - 7100) * 16 : port - 7100),
                    Long.toString(warmupMs), Integer.toString(mode.endsWith("-gather") ? gatherMicros : 0),
                    Integer.toString(mode.startsWith("capture-queues") ? queues : 1)), nodeLog);
                LabApps.awaitLine(nodeLog, "READY", n, Duration.ofSeconds(30));
                Process c = lab.spawn(Lab.CLIENT, Lab.java(List.of("-Xmx128m"), CaptureBlaster.class.getName(), lab.address(Lab.CLIENT),
                    Lab.VIP, Integer.toString(port), Double.toString(seconds + warmupMs / 1000.0), Long.toString(1_000_000_000L),
                    Integer.toString(smallSize), Integer.toString(blasterThreads), Integer.toString(blasterBatch), Integer.toString(flows)), clientLog);
                Duration limit = Duration.ofSeconds((long) (seconds + warmupMs / 1000.0) + 60);
                client.put(name, fields(LabApps.awaitLine(clientLog, "RESULT ", c, limit)));
                try (var stdin = n.getOutputStream()) {
                    stdin.write("stop\n".getBytes(StandardCharsets.US_ASCII));
                }
                node.put(name, fields(LabApps.awaitLine(nodeLog, "RESULT ", n, Duration.ofSeconds(30))));
                n.waitFor(10, java.util.concurrent.TimeUnit.SECONDS);
                System.out.println("  node:   " + node.get(name));
                System.out.println("  client: " + client.get(name));
            }
        } finally {
            try (var files = Files.walk(logs)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
        if (queues > 0 && runs.contains("raw")) {
            String q = queuesJson(node, client, queues, flows, seconds, warmupMs, smallSize, blasterThreads, blasterBatch, gatherMicros,
                command, started);
            Files.createDirectories(queuesOut.toAbsolutePath().getParent());
            Files.writeString(queuesOut, q, StandardCharsets.UTF_8);
            System.out.println(q);
            System.out.println("wrote " + queuesOut);
        }
        if (!runs.containsAll(List.of("bulk", "small", "raw"))) {
            System.out.println("partial run (--runs " + String.join(",", runs) + "): no JSON written");
            return;
        }
        String json = json(node, client, seconds, warmupMs, smallSize, smallConnections, blasterThreads, blasterBatch, gatherMicros, command, started);
        Files.createDirectories(out.toAbsolutePath().getParent());
        Files.writeString(out, json, StandardCharsets.UTF_8);
        System.out.println(json);
        System.out.println("wrote " + out);
    }

    private static double num(Map<String, Object> m, String key) {
        Object v = m.get(key);
        return v instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    private static String json(Map<String, Map<String, Object>> node, Map<String, Map<String, Object>> client, double seconds,
                               long warmupMs, int smallSize, int smallConnections, int blasterThreads, int blasterBatch, int gatherMicros, String command,
                               Instant started) throws IOException {
        double bulkPlain = num(node.get("bulk_plain"), "mbPerSecond");
        double bulkCapture = num(node.get("bulk_capture"), "mbPerSecond");
        double ratio = bulkCapture / bulkPlain;
        double smallCaptureSegs = Math.max(num(node.get("small_capture"), "capturedPerSecond"),
            Math.max(num(node.get("small_raw_capture"), "segmentsPerSecond"), num(node.get("small_raw_capture_gather"), "segmentsPerSecond")));
        boolean bulkOk = ratio >= 0.5;
        boolean smallOk = smallCaptureSegs >= 200_000;
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "capture");
        doc.put("command", command.trim());
        doc.put("started", started.toString());
        Map<String, Object> environment = new LinkedHashMap<>();
        environment.put("kernel", System.getProperty("os.version"));
        environment.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        environment.put("cores", Runtime.getRuntime().availableProcessors());
        environment.put("load_average_at_start", loadAtStart);
        environment.put("load_average_at_end", loadAverage());
        doc.put("environment", environment);
        Map<String, Object> parameters = new LinkedHashMap<>();
        parameters.put("seconds_per_run", seconds);
        parameters.put("warmup_ms", warmupMs);
        parameters.put("bulk_write_bytes", 262144);
        parameters.put("small_write_bytes", smallSize);
        parameters.put("small_connections", smallConnections);
        parameters.put("bulk_connections", 1);
        parameters.put("blaster_threads", blasterThreads);
        parameters.put("blaster_sendmmsg_batch", blasterBatch);
        parameters.put("raw_capture_gather_us", gatherMicros);
        doc.put("parameters", parameters);
        Map<String, Object> results = new LinkedHashMap<>();
        results.put("bulk_plain_mb_per_s", bulkPlain);
        results.put("bulk_capture_mb_per_s", bulkCapture);
        results.put("bulk_capture_ratio", Json.round(ratio, 3));
        results.put("bulk_capture_nogso_mb_per_s", num(node.get("bulk_capture_nogso"), "mbPerSecond"));
        results.put("bulk_capture_nogso_segments_per_s", node.get("bulk_capture_nogso").get("capturedPerSecond"));
        results.put("bulk_plain_segments_per_s", node.get("bulk_plain").get("segmentsPerSecond"));
        results.put("bulk_capture_segments_per_s", node.get("bulk_capture").get("capturedPerSecond"));
        results.put("small_plain_segments_per_s", node.get("small_plain").get("segmentsPerSecond"));
        results.put("small_capture_segments_per_s", node.get("small_capture").get("capturedPerSecond"));
        results.put("small_plain_writes_per_s", client.get("small_plain").get("writesPerSecond"));
        results.put("small_capture_writes_per_s", client.get("small_capture").get("writesPerSecond"));
        results.put("small_plain_mb_per_s", node.get("small_plain").get("mbPerSecond"));
        results.put("small_capture_mb_per_s", node.get("small_capture").get("mbPerSecond"));
        results.put("small_raw_plain_segments_per_s", node.get("small_raw_plain").get("segmentsPerSecond"));
        results.put("small_raw_capture_segments_per_s", node.get("small_raw_capture").get("segmentsPerSecond"));
        for (String raw : List.of("small_raw_plain", "small_raw_capture", "small_raw_capture_gather")) {
            Map<String, Object> m = node.get(raw);
            results.put(raw + "_sender_per_s", client.get(raw).get("packetsPerSecond"));
            results.put(raw + "_ip_in_receives_per_s", m.get("ipInReceivesPerSecond"));
            if (!raw.equals("small_raw_plain")) {
                results.put(raw + "_captured_per_s", m.get("segmentsPerSecond"));
                results.put(raw + "_verdicted_per_s", m.get("verdictedPerSecond"));
                results.put(raw + "_kernel_queue_dropped", m.get("queueDropped"));
                results.put(raw + "_socket_user_dropped", m.get("userDropped"));
                results.put(raw + "_packets_per_recvmmsg", m.get("packetsPerRecvmmsg"));
                results.put(raw + "_thread_cpu", m.get("captureThreadCpu"));
                results.put(raw + "_thread_cpu_ns_per_packet", m.get("captureCpuNsPerPacket"));
                double ns = num(m, "captureCpuNsPerPacket");
                results.put(raw + "_thread_capacity_packets_per_s_derived", ns > 0 ? Json.round(1e9 / ns, 0) : null);
            }
        }
        results.put("small_capture_thread_cpu_ns_per_packet", node.get("small_capture").get("captureCpuNsPerPacket"));
        double nsPerPacket = num(node.get("small_capture"), "captureCpuNsPerPacket");
        results.put("small_capture_thread_capacity_packets_per_s_derived",
            nsPerPacket > 0 ? Json.round(1e9 / nsPerPacket, 0) : null);
        doc.put("results", results);
        Map<String, Object> targets = new LinkedHashMap<>();
        targets.put("bulk_capture_ratio_min", 0.5);
        targets.put("bulk_met", bulkOk);
        targets.put("small_capture_segments_per_s_min", 200000);
        targets.put("small_met", smallOk);
        doc.put("targets", targets);
        Map<String, Object> runs = new LinkedHashMap<>();
        for (String name : node.keySet()) {
            Map<String, Object> run = new LinkedHashMap<>();
            run.put("node", node.get(name));
            run.put("client", client.get(name));
            runs.put(name, run);
        }
        doc.put("runs", runs);
        List<String> notes = new ArrayList<>();
        notes.add("Rates are measured in node1 from warm-up end to EOF; segments/s without capture is the kernel's TcpInSegs delta"
            + " of node1's namespace, with capture the packets the NfQueue handled (both count every client segment).");
        notes.add("bulk_capture binds the queue with NFQA_CFG_F_GSO (NfQueueConfig default): a TSO burst crossing the veth arrives"
            + " as one packet of up to 64 KiB; bulk_capture_nogso clears it, so the kernel segments every burst into MSS-sized"
            + " copies before queueing (one netlink message and verdict per 1448 bytes).");
        notes.add("The capture thread runs at nice " + CaptureBenchNode.NICE + " (NfQueueConfig.withReceiveThreadNice): every"
            + " client packet waits in the queue while that thread is not scheduled, and on this shared 2-core machine a"
            + " default-priority capture thread was seen runnable but unscheduled for seconds (full batches, near-zero CPU).");
        notes.add("The capture thread's CPU includes the kernel's TCP input processing of every accepted packet: the verdict"
            + " send() reinjects the packet (nf_reinject -> ip_rcv_finish -> tcp_v4_rcv) in the capture thread's context;"
            + " without capture that work runs in softirq and is not counted anywhere here.");
        notes.add("Small segments: " + smallConnections + " connections writing " + smallSize + "-byte chunks with TCP_NODELAY,"
            + " net.ipv4.tcp_autocorking=0 in the client namespace; writes still merge when the congestion or receive window"
            + " is full (Nagle is off, but a write that finds unsent data appends to it), so segments/s can be below writes/s. When"
            + " pollCalls is a large fraction of recvmmsgCalls the capture waited for packets: the offered load, not the capture,"
            + " was the limit.");
        notes.add("small_raw_*: CaptureBlaster in the client namespace sends pre-built " + smallSize + "-byte-payload TCP/IPv4"
            + " segments (no connection, no congestion control) through a raw socket, " + blasterBatch + " per sendmmsg, from "
            + blasterThreads + " threads, bounded in count and time (the earlier blaster, one sendto per segment, offered only 14-17k/s); node1 drops them at INPUT with a DROP guard, after the"
            + " capture. Per run: *_sender_per_s is what the blaster got into the kernel, *_ip_in_receives_per_s node1's"
            + " IpInReceives, *_captured_per_s the packets the NfQueue handled, *_verdicted_per_s the ACCEPT verdicts it sent,"
            + " *_kernel_queue_dropped / *_socket_user_dropped the queue's drop counters in /proc/net/netfilter/nfnetlink_queue."
            + " small_raw_capture runs the NfQueue with the default config (no coalescing delay), small_raw_capture_gather with"
            + " NfQueueConfig.withGatherMicros(" + gatherMicros + "): after an idle wait the capture thread sleeps that long"
            + " before reading, so a burst costs one recvmmsg + one verdict send (adds up to " + gatherMicros + " us plus the"
            + " 50 us timer slack to the verdict latency of a packet arriving at an idle queue). The TCP small-segment runs"
            + " cannot offer more than one segment per cwnd-limited write: when the capture adds latency, Linux appends later"
            + " writes to the unsent tail segment, so they measure bigger segments, not the capture's segment rate. The"
            + " small-segment target is checked against the largest of the captured rates.");
        for (String raw : List.of("small_raw_capture", "small_raw_capture_gather")) {
            Map<String, Object> m = node.get(raw);
            notes.add(raw + ": " + m.get("packetsPerRecvmmsg") + " packets per recvmmsg, " + m.get("pollCalls") + " polls, "
                + m.get("recvmmsgCalls") + " recvmmsg and " + m.get("sendCalls") + " verdict sends for " + m.get("capturedTotal")
                + " packets, capture thread " + m.get("captureThreadCpu") + " CPUs busy, " + m.get("captureCpuNsPerPacket")
                + " ns CPU per packet, kernel queue drops " + m.get("queueDropped") + ", socket-buffer drops " + m.get("userDropped")
                + "; the blaster sent " + client.get(raw).get("packetsPerSecond") + " packets/s ("
                + client.get("small_raw_plain").get("packetsPerSecond") + " without capture, same run). " + diagnose(m));
        }
        for (String name : List.of("bulk_capture", "bulk_capture_nogso", "small_capture")) {
            Map<String, Object> m = node.get(name);
            notes.add(name + ": " + m.get("packetsPerRecvmmsg") + " packets per recvmmsg, " + m.get("packetsPerVerdictSend")
                + " packets per verdict send, " + m.get("syscallsPerPacket") + " syscalls per packet (recvmmsg + send + poll/eventfd), "
                + "capture thread " + m.get("captureThreadCpu") + " CPUs busy, " + m.get("captureCpuNsPerPacket")
                + " ns CPU per packet in the capture thread (JNA calls + parse + copy + kernel work done in those syscalls), "
                + "kernel queue drops " + m.get("queueDropped") + ", socket-buffer drops " + m.get("userDropped") + ". "
                + diagnose(m));
        }
        notes.add("Batch size is the main lever on the capture's cost: a capture thread that is scheduled at once wakes for almost"
            + " every packet (1-3 per recvmmsg), paying poll + recvmmsg + send + two context switches per batch and taking the"
            + " CPU from the sender; the coalescing delay (small_raw_capture_gather) trades verdict latency for batches of tens"
            + " of packets and a quarter to a half of the capture-thread CPU per packet. What is left per packet is mostly kernel work:"
            + " nfqnl_enqueue_packet (netlink skb + copy) in the sender's softirq, the copy out in recvmmsg, and the verdict's"
            + " reinjection (nf_reinject -> ip_rcv_finish -> INPUT) in the capture thread's send(). Not done: more than one"
            + " queue (--queue-balance) for more cores.");
        notes.add("small_capture_thread_capacity_packets_per_s_derived = 1e9 / (capture-thread CPU ns per packet): the rate one"
            + " fully busy capture thread would sustain at the measured per-packet cost, when the offered load is the limit.");
        if (!bulkOk || !smallOk) {
            notes.add("Target missed on this run: the machine has " + Runtime.getRuntime().availableProcessors()
                + " cores shared by the client JVM, the sink JVM, the capture thread and the kernel's softirq work for the veth"
                + " pair and the bridge; with capture every segment costs one netlink message to user space and back. When"
                + " captureThreadCpu is near 1.0 the capture thread is the bottleneck; below that the cores are shared (load"
                + " average above). Numbers measured while other work runs are rough.");
        }
        double plainSender = num(client.get("small_raw_plain"), "packetsPerSecond");
        double gatherSender = num(client.get("small_raw_capture_gather"), "packetsPerSecond");
        double gatherCpu = num(node.get("small_raw_capture_gather"), "captureThreadCpu");
        int cores = Runtime.getRuntime().availableProcessors();
        double cpuShare = plainSender * (cores - gatherCpu) / cores;
        notes.add("Where the time goes with the coalescing delay (estimate, assuming the blaster and its softirq work keep every"
            + " core busy, as they do in small_raw_plain): the capture thread took " + gatherCpu + " of " + cores + " CPUs, which"
            + " alone would slow the blaster from " + String.format("%.0f", plainSender) + " to about " + String.format("%.0f", cpuShare)
            + " packets/s; it sent " + String.format("%.0f", gatherSender) + "/s. The rest ("
            + String.format("%.0f", gatherSender > 0 && plainSender > 0 ? 1e9 * (cores - gatherCpu) / gatherSender - 1e9 * cores / plainSender : 0)
            + " ns of sender-side CPU per packet more than without capture, roughly) is the capture's cost outside its thread:"
            + " nfqnl_enqueue_packet builds a netlink copy of every packet and queues it in the sender's softirq, plus the"
            + " wake-ups, timer interrupts and scheduling that come with a third busy thread on 2 cores (and whatever else ran"
            + " meanwhile, see the load average). On a machine where the capture thread has a core of its own, its rate is"
            + " bounded by the derived capacity above, the data path by that enqueue cost.");
        notes.add("Profile (perf record -a, 4 s inside one small_raw_capture_gather run on 2026-11-26, 199k captured/s, not"
            + " repeated by this program): 94% of samples in the kernel; blaster threads 61% (raw send, veth, the bridge's"
            + " br_netfilter hooks, route lookups, and about 8 points of nfqueue work in their softirq: __nfqnl_enqueue_packet,"
            + " netlink_unicast, __alloc_skb, __nla_reserve, security_release_secctx), the capture thread 19% (recvmmsg copy-out,"
            + " the verdict's reinjection through ipt_do_table / ip_route_input / INPUT, list and slab frees), JIT-compiled"
            + " Java about 3%, idle 8%. The per-packet Java work (flyweight parse, handler, verdict encoding) is not where the"
            + " time goes; fewer kernel crossings per packet (bigger batches) is, and the coalescing delay gets them.");
        double rawPlainIn = num(node.get("small_raw_plain"), "ipInReceivesPerSecond");
        double rawGather = num(node.get("small_raw_capture_gather"), "segmentsPerSecond");
        if (!smallOk) {
            notes.add("Small-segment target (200,000/s) on this run: without capture the lab path itself delivered "
                + String.format("%.0f", rawPlainIn) + " segments/s to node1 (sender " + client.get("small_raw_plain").get("packetsPerSecond")
                + "/s, load average at start " + loadAtStart + ")" + (rawPlainIn < 200_000 ? ", below the target: this run cannot"
                + " show 200k/s with or without capture; the capture with the coalescing delay reached "
                + String.format("%.0f", rawGather) + "/s = " + String.format("%.2f", rawGather / rawPlainIn) + " of the uncaptured rate,"
                + " and its thread's derived capacity (1e9 / CPU ns per packet) is the figure to compare with 200k. That"
                + " figure leaves out the capture's cost outside its thread (nfqnl_enqueue_packet in the sender's softirq);"
                + " compare small_raw_capture_gather_sender_per_s with small_raw_plain_sender_per_s for that." : "."));
        }
        doc.put("notes", notes);
        return Json.pretty(doc) + "\n";
    }

    /** capture-queues.json: the raw small-segment runs with one and with {@code queues} NFQUEUEs, same invocation. */
    private static String queuesJson(Map<String, Map<String, Object>> node, Map<String, Map<String, Object>> client, int queues,
                                     int flows, double seconds, long warmupMs, int smallSize, int blasterThreads, int blasterBatch,
                                     int gatherMicros, String command, Instant started) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("benchmark", "capture-queues");
        doc.put("command", command.trim());
        doc.put("started", started.toString());
        Map<String, Object> env = new LinkedHashMap<>();
        env.put("kernel", System.getProperty("os.version"));
        env.put("jdk", System.getProperty("java.vm.vendor") + " " + System.getProperty("java.runtime.version"));
        env.put("cores", Runtime.getRuntime().availableProcessors());
        env.put("load_average_at_start", loadAtStart);
        env.put("load_average_at_end", loadAverage());
        doc.put("environment", env);
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("seconds_per_run", seconds);
        params.put("warmup_ms", warmupMs);
        params.put("payload_bytes", smallSize);
        params.put("queues", queues);
        params.put("source_addresses", flows);
        params.put("blaster_threads", blasterThreads);
        params.put("flows_4_tuples", flows * blasterThreads);
        params.put("blaster_sendmmsg_batch", blasterBatch);
        params.put("gather_us", gatherMicros);
        params.put("rule", "-j NFQUEUE --queue-balance FIRST:FIRST+" + (queues - 1) + " (no --queue-cpu-fanout)");
        doc.put("parameters", params);
        Map<String, Object> results = new LinkedHashMap<>();
        for (String name : node.keySet()) {
            if (!name.startsWith("small_raw_")) {
                continue;
            }
            Map<String, Object> m = node.get(name);
            Map<String, Object> r = new LinkedHashMap<>();
            r.put("queues", m.getOrDefault("queues", 0));
            r.put("gather_us", m.get("gatherMicros"));
            r.put("delivered_per_s", m.get("segmentsPerSecond"));
            r.put("ip_in_receives_per_s", m.get("ipInReceivesPerSecond"));
            r.put("sender_per_s", client.get(name).get("packetsPerSecond"));
            if (m.containsKey("captureThreadCpu")) {
                r.put("capture_threads_cpu", m.get("captureThreadCpu"));
                r.put("capture_cpu_ns_per_packet", m.get("captureCpuNsPerPacket"));
                r.put("packets_per_recvmmsg", m.get("packetsPerRecvmmsg"));
                r.put("kernel_queue_dropped", m.get("queueDropped"));
                r.put("socket_user_dropped", m.get("userDropped"));
                r.put("per_queue_per_s", perQueue(m, "PerSecond"));
                r.put("per_queue_cpu", perQueue(m, "Cpu"));
            }
            results.put(name.substring("small_raw_".length()), r);
        }
        doc.put("results", results);
        Map<String, Object> mediansOut = new LinkedHashMap<>();
        Map<String, Double> medians = new LinkedHashMap<>();
        for (String mode : List.of("plain", "capture", "capture_queues", "capture_gather", "capture_queues_gather")) {
            List<Double> v = new ArrayList<>();
            for (String name : node.keySet()) {
                if (name.equals("small_raw_" + mode) || name.matches("small_raw_" + mode + "_r[0-9]+")) {
                    v.add(num(node.get(name), "segmentsPerSecond"));
                }
            }
            if (v.isEmpty()) {
                continue;
            }
            java.util.Collections.sort(v);
            double median = v.size() % 2 == 1 ? v.get(v.size() / 2) : (v.get(v.size() / 2 - 1) + v.get(v.size() / 2)) / 2;
            medians.put(mode, median);
            mediansOut.put(mode, Json.round(median, 0));
        }
        mediansOut.put("runs_per_case", node.keySet().stream().filter(n -> n.matches("small_raw_plain(_r[0-9]+)?")).count());
        doc.put("median_delivered_per_s", mediansOut);
        Map<String, Object> runsOut = new LinkedHashMap<>();
        for (String name : node.keySet()) {
            if (name.startsWith("small_raw_")) {
                Map<String, Object> pair = new LinkedHashMap<>();
                pair.put("node", node.get(name));
                pair.put("client", client.get(name));
                runsOut.put(name, pair);
            }
        }
        doc.put("runs", runsOut);
        List<String> notes = new ArrayList<>();
        notes.add("All runs of this invocation use the same sender: CaptureBlaster, " + blasterThreads + " threads, " + blasterBatch
            + " segments per sendmmsg, source addresses 198.18.0.200.." + (200 + flows - 1) + " (" + flows + " addresses x "
            + blasterThreads + " source ports = " + flows * blasterThreads + " flows). NFQUEUE --queue-balance picks the queue by"
            + " jhash(saddr, daddr, protocol) (hash_v4 in include/net/netfilter/nf_queue.h): ports are not hashed, so several source"
            + " ports from one address would all land in one queue; the spread over the queues is per_queue_per_s. The hash"
            + " seed is random per boot, so a few addresses can split unevenly (with 8 addresses a trial run split 7:1)."
            + " The single-queue runs use the plain --queue-num rule.");
        notes.add("delivered_per_s: without capture node1's IpInReceives, with capture the packets all NfQueues handled, from"
            + " warm-up end to the last packet; capture_threads_cpu is the sum over the queue threads (per_queue_cpu each).");
        if (medians.containsKey("capture_queues") && medians.containsKey("capture_queues_gather")) {
            notes.add(String.format("This invocation (medians): %d queues / 1 queue = %.2f without the coalescing delay (%.0f vs %.0f/s),"
                    + " %.2f with %d us (%.0f vs %.0f/s); uncaptured %.0f/s.", queues,
                medians.get("capture_queues") / medians.get("capture"), medians.get("capture_queues"), medians.get("capture"),
                medians.get("capture_queues_gather") / medians.get("capture_gather"), gatherMicros, medians.get("capture_queues_gather"),
                medians.get("capture_gather"), medians.get("plain"))
                + " Why several queues do not help on 2 cores: the capture threads are not the limit (with the delay one thread"
                + " is ~0.25 CPU busy); the per-packet cost is kernel work in the sending thread's softirq (veth, bridge,"
                + " nfqnl_enqueue_packet's netlink copy) and the reinjection in the verdict send(), and both cores are already"
                + " shared by the two blaster threads, that softirq work and the capture. A second reader thread adds no core:"
                + " it splits the packets, so each wakes for fewer of them (without the delay ~1.5 packets per recvmmsg either"
                + " way, and the two threads together take more CPU away from the sender; with the delay the batches shrink,"
                + " here " + node.get("small_raw_capture_queues_gather").get("packetsPerRecvmmsg") + " instead of "
                + node.get("small_raw_capture_gather").get("packetsPerRecvmmsg") + " per recvmmsg in the first repeat, and CPU"
                + " per packet rises). Several queues pay off where the readers"
                + " get cores of their own, i.e. more cores than senders + softirq need.");
        }
        notes.add("--queue-cpu-fanout (the queue of the CPU that runs the packet's softirq, i.e. of the sending thread here)"
            + " was tried by hand on 2026-12-01 (2 queues, 32 addresses, two invocations, rule patched in CaptureRawNode, not"
            + " kept): the split became even (68k/70k per queue) but the rates did not improve beyond the noise (no gather"
            + " 138k and 139k against 187k and 169k single-queue; gather 244k and 237k against 182k and 233k single-queue),"
            + " so captureBalanced does not add it.");
        notes.add("Figures are rough: 2 cores shared by the blaster's threads, the kernel's softirq work for them (veth, bridge,"
            + " nfqnl_enqueue_packet, all in the sending thread's context), the capture threads (recvmmsg, verdict reinjection)"
            + " and anything else on the machine (see the load average).");
        doc.put("notes", notes);
        return Json.pretty(doc) + "\n";
    }

    private static List<Object> perQueue(Map<String, Object> m, String suffix) {
        List<Object> v = new ArrayList<>();
        for (int k = 0; m.containsKey("q" + k + suffix); k++) {
            v.add(m.get("q" + k + suffix));
        }
        return v;
    }

    /** Where the time went in one capture run, from its counters (see the class comment). */
    static String diagnose(Map<String, Object> m) {
        double perRecv = num(m, "packetsPerRecvmmsg");
        double busy = num(m, "captureThreadCpu");
        double polls = num(m, "pollCalls");
        double recvs = num(m, "recvmmsgCalls");
        if (perRecv >= 0.9 * 64 && busy < 0.5) {
            return "Diagnosis: full batches while the capture thread was busy only " + busy + " of a CPU: it was runnable but not"
                + " scheduled (CPU starvation by other processes), so packets waited in the queue.";
        }
        if (perRecv >= 0.9 * 64) {
            return "Diagnosis: full batches and a busy capture thread: the capture thread is the bottleneck.";
        }
        if (recvs > 0 && polls / recvs > 0.3) {
            return "Diagnosis: the capture thread often found the queue empty and waited in poll: it kept up; throughput was"
                + " limited by the added per-packet latency (queue -> wake-up -> verdict) or by the sender.";
        }
        return "Diagnosis: partial batches with few idle waits: capture and sender roughly balanced.";
    }

    private static String loadAtStart = "unknown";

    private static String loadAverage() {
        try {
            return Files.readString(Path.of("/proc/loadavg")).trim();
        } catch (IOException e) {
            return "unknown";
        }
    }

    /** The JSON object after {@code RESULT } in a run's line. */
    static Map<String, Object> fields(String line) {
        return Json.object(line.substring(line.indexOf("RESULT ") + "RESULT ".length()));
    }

}
