package dev.understudy.benchmarks.capture;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.understudy.lab.Json;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.SysSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The raw small-segment generator of {@link CaptureBenchmark}: sends hand-built IPv4/TCP
 * segments (ACK|PSH, {@code payload} bytes) from {@code src} to {@code dst:port} through a raw
 * socket, {@code batch} pre-built segments per {@code sendmmsg}, as fast as the threads can, for
 * {@code seconds} and at most {@code maxPackets}. No TCP connection and no congestion control:
 * the receiving side sees exactly this many small segments, and the sender is not the
 * bottleneck (one syscall per batch; the earlier one-sendto-per-segment loop topped out near
 * 14-17k segments/s on this machine).
 * (node1 drops them at INPUT with a DROP guard after the capture has seen them.)
 *
 * <p>Usage: {@code CaptureBlaster src dst port seconds maxPackets payload [threads [batch [flows]]]} (default 2
 * threads, each with its own raw socket and source port; batch 128; flows 1). With {@code flows} F &gt; 1 the
 * segments of each batch cycle through F source addresses {@link #FLOW_BASE}, {@code FLOW_BASE + 1}, ... (unused
 * addresses of the lab subnet; IPPROTO_RAW sends the header as built), so that NFQUEUE {@code --queue-balance},
 * which hashes source and destination address but not the ports, spreads them over its queues. Prints
 * {@code RESULT {"sent":..,"sendmmsgCalls":..,"seconds":..,"packetsPerSecond":..}}.
 */
public final class CaptureBlaster {
    private static final int IPPROTO_RAW = 255;
    /** asm-generic/socket.h. */
    private static final int SO_SNDBUFFORCE = 32;
    /** First source address of the multi-flow mode: 198.18.0.200 (no lab host has it). */
    static final int FLOW_BASE = 0xC61200C8;

    private CaptureBlaster() {
    }

