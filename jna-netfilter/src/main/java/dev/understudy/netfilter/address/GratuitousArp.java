package dev.understudy.netfilter.address;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.IfPacket;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.SysIoctl;
import java.nio.charset.StandardCharsets;

/**
 * Announces that an IPv4 address now lives at this interface's MAC: a gratuitous ARP request
 * (RFC 5227 §3 "ARP Announcement": sender IP = target IP = the address, sender MAC = ours,
 * target MAC zero) broadcast from an {@code AF_PACKET}/{@code SOCK_DGRAM} socket bound to
 * {@code ETH_P_ARP}. Linux neighbours update an existing entry on it even inside the ARP
 * lock time (net/ipv4/arp.c {@code is_garp}).
 *
 * <p>Keep one instance open for the life of the node: opening is cheap but closing a packet
 * socket costs about 20 ms (synchronize_net, shared/KERNEL.md). The MAC is read once with
 * {@code ioctl(SIOCGIFHWADDR)}. Needs CAP_NET_RAW.
 *
 * <p>Thread-safety: not thread-safe.
 */
public final class GratuitousArp implements AutoCloseable {
    /** Upper bound on {@link #announce} repetitions. */
    public static final int MAX_COUNT = 100;

    private final String ifname;
    private final int fd;
    private final int ifindex;
    private final byte[] mac = new byte[IfPacket.ETH_ALEN];
    private final Memory packet = new Memory(IfPacket.ARP_PACKET_SIZE);
    private final Memory dest = new Memory(IfPacket.SOCKADDR_LL_SIZE);
    private boolean closed;

    /**
     * Opens the packet socket on {@code ifname} and reads its MAC.
     *
     * @throws ErrnoException {@code if_nametoindex} (ENODEV), {@code socket(AF_PACKET)} (EPERM) or {@code ioctl(SIOCGIFHWADDR)}
     */
    public GratuitousArp(String ifname) throws ErrnoException {
        this.ifname = ifname;
        int idx = LibC.if_nametoindex(ifname);
        if (idx == 0) {
            throw new ErrnoException("if_nametoindex(" + ifname + ")", Native.getLastError());
        }
        this.ifindex = idx;
        this.fd = LibC.check(LibC.socket(LibC.AF_PACKET, LibC.SOCK_DGRAM | LibC.SOCK_CLOEXEC, IfPacket.htons(IfPacket.ETH_P_ARP) & 0xffff),
            "socket(AF_PACKET, SOCK_DGRAM, ETH_P_ARP)");
        boolean ok = false;
        try (Memory ifr = new Memory(IfPacket.IFREQ_SIZE)) {
            ifr.clear();
            byte[] name = ifname.getBytes(StandardCharsets.US_ASCII);
            if (name.length >= IfPacket.IFNAMSIZ) {
                throw new IllegalArgumentException("invalid interface name: value=" + ifname + ", expected < 16 bytes");
            }
            ifr.write(IfPacket.IFR_NAME, name, 0, name.length);
            LibC.check(SysIoctl.ioctl(fd, SysIoctl.SIOCGIFHWADDR, ifr), "ioctl(SIOCGIFHWADDR, " + ifname + ")");
            int family = ifr.getShort(IfPacket.IFR_HWADDR) & 0xffff;
            if (family != IfPacket.ARPHRD_ETHER) {
                throw new ErrnoException("ioctl(SIOCGIFHWADDR, " + ifname + "): hardware type " + family + " is not Ethernet",
                    Errno.EOPNOTSUPP);
            }
            ifr.read(IfPacket.IFR_HWADDR_DATA, mac, 0, IfPacket.ETH_ALEN);
            dest.clear();
            dest.setShort(IfPacket.SLL_FAMILY, (short) LibC.AF_PACKET);
            dest.setShort(IfPacket.SLL_PROTOCOL, IfPacket.htons(IfPacket.ETH_P_ARP));
            dest.setInt(IfPacket.SLL_IFINDEX, ifindex);
            dest.setShort(IfPacket.SLL_HATYPE, (short) IfPacket.ARPHRD_ETHER);
            dest.setByte(IfPacket.SLL_HALEN, (byte) IfPacket.ETH_ALEN);
            for (int i = 0; i < IfPacket.ETH_ALEN; i++) {
                dest.setByte(IfPacket.SLL_ADDR + i, (byte) 0xff);
            }
            ok = true;
        } finally {
            if (!ok) {
                LibC.close(fd);
            }
        }
    }

    /** The interface's MAC (a copy). */
    public byte[] mac() {
        return mac.clone();
    }

    public int ifindex() {
        return ifindex;
    }

    /**
     * Broadcasts {@code count} gratuitous ARP requests for {@code address}, back to back.
     *
     * @param address IPv4 address as a big-endian int
     * @param count   1..{@value #MAX_COUNT}
     * @throws ErrnoException {@code sendto} failed (ENETDOWN when the link is down)
     */
    public void announce(int address, int count) throws ErrnoException {
        if (closed) {
            throw new IllegalStateException("GratuitousArp on " + ifname + " is closed");
        }
        if (count < 1 || count > MAX_COUNT) {
            throw new IllegalArgumentException("invalid ARP count: value=" + count + ", expected 1.." + MAX_COUNT);
        }
        encode(packet, mac, address);
        for (int i = 0; i < count; i++) {
            long rc;
            do {
                rc = LibC.sendto(fd, packet, IfPacket.ARP_PACKET_SIZE, 0, dest, IfPacket.SOCKADDR_LL_SIZE);
            } while (rc == -1 && Native.getLastError() == Errno.EINTR);
            LibC.check(rc, "sendto(AF_PACKET, gratuitous ARP, " + ifname + ")");
        }
    }

    /** Writes the 28-byte ARP announcement (visible for the layout test). */
    static void encode(Pointer p, byte[] mac, int address) {
        p.setShort(IfPacket.AR_HRD, IfPacket.htons(IfPacket.ARPHRD_ETHER));
        p.setShort(IfPacket.AR_PRO, IfPacket.htons(IfPacket.ETH_P_IP));
        p.setByte(IfPacket.AR_HLN, (byte) IfPacket.ETH_ALEN);
        p.setByte(IfPacket.AR_PLN, (byte) 4);
        p.setShort(IfPacket.AR_OP, IfPacket.htons(IfPacket.ARPOP_REQUEST));
        p.write(IfPacket.AR_SHA, mac, 0, IfPacket.ETH_ALEN);
        putAddress(p, IfPacket.AR_SIP, address);
        for (int i = 0; i < IfPacket.ETH_ALEN; i++) {
            p.setByte(IfPacket.AR_THA + i, (byte) 0);
        }
        putAddress(p, IfPacket.AR_TIP, address);
    }

    private static void putAddress(Pointer p, long off, int a) {
        p.setByte(off, (byte) (a >>> 24));
        p.setByte(off + 1, (byte) (a >>> 16));
        p.setByte(off + 2, (byte) (a >>> 8));
        p.setByte(off + 3, (byte) a);
    }

    /** Closes the packet socket (takes ~20 ms in the kernel). Idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            LibC.close(fd);
        }
    }
}
