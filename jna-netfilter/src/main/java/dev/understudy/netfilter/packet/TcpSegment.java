package dev.understudy.netfilter.packet;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * A reusable flyweight over one IPv4/TCP packet in a buffer: {@link #wrap} validates the
 * IPv4 header, the TCP header and every TCP option once, and caches the fields; the accessors
 * then read plain fields. Nothing is allocated per packet, and the payload is never copied:
 * it is exposed as ({@link #buffer()}, {@link #payloadOffset()}, {@link #payloadLength()}).
 *
 * <p>What is checked (each failure is a {@code PARSE_*} code, never an exception): IP version 4,
 * IHL &ge; 5, total length within the captured bytes and &ge; IHL, protocol TCP, not a
 * fragment (offset 0, MF clear), TCP data offset &ge; 5 and within the packet, and every
 * option well formed: EOL ends the list, NOP is one byte, any other kind has a length
 * &ge; 2 that fits, MSS is 4 bytes, window scale 3, SACK-permitted 2, timestamps 10, SACK
 * 2 + 8n with n in 1..4 (RFC 793, 7323, 2018). Checksums are not verified here (the kernel
 * verifies the TCP checksum after PREROUTING; see {@link Ipv4Header#checksumResidue}).
 *
 * <p>The buffer must be {@link ByteOrder#BIG_ENDIAN} (network order).
 *
 * <p>Thread-safety: not thread-safe; one instance per thread. The values stay valid until the
 * next {@link #wrap}; the payload bytes only as long as the caller keeps the buffer unchanged
 * (for a captured packet: until the handler returns).
 */
public final class TcpSegment {
    public static final int PARSE_OK = 0;
    public static final int PARSE_TOO_SHORT = 1;
    public static final int PARSE_NOT_IPV4 = 2;
    public static final int PARSE_BAD_IHL = 3;
    public static final int PARSE_BAD_TOTAL_LENGTH = 4;
    public static final int PARSE_NOT_TCP = 5;
    public static final int PARSE_FRAGMENT = 6;
    public static final int PARSE_BAD_DATA_OFFSET = 7;
    public static final int PARSE_BAD_OPTION = 8;
    /** Number of parse result codes, for per-reason counter arrays. */
    public static final int PARSE_RESULTS = 9;

    private static final String[] RESULT_NAMES = {
        "OK", "TOO_SHORT", "NOT_IPV4", "BAD_IHL", "BAD_TOTAL_LENGTH", "NOT_TCP", "FRAGMENT", "BAD_DATA_OFFSET", "BAD_OPTION"
    };

    private ByteBuffer buffer;
    private int ipOffset;
    private int ipHeaderLength;
    private int totalLength;
    private int tcpOffset;
    private int tcpHeaderLength;
    private int source;
    private int destination;
    private int sourcePort;
    private int destinationPort;
    private long seq;
    private long ack;
    private int flags;
    private int window;
    private int mss;
    private int windowScale;
    private boolean sackPermitted;
    private boolean timestamps;
    private long tsVal;
    private long tsEcr;
    private int sackBlocks;
    private int sackOffset;
    private boolean valid;

    /** Name of a {@code PARSE_*} code, for reports. */
    public static String resultName(int result) {
        return result >= 0 && result < RESULT_NAMES.length ? RESULT_NAMES[result] : "UNKNOWN_" + result;
    }

    /**
     * Parses the IPv4 packet at {@code buffer[offset, offset + length)}.
     *
     * @return {@link #PARSE_OK} or the first failure found; on failure the accessors are undefined
     * @throws IllegalArgumentException when the buffer is not big-endian (a programming error)
     */
    public int wrap(ByteBuffer buffer, int offset, int length) {
        if (buffer.order() != ByteOrder.BIG_ENDIAN) {
            throw new IllegalArgumentException("TcpSegment needs a BIG_ENDIAN buffer: order=" + buffer.order());
        }
        valid = false;
        this.buffer = buffer;
        if (offset < 0 || length < Ipv4Header.MIN_LENGTH || offset > buffer.capacity() - length) {
            return PARSE_TOO_SHORT;
        }
        this.ipOffset = offset;
        if (Ipv4Header.version(buffer, offset) != 4) {
            return PARSE_NOT_IPV4;
        }
        int ihl = Ipv4Header.headerLength(buffer, offset);
        if (ihl < Ipv4Header.MIN_LENGTH) {
            return PARSE_BAD_IHL;
        }
        int total = Ipv4Header.totalLength(buffer, offset);
        if (total > length || total < ihl) {
            return PARSE_BAD_TOTAL_LENGTH;
        }
        if (Ipv4Header.protocol(buffer, offset) != Ipv4Header.PROTOCOL_TCP) {
            return PARSE_NOT_TCP;
        }
        int frag = Ipv4Header.flagsAndFragmentOffset(buffer, offset);
        if ((frag & (Ipv4Header.FLAG_MF | Ipv4Header.FRAGMENT_OFFSET_MASK)) != 0) {
            return PARSE_FRAGMENT;
        }
        int tcp = offset + ihl;
        int tcpAvailable = total - ihl;
        if (tcpAvailable < TcpHeader.MIN_LENGTH) {
            return PARSE_BAD_DATA_OFFSET;
        }
        int thl = TcpHeader.headerLength(buffer, tcp);
        if (thl < TcpHeader.MIN_LENGTH || thl > tcpAvailable) {
            return PARSE_BAD_DATA_OFFSET;
        }
        this.ipHeaderLength = ihl;
        this.totalLength = total;
        this.tcpOffset = tcp;
        this.tcpHeaderLength = thl;
        int rc = parseOptions(buffer, tcp + TcpHeader.MIN_LENGTH, tcp + thl);
        if (rc != PARSE_OK) {
            return rc;
        }
        this.source = Ipv4Header.source(buffer, offset);
        this.destination = Ipv4Header.destination(buffer, offset);
        this.sourcePort = TcpHeader.sourcePort(buffer, tcp);
        this.destinationPort = TcpHeader.destinationPort(buffer, tcp);
        this.seq = TcpHeader.seq(buffer, tcp);
        this.ack = TcpHeader.ack(buffer, tcp);
        this.flags = TcpHeader.flags(buffer, tcp);
        this.window = TcpHeader.window(buffer, tcp);
        valid = true;
        return PARSE_OK;
    }

    private int parseOptions(ByteBuffer b, int pos, int end) {
        mss = -1;
        windowScale = -1;
        sackPermitted = false;
        timestamps = false;
        tsVal = 0;
        tsEcr = 0;
        sackBlocks = 0;
        sackOffset = -1;
        while (pos < end) {
            int kind = b.get(pos) & 0xFF;
            if (kind == TcpHeader.OPT_EOL) {
                return PARSE_OK;
            }
            if (kind == TcpHeader.OPT_NOP) {
                pos++;
                continue;
            }
            if (pos + 1 >= end) {
                return PARSE_BAD_OPTION;
            }
            int len = b.get(pos + 1) & 0xFF;
            if (len < 2 || pos + len > end) {
                return PARSE_BAD_OPTION;
            }
            switch (kind) {
                case TcpHeader.OPT_MSS:
                    if (len != TcpHeader.OPT_MSS_LENGTH) {
                        return PARSE_BAD_OPTION;
                    }
                    mss = b.getShort(pos + 2) & 0xFFFF;
                    break;
                case TcpHeader.OPT_WINDOW_SCALE:
                    if (len != TcpHeader.OPT_WINDOW_SCALE_LENGTH) {
                        return PARSE_BAD_OPTION;
                    }
                    windowScale = b.get(pos + 2) & 0xFF;
                    break;
                case TcpHeader.OPT_SACK_PERMITTED:
                    if (len != TcpHeader.OPT_SACK_PERMITTED_LENGTH) {
                        return PARSE_BAD_OPTION;
                    }
                    sackPermitted = true;
                    break;
                case TcpHeader.OPT_TIMESTAMPS:
                    if (len != TcpHeader.OPT_TIMESTAMPS_LENGTH) {
                        return PARSE_BAD_OPTION;
                    }
                    timestamps = true;
                    tsVal = b.getInt(pos + 2) & 0xFFFFFFFFL;
                    tsEcr = b.getInt(pos + 6) & 0xFFFFFFFFL;
                    break;
                case TcpHeader.OPT_SACK:
                    if (((len - 2) & 7) != 0 || len < 10 || (len - 2) / 8 > TcpHeader.OPT_SACK_MAX_BLOCKS) {
                        return PARSE_BAD_OPTION;
                    }
                    sackBlocks = (len - 2) / 8;
                    sackOffset = pos + 2;
                    break;
                default:
                    break;
            }
            pos += len;
        }
        return PARSE_OK;
    }

    /** True after a successful {@link #wrap}. */
    public boolean isValid() {
        return valid;
    }

    /** The buffer the packet lives in (BIG_ENDIAN). */
    public ByteBuffer buffer() {
        return buffer;
    }

    /** Offset of the IPv4 header in {@link #buffer()}. */
    public int ipOffset() {
        return ipOffset;
    }

    public int ipHeaderLength() {
        return ipHeaderLength;
    }

    /** IPv4 total length: header + TCP header + payload. */
    public int totalLength() {
        return totalLength;
    }

    /** Offset of the TCP header in {@link #buffer()}. */
    public int tcpOffset() {
        return tcpOffset;
    }

    public int tcpHeaderLength() {
        return tcpHeaderLength;
    }

    /** Source IPv4 address, big-endian int (198.18.0.2 = 0xC6120002). */
    public int sourceAddress() {
        return source;
    }

    public int destinationAddress() {
        return destination;
    }

    public int sourcePort() {
        return sourcePort;
    }

    public int destinationPort() {
        return destinationPort;
    }

    /** Sequence number (unsigned 32-bit in a long). */
    public long seq() {
        return seq;
    }

    /** Acknowledgment number (unsigned 32-bit in a long; meaningful when {@link #ACK} flag set). */
    public long ack() {
        return ack;
    }

    /** TCP flag byte: {@link TcpHeader#FIN} ... {@link TcpHeader#CWR}. */
    public int flags() {
        return flags;
    }

    public boolean hasFlag(int flag) {
        return (flags & flag) != 0;
    }

    /** The raw window field (not scaled). */
    public int window() {
        return window;
    }

    /** MSS option value, or -1 when absent. */
    public int mss() {
        return mss;
    }

    /** Window-scale shift count as sent (RFC 7323 says values above 14 are used as 14), or -1 when absent. */
    public int windowScale() {
        return windowScale;
    }

    public boolean sackPermitted() {
        return sackPermitted;
    }

    /** True when the timestamps option is present. */
    public boolean hasTimestamps() {
        return timestamps;
    }

    /** TSval (unsigned 32-bit), 0 when absent. */
    public long tsVal() {
        return tsVal;
    }

    /** TSecr (unsigned 32-bit), 0 when absent. */
    public long tsEcr() {
        return tsEcr;
    }

    /** Number of SACK blocks (0..4). */
    public int sackBlocks() {
        return sackBlocks;
    }

    /** Left edge of SACK block {@code i} (unsigned 32-bit). */
    public long sackLeft(int i) {
        checkSack(i);
        return buffer.getInt(sackOffset + 8 * i) & 0xFFFFFFFFL;
    }

    /** Right edge of SACK block {@code i} (unsigned 32-bit). */
    public long sackRight(int i) {
        checkSack(i);
        return buffer.getInt(sackOffset + 8 * i + 4) & 0xFFFFFFFFL;
    }

    private void checkSack(int i) {
        if (i < 0 || i >= sackBlocks) {
            throw new IndexOutOfBoundsException("SACK block " + i + " of " + sackBlocks);
        }
    }

    /** Offset of the first payload byte in {@link #buffer()}. */
    public int payloadOffset() {
        return tcpOffset + tcpHeaderLength;
    }

    /** Payload length in bytes (IP total length minus both headers). */
    public int payloadLength() {
        return totalLength - ipHeaderLength - tcpHeaderLength;
    }

    /** Sequence space this segment occupies: payload + 1 for SYN + 1 for FIN. */
    public int sequenceLength() {
        return payloadLength() + ((flags & TcpHeader.SYN) != 0 ? 1 : 0) + ((flags & TcpHeader.FIN) != 0 ? 1 : 0);
    }

    /** A readable description (allocates; for logs and tests). */
    @Override
    public String toString() {
        if (!valid) {
            return "TcpSegment{invalid}";
        }
        return "TcpSegment{" + Ipv4Header.toString(source) + ':' + sourcePort + " > " + Ipv4Header.toString(destination) + ':'
            + destinationPort + " seq=" + seq + " ack=" + ack + " flags=0x" + Integer.toHexString(flags) + " win=" + window
            + " mss=" + mss + " ws=" + windowScale + " sackOk=" + sackPermitted + " ts=" + (timestamps ? tsVal + "/" + tsEcr : "-")
            + " sack=" + sackBlocks + " len=" + payloadLength() + '}';
    }
}