    public static void main(String[] args) throws Exception {
        int src = parse(args[0]);
        int dst = parse(args[1]);
        int port = Integer.parseInt(args[2]);
        double seconds = Double.parseDouble(args[3]);
        long maxPackets = Long.parseLong(args[4]);
        int payload = Integer.parseInt(args[5]);
        if (seconds <= 0 || seconds > 120 || maxPackets <= 0 || payload < 0 || payload > 1400) {
            throw new IllegalArgumentException("invalid blaster arguments: seconds=" + seconds + " maxPackets=" + maxPackets
                + " payload=" + payload + ", expected 0<s<=120, packets>0, 0<=payload<=1400");
        }
        if ((dst & 0xFFFFFF00) != 0xC6120000) {
            throw new IllegalArgumentException("invalid destination: value=" + args[1] + ", expected an address in 198.18.0.0/24");
        }
        int threads = args.length > 6 ? Integer.parseInt(args[6]) : 2;
        if (threads < 1 || threads > 16) {
            throw new IllegalArgumentException("invalid blaster threads: value=" + threads + ", expected 1..16");
        }
        int batch = args.length > 7 ? Integer.parseInt(args[7]) : 128;
        if (batch < 1 || batch > 1024) {
            throw new IllegalArgumentException("invalid blaster batch: value=" + batch + ", expected 1..1024");
        }
        int flows = args.length > 8 ? Integer.parseInt(args[8]) : 1;
        if (flows < 1 || flows > 32) {
            throw new IllegalArgumentException("invalid blaster flows: value=" + flows + ", expected 1..32");
        }
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        long[][] results = new long[threads][];
        Thread[] workers = new Thread[threads];
        for (int w = 0; w < threads; w++) {
            int index = w;
            workers[w] = new Thread(() -> {
                try {
                    results[index] = blast(src, dst, port, 40000 + index, deadline, maxPackets / threads, payload, batch, flows);
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, "blaster-" + w);
            workers[w].start();
        }
        long sent = 0;
        long failed = 0;
        long calls = 0;
        for (int w = 0; w < threads; w++) {
            workers[w].join();
            if (results[w] == null) {
                throw new IllegalStateException("blaster thread " + w + " failed");
            }
            sent += results[w][0];
            failed += results[w][1];
            calls += results[w][2];
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("threads", threads);
        result.put("sent", sent);
        result.put("failed", failed);
        result.put("batch", batch);
        result.put("flows", flows);
        result.put("sendmmsgCalls", calls);
        result.put("seconds", Json.round(elapsed, 3));
        result.put("packetsPerSecond", Json.round(sent / elapsed, 0));
        System.out.println("RESULT " + Json.write(result));
        System.out.flush();
    }

    /**
     * One sender: its own raw socket and source port; returns {sent, failed, calls}. {@code batch} segments are built
     * once (consecutive seq numbers, one iovec and mmsghdr each, all to the same sockaddr) and sent again and again
     * with {@code sendmmsg}: per call one syscall and one JNA transition for {@code batch} segments, nothing rewritten
     * per packet, so the sender costs the kernel's raw-send path and little else.
     */
    private static long[] blast(int src, int dst, int port, int sourcePort, long deadline, long maxPackets, int payload, int batch,
                                int flows) throws ErrnoException {
        int fd = LibC.check(LibC.socket(LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, IPPROTO_RAW), "socket(AF_INET, SOCK_RAW)");
        try {
            // A queued packet keeps its send-buffer charge until the capture's verdict frees it: a large send buffer
            // lets many packets be in flight (as many connections would), so the capture is not fed one at a time.
            try (Memory opt = new Memory(4)) {
                opt.setInt(0, 64 << 20);
                LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_SNDBUFFORCE, opt, 4), "setsockopt(SO_SNDBUFFORCE)");
            }
            int len = 20 + 20 + payload;
            Memory pkts = new Memory((long) batch * len);
            pkts.clear();
            ByteBuffer all = pkts.getByteBuffer(0, pkts.size()).order(ByteOrder.BIG_ENDIAN);
            int seq = 1000;
            for (int k = 0; k < batch; k++) {
                int o = k * len;
                // IPv4 (RFC 791): the kernel fills in the checksum (and the id) for IPPROTO_RAW (raw(7)).
                all.put(o, (byte) 0x45);
                all.putShort(o + 2, (short) len);
                all.putShort(o + 6, (short) 0x4000);
                all.put(o + 8, (byte) 64);
                all.put(o + 9, (byte) 6);
                all.putInt(o + 12, flows == 1 ? src : FLOW_BASE + k % flows);
                all.putInt(o + 16, dst);
                // TCP (RFC 793): ports, seq, ack, doff 5, ACK|PSH, window.
                all.putShort(o + 20, (short) sourcePort);
                all.putShort(o + 22, (short) port);
                all.putInt(o + 24, seq);
                seq += payload;
                all.putInt(o + 28, 1);
                all.put(o + 32, (byte) 0x50);
                all.put(o + 33, (byte) 0x18);
                all.putShort(o + 34, (short) 502);
                for (int i = 0; i < payload; i++) {
                    all.put(o + 40 + i, (byte) i);
                }
            }
            Memory addr = new Memory(16);
            addr.clear();
            addr.setShort(0, (short) LibC.AF_INET);
            ByteBuffer a = addr.getByteBuffer(0, 16).order(ByteOrder.BIG_ENDIAN);
            a.putShort(2, (short) port); // sin_port and sin_addr are in network order
            a.putInt(4, dst);
            Memory mmsg = new Memory((long) batch * (SysSocket.MMSGHDR_SIZE + SysSocket.IOVEC_SIZE));
            mmsg.clear();
            long iovBase = (long) batch * SysSocket.MMSGHDR_SIZE;
            for (int k = 0; k < batch; k++) {
                long h = (long) k * SysSocket.MMSGHDR_SIZE;
                long iov = iovBase + (long) k * SysSocket.IOVEC_SIZE;
                mmsg.setPointer(iov + SysSocket.IOV_BASE_OFFSET, pkts.share((long) k * len));
                mmsg.setLong(iov + SysSocket.IOV_LEN_OFFSET, len);
                mmsg.setPointer(h + SysSocket.MSG_NAME_OFFSET, addr);
                mmsg.setInt(h + SysSocket.MSG_NAMELEN_OFFSET, 16);
                mmsg.setPointer(h + SysSocket.MSG_IOV_OFFSET, mmsg.share(iov));
                mmsg.setLong(h + SysSocket.MSG_IOVLEN_OFFSET, 1);
            }
            long sent = 0;
            long failed = 0;
            long calls = 0;
            while (sent < maxPackets) {
                int want = (int) Math.min(batch, maxPackets - sent);
                int n = SysSocket.sendmmsg(fd, mmsg, want, 0);
                calls++;
                if (n < 0) {
                    failed++; // ENOBUFS when the device queue is full: counted, the loop goes on
                    if (failed > 1_000_000) {
                        throw new ErrnoException("sendmmsg(SOCK_RAW)", Native.getLastError());
                    }
                } else {
                    sent += n;
                }
                if ((calls & 15) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            return new long[] {sent, failed, calls};
        } finally {
            LibC.close(fd);
        }
    }

    private static int parse(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
    }
}
