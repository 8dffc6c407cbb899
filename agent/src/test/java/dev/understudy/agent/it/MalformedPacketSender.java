package dev.understudy.agent.it;

import com.sun.jna.Library;
import com.sun.jna.Native;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Fires a bounded burst of malformed IPv4/TCP packets at {@code target:port}, run in the lab's
 * {@code client} namespace by {@link MalformedInputIT}. The packets leave through an
 * {@code AF_PACKET}/{@code SOCK_DGRAM} socket on {@code eth0} to the MAC the client's ARP table
 * holds for the target, so every byte of the IP header is ours: a raw {@code AF_INET} socket with
 * {@code IP_HDRINCL} cannot send them ({@code net/ipv4/raw.c} raw_send_hdrinc refuses an IHL below
 * 5 or beyond the packet with EINVAL, and rewrites {@code tot_len} and the checksum of every other
 * header). Packets cycle through {@link Kind}; each has its own IP id (no two fragments ever
 * reassemble) and a source port in 1024..4999, below the ephemeral range LoadClient's connections
 * use, and none is a SYN.
 *
 * <pre>
 * java ... MalformedPacketSender SOURCE TARGET PORT COUNT SECONDS
 * </pre>
 * Prints one {@code KIND name=N} line per kind and {@code SENT total=N failed=M} on exit.
 *
 * <p>What the receiving kernel does with each kind ({@code net/ipv4/ip_input.c} ip_rcv_core,
 * before PREROUTING; then the capture rule {@code -t mangle -A PREROUTING -d VIP -p tcp --dport
 * PORT -j NFQUEUE}, whose {@code tcp} match, {@code net/netfilter/xt_tcpudp.c} tcp_mt, hot-drops a
 * packet whose TCP header it cannot read and does not match a non-first fragment) is in
 * {@link Kind#reachesQueue}.
 */
public final class MalformedPacketSender {
    private MalformedPacketSender() {
    }

    /** The malformations, and whether the kernel lets such a packet reach the NFQUEUE. */
    enum Kind {
        /** IHL 3 (with a correct checksum over those 12 bytes): ip_rcv_core drops {@code ihl < 5}. */
        BAD_IHL(false),
        /** 10 bytes of TCP header: tcp_mt cannot read 20 and hot-drops it. */
        TRUNCATED_TCP_HEADER(false),
        /** Data offset 3 (12 bytes): the tcp match reads ports only (no --tcp-option), so it is queued. */
        DATA_OFFSET_TOO_SMALL(true),
        /** Data offset 15 (60 bytes) over a 20-byte header: queued. */
        DATA_OFFSET_PAST_END(true),
        /** MSS option with length 3: queued; the parser refuses it. */
        BAD_OPTION_LENGTH(true),
        /** An option whose length runs past the header: queued. */
        OPTION_PAST_HEADER(true),
        /** tot_len claims 1,000 bytes more than the frame holds: ip_rcv_core drops it. */
        BAD_TOTAL_LENGTH(false),
        /** First fragment (MF, offset 0) with a full TCP header: the tcp match sees the ports; queued. */
        FIRST_FRAGMENT(true),
        /** A later fragment (offset 16 bytes): tcp_mt does not match {@code fragoff != 0}, never queued. */
        LATER_FRAGMENT(false);

        final boolean reachesQueue;

        Kind(boolean reachesQueue) {
            this.reachesQueue = reachesQueue;
        }
    }

    /** {@code sys/socket.h}, {@code unistd.h}. */
    public interface CLib extends Library {
        int socket(int domain, int type, int protocol);

        long sendto(int fd, byte[] buf, long len, int flags, byte[] addr, int addrlen);

        int close(int fd);

        int if_nametoindex(String name);
    }

    private static final int AF_PACKET = 17;
    private static final int SOCK_DGRAM = 2;
    private static final int ETH_P_IP = 0x0800;
    private static final int IPPROTO_TCP = 6;

    public static void main(String[] args) throws Exception {
        byte[] source = InetAddress.getByName(args[0]).getAddress();
        byte[] target = InetAddress.getByName(args[1]).getAddress();
        int port = Integer.parseInt(args[2]);
        int count = Integer.parseInt(args[3]);
        long seconds = Long.parseLong(args[4]);
        byte[] mac = arpEntry(args[1]);
        CLib libc = Native.load("c", CLib.class);
        int ifindex = libc.if_nametoindex("eth0");
        if (ifindex <= 0) {
            throw new IllegalStateException("if_nametoindex(eth0) failed: errno=" + Native.getLastError());
        }
        int fd = libc.socket(AF_PACKET, SOCK_DGRAM, Short.toUnsignedInt(Short.reverseBytes((short) ETH_P_IP)));
        if (fd < 0) {
            throw new IllegalStateException("socket(AF_PACKET, SOCK_DGRAM) failed: errno=" + Native.getLastError());
        }
        // struct sockaddr_ll (linux/if_packet.h): family, protocol (network order), ifindex, hatype, pkttype, halen, addr[8]
        ByteBuffer sa = ByteBuffer.allocate(20).order(ByteOrder.nativeOrder());
        sa.putShort((short) AF_PACKET);
        sa.order(ByteOrder.BIG_ENDIAN).putShort((short) ETH_P_IP);
        sa.order(ByteOrder.nativeOrder()).putInt(ifindex).putShort((short) 0).put((byte) 0).put((byte) 6).put(mac);
        byte[] addr = sa.array();
        Kind[] kinds = Kind.values();
        long[] sent = new long[kinds.length];
        long failed = 0;
        long start = System.nanoTime();
        long spacingNs = seconds * 1_000_000_000L / Math.max(1, count);
        try {
            for (int i = 0; i < count; i++) {
                long due = start + i * spacingNs;
                for (long now = System.nanoTime(); now < due; now = System.nanoTime()) {
                    java.util.concurrent.locks.LockSupport.parkNanos(due - now); // paced, not spinning: shared cores
                }
                Kind k = kinds[i % kinds.length];
                byte[] p = build(k, i, source, target, port);
                if (libc.sendto(fd, p, p.length, 0, addr, addr.length) == p.length) {
                    sent[k.ordinal()]++;
                } else {
                    failed++;
                }
            }
        } finally {
            libc.close(fd);
        }
        long total = 0;
        for (Kind k : kinds) {
            System.out.println("KIND " + k.name() + "=" + sent[k.ordinal()]);
            total += sent[k.ordinal()];
        }
        System.out.println("SENT total=" + total + " failed=" + failed);
    }

    /** The MAC address {@code /proc/net/arp} holds for {@code ip} on eth0. */
    private static byte[] arpEntry(String ip) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            byte[] mac = arpLookup(ip);
            if (mac != null) {
                return mac;
            }
            // one UDP datagram to the discard port makes the kernel resolve the address
            try (java.net.DatagramSocket s = new java.net.DatagramSocket()) {
                s.send(new java.net.DatagramPacket(new byte[1], 1, InetAddress.getByName(ip), 9));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("no ARP entry for " + ip + " on eth0: "
            + java.nio.file.Files.readString(java.nio.file.Path.of("/proc/net/arp")));
    }

    private static byte[] arpLookup(String ip) throws Exception {
        for (String line : java.nio.file.Files.readAllLines(java.nio.file.Path.of("/proc/net/arp"))) {
            String[] f = line.trim().split("\\s+");
            if (f.length >= 6 && f[0].equals(ip) && f[5].equals("eth0") && !f[3].equals("00:00:00:00:00:00")) {
                byte[] mac = new byte[6];
                String[] h = f[3].split(":");
                for (int i = 0; i < 6; i++) {
                    mac[i] = (byte) Integer.parseInt(h[i], 16);
                }
                return mac;
            }
        }
        return null;
    }

    static byte[] build(Kind k, int i, byte[] source, byte[] target, int port) {
        int ihl = k == Kind.BAD_IHL ? 3 : 5;
        int tcpLength = switch (k) {
            case TRUNCATED_TCP_HEADER -> 10;
            case BAD_OPTION_LENGTH, OPTION_PAST_HEADER -> 24;
            case FIRST_FRAGMENT, LATER_FRAGMENT -> 32; // a multiple of 8: a valid fragment size
            default -> 20;
        };
        int ipLength = Math.max(ihl, 5) * 4; // with IHL 3 the 20 bytes still go out, the receiver reads 12
        ByteBuffer b = ByteBuffer.allocate(ipLength + tcpLength).order(ByteOrder.BIG_ENDIAN);
        b.put((byte) (0x40 | ihl)).put((byte) 0);
        b.putShort((short) (k == Kind.BAD_TOTAL_LENGTH ? ipLength + tcpLength + 1000 : ipLength + tcpLength));
        b.putShort((short) (i + 1)); // IP id, never 0 (the kernel would choose one)
        int frag = switch (k) {
            case FIRST_FRAGMENT -> 0x2000; // MF, offset 0
            case LATER_FRAGMENT -> 2; // offset 2 * 8 bytes, last fragment
            default -> 0x4000; // DF
        };
        b.putShort((short) frag).put((byte) 64).put((byte) IPPROTO_TCP).putShort((short) 0);
        b.put(source).put(target);
        b.position(ipLength);
        b.putShort((short) (1024 + i % 3976)).putShort((short) port);
        if (tcpLength < 20) {
            b.putInt(0x1000_0000 + i).putShort((short) 0x5010); // the header stops in the middle
            return withChecksum(b.array(), ihl);
        }
        int doff = switch (k) {
            case DATA_OFFSET_TOO_SMALL -> 3;
            case DATA_OFFSET_PAST_END -> 15;
            case BAD_OPTION_LENGTH, OPTION_PAST_HEADER -> 6;
            default -> 5;
        };
        b.putInt(0x1000_0000 + i).putInt(0x2000_0000 + i);
        b.putShort((short) ((doff << 12) | 0x010)); // ACK only: never a SYN, never opens a connection
        b.putShort((short) 1024).putShort((short) 0).putShort((short) 0);
        if (k == Kind.BAD_OPTION_LENGTH) {
            b.put((byte) 2).put((byte) 3).put((byte) 0x05).put((byte) 0xB4); // MSS, length 3 (must be 4)
        } else if (k == Kind.OPTION_PAST_HEADER) {
            b.put((byte) 8).put((byte) 40).put((byte) 0).put((byte) 0); // timestamps, length 40 > 4 left
        }
        while (b.position() < b.capacity()) {
            b.put((byte) 'x');
        }
        return withChecksum(b.array(), ihl);
    }

    /** Puts a correct header checksum over the first {@code ihl} words (RFC 791), whatever else is wrong. */
    private static byte[] withChecksum(byte[] p, int ihl) {
        int sum = 0;
        for (int j = 0; j < ihl * 4; j += 2) {
            sum += ((p[j] & 0xFF) << 8) | (p[j + 1] & 0xFF);
        }
        sum = (sum & 0xFFFF) + (sum >>> 16);
        sum = (sum & 0xFFFF) + (sum >>> 16);
        p[10] = (byte) (~sum >>> 8);
        p[11] = (byte) ~sum;
        return p;
    }
}
