package dev.understudy.netfilter.nfqueue;

import dev.understudy.netfilter.packet.TcpHeader;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The "node1" JVM of the capture ITs: a sink server on {@code 0.0.0.0:port} (one connection:
 * read to EOF, reply with the SHA-256 of what it read, close), the capture rule for
 * {@code vip:port} and an {@link NfQueue} that reassembles the client's stream.
 *
 * <p>Usage: {@code CaptureNodeMain vip port queue capacityBytes mode [gatherMicros]} with mode {@code accept}
 * (accept every segment), {@code hold} (hold every payload segment until a {@code release}
 * line on stdin) or {@code mixed} (hold every third payload segment and release it from another
 * thread 1 ms later, drop every eleventh). Prints {@code READY}, then on stdin {@code status}: a {@code STATUS {json}}
 * line; at the end a {@code RESULT {json}} line.
 */
public final class CaptureNodeMain {
    private CaptureNodeMain() {
    }

    public static void main(String[] args) throws Exception {
        String vip = args[0];
        int port = Integer.parseInt(args[1]);
        int queueNum = Integer.parseInt(args[2]);
        int capacity = Integer.parseInt(args[3]);
        boolean hold = args[4].equals("hold");
        StreamReassembler reassembler = new StreamReassembler(capacity);
        AtomicLong serverBytes = new AtomicLong();
        String[] serverSha = new String[1];
        Object done = new Object();
        java.util.concurrent.atomic.AtomicBoolean holding = new java.util.concurrent.atomic.AtomicBoolean(hold);

        ServerSocket server = new ServerSocket();
        server.setReuseAddress(true);
        server.bind(new InetSocketAddress("0.0.0.0", port));
        Thread sink = new Thread(() -> {
            try (Socket s = server.accept()) {
                MessageDigest md = MessageDigest.getInstance("SHA-256");
                InputStream in = s.getInputStream();
                byte[] buf = new byte[1 << 16];
                int n;
                while ((n = in.read(buf)) > 0) {
                    md.update(buf, 0, n);
                    serverBytes.addAndGet(n);
                }
                byte[] sha = md.digest();
                OutputStream out = s.getOutputStream();
                out.write(sha);
                out.flush();
                synchronized (done) {
                    serverSha[0] = HexFormat.of().formatHex(sha);
                    done.notifyAll();
                }
            } catch (Exception e) {
                e.printStackTrace();
                synchronized (done) {
                    serverSha[0] = "error: " + e;
                    done.notifyAll();
                }
            }
        }, "sink");
        sink.start();

        boolean mixed = args[4].equals("mixed");
        java.util.concurrent.ConcurrentLinkedQueue<Integer> heldIds = new java.util.concurrent.ConcurrentLinkedQueue<>();
        long[] payloadIndex = {0};
        SegmentHandler handler = (id, seg) -> {
            reassembler.onSegment(seg);
            if (holding.get() && seg.payloadLength() > 0 && !seg.hasFlag(TcpHeader.SYN)) {
                return Verdict.HOLD;
            }
            if (mixed && seg.payloadLength() > 0) {
                long i = payloadIndex[0]++;
                if (i % 3 == 0) {
                    heldIds.add(id);
                    return Verdict.HOLD;
                }
                if (i % 11 == 1) {
                    return Verdict.DROP;
                }
            }
            return Verdict.ACCEPT;
        };
        NfQueueConfig config = NfQueueConfig.forQueue(queueNum).withReceiveBufferBytes(16 << 20).withMaxLength(16384)
            .withGatherMicros(args.length > 5 ? Integer.parseInt(args[5]) : 0);
        Iptables iptables = Iptables.local();
        try (NfQueue queue = NfQueue.open(config, handler);
             InstalledRule rule = iptables.install(IptablesRule.capture(vip, port, queueNum))) {
            queue.start();
            if (mixed) {
                // Releases held packets from another thread: newest first one by one, every fourth
                // round with one releaseUpTo, and every seventh packet dropped instead (TCP resends it).
                Thread releaser = new Thread(() -> {
                    java.util.ArrayList<Integer> batch = new java.util.ArrayList<>();
                    long round = 0;
                    while (!Thread.currentThread().isInterrupted()) {
                        Integer id;
                        while ((id = heldIds.poll()) != null) {
                            batch.add(id);
                        }
                        if (!batch.isEmpty()) {
                            round++;
                            if (round % 4 == 0) {
                                while (!queue.releaseUpTo(batch.get(batch.size() - 1))) {
                                    Thread.onSpinWait();
                                }
                            } else {
                                for (int k = batch.size() - 1; k >= 0; k--) {
                                    int pid = batch.get(k);
                                    while (!(pid % 7 == 0 ? queue.drop(pid) : queue.release(pid))) {
                                        Thread.onSpinWait();
                                    }
                                }
                            }
                            batch.clear();
                        }
                        try {
                            Thread.sleep(1);
                        } catch (InterruptedException e) {
                            return;
                        }
                    }
                }, "releaser");
                releaser.setDaemon(true);
                releaser.start();
            }
            System.out.println("READY rule=" + rule.rule() + " added=" + rule.added());
            System.out.flush();
            Thread control = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                    String line;
                    while ((line = r.readLine()) != null) {
                        if (line.equals("release")) {
                            holding.set(false);
                            queue.releaseAll();
                            System.out.println("RELEASED");
                        } else if (line.equals("status")) {
                            System.out.println("STATUS {\"held\":" + queue.heldCount() + ",\"serverBytes\":" + serverBytes.get()
                                + ",\"packets\":" + queue.counter(NfQueueCounter.PACKETS) + "}");
                        }
                        System.out.flush();
                    }
                } catch (Exception e) {
                    e.printStackTrace();
                }
            }, "control");
            control.setDaemon(true);
            control.start();
            synchronized (done) {
                long deadline = System.currentTimeMillis() + 120_000;
                while (serverSha[0] == null && System.currentTimeMillis() < deadline) {
                    done.wait(1000);
                }
            }
            // The FIN passes the capture before the server sees EOF; give the counters a cycle.
            long deadline = System.currentTimeMillis() + 5000;
            while (!reassembler.finished() && System.currentTimeMillis() < deadline) {
                Thread.sleep(10);
            }
            Thread.sleep(200);
            long contiguous = reassembler.contiguous();
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            md.update(reassembler.data(), 0, (int) contiguous);
            KernelQueueStats ks = queue.kernelStats();
            StringBuilder sb = new StringBuilder("RESULT {");
            sb.append("\"serverSha\":\"").append(serverSha[0]).append('"');
            sb.append(",\"serverBytes\":").append(serverBytes.get());
            sb.append(",\"captureSha\":\"").append(HexFormat.of().formatHex(md.digest())).append('"');
            sb.append(",\"captureContiguous\":").append(contiguous);
            sb.append(",\"newBytes\":").append(reassembler.newBytes);
            sb.append(",\"duplicateBytes\":").append(reassembler.duplicateBytes);
            sb.append(",\"duplicateMismatches\":").append(reassembler.duplicateMismatches);
            sb.append(",\"outOfOrderSegments\":").append(reassembler.outOfOrderSegments);
            sb.append(",\"payloadSegments\":").append(reassembler.payloadSegments);
            sb.append(",\"finSeen\":").append(reassembler.finished());
            sb.append(",\"synMss\":").append(reassembler.synMss);
            sb.append(",\"synWindowScale\":").append(reassembler.synWindowScale);
            sb.append(",\"synSackPermitted\":").append(reassembler.synSackPermitted);
            sb.append(",\"synTimestamps\":").append(reassembler.synTimestamps);
            sb.append(",\"dataTsEcrSeen\":").append(reassembler.lastTsEcrNonZero);
            sb.append(",\"synHex\":\"").append(reassembler.synBytes == null ? "" : HexFormat.of().formatHex(reassembler.synBytes))
                .append('"');
            sb.append(",\"queueDropped\":").append(ks == null ? -1 : ks.queueDropped());
            sb.append(",\"userDropped\":").append(ks == null ? -1 : ks.userDropped());
            for (Map.Entry<String, Long> e : queue.counters().entrySet()) {
                sb.append(",\"").append(e.getKey()).append("\":").append(e.getValue());
            }
            sb.append('}');
            System.out.println(sb);
            System.out.flush();
        }
        server.close();
        System.exit(0);
    }
}
