package dev.understudy.transport.record;

import static dev.understudy.transport.record.RecordBatch.HEADER_LENGTH;
import static dev.understudy.transport.record.RecordBatch.MAC_LENGTH;

import dev.understudy.transport.auth.FrameAuthenticator;
import java.nio.ByteOrder;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Packs records into a frame ({@link RecordBatch} layout) in a caller-owned buffer.
 *
 * <pre>{@code
 * RecordBatchWriter writer = new RecordBatchWriter(nodeId, buffer, 0, capacity);
 * writer.reset(epoch);
 * int at = writer.claim(AppReadFlyweight.LENGTH);          // NO_SPACE: send the frame first
 * appRead.wrapForEncode(writer.buffer(), at, epoch, seq).connectionId(id).readOrder(n).byteCount(k);
 * writer.commit();                                         // seals the CRC
 * int frameLength = writer.finish(authenticator);          // header + optional MAC
 * publication.offer(writer.buffer(), writer.offset(), frameLength);
 * }</pre>
 *
 * Room for a MAC is always kept, so {@link #finish(FrameAuthenticator)} never overflows.
 * Misuse (commit without claim, wrong epoch, non-consecutive sequence) is a bug and throws
 * {@link IllegalStateException}. Not thread-safe; allocates nothing.
 */
public final class RecordBatchWriter {
    /** {@link #claim} result when the record does not fit in the frame. */
    public static final int NO_SPACE = -1;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private final MutableDirectBuffer buffer;
    private final int offset;
    private final int capacity;
    private final RecordCodec codec;
    private final int senderId;

    private int epoch;
    private int position;
    private int claimedAt = -1;
    private int claimedLength;
    private int count;
    private long firstSequence;
    private long lastSequence;

    /**
     * @param senderId the node id written into every frame's header (u16; 0 for a writer that is no node)
     * @param buffer   where frames are written
     * @param offset   where each frame starts
     * @param capacity the most bytes a frame may take, MAC included
     */
    public RecordBatchWriter(int senderId, MutableDirectBuffer buffer, int offset, int capacity) {
        this(senderId, buffer, offset, capacity, new RecordCodec());
    }

    /** Same, sealing with the given codec. */
    public RecordBatchWriter(int senderId, MutableDirectBuffer buffer, int offset, int capacity, RecordCodec codec) {
        if (senderId < 0 || senderId > RecordBatch.MAX_SENDER) {
            throw new IllegalArgumentException("invalid frame sender node id: value=" + senderId + ", expected 0.."
                + RecordBatch.MAX_SENDER);
        }
        if (capacity < HEADER_LENGTH + MAC_LENGTH + RecordHeader.HEADER_LENGTH
            || (long) offset + capacity > buffer.capacity() || (offset & (RecordHeader.ALIGNMENT - 1)) != 0) {
            throw new IllegalArgumentException("invalid frame region: offset=" + offset + ", capacity=" + capacity
                + ", buffer capacity=" + buffer.capacity() + ", expected aligned offset and room for a header, "
                + "one record and a MAC");
        }
        this.buffer = buffer;
        this.offset = offset;
        this.capacity = capacity;
        this.codec = codec;
        this.senderId = senderId;
        reset(0);
    }

    /** Starts a new, empty frame for {@code epoch}. */
    public void reset(int epoch) {
        this.epoch = epoch;
        position = offset + HEADER_LENGTH;
        claimedAt = -1;
        count = 0;
        firstSequence = 0;
        lastSequence = 0;
    }

    /** @return the buffer frames are written to */
    public MutableDirectBuffer buffer() {
        return buffer;
    }

    /** @return where the frame starts in {@link #buffer()} */
    public int offset() {
        return offset;
    }

    /** @return the node id written into every frame */
    public int senderId() {
        return senderId;
    }

    /** @return the frame's epoch */
    public int epoch() {
        return epoch;
    }

    /** @return committed records */
    public int recordCount() {
        return count;
    }

    /** @return whether no record is committed */
    public boolean isEmpty() {
        return count == 0;
    }

    /** @return sequence of the first committed record (0 if empty) */
    public long firstSequence() {
        return firstSequence;
    }

    /** @return sequence of the last committed record (0 if empty) */
    public long lastSequence() {
        return lastSequence;
    }

    /** @return the frame's current length without MAC */
    public int frameLength() {
        return position - offset;
    }

    /** @return bytes still available for a record (aligned length) */
    public int remaining() {
        return offset + capacity - MAC_LENGTH - position;
    }

    /**
     * Claims room for a record of up to {@code length} bytes.
     *
     * @return the absolute offset in {@link #buffer()} to encode the record at, or {@link #NO_SPACE}
     */
    public int claim(int length) {
        if (claimedAt >= 0) {
            throw new IllegalStateException("claim without commit of the previous record at " + claimedAt);
        }
        if (length < RecordHeader.HEADER_LENGTH || length > RecordHeader.MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("invalid record length: value=" + length + ", expected "
                + RecordHeader.HEADER_LENGTH + ".." + RecordHeader.MAX_RECORD_LENGTH);
        }
        if (count == RecordBatch.MAX_RECORDS || RecordHeader.alignedLength(length) > remaining()) {
            return NO_SPACE;
        }
        claimedAt = position;
        claimedLength = length;
        return position;
    }

    /**
     * Seals the claimed record (CRC), zeroes its padding and adds it to the frame. The record's length
     * field must be final and within the claimed length; its epoch must be the frame's; its sequence
     * must follow the previous record's.
     */
    public void commit() {
        if (claimedAt < 0) {
            throw new IllegalStateException("commit without claim");
        }
        int at = claimedAt;
        int length = RecordHeader.length(buffer, at);
        if (length < RecordHeader.HEADER_LENGTH || length > claimedLength) {
            throw new IllegalStateException("record length " + length + " outside claimed 24.." + claimedLength);
        }
        checkOrder(RecordHeader.epoch(buffer, at), RecordHeader.sequence(buffer, at));
        codec.seal(buffer, at);
        add(at, length);
        claimedAt = -1;
    }

    /**
     * Adds the claimed record, already sealed by the caller (who needed the sealed bytes before
     * adding them, e.g. to journal them), without computing its CRC again. Same checks as
     * {@link #commit()} but the CRC's.
     */
    public void commitSealed() {
        if (claimedAt < 0) {
            throw new IllegalStateException("commit without claim");
        }
        int at = claimedAt;
        int length = RecordHeader.length(buffer, at);
        if (length < RecordHeader.HEADER_LENGTH || length > claimedLength) {
            throw new IllegalStateException("record length " + length + " outside claimed 24.." + claimedLength);
        }
        checkOrder(RecordHeader.epoch(buffer, at), RecordHeader.sequence(buffer, at));
        add(at, length);
        claimedAt = -1;
    }

    /**
     * Gives up the open claim: the claimed bytes are not part of the frame (the next claim reuses
     * them). Does nothing when no claim is open.
     */
    public void abort() {
        claimedAt = -1;
    }

    /** @return whether a claim is open (claimed, neither committed nor aborted) */
    public boolean isClaimOpen() {
        return claimedAt >= 0;
    }

    /**
     * Copies an already sealed record into the frame.
     *
     * @return the offset it was copied to, or {@link #NO_SPACE}
     */
    public int append(DirectBuffer src, int srcOffset, int length) {
        if (claimedAt >= 0) {
            throw new IllegalStateException("append while a claim is open at " + claimedAt);
        }
        if (length < RecordHeader.HEADER_LENGTH || RecordHeader.length(src, srcOffset) != length) {
            throw new IllegalArgumentException("invalid record: length=" + length + ", length field="
                + (length >= 4 ? RecordHeader.length(src, srcOffset) : -1));
        }
        if (count == RecordBatch.MAX_RECORDS || RecordHeader.alignedLength(length) > remaining()) {
            return NO_SPACE;
        }
        checkOrder(RecordHeader.epoch(src, srcOffset), RecordHeader.sequence(src, srcOffset));
        int at = position;
        buffer.putBytes(at, src, srcOffset, length);
        add(at, length);
        return at;
    }

    private void checkOrder(int recordEpoch, long sequence) {
        if (recordEpoch != epoch) {
            throw new IllegalStateException("record epoch " + recordEpoch + " in a frame of epoch " + epoch);
        }
        if (count > 0 && sequence != lastSequence + 1) {
            throw new IllegalStateException("record sequence " + sequence + " after " + lastSequence
                + ": a frame's sequences must be consecutive");
        }
    }

    private void add(int at, int length) {
        long sequence = RecordHeader.sequence(buffer, at);
        int aligned = RecordHeader.alignedLength(length);
        if (aligned > length) {
            buffer.setMemory(at + length, aligned - length, (byte) 0);
        }
        if (count == 0) {
            firstSequence = sequence;
        }
        lastSequence = sequence;
        count++;
        position = at + aligned;
    }

    /**
     * Writes the frame header of an unsigned frame.
     *
     * @return the frame length, to send from {@link #offset()}
     */
    public int finish() {
        return finish(null);
    }

    /**
     * Writes the frame header and, if {@code authenticator} has a secret, the MAC.
     *
     * @param authenticator signs the frame; {@code null} or one without secret leaves it unsigned
     * @return the frame length, to send from {@link #offset()}
     */
    public int finish(FrameAuthenticator authenticator) {
        if (claimedAt >= 0) {
            throw new IllegalStateException("finish with an uncommitted claim at " + claimedAt);
        }
        if (count == 0) {
            throw new IllegalStateException("finish of an empty frame");
        }
        int length = position - offset;
        buffer.putInt(offset + RecordBatch.FRAME_LENGTH_OFFSET, length, ORDER);
        buffer.putByte(offset + RecordBatch.VERSION_OFFSET, (byte) RecordBatch.CURRENT_VERSION);
        buffer.putByte(offset + RecordBatch.FLAGS_OFFSET, (byte) 0);
        buffer.putShort(offset + RecordBatch.RECORD_COUNT_OFFSET, (short) count, ORDER);
        buffer.putInt(offset + RecordBatch.EPOCH_OFFSET, epoch, ORDER);
        buffer.putShort(offset + RecordBatch.SENDER_OFFSET, (short) senderId, ORDER);
        buffer.putShort(offset + RecordBatch.RESERVED_OFFSET, (short) 0, ORDER);
        buffer.putLong(offset + RecordBatch.FIRST_SEQUENCE_OFFSET, firstSequence, ORDER);
        buffer.putLong(offset + RecordBatch.LAST_SEQUENCE_OFFSET, lastSequence, ORDER);
        if (authenticator != null && authenticator.signs()) {
            length = authenticator.sign(buffer, offset, length);
        }
        return length;
    }
}
