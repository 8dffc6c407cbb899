package dev.understudy.netfilter.internal;

import com.sun.jna.Pointer;

/**
 * {@code struct sockaddr_in6} from {@code linux/in6.h}, for IPv4-mapped addresses
 * ({@code ::ffff:a.b.c.d}) as used by the JDK's dual-stack sockets.
 *
 * <pre>
 * struct sockaddr_in6 {
 *   unsigned short  sin6_family;    // 0, host order (AF_INET6 = 10)
 *   __be16          sin6_port;      // 2
 *   __be32          sin6_flowinfo;  // 4
 *   struct in6_addr sin6_addr;      // 8, 16 bytes; mapped: 10 x 0, 0xff 0xff, then the IPv4 address
 *   __u32           sin6_scope_id;  // 24
 * };                                // 28 bytes
 * </pre>
 */
public final class LinuxIn6 {
    public static final int AF_INET6 = 10;
    public static final int SOCKADDR_IN6_SIZE = 28;
    public static final int SIN6_FAMILY = 0;
    public static final int SIN6_PORT = 2;
    public static final int SIN6_FLOWINFO = 4;
    public static final int SIN6_ADDR = 8;
    public static final int SIN6_SCOPE_ID = 24;

    private LinuxIn6() {
    }

    /** Writes a sockaddr_in6 holding the IPv4-mapped form of {@code address}. */
    public static void putMapped(Pointer p, long off, int address, int port) {
        p.setShort(off + SIN6_FAMILY, (short) AF_INET6);
        p.setByte(off + SIN6_PORT, (byte) (port >>> 8));
        p.setByte(off + SIN6_PORT + 1, (byte) port);
        p.setInt(off + SIN6_FLOWINFO, 0);
        p.setLong(off + SIN6_ADDR, 0L);
        p.setShort(off + SIN6_ADDR + 8, (short) 0);
        p.setByte(off + SIN6_ADDR + 10, (byte) 0xff);
        p.setByte(off + SIN6_ADDR + 11, (byte) 0xff);
        p.setByte(off + SIN6_ADDR + 12, (byte) (address >>> 24));
        p.setByte(off + SIN6_ADDR + 13, (byte) (address >>> 16));
        p.setByte(off + SIN6_ADDR + 14, (byte) (address >>> 8));
        p.setByte(off + SIN6_ADDR + 15, (byte) address);
        p.setInt(off + SIN6_SCOPE_ID, 0);
    }

    /** Whether the sockaddr_in6 at {@code p + off} holds an IPv4-mapped address. */
    public static boolean isMapped(Pointer p, long off) {
        return p.getLong(off + SIN6_ADDR) == 0L && p.getShort(off + SIN6_ADDR + 8) == 0
            && p.getByte(off + SIN6_ADDR + 10) == (byte) 0xff && p.getByte(off + SIN6_ADDR + 11) == (byte) 0xff;
    }

    public static int port(Pointer p, long off) {
        return ((p.getByte(off + SIN6_PORT) & 0xff) << 8) | (p.getByte(off + SIN6_PORT + 1) & 0xff);
    }

    /** The IPv4 address inside a mapped sockaddr_in6, as a big-endian int. */
    public static int mappedAddress(Pointer p, long off) {
        long a = off + SIN6_ADDR + 12;
        return ((p.getByte(a) & 0xff) << 24) | ((p.getByte(a + 1) & 0xff) << 16) | ((p.getByte(a + 2) & 0xff) << 8)
            | (p.getByte(a + 3) & 0xff);
    }
}
