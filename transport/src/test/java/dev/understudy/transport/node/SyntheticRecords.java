package dev.understudy.transport.node;

import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.SegmentFlyweight;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Deterministic SEGMENT records for tests and benchmarks: the payload of the record with
 * sequence S is a function of S, so a receiver can check every byte without the sender's help.
 * No allocation. Not thread-safe (one flyweight). Test scope: shipped to the benchmarks in the
 * transport test-jar, never in a jar a user runs.
 */
public final class SyntheticRecords {
    /** Smallest record this produces (a SEGMENT with an 8-byte payload is 80 bytes). */
    public static final int MIN_LENGTH = SegmentFlyweight.PAYLOAD_OFFSET + 8;

    private final SegmentFlyweight segment = new SegmentFlyweight();

    /**
     * Encodes the record that should carry {@code sequence}, {@code length} bytes long
     * (epoch and CRC are the primary's to stamp).
     *
     * @return {@code length}
     */
    public int encode(MutableDirectBuffer buf, int off, long sequence, int length) {
        if (length < MIN_LENGTH || length > RecordHeader.MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("invalid synthetic record length: value=" + length
                + ", expected " + MIN_LENGTH + ".." + RecordHeader.MAX_RECORD_LENGTH);
        }
        segment.wrapForEncode(buf, off, 0, sequence);
        segment.connectionId(sequence % 7).arrivalNanos(sequence * 1000L).seq(sequence * 1460L & 0xFFFFFFFFL).ack(1)
            .window(512).tcpFlags(0x18).timestamps(sequence, sequence - 1);
        int payload = length - SegmentFlyweight.PAYLOAD_OFFSET;
        segment.payloadLength(payload);
        int p = off + SegmentFlyweight.PAYLOAD_OFFSET;
        buf.putLong(p, sequence, RecordHeader.ORDER);
        for (int i = 8; i < payload; i++) {
            buf.putByte(p + i, (byte) (sequence * 31 + i));
        }
        return length;
    }

    /** {@code true} if the record at {@code off} is exactly what {@link #encode} makes for its sequence. */
    public static boolean matches(DirectBuffer buf, int off, int len) {
        long sequence = RecordHeader.sequence(buf, off);
        int payload = len - SegmentFlyweight.PAYLOAD_OFFSET;
        if (payload < 8 || buf.getInt(off + SegmentFlyweight.PAYLOAD_LENGTH_OFFSET, RecordHeader.ORDER) != payload) {
            return false;
        }
        int p = off + SegmentFlyweight.PAYLOAD_OFFSET;
        if (buf.getLong(p, RecordHeader.ORDER) != sequence
            || buf.getLong(off + SegmentFlyweight.CONNECTION_ID_OFFSET, RecordHeader.ORDER) != sequence % 7) {
            return false;
        }
        for (int i = 8; i < payload; i++) {
            if (buf.getByte(p + i) != (byte) (sequence * 31 + i)) {
                return false;
            }
        }
        return true;
    }
}
