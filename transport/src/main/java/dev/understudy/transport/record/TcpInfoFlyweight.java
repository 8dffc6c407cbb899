package dev.understudy.transport.record;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * {@link RecordType#TCP_INFO}: the primary kernel's view of one connection, what a clone cannot
 * derive from the inbound segments it receives as {@link SegmentFlyweight SEGMENT}s: the server's
 * side of the negotiation, its send sequence state and its timestamp clock. Written at accept and
 * periodically (and at characteristic events), read on the primary with
 * {@code getsockopt(TCP_INFO)} ({@code struct tcp_info}, {@code include/uapi/linux/tcp.h}) plus the
 * sequence and timestamp values named below. Little-endian, fixed length {@link #LENGTH}.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                 common header ({@link RecordHeader})                |  0..23
 *  +---------------------------------------------------------------+
 *  |                      connection id (i64)                      | 24
 *  |                                                               |
 *  +---------------+---------------+---------------+---------------+
 *  | tcpi_options  | snd_wscale    | rcv_wscale    |  reserved (0) | 32
 *  +---------------+---------------+---------------+---------------+
 *  |         snd_mss (u16)         |         rcv_mss (u16)         | 36
 *  +-------------------------------+-------------------------------+
 *  |                  server ISN (u32, 0 if unknown)               | 40
 *  +---------------------------------------------------------------+
 *  |                         snd_una (u32)                         | 44
 *  +---------------------------------------------------------------+
 *  |                         snd_nxt (u32)                         | 48
 *  +---------------------------------------------------------------+
 *  |                server timestamp clock (u32)                   | 52
 *  +---------------------------------------------------------------+
 *  |     realtime the values were read at, CLOCK_REALTIME ns (i64) | 56
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      unacked bytes (u32)                      | 64
 *  +---------------------------------------------------------------+
 *  |                     not-sent bytes (u32)                      | 68
 *  +---------------------------------------------------------------+
 *                                                                    72
 * </pre>
 *
 * <ul>
 *   <li><b>tcpi_options</b>: {@code tcpi_options} as the kernel returns it, bits
 *       {@link TcpOptions#TCPI_OPT_TIMESTAMPS} = 1, {@link TcpOptions#TCPI_OPT_SACK} = 2,
 *       {@link TcpOptions#TCPI_OPT_WSCALE} = 4, {@link TcpOptions#TCPI_OPT_ECN} = 8 (other kernel bits
 *       passed through).</li>
 *   <li><b>snd_wscale / rcv_wscale</b>: {@code tcpi_snd_wscale} (the client's scale, which the
 *       server applies to the windows it receives) and {@code tcpi_rcv_wscale} (the server's own
 *       receive window scale, which no inbound segment carries); 0..14 (RFC 7323 section 2.3).</li>
 *   <li><b>snd_mss / rcv_mss</b>: {@code tcpi_snd_mss}, {@code tcpi_rcv_mss}.</li>
 *   <li><b>server ISN</b>: the server's initial sequence number, 0 if the reader could not learn it.</li>
 *   <li><b>snd_una / snd_nxt</b>: the server's oldest unacknowledged and next send sequence numbers
 *       (RFC 9293 section 3.3.1), host values.</li>
 *   <li><b>server timestamp clock</b>: the TSval the server's kernel would send now (its timestamp
 *       clock, RFC 7323 section 5.4), read at <b>{@code clockReadNanos}</b>, so a clone can continue
 *       the clock monotonically after switchover.</li>
 *   <li><b>unacked bytes</b>: bytes sent and not yet acknowledged ({@code snd_nxt - snd_una}; not
 *       {@code tcpi_unacked}, which counts segments). <b>not-sent bytes</b>:
 *       {@code tcpi_notsent_bytes}, written by the application and not sent yet.</li>
 * </ul>
 */
public final class TcpInfoFlyweight extends RecordHeader {
    /** Offset of the connection id (i64). */
    public static final int CONNECTION_ID_OFFSET = 24;
    /** Offset of {@code tcpi_options} (u8). */
    public static final int TCPI_OPTIONS_OFFSET = 32;
    /** Offset of {@code tcpi_snd_wscale} (u8). */
    public static final int SND_WSCALE_OFFSET = 33;
    /** Offset of {@code tcpi_rcv_wscale} (u8). */
    public static final int RCV_WSCALE_OFFSET = 34;
    /** Offset of {@code tcpi_snd_mss} (u16). */
    public static final int SND_MSS_OFFSET = 36;
    /** Offset of {@code tcpi_rcv_mss} (u16). */
    public static final int RCV_MSS_OFFSET = 38;
    /** Offset of the server's ISN (u32). */
    public static final int SERVER_ISN_OFFSET = 40;
    /** Offset of snd_una (u32). */
    public static final int SND_UNA_OFFSET = 44;
    /** Offset of snd_nxt (u32). */
    public static final int SND_NXT_OFFSET = 48;
    /** Offset of the server's timestamp clock (u32). */
    public static final int TIMESTAMP_CLOCK_OFFSET = 52;
    /** Offset of the CLOCK_REALTIME nanoseconds the values were read at (i64). */
    public static final int CLOCK_READ_NANOS_OFFSET = 56;
    /** Offset of the unacknowledged bytes (u32). */
    public static final int UNACKED_BYTES_OFFSET = 64;
    /** Offset of the not-sent bytes (u32). */
    public static final int NOTSENT_BYTES_OFFSET = 68;
    /** Record length. */
    public static final int LENGTH = 72;

    @Override
    public TcpInfoFlyweight wrap(DirectBuffer buffer, int offset) {
        super.wrap(buffer, offset);
        return this;
    }

    /** Writes a header for a TCP_INFO at {@code offset}, zeroes the body, returns this. */
    public TcpInfoFlyweight wrapForEncode(MutableDirectBuffer buffer, int offset, int epoch, long sequence) {
        encodeHeader(buffer, offset, RecordType.TCP_INFO, LENGTH, epoch, sequence);
        buffer.setMemory(offset + HEADER_LENGTH, LENGTH - HEADER_LENGTH, (byte) 0);
        return this;
    }

    public long connectionId() {
        return buffer.getLong(offset + CONNECTION_ID_OFFSET, ORDER);
    }

    public TcpInfoFlyweight connectionId(long value) {
        mutableBuffer.putLong(offset + CONNECTION_ID_OFFSET, value, ORDER);
        return this;
    }

    /** @return {@code tcpi_options}: a bit set of {@link TcpOptions} {@code TCPI_OPT_*} values */
    public int tcpiOptions() {
        return buffer.getByte(offset + TCPI_OPTIONS_OFFSET) & 0xFF;
    }

    public TcpInfoFlyweight tcpiOptions(int value) {
        mutableBuffer.putByte(offset + TCPI_OPTIONS_OFFSET, (byte) value);
        return this;
    }

    public int sndWscale() {
        return buffer.getByte(offset + SND_WSCALE_OFFSET) & 0xFF;
    }

    public TcpInfoFlyweight sndWscale(int value) {
        mutableBuffer.putByte(offset + SND_WSCALE_OFFSET, (byte) value);
        return this;
    }

    public int rcvWscale() {
        return buffer.getByte(offset + RCV_WSCALE_OFFSET) & 0xFF;
    }

    public TcpInfoFlyweight rcvWscale(int value) {
        mutableBuffer.putByte(offset + RCV_WSCALE_OFFSET, (byte) value);
        return this;
    }

    public int sndMss() {
        return buffer.getShort(offset + SND_MSS_OFFSET, ORDER) & 0xFFFF;
    }

    public TcpInfoFlyweight sndMss(int value) {
        mutableBuffer.putShort(offset + SND_MSS_OFFSET, (short) value, ORDER);
        return this;
    }

    public int rcvMss() {
        return buffer.getShort(offset + RCV_MSS_OFFSET, ORDER) & 0xFFFF;
    }

    public TcpInfoFlyweight rcvMss(int value) {
        mutableBuffer.putShort(offset + RCV_MSS_OFFSET, (short) value, ORDER);
        return this;
    }

    /** @return the server's ISN, unsigned; 0 if unknown */
    public long serverIsn() {
        return buffer.getInt(offset + SERVER_ISN_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight serverIsn(long value) {
        mutableBuffer.putInt(offset + SERVER_ISN_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return snd_una, unsigned */
    public long sndUna() {
        return buffer.getInt(offset + SND_UNA_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight sndUna(long value) {
        mutableBuffer.putInt(offset + SND_UNA_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return snd_nxt, unsigned */
    public long sndNxt() {
        return buffer.getInt(offset + SND_NXT_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight sndNxt(long value) {
        mutableBuffer.putInt(offset + SND_NXT_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return the server's timestamp clock (the TSval it would send), unsigned */
    public long timestampClock() {
        return buffer.getInt(offset + TIMESTAMP_CLOCK_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight timestampClock(long value) {
        mutableBuffer.putInt(offset + TIMESTAMP_CLOCK_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return CLOCK_REALTIME nanoseconds at which the timestamp clock and the other values were read */
    public long clockReadNanos() {
        return buffer.getLong(offset + CLOCK_READ_NANOS_OFFSET, ORDER);
    }

    public TcpInfoFlyweight clockReadNanos(long value) {
        mutableBuffer.putLong(offset + CLOCK_READ_NANOS_OFFSET, value, ORDER);
        return this;
    }

    /** @return bytes sent and not acknowledged, unsigned */
    public long unackedBytes() {
        return buffer.getInt(offset + UNACKED_BYTES_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight unackedBytes(long value) {
        mutableBuffer.putInt(offset + UNACKED_BYTES_OFFSET, (int) value, ORDER);
        return this;
    }

    /** @return {@code tcpi_notsent_bytes}, unsigned */
    public long notsentBytes() {
        return buffer.getInt(offset + NOTSENT_BYTES_OFFSET, ORDER) & 0xFFFF_FFFFL;
    }

    public TcpInfoFlyweight notsentBytes(long value) {
        mutableBuffer.putInt(offset + NOTSENT_BYTES_OFFSET, (int) value, ORDER);
        return this;
    }
}
