package dev.understudy.benchmarks.capture;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The raw small-segment generator of {@link CaptureBenchmark}: sends hand-built IPv4/TCP
 * segments (ACK|PSH, {@code payload} bytes, increasing seq) from {@code src} to
 * {@code dst:port} through a raw socket, as fast as one thread can, for {@code seconds} and at
 * most {@code maxPackets}. No TCP connection and no congestion control: the offered load is
 * one segment per sendto, so the receiving side sees exactly this many small segments.
 * (node1 drops them at INPUT with a DROP guard after the capture has seen them.)
 *
 * <p>Usage: {@code CaptureBlaster src dst port seconds maxPackets payload [threads]} (default 2
 * threads, each with its own raw socket and source port). Prints
 * {@code RESULT {"sent":..,"seconds":..,"packetsPerSecond":..}}.
 */
public final class CaptureBlaster {
    private static final int IPPROTO_RAW = 255;
    /** asm-generic/socket.h. */
    private static final int SO_SNDBUFFORCE = 32;

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
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        long[][] results = new long[threads][];
        Thread[] workers = new Thread[threads];
        for (int w = 0; w < threads; w++) {
            int index = w;
            workers[w] = new Thread(() -> {
                try {
                    results[index] = blast(src, dst, port, 40000 + index, deadline, maxPackets / threads, payload);
                } catch (ErrnoException e) {
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }, "blaster-" + w);
            workers[w].start();
        }
        long sent = 0;
        long failed = 0;
        for (int w = 0; w < threads; w++) {
            workers[w].join();
            if (results[w] == null) {
                throw new IllegalStateException("blaster thread " + w + " failed");
            }
            sent += results[w][0];
            failed += results[w][1];
        }
        double elapsed = (System.nanoTime() - start) / 1e9;
        System.out.println("RESULT {\"threads\":" + threads + ",\"sent\":" + sent + ",\"failed\":" + failed + ",\"seconds\":"
            + String.format("%.3f", elapsed) + ",\"packetsPerSecond\":" + String.format("%.0f", sent / elapsed) + "}");
        System.out.flush();
    }

    /** One sender: its own raw socket and source port; returns {sent, failed}. */
    private static long[] blast(int src, int dst, int port, int sourcePort, long deadline, long maxPackets, int payload)
        throws ErrnoException {
        int fd = LibC.check(LibC.socket(LibC.AF_INET, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC, IPPROTO_RAW), "socket(AF_INET, SOCK_RAW)");
        try {
            // A queued packet keeps its send-buffer charge until the capture's verdict frees it: a large send buffer
            // lets many packets be in flight (as many connections would), so the capture is not fed one at a time.
            try (Memory opt = new Memory(4)) {
                opt.setInt(0, 64 << 20);
                LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_SNDBUFFORCE, opt, 4), "setsockopt(SO_SNDBUFFORCE)");
            }
            int len = 20 + 20 + payload;
            Memory pkt = new Memory(len);
            pkt.clear();
            ByteBuffer b = pkt.getByteBuffer(0, len).order(ByteOrder.BIG_ENDIAN);
            // IPv4 (RFC 791): the kernel fills in the checksum (and the id) for IPPROTO_RAW (raw(7)).
            b.put(0, (byte) 0x45);
            b.putShort(2, (short) len);
            b.putShort(6, (short) 0x4000);
            b.put(8, (byte) 64);
            b.put(9, (byte) 6);
            b.putInt(12, src);
            b.putInt(16, dst);
            // TCP (RFC 793): ports, seq (rewritten per packet), ack, doff 5, ACK|PSH, window.
            b.putShort(20, (short) sourcePort);
            b.putShort(22, (short) port);
            b.putInt(28, 1);
            b.put(32, (byte) 0x50);
            b.put(33, (byte) 0x18);
            b.putShort(34, (short) 502);
            for (int i = 0; i < payload; i++) {
                b.put(40 + i, (byte) i);
            }
            Memory addr = new Memory(16);
            addr.clear();
            addr.setShort(0, (short) LibC.AF_INET);
            ByteBuffer a = addr.getByteBuffer(0, 16).order(ByteOrder.BIG_ENDIAN);
            a.putShort(2, (short) port); // sin_port and sin_addr are in network order
            a.putInt(4, dst);
            long sent = 0;
            long failed = 0;
            int seq = 1000;
            while (sent < maxPackets) {
                b.putInt(24, seq);
                seq += payload;
                if (LibC.sendto(fd, pkt, len, 0, addr, 16) < 0) {
                    failed++; // ENOBUFS when the device queue is full: counted, the loop goes on
                    if (failed > 1_000_000) {
                        throw new ErrnoException("sendto(SOCK_RAW)", Native.getLastError());
                    }
                } else {
                    sent++;
                }
                if (((sent + failed) & 255) == 0 && System.nanoTime() > deadline) {
                    break;
                }
            }
            return new long[] {sent, failed};
        } finally {
            LibC.close(fd);
        }
    }

    private static int parse(String dotted) {
        String[] p = dotted.split("\\.");
        return (Integer.parseInt(p[0]) << 24) | (Integer.parseInt(p[1]) << 16) | (Integer.parseInt(p[2]) << 8) | Integer.parseInt(p[3]);
    }
}
