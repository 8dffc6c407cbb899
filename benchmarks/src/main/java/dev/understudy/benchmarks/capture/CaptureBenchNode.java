package dev.understudy.benchmarks.capture;

import dev.understudy.lab.Json;
import dev.understudy.netfilter.nfqueue.NfQueue;
import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.netfilter.nfqueue.NfQueueCounter;
import dev.understudy.netfilter.nfqueue.SegmentHandler;
import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The node1 JVM of {@link CaptureBenchmark}: a sink server for one connection on
 * {@code 0.0.0.0:port}, optionally behind the NFQUEUE capture (rule + {@link NfQueue} whose
 * handler copies each payload out, as the agent will, and accepts with batched verdicts).
 * After {@code warmupMillis} from the first byte it samples bytes, the kernel's TcpInSegs and
 * the capture counters; again at EOF; and prints {@code RESULT {json}} with the deltas.
 *
 * <p>Usage: {@code CaptureBenchNode plain|capture vip port queue warmupMillis}.
 */
public final class CaptureBenchNode {
    /** Nice value of the capture thread: above ordinary threads, as the kernel's softirq work it stands in for. */
    static final int NICE = -10;

    private CaptureBenchNode() {
    }

    public static void main(String[] args) throws Exception {
        boolean capture = args[0].startsWith("capture");
        boolean gso = !args[0].equals("capture-nogso");
        int connections = args.length > 5 ? Integer.parseInt(args[5]) : 1;
        String vip = args[1];
        int port = Integer.parseInt(args[2]);
        int queueNum = Integer.parseInt(args[3]);
        long warmupMillis = Long.parseLong(args[4]);
        AtomicLong bytes = new AtomicLong();
        byte[] copy = new byte[65536];
        long[] copied = {0};
        SegmentHandler handler = (id, seg) -> {
            int len = seg.payloadLength();
            if (len > 0) {
                seg.buffer().get(seg.payloadOffset(), copy, 0, Math.min(len, copy.length));
                copied[0] += len;
            }
            return Verdict.ACCEPT;
        };
        NfQueue queue = null;
        InstalledRule rule = null;
        Thread captureThread = null;
        try (ServerSocket server = new ServerSocket()) {
            server.setReuseAddress(true);
            server.bind(new InetSocketAddress("0.0.0.0", port));
            if (capture) {
                queue = NfQueue.open(NfQueueConfig.forQueue(queueNum).withReceiveBufferBytes(16 << 20).withMaxLength(16384)
                    .withReceiveThreadNice(NICE)
                    .withGso(gso), handler);
                captureThread = queue.start();
                rule = Iptables.local().install(IptablesRule.capture(vip, port, queueNum));
            }
            System.out.println("READY " + (capture ? "capture" : "plain"));
            System.out.flush();
            Socket[] sockets = new Socket[connections];
            for (int i = 0; i < connections; i++) {
                sockets[i] = server.accept();
            }
            long[] firstByte = {0};
            Object firstLock = new Object();
            Thread[] readers = new Thread[connections];
            for (int i = 0; i < connections; i++) {
                Socket s = sockets[i];
                readers[i] = new Thread(() -> {
                    try {
                        InputStream in = s.getInputStream();
                        byte[] buf = new byte[1 << 18];
                        int n;
                        while ((n = in.read(buf)) > 0) {
                            if (bytes.getAndAdd(n) == 0) {
                                synchronized (firstLock) {
                                    firstByte[0] = System.nanoTime();
                                    firstLock.notifyAll();
                                }
                            }
                        }
                    } catch (Exception e) {
                        e.printStackTrace();
                    }
                }, "sink-" + i);
                readers[i].start();
            }
            synchronized (firstLock) {
                while (firstByte[0] == 0) {
                    firstLock.wait(60_000);
                    if (firstByte[0] == 0 && !readers[0].isAlive()) {
                        break;
                    }
                }
            }
            ThreadMXBean mx = ManagementFactory.getThreadMXBean();
            long warmEnd = firstByte[0] + warmupMillis * 1_000_000L;
            long[] mark = null;
            for (Thread r : readers) {
                while (r.isAlive()) {
                    if (mark == null && System.nanoTime() >= warmEnd) {
                        mark = sample(bytes.get(), queue, captureThread, mx);
                    }
                    r.join(mark == null ? 1 : 100);
                }
            }
            long[] end = sample(bytes.get(), queue, captureThread, mx);
            if (mark == null) {
                mark = new long[] {firstByte[0], 0, 0, 0, 0, 0, 0, 0};
            }
            for (Socket s : sockets) {
                OutputStream out = s.getOutputStream();
                out.write(ByteBuffer.allocate(8).putLong(bytes.get()).array());
                out.flush();
                s.close();
            }
            {
                double seconds = (end[0] - mark[0]) / 1e9;
                Map<String, Object> result = new LinkedHashMap<>();
                result.put("mode", args[0]);
                result.put("connections", connections);
                result.put("seconds", Json.round(seconds, 3));
                result.put("bytes", end[1] - mark[1]);
                result.put("totalBytes", bytes.get());
                result.put("mbPerSecond", Json.round((end[1] - mark[1]) / seconds / 1e6, 1));
                result.put("inSegs", end[2] - mark[2]);
                result.put("segmentsPerSecond", Json.round((end[2] - mark[2]) / seconds, 0));
                if (queue != null) {
                    long packets = end[3] - mark[3];
                    long recvs = end[4] - mark[4];
                    long sends = end[5] - mark[5];
                    long polls = end[6] - mark[6];
                    long cpu = end[7] - mark[7];
                    result.put("capturedPackets", packets);
                    result.put("capturedPerSecond", Json.round(packets / seconds, 0));
                    result.put("recvmmsgCalls", recvs);
                    result.put("sendCalls", sends);
                    result.put("pollCalls", polls);
                    result.put("packetsPerRecvmmsg", Json.round(recvs == 0 ? 0.0 : (double) packets / recvs, 1));
                    result.put("packetsPerVerdictSend", Json.round(sends == 0 ? 0.0 : (double) packets / sends, 1));
                    result.put("syscallsPerPacket", Json.round(packets == 0 ? 0.0 : (double) (recvs + sends + 2 * polls) / packets, 3));
                    result.put("captureThreadCpu", Json.round(cpu / 1e9 / seconds, 2));
                    result.put("captureCpuNsPerPacket", packets == 0 ? 0 : cpu / packets);
                    result.put("copiedBytes", copied[0]);
                    var ks = queue.kernelStats();
                    result.put("queueDropped", ks == null ? -1 : ks.queueDropped());
                    result.put("userDropped", ks == null ? -1 : ks.userDropped());
                    for (Map.Entry<String, Long> e : queue.counters().entrySet()) {
                        result.put("c_" + e.getKey(), e.getValue());
                    }
                }
                System.out.println("RESULT " + Json.write(result));
                System.out.flush();
            }
        } finally {
            if (rule != null) {
                rule.close();
            }
            if (queue != null) {
                queue.close();
            }
        }
    }

