package dev.understudy.netfilter.repair.lab;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.internal.IfPacket;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.LinuxIn;
import java.io.BufferedReader;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The derived-state test's stand-in for the agent's capture (the NFQUEUE capture is another
 * package's work): an {@code AF_PACKET}/{@code SOCK_DGRAM}/{@code ETH_P_IP} socket on the
 * primary's interface sees every inbound IPv4 packet before the primary's IP stack does, so
 * every segment the primary's TCP ACKs is in the capture. Segments to VIP:port are parsed and
 * appended to FILE as they arrive (flushed every 20 ms: the "replication stream").
 *
 * <p>Args: {@code vip port interface file}. Prints {@code CAPTURING}; stdin {@code stop} drains the
 * socket, flushes, checks PACKET_STATISTICS for drops, prints {@code STOPPED segments=N drops=D}.
 *
 * <p>Record: u16 client port, u32 client address, u32 seq, u32 ack, u16 window, u8 flags,
 * u16 SYN mss (0 absent), i8 SYN wscale (-1 absent), u8 SYN sackOK, u8 has TS, u32 TSval,
 * u32 TSecr, u64 arrival ms, u32 payload length, payload.
 */
public final class SegmentCapture {
    private static final int SOL_PACKET = 263;
    private static final int PACKET_STATISTICS = 6;
    private static final int BUF = 70_000;

    public static void main(String[] args) throws Exception {
        int vip = LinuxIn.parse(args[0]);
        int port = Integer.parseInt(args[1]);
        String ifname = args[2];
        Path file = Path.of(args[3]);
        int ifindex = LibC.if_nametoindex(ifname);
        int fd = LibC.check(LibC.socket(LibC.AF_PACKET, LibC.SOCK_DGRAM, IfPacket.htons(IfPacket.ETH_P_IP) & 0xffff), "socket(AF_PACKET)");
        Memory ll = new Memory(IfPacket.SOCKADDR_LL_SIZE);
        ll.clear();
        ll.setShort(IfPacket.SLL_FAMILY, (short) LibC.AF_PACKET);
        ll.setShort(IfPacket.SLL_PROTOCOL, IfPacket.htons(IfPacket.ETH_P_IP));
        ll.setInt(IfPacket.SLL_IFINDEX, ifindex);
        LibC.check(LibC.bind(fd, ll, IfPacket.SOCKADDR_LL_SIZE), "bind(AF_PACKET)");
        Memory v = new Memory(8);
        v.setInt(0, 16 << 20);
        LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, v, 4), "setsockopt(SO_RCVBUFFORCE)");

        AtomicBoolean stop = new AtomicBoolean();
        Thread control = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null && !line.trim().equals("stop")) {
                    // wait
                }
            } catch (IOException e) {
                // parent gone
            }
            stop.set(true);
        }, "control");
        control.setDaemon(true);
        control.start();
        System.out.println("CAPTURING");
        System.out.flush();

        Memory buf = new Memory(BUF);
        Memory from = new Memory(IfPacket.SOCKADDR_LL_SIZE);
        Memory fromLen = new Memory(4);
        byte[] payload = new byte[BUF];
        long segments = 0;
        long lastFlush = System.nanoTime();
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file), 1 << 20))) {
            boolean draining = false;
            long hardDeadline = System.nanoTime() + 600_000_000_000L;
            while (System.nanoTime() < hardDeadline) {
                if (stop.get()) {
                    draining = true;
                }
                fromLen.setInt(0, IfPacket.SOCKADDR_LL_SIZE);
                long n = recvfrom(fd, buf, BUF, LibC.MSG_DONTWAIT, from, fromLen);
                if (n == -1) {
                    int errno = Native.getLastError();
                    if (errno == Errno.EAGAIN) {
                        if (draining) {
                            break; // everything that reached the socket is recorded
                        }
                        if (System.nanoTime() - lastFlush > 20_000_000L) {
                            out.flush();
                            lastFlush = System.nanoTime();
                        }
                        Thread.sleep(0, 200_000);
                        continue;
                    }
                    if (errno == Errno.EINTR) {
                        continue;
                    }
                    throw new IOException("recvfrom(AF_PACKET) errno " + errno);
                }
                if ((from.getByte(IfPacket.SLL_PKTTYPE) & 0xff) == IfPacket.PACKET_OUTGOING || n < 40) {
                    continue;
                }
                int vihl = buf.getByte(0) & 0xff;
                int ihl = (vihl & 0x0f) * 4;
                if ((vihl >>> 4) != 4 || (buf.getByte(9) & 0xff) != 6) {
                    continue;
                }
                int totLen = Math.min((int) n, be16(buf, 2));
                int dst = be32(buf, 16);
                int src = be32(buf, 12);
                int t = ihl;
                int sport = be16(buf, t);
                int dport = be16(buf, t + 2);
                if (dst != vip || dport != port) {
                    continue;
                }
                int seq = be32(buf, t + 4);
                int ack = be32(buf, t + 8);
                int doff = ((buf.getByte(t + 12) & 0xff) >>> 4) * 4;
                int flags = buf.getByte(t + 13) & 0x3f;
                int window = be16(buf, t + 14);
                int mss = 0;
                int wscale = -1;
                int sackOk = 0;
                int hasTs = 0;
                int tsval = 0;
                int tsecr = 0;
                int o = t + 20;
                while (o < t + doff) {
                    int kind = buf.getByte(o) & 0xff;
                    if (kind == 0) {
                        break;
                    }
                    if (kind == 1) {
                        o++;
                        continue;
                    }
                    int len = buf.getByte(o + 1) & 0xff;
                    if (len < 2) {
                        break;
                    }
                    if (kind == 2 && len == 4) {
                        mss = be16(buf, o + 2);
                    } else if (kind == 3 && len == 3) {
                        wscale = buf.getByte(o + 2) & 0xff;
                    } else if (kind == 4) {
                        sackOk = 1;
                    } else if (kind == 8 && len == 10) {
                        hasTs = 1;
                        tsval = be32(buf, o + 2);
                        tsecr = be32(buf, o + 6);
                    }
                    o += len;
                }
                int plen = Math.max(0, totLen - ihl - doff);
                out.writeShort(sport);
                out.writeInt(src);
                out.writeInt(seq);
                out.writeInt(ack);
                out.writeShort(window);
                out.writeByte(flags);
                out.writeShort(mss);
                out.writeByte(wscale);
                out.writeByte(sackOk);
                out.writeByte(hasTs);
                out.writeInt(tsval);
                out.writeInt(tsecr);
                out.writeLong(System.currentTimeMillis());
                out.writeInt(plen);
                buf.read(ihl + doff, payload, 0, plen);
                out.write(payload, 0, plen);
                segments++;
            }
            out.flush();
        }
        Memory stats = new Memory(8);
        Memory slen = new Memory(4);
        slen.setInt(0, 8);
        LibC.check(LibC.getsockopt(fd, SOL_PACKET, PACKET_STATISTICS, stats, slen), "getsockopt(PACKET_STATISTICS)");
        System.out.println("STOPPED segments=" + segments + " drops=" + stats.getInt(4));
        System.out.flush();
        LibC.close(fd);
    }

    private static long recvfrom(int fd, Memory buf, int len, int flags, Memory from, Memory fromLen) {
        return Raw.recvfrom(fd, buf, len, flags, from, fromLen);
    }

    static int be16(Memory m, long off) {
        return ((m.getByte(off) & 0xff) << 8) | (m.getByte(off + 1) & 0xff);
    }

    static int be32(Memory m, long off) {
        return ((m.getByte(off) & 0xff) << 24) | ((m.getByte(off + 1) & 0xff) << 16) | ((m.getByte(off + 2) & 0xff) << 8)
            | (m.getByte(off + 3) & 0xff);
    }

    /** recvfrom(2), which the shared LibC does not map. */
    static final class Raw {
        static {
            Native.register(com.sun.jna.Platform.C_LIBRARY_NAME);
        }

        static native long recvfrom(int fd, com.sun.jna.Pointer buf, long len, int flags, com.sun.jna.Pointer from, com.sun.jna.Pointer fromLen);
    }
}
