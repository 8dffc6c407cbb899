package dev.understudy.netfilter.packet;

import java.nio.ByteBuffer;

/**
 * Named offsets, flags and option kinds of the TCP header (RFC 793 section 3.1, RFC 7323,
 * RFC 2018). Multi-byte fields are big-endian.
 *
 * <pre>
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |          Source Port          |       Destination Port        |  0
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                        Sequence Number                        |  4
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Acknowledgment Number                      |  8
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |  Data |       |C|E|U|A|P|R|S|F|                               |
 * | Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             | 12
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |           Checksum            |         Urgent Pointer        | 16
 * +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 * |                    Options                    |    Padding    | 20
 * </pre>
 *
 * <p>Thread-safety: stateless; safe from any thread.
 */
public final class TcpHeader {
    public static final int MIN_LENGTH = 20;
    public static final int MAX_LENGTH = 60;
    public static final int SOURCE_PORT_OFFSET = 0;
    public static final int DESTINATION_PORT_OFFSET = 2;
    public static final int SEQ_OFFSET = 4;
    public static final int ACK_OFFSET = 8;
    public static final int DATA_OFFSET_OFFSET = 12;
    public static final int FLAGS_OFFSET = 13;
    public static final int WINDOW_OFFSET = 14;
    public static final int CHECKSUM_OFFSET = 16;
    public static final int URGENT_OFFSET = 18;

    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;
    public static final int URG = 0x20;
    public static final int ECE = 0x40;
    public static final int CWR = 0x80;

    // Option kinds (IANA "TCP Option Kind Numbers").
    public static final int OPT_EOL = 0;
    public static final int OPT_NOP = 1;
    public static final int OPT_MSS = 2;
    public static final int OPT_WINDOW_SCALE = 3;
    public static final int OPT_SACK_PERMITTED = 4;
    public static final int OPT_SACK = 5;
    public static final int OPT_TIMESTAMPS = 8;

    public static final int OPT_MSS_LENGTH = 4;
    public static final int OPT_WINDOW_SCALE_LENGTH = 3;
    public static final int OPT_SACK_PERMITTED_LENGTH = 2;
    public static final int OPT_TIMESTAMPS_LENGTH = 10;
    /** A SACK option carries 1 to 4 blocks of 8 bytes after its 2-byte header (RFC 2018 section 3). */
    public static final int OPT_SACK_MAX_BLOCKS = 4;

    private TcpHeader() {
    }

    public static int sourcePort(ByteBuffer b, int off) {
        return b.getShort(off + SOURCE_PORT_OFFSET) & 0xFFFF;
    }

    public static int destinationPort(ByteBuffer b, int off) {
        return b.getShort(off + DESTINATION_PORT_OFFSET) & 0xFFFF;
    }

    /** Sequence number, unsigned in a long. */
    public static long seq(ByteBuffer b, int off) {
        return b.getInt(off + SEQ_OFFSET) & 0xFFFFFFFFL;
    }

    public static long ack(ByteBuffer b, int off) {
        return b.getInt(off + ACK_OFFSET) & 0xFFFFFFFFL;
    }

    /** Header length in bytes (data offset * 4). */
    public static int headerLength(ByteBuffer b, int off) {
        return ((b.get(off + DATA_OFFSET_OFFSET) >> 4) & 0xF) << 2;
    }

    public static int flags(ByteBuffer b, int off) {
        return b.get(off + FLAGS_OFFSET) & 0xFF;
    }

    /** The raw (unscaled) window field. */
    public static int window(ByteBuffer b, int off) {
        return b.getShort(off + WINDOW_OFFSET) & 0xFFFF;
    }
}
