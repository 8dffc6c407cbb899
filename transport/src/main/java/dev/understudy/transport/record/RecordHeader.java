package dev.understudy.transport.record;

import java.nio.ByteOrder;
import org.agrona.BitUtil;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Flyweight over the common header of every record, and the base class of the per-type flyweights.
 * All fields are little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *  |                  length (whole record, bytes)                 |  0
 *  +---------------+---------------+-------------------------------+
 *  |    version    |     type      |             flags             |  4
 *  +---------------+---------------+-------------------------------+
 *  |                             epoch                             |  8
 *  +---------------------------------------------------------------+
 *  |              crc32c (over bytes [0,12) and [16,length))       | 12
 *  +---------------------------------------------------------------+
 *  |                      sequence (u64)                           | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                      type-specific body ...                   | 24
 * </pre>
 *
 * <ul>
 *   <li><b>length</b>: the whole record including this header and a SEGMENT's payload, excluding the
 *       alignment padding a {@link RecordBatchWriter} puts after it. At most {@link #MAX_RECORD_LENGTH}.</li>
 *   <li><b>version</b>: {@link #CURRENT_VERSION}.</li>
 *   <li><b>type</b>: a {@link RecordType} code.</li>
 *   <li><b>flags</b>: reserved, written as 0, not interpreted by the codec.</li>
 *   <li><b>epoch</b>: the primary's epoch (non-negative int) under which the record was written.</li>
 *   <li><b>crc32c</b>: CRC-32C ({@link java.util.zip.CRC32C}) of the record with this field skipped,
 *       computed by {@link RecordCodec#seal}.</li>
 *   <li><b>sequence</b>: assigned by the primary, gapless: each record of the log carries the previous
 *       record's sequence + 1. A new epoch continues from the last sequence of the previous one, so
 *       the sequence alone orders a journal. Heartbeats are not part of the log: they carry the
 *       sender's own heartbeat counter.</li>
 * </ul>
 *
 * <p>A flyweight is a view: {@code wrap} it over a buffer, read or write fields, re-wrap it for the
 * next record. It allocates nothing and is not thread-safe.
 */
public class RecordHeader {
    /** Offset of the record length (i32). */
    public static final int LENGTH_OFFSET = 0;
    /** Offset of the version (u8). */
    public static final int VERSION_OFFSET = 4;
    /** Offset of the record type (u8). */
    public static final int TYPE_OFFSET = 5;
    /** Offset of the flags (u16). */
    public static final int FLAGS_OFFSET = 6;
    /** Offset of the epoch (i32). */
    public static final int EPOCH_OFFSET = 8;
    /** Offset of the CRC-32C (i32). */
    public static final int CRC_OFFSET = 12;
    /** Offset of the sequence (u64). */
    public static final int SEQUENCE_OFFSET = 16;
    /** Length of the common header; the body starts here. */
    public static final int HEADER_LENGTH = 24;
    /**
     * The version this codec writes and accepts. 2: APP_READ gained the stream offset, APP_WRITE the
     * stream offset, SEGMENT the arrival time and segment flags, CONN_OPEN's option bits became the
     * kernel's {@code TCPI_OPT_*}, TCP_INFO was added. A version-1 record is rejected
     * ({@link RecordErrors#BAD_VERSION}), never misread. TURN, CLOCK and RANDOM were added within
     * version 2: no existing layout changed, and a reader that predates them rejects them as
     * {@link RecordErrors#BAD_TYPE}.
     */
    public static final int CURRENT_VERSION = 2;
    /** Records in a batch start at multiples of this, relative to the frame. */
    public static final int ALIGNMENT = 8;
    /** Upper bound of a record's length: a 64 KiB payload and the SEGMENT fixed part fit. */
    public static final int MAX_RECORD_LENGTH = 1 << 17;

    /** Byte order of every field. */
    public static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    protected DirectBuffer buffer;
    protected MutableDirectBuffer mutableBuffer;
    protected int offset;

    /**
     * Wraps a record for reading (and, if the buffer is mutable, writing).
     *
     * @param buffer the buffer holding the record
     * @param offset where the record starts
     * @return this
     */
    public RecordHeader wrap(DirectBuffer buffer, int offset) {
        this.buffer = buffer;
        this.mutableBuffer = buffer instanceof MutableDirectBuffer ? (MutableDirectBuffer) buffer : null;
        this.offset = offset;
        return this;
    }

    /**
     * Writes a fresh header: version, type, length, epoch, sequence; flags and CRC zeroed.
     * Call {@link RecordCodec#seal} once the body is written.
     */
    protected final void encodeHeader(
        MutableDirectBuffer buffer, int offset, int type, int length, int epoch, long sequence) {
        this.buffer = buffer;
        this.mutableBuffer = buffer;
        this.offset = offset;
        buffer.putInt(offset + LENGTH_OFFSET, length, ORDER);
        buffer.putByte(offset + VERSION_OFFSET, (byte) CURRENT_VERSION);
        buffer.putByte(offset + TYPE_OFFSET, (byte) type);
        buffer.putShort(offset + FLAGS_OFFSET, (short) 0, ORDER);
        buffer.putInt(offset + EPOCH_OFFSET, epoch, ORDER);
        buffer.putInt(offset + CRC_OFFSET, 0, ORDER);
        buffer.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
    }

    /** @return the wrapped buffer */
    public DirectBuffer buffer() {
        return buffer;
    }

    /** @return where the wrapped record starts */
    public int offset() {
        return offset;
    }

    /** @return the record length */
    public int length() {
        return buffer.getInt(offset + LENGTH_OFFSET, ORDER);
    }

    /** @return the version */
    public int version() {
        return buffer.getByte(offset + VERSION_OFFSET) & 0xFF;
    }

    /** @return the {@link RecordType} code */
    public int type() {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    /** @return the flags */
    public int flags() {
        return buffer.getShort(offset + FLAGS_OFFSET, ORDER) & 0xFFFF;
    }

    /**
     * @param flags new flags (re-seal afterwards)
     * @return this
     */
    public RecordHeader flags(int flags) {
        mutableBuffer.putShort(offset + FLAGS_OFFSET, (short) flags, ORDER);
        return this;
    }

    /** @return the epoch */
    public int epoch() {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    /** @return the stored CRC-32C */
    public int crc() {
        return buffer.getInt(offset + CRC_OFFSET, ORDER);
    }

    /** @return the sequence */
    public long sequence() {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    /**
     * @param epoch new epoch (re-seal afterwards)
     * @return this
     */
    public RecordHeader epoch(int epoch) {
        mutableBuffer.putInt(offset + EPOCH_OFFSET, epoch, ORDER);
        return this;
    }

    /**
     * @param sequence new sequence (re-seal afterwards)
     * @return this
     */
    public RecordHeader sequence(long sequence) {
        mutableBuffer.putLong(offset + SEQUENCE_OFFSET, sequence, ORDER);
        return this;
    }

    // ---- static accessors for code that does not want a flyweight ----

    /** @return the length field of the record at {@code offset} */
    public static int length(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + LENGTH_OFFSET, ORDER);
    }

    /** @return the type field of the record at {@code offset} */
    public static int type(DirectBuffer buffer, int offset) {
        return buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
    }

    /** @return the epoch field of the record at {@code offset} */
    public static int epoch(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    /** @return the sequence field of the record at {@code offset} */
    public static long sequence(DirectBuffer buffer, int offset) {
        return buffer.getLong(offset + SEQUENCE_OFFSET, ORDER);
    }

    /**
     * @param length a record length
     * @return the length rounded up to {@link #ALIGNMENT}
     */
    public static int alignedLength(int length) {
        return BitUtil.align(length, ALIGNMENT);
    }

    @Override
    public String toString() {
        if (buffer == null) {
            return getClass().getSimpleName() + "{unwrapped}";
        }
        return getClass().getSimpleName() + "{type=" + RecordType.name(type()) + ", length=" + length()
            + ", epoch=" + epoch() + ", sequence=" + sequence() + '}';
    }
}
