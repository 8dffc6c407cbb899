package dev.understudy.netfilter.internal;

import com.sun.jna.Pointer;

/**
 * {@code struct sockaddr_in} from {@code linux/in.h}, written and read in place.
 *
 * <pre>
 * struct sockaddr_in {
 *   __kernel_sa_family_t sin_family;  // 0, host order (AF_INET = 2)
 *   __be16               sin_port;    // 2, network order
 *   struct in_addr       sin_addr;    // 4, network order
 *   unsigned char        __pad[8];    // 8
 * };                                  // 16 bytes
 * </pre>
 *
 * Addresses are carried as {@code int}s holding the address in network order read as a
 * big-endian number, i.e. 198.18.0.100 = 0xC6120064.
 */
public final class LinuxIn {
    public static final int SOCKADDR_IN_SIZE = 16;
    public static final int SIN_FAMILY = 0;
    public static final int SIN_PORT = 2;
    public static final int SIN_ADDR = 4;
    public static final int SIN_ZERO = 8;

    private LinuxIn() {
    }

    /** Writes a sockaddr_in at {@code p + off}. */
    public static void putSockaddrIn(Pointer p, long off, int address, int port) {
        p.setShort(off + SIN_FAMILY, (short) LibC.AF_INET);
        p.setByte(off + SIN_PORT, (byte) (port >>> 8));
        p.setByte(off + SIN_PORT + 1, (byte) port);
        p.setByte(off + SIN_ADDR, (byte) (address >>> 24));
        p.setByte(off + SIN_ADDR + 1, (byte) (address >>> 16));
        p.setByte(off + SIN_ADDR + 2, (byte) (address >>> 8));
        p.setByte(off + SIN_ADDR + 3, (byte) address);
        p.setLong(off + SIN_ZERO, 0L);
    }

    /** The port of the sockaddr_in at {@code p + off}. */
    public static int port(Pointer p, long off) {
        return ((p.getByte(off + SIN_PORT) & 0xff) << 8) | (p.getByte(off + SIN_PORT + 1) & 0xff);
    }

    /** The address of the sockaddr_in at {@code p + off}, as a big-endian int. */
    public static int address(Pointer p, long off) {
        return ((p.getByte(off + SIN_ADDR) & 0xff) << 24) | ((p.getByte(off + SIN_ADDR + 1) & 0xff) << 16)
            | ((p.getByte(off + SIN_ADDR + 2) & 0xff) << 8) | (p.getByte(off + SIN_ADDR + 3) & 0xff);
    }

    /** Dotted quad of a big-endian int address. */
    public static String toString(int address) {
        return (address >>> 24) + "." + ((address >>> 16) & 0xff) + "." + ((address >>> 8) & 0xff) + "." + (address & 0xff);
    }

    /**
     * Parses a dotted-quad IPv4 literal (no name lookup).
     *
     * @throws IllegalArgumentException when it is not a dotted quad
     */
    public static int parse(String dotted) {
        String[] parts = dotted.split("\\.", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d");
        }
        int a = 0;
        for (String part : parts) {
            int v;
            try {
                v = Integer.parseInt(part);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d");
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d");
            }
            a = (a << 8) | v;
        }
        return a;
    }
}
