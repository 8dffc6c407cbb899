package dev.understudy.transport.record;

import static dev.understudy.transport.record.RecordHeader.CRC_OFFSET;
import static dev.understudy.transport.record.RecordHeader.CURRENT_VERSION;
import static dev.understudy.transport.record.RecordHeader.HEADER_LENGTH;
import static dev.understudy.transport.record.RecordHeader.LENGTH_OFFSET;
import static dev.understudy.transport.record.RecordHeader.MAX_RECORD_LENGTH;
import static dev.understudy.transport.record.RecordHeader.ORDER;
import static dev.understudy.transport.record.RecordHeader.TYPE_OFFSET;
import static dev.understudy.transport.record.RecordHeader.VERSION_OFFSET;

import dev.understudy.transport.internal.log.BufferFeeder;
import java.util.zip.CRC32C;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Seals records (writes their CRC-32C) and validates them. Never throws on bad input: validation
 * returns a {@link RecordErrors} code and {@link #validate} counts it.
 *
 * <p>The CRC covers the record's bytes {@code [0, CRC_OFFSET)} and {@code [CRC_OFFSET + 4, length)},
 * i.e. everything but the CRC field itself, header included.
 *
 * <p>Not thread-safe (it owns a {@link CRC32C}); use one per thread. Allocates nothing per record.
 */
public final class RecordCodec {
    private final CRC32C crc = new CRC32C();
    private final BufferFeeder feeder = new BufferFeeder();
    private final DecodeCounters counters;

    /** A codec with its own counters. */
    public RecordCodec() {
        this(new DecodeCounters());
    }

    /** @param counters where {@link #validate} counts errors (may be shared) */
    public RecordCodec(DecodeCounters counters) {
        this.counters = counters;
    }

    /** @return the error counters */
    public DecodeCounters counters() {
        return counters;
    }

    /**
     * Computes the CRC-32C of a record of {@code length} bytes at {@code offset}, skipping the CRC field.
     * The caller guarantees {@code length >= HEADER_LENGTH} and that the bytes exist.
     *
     * @return the CRC as an int
     */
    public int computeCrc(DirectBuffer buffer, int offset, int length) {
        crc.reset();
        feeder.update(crc, buffer, offset, CRC_OFFSET);
        feeder.update(crc, buffer, offset + CRC_OFFSET + 4, length - CRC_OFFSET - 4);
        return (int) crc.getValue();
    }

    /**
     * Writes the CRC of the complete record at {@code offset} (its length field must be final).
     *
     * @return the record's length
     */
    public int seal(MutableDirectBuffer buffer, int offset) {
        int length = buffer.getInt(offset + LENGTH_OFFSET, ORDER);
        if (length < HEADER_LENGTH || length > MAX_RECORD_LENGTH) {
            throw new IllegalStateException("cannot seal record: length=" + length + ", expected "
                + HEADER_LENGTH + ".." + MAX_RECORD_LENGTH);
        }
        buffer.putInt(offset + CRC_OFFSET, computeCrc(buffer, offset, length), ORDER);
        return length;
    }

    /**
     * Validates the record at {@code offset} with {@code available} bytes readable from there, and
     * counts the error if it is not {@link RecordErrors#OK}.
     *
     * @return a {@link RecordErrors} code
     */
    public int validate(DirectBuffer buffer, int offset, int available) {
        int code = verify(buffer, offset, available);
        if (code != RecordErrors.OK) {
            counters.increment(code);
        }
        return code;
    }

    /**
     * Like {@link #validate} without counting: for callers that count at another level (a frame).
     * Checks, in order: header present, length in bounds, record complete, version, CRC, type, the
     * length against the type's layout, then the body fields the layout constrains (a SEGMENT's payload
     * length and segment flags, an APP_READ's byte count or status, a TURN's kind, ordinal and order, a
     * CLOCK's or RANDOM's turn order, index, source and the nanos adjustment or payload length its
     * source allows).
     *
     * @return a {@link RecordErrors} code
     */
    public int verify(DirectBuffer buffer, int offset, int available) {
        if (offset < 0 || available < HEADER_LENGTH || (long) offset + available > buffer.capacity()) {
            return RecordErrors.TRUNCATED;
        }
        int length = buffer.getInt(offset + LENGTH_OFFSET, ORDER);
        if (length < HEADER_LENGTH || length > MAX_RECORD_LENGTH) {
            return RecordErrors.BAD_LENGTH;
        }
        if (length > available) {
            return RecordErrors.TRUNCATED;
        }
        if ((buffer.getByte(offset + VERSION_OFFSET) & 0xFF) != CURRENT_VERSION) {
            return RecordErrors.BAD_VERSION;
        }
        if (computeCrc(buffer, offset, length) != buffer.getInt(offset + CRC_OFFSET, ORDER)) {
            return RecordErrors.BAD_CRC;
        }
        int type = buffer.getByte(offset + TYPE_OFFSET) & 0xFF;
        if (!RecordType.isValid(type)) {
            return RecordErrors.BAD_TYPE;
        }
        if (type == RecordType.SEGMENT) {
            if (length < SegmentFlyweight.PAYLOAD_OFFSET) {
                return RecordErrors.BAD_BODY;
            }
            int payload = buffer.getInt(offset + SegmentFlyweight.PAYLOAD_LENGTH_OFFSET, ORDER);
            if (payload < 0 || payload != length - SegmentFlyweight.PAYLOAD_OFFSET) {
                return RecordErrors.BAD_BODY;
            }
            int segmentFlags = buffer.getByte(offset + SegmentFlyweight.SEGMENT_FLAGS_OFFSET) & 0xFF;
            if ((segmentFlags & ~SegmentFlyweight.KNOWN_FLAGS) != 0) {
                return RecordErrors.BAD_BODY;
            }
        } else if (length != RecordType.fixedLength(type)) {
            return RecordErrors.BAD_BODY;
        } else if (!hasValidFixedBody(type, buffer, offset)) {
            return RecordErrors.BAD_BODY;
        }
        return RecordErrors.OK;
    }

    /** The body fields a fixed-length type's layout constrains; the length is already checked. */
    private static boolean hasValidFixedBody(int type, DirectBuffer buffer, int offset) {
        switch (type) {
            case RecordType.APP_READ:
                return AppReadFlyweight.isValidByteCount(buffer.getInt(offset + AppReadFlyweight.BYTE_COUNT_OFFSET, ORDER));
            case RecordType.TURN:
                return TurnFlyweight.hasValidBody(buffer, offset);
            case RecordType.CLOCK:
                return ClockFlyweight.hasValidBody(buffer, offset);
            case RecordType.RANDOM:
                return RandomFlyweight.hasValidBody(buffer, offset);
            default:
                return true;
        }
    }
}
