package dev.understudy.benchmarks.capture;

import dev.understudy.lab.Json;
import dev.understudy.netfilter.nfqueue.NfQueue;
import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.netfilter.nfqueue.NfQueueCounter;
import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * node1 JVM of the raw small-segment runs of {@link CaptureBenchmark}: a DROP guard for
 * {@code vip:port} (so segments die at INPUT, no RST), and with {@code capture} the capture
 * rule and an {@link NfQueue} (read every field, copy the payload, ACCEPT). Samples the
 * kernel's IpInReceives and the capture counters every 20 ms until {@code stop} on stdin, then
 * prints {@code RESULT {json}} with the rate over the active period after the warm-up.
 *
 * <p>Usage: {@code CaptureRawNode plain|capture vip port queue warmupMillis [gatherMicros [queues]]}. With
 * {@code queues} N &gt; 1: N NfQueues {@code queue .. queue + N - 1}, each with its own thread ({@link NfQueue#start()}),
 * behind {@link IptablesRule#captureBalanced} ({@code --queue-balance}); the result adds each queue's rate and
 * thread CPU ({@code q0PerSecond}, {@code q0Cpu}, ...).
 */
public final class CaptureRawNode {
    private static final int MAX_SAMPLES = 6000; // 120 s at 20 ms

    /** Nice value of the capture thread: above ordinary threads, as the kernel's softirq work it stands in for. */
    private static final int NICE = CaptureBenchNode.NICE;

    private CaptureRawNode() {
    }

    public static void main(String[] args) throws Exception {
        boolean capture = args[0].equals("capture");
        String vip = args[1];
        int port = Integer.parseInt(args[2]);
        int queueNum = Integer.parseInt(args[3]);
        long warmupNanos = Long.parseLong(args[4]) * 1_000_000L;
        int gatherMicros = args.length > 5 ? Integer.parseInt(args[5]) : 0;
        int queues = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        if (queues < 1 || queues > 16) {
            throw new IllegalArgumentException("invalid queues: value=" + queues + ", expected 1..16");
        }
        long[] checksum = new long[queues];
        Iptables iptables = Iptables.local();
        NfQueue[] all = new NfQueue[capture ? queues : 0];
        Thread[] threads = new Thread[all.length];
        NfQueue queue = null;
        InstalledRule rule = null;
        try (InstalledRule guard = iptables.install(IptablesRule.dropGuard(vip, port))) {
            if (capture) {
                for (int k = 0; k < queues; k++) {
                    int index = k;
                    byte[] copy = new byte[2048]; // one per queue thread
                    all[k] = NfQueue.open(NfQueueConfig.forQueue(queueNum + k).withReceiveBufferBytes(16 << 20).withMaxLength(16384)
                        .withReceiveThreadNice(NICE)
                        .withGatherMicros(gatherMicros),
                        (id, seg) -> {
                            int len = Math.min(seg.payloadLength(), copy.length);
                            seg.buffer().get(seg.payloadOffset(), copy, 0, len);
                            checksum[index] += seg.seq() + seg.window() + seg.flags() + len;
                            return Verdict.ACCEPT;
                        });
                    threads[k] = all[k].start();
                }
                queue = all[0];
                rule = iptables.install(IptablesRule.captureBalanced(vip, port, queueNum, queues));
            }
            long[] t = new long[MAX_SAMPLES];
            long[] ipIn = new long[MAX_SAMPLES];
            long[] captured = new long[MAX_SAMPLES];
            long[] cpu = new long[MAX_SAMPLES];
            long[] recvs = new long[MAX_SAMPLES];
            long[] polls = new long[MAX_SAMPLES];
            long[] accepted = new long[MAX_SAMPLES];
            long[][] perQueue = new long[all.length][MAX_SAMPLES];
            long[][] perQueueCpu = new long[all.length][MAX_SAMPLES];
            int[] count = {0};
            NfQueue q = queue;
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            Thread sampler = new Thread(() -> {
                try {
                    while (!stopped && count[0] < MAX_SAMPLES) {
                        int i = count[0];
                        t[i] = System.nanoTime();
                        ipIn[i] = ipInReceives();
                        for (int k = 0; k < all.length; k++) { // sums over the queues
                            perQueue[k][i] = all[k].counter(NfQueueCounter.PACKETS);
                            perQueueCpu[k][i] = mx.getThreadCpuTime(threads[k].getId());
                            captured[i] += perQueue[k][i];
                            recvs[i] += all[k].counter(NfQueueCounter.RECV_CALLS);
                            polls[i] += all[k].counter(NfQueueCounter.POLL_CALLS);
                            accepted[i] += all[k].counter(NfQueueCounter.ACCEPTED);
                            cpu[i] += perQueueCpu[k][i];
                        }
                        count[0] = i + 1;
                        Thread.sleep(20);
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "sampler");
            sampler.start();
            System.out.println("READY " + args[0]);
            System.out.flush();
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null && !line.equals("stop")) {
                    // wait for the orchestrator
                }
            }
            stopped = true;
            sampler.join();
            int n = count[0];
            long[] series = capture ? captured : ipIn;
            int first = -1;
            int last = -1;
            for (int i = 1; i < n; i++) {
                if (series[i] > series[i - 1]) {
                    if (first < 0) {
                        first = i - 1;
                    }
                    last = i;
                }
            }
            int from = first;
            while (from >= 0 && from < last && t[from] - t[first] < warmupNanos) {
                from++;
            }
            Map<String, Object> result = new LinkedHashMap<>();
            result.put("mode", "raw_" + args[0]);
            result.put("gatherMicros", gatherMicros);
            result.put("queues", all.length);
            if (first < 0 || from >= last) {
                result.put("error", "no traffic seen");
            } else {
                double seconds = (t[last] - t[from]) / 1e9;
                long packets = series[last] - series[from];
                result.put("seconds", Json.round(seconds, 3));
                result.put("packets", packets);
                result.put("segmentsPerSecond", Json.round(packets / seconds, 0));
                result.put("ipInReceivesPerSecond", Json.round((ipIn[last] - ipIn[from]) / seconds, 0));
                if (capture) {
                    long c = cpu[last] - cpu[from];
                    long rc = recvs[last] - recvs[from];
                    result.put("captureThreadCpu", Json.round(c / 1e9 / seconds, 2));
                    result.put("captureCpuNsPerPacket", packets == 0 ? 0 : c / packets);
                    result.put("verdictedPerSecond", Json.round((accepted[last] - accepted[from]) / seconds, 0));
                    result.put("capturedTotal", sum(all, NfQueueCounter.PACKETS));
                    result.put("acceptedTotal", sum(all, NfQueueCounter.ACCEPTED));
                    result.put("sendCalls", sum(all, NfQueueCounter.SEND_CALLS));
                    result.put("packetsPerRecvmmsg", Json.round(rc == 0 ? 0.0 : (double) packets / rc, 1));
                    result.put("gatherWaits", sum(all, NfQueueCounter.GATHER_WAITS));
                    result.put("pollCalls", polls[last] - polls[from]);
                    result.put("recvmmsgCalls", rc);
                    long queueTotal = 0;
                    long queueDropped = 0;
                    long userDropped = 0;
                    for (NfQueue each : all) {
                        var ks = each.kernelStats();
                        queueTotal += ks == null ? 0 : ks.queueTotal();
                        queueDropped += ks == null ? 0 : ks.queueDropped();
                        userDropped += ks == null ? 0 : ks.userDropped();
                    }
                    result.put("queueTotalNow", queueTotal);
                    result.put("queueDropped", queueDropped);
                    result.put("userDropped", userDropped);
                    result.put("parseFailures", sum(all, NfQueueCounter.PARSE_FAILURES));
                    long sum = 0;
                    for (long c2 : checksum) {
                        sum += c2;
                    }
                    result.put("checksum", sum & 0xFFFF);
                    for (int k = 0; k < all.length; k++) {
                        result.put("q" + k + "PerSecond", Json.round((perQueue[k][last] - perQueue[k][from]) / seconds, 0));
                        result.put("q" + k + "Cpu", Json.round((perQueueCpu[k][last] - perQueueCpu[k][from]) / 1e9 / seconds, 2));
                    }
                }
            }
            System.out.println("RESULT " + Json.write(result));
            System.out.flush();
        } finally {
            // rule first (inside the guard's try), then the readers: a rule without a reader drops (fails closed).
            if (rule != null) {
                rule.close();
            }
            for (NfQueue each : all) {
                if (each != null) {
                    each.close();
                }
            }
        }
    }

    private static long sum(NfQueue[] queues, NfQueueCounter counter) {
        long total = 0;
        for (NfQueue each : queues) {
            total += each.counter(counter);
        }
        return total;
    }

    private static volatile boolean stopped;

    /** Ip InReceives of this network namespace, from /proc/net/snmp. */
    static long ipInReceives() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("Ip:") && lines.get(i + 1).startsWith("Ip:")) {
                String[] names = lines.get(i).trim().split("\\s+");
                String[] values = lines.get(i + 1).trim().split("\\s+");
                for (int k = 0; k < names.length; k++) {
                    if (names[k].equals("InReceives")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        return -1;
    }
}