    /** {time, bytes, TcpInSegs, packets, recv calls, send calls, poll calls, capture thread cpu ns}. */
    private static long[] sample(long bytes, NfQueue q, Thread t, ThreadMXBean mx) throws Exception {
        long[] s = new long[8];
        s[0] = System.nanoTime();
        s[1] = bytes;
        s[2] = tcpInSegs();
        if (q != null) {
            s[3] = q.counter(NfQueueCounter.PACKETS);
            s[4] = q.counter(NfQueueCounter.RECV_CALLS);
            s[5] = q.counter(NfQueueCounter.SEND_CALLS);
            s[6] = q.counter(NfQueueCounter.POLL_CALLS);
            s[7] = mx.getThreadCpuTime(t.getId());
        }
        return s;
    }

    /** TcpInSegs of this network namespace, from /proc/net/snmp. */
    static long tcpInSegs() throws Exception {
        List<String> lines = Files.readAllLines(Path.of("/proc/net/snmp"));
        for (int i = 0; i + 1 < lines.size(); i++) {
            if (lines.get(i).startsWith("Tcp:") && lines.get(i + 1).startsWith("Tcp:")) {
                String[] names = lines.get(i).trim().split("\\s+");
                String[] values = lines.get(i + 1).trim().split("\\s+");
                for (int k = 0; k < names.length; k++) {
                    if (names[k].equals("InSegs")) {
                        return Long.parseLong(values[k]);
                    }
                }
            }
        }
        return -1;
    }

    static {
        // Keep TcpSegment loaded before the first packet (no class loading on the data path).
        new TcpSegment();
    }
}
