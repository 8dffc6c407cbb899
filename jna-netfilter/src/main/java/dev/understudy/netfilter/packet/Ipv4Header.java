package dev.understudy.netfilter.packet;

import java.nio.ByteBuffer;

/**
 * Named offsets and field readers of the IPv4 header (RFC 791 section 3.1). All multi-byte
 * fields are big-endian; readers take an absolute buffer offset and never allocate.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |Version|  IHL  |Type of Service|          Total Length         |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |         Identification        |Flags|      Fragment Offset    |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Time to Live |    Protocol   |         Header Checksum       |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                       Source Address                          | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Destination Address                        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    | 20
 * </pre>
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class Ipv4Header {
    public static final int MIN_LENGTH = 20;
    public static final int VERSION_IHL_OFFSET = 0;
    public static final int TOS_OFFSET = 1;
    public static final int TOTAL_LENGTH_OFFSET = 2;
    public static final int IDENTIFICATION_OFFSET = 4;
    public static final int FLAGS_FRAGMENT_OFFSET = 6;
    public static final int TTL_OFFSET = 8;
    public static final int PROTOCOL_OFFSET = 9;
    public static final int CHECKSUM_OFFSET = 10;
    public static final int SOURCE_OFFSET = 12;
    public static final int DESTINATION_OFFSET = 16;

    public static final int PROTOCOL_TCP = 6;
    /** More-fragments flag in the flags/fragment-offset field. */
    public static final int FLAG_MF = 0x2000;
    public static final int FLAG_DF = 0x4000;
    public static final int FRAGMENT_OFFSET_MASK = 0x1FFF;

    private Ipv4Header() {
    }

    public static int version(ByteBuffer b, int off) {
        return (b.get(off + VERSION_IHL_OFFSET) >> 4) & 0xF;
    }

    /** Header length in bytes (IHL * 4). */
    public static int headerLength(ByteBuffer b, int off) {
        return (b.get(off + VERSION_IHL_OFFSET) & 0xF) << 2;
    }

    public static int totalLength(ByteBuffer b, int off) {
        return b.getShort(off + TOTAL_LENGTH_OFFSET) & 0xFFFF;
    }

    public static int flagsAndFragmentOffset(ByteBuffer b, int off) {
        return b.getShort(off + FLAGS_FRAGMENT_OFFSET) & 0xFFFF;
    }

    public static int protocol(ByteBuffer b, int off) {
        return b.get(off + PROTOCOL_OFFSET) & 0xFF;
    }

    public static int ttl(ByteBuffer b, int off) {
        return b.get(off + TTL_OFFSET) & 0xFF;
    }

    /** Source address as a big-endian int (198.18.0.2 = 0xC6120002). */
    public static int source(ByteBuffer b, int off) {
        return b.getInt(off + SOURCE_OFFSET);
    }

    public static int destination(ByteBuffer b, int off) {
        return b.getInt(off + DESTINATION_OFFSET);
    }

    /** The RFC 1071 one's-complement sum over the header; 0 when the checksum is right. */
    public static int checksumResidue(ByteBuffer b, int off, int headerLength) {
        int sum = 0;
        for (int i = 0; i < headerLength; i += 2) {
            sum += b.getShort(off + i) & 0xFFFF;
        }
        while ((sum >>> 16) != 0) {
            sum = (sum & 0xFFFF) + (sum >>> 16);
        }
        return ~sum & 0xFFFF;
    }

    /** Dotted-quad text of an address int (allocates; for logs and tests, not the data path). */
    public static String toString(int address) {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." + ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /** Parses a dotted quad into a big-endian int. */
    public static int parse(String dotted) {
        String[] parts = dotted.split("\\.");
        if (parts.length != 4) {
            throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d");
        }
        int a = 0;
        for (String p : parts) {
            int v;
            try {
                v = Integer.parseInt(p);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d", e);
            }
            if (v < 0 || v > 255) {
                throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted + ", expected a.b.c.d");
            }
            a = (a << 8) | v;
        }
        return a;
    }
}
