package dev.understudy.transport.record;

import java.nio.ByteOrder;
import org.agrona.DirectBuffer;

/**
 * Layout of a frame: a batch of records sent as one unit (one Aeron fragment), written by
 * {@link RecordBatchWriter} and read by {@link RecordBatchReader}. Little-endian.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |         frame length (whole frame incl. MAC, bytes)           |  0
 *  +---------------+---------------+-------------------------------+
 *  |    version    |     flags     |       record count (u16)      |  4
 *  +---------------+---------------+-------------------------------+
 *  |                             epoch                             |  8
 *  +---------------------------------------------------------------+
 *  |       sender node id (u16)    |          reserved (0)         | 12
 *  +-------------------------------+-------------------------------+
 *  |                 first record's sequence (u64)                 | 16
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                 last record's sequence (u64)                  | 24
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |  record 0 (RecordHeader.length bytes), zero padding to 8      | 32
 *  |  record 1 ...                                                 |
 *  +---------------------------------------------------------------+
 *  |  MAC, {@link #MAC_LENGTH} bytes, only if flags has {@link #FLAG_SIGNED}  | frame length - 16
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <ul>
 *   <li>Records start at multiples of {@link RecordHeader#ALIGNMENT} from the frame start and are
 *       followed by zero padding up to the next multiple; the records region ends aligned.</li>
 *   <li><b>sender node id</b>: the node that built the frame (the primary for live frames, the serving
 *       peer for catch-up frames), 1..{@code ReplicationConfig.MAX_NODE_ID}; 0 only from a writer
 *       that is no node (tests, tools).</li>
 *   <li><b>epoch</b>: the epoch of every record in the frame. With the sender it lets a clone fence
 *       a stale primary (DESIGN.md invariant 5): a clone drops live frames of an epoch lower than the
 *       highest it has seen.</li>
 *   <li>All records carry the frame's epoch; their sequences are consecutive, first to last.
 *       A frame holds at least one record.</li>
 *   <li>The MAC (see {@code dev.understudy.transport.auth.FrameAuthenticator}) covers bytes
 *       {@code [0, frame length - MAC_LENGTH)}: header (so sender, epoch and sequence range) and records.
 *       A receiver detects replays of old frames by their sequence range.</li>
 * </ul>
 */
public final class RecordBatch {
    /** Offset of the frame length (i32). */
    public static final int FRAME_LENGTH_OFFSET = 0;
    /** Offset of the frame version (u8). */
    public static final int VERSION_OFFSET = 4;
    /** Offset of the frame flags (u8). */
    public static final int FLAGS_OFFSET = 5;
    /** Offset of the record count (u16). */
    public static final int RECORD_COUNT_OFFSET = 6;
    /** Offset of the epoch (i32). */
    public static final int EPOCH_OFFSET = 8;
    /** Offset of the sender node id (u16). */
    public static final int SENDER_OFFSET = 12;
    /** Offset of the reserved field (u16, must be 0). */
    public static final int RESERVED_OFFSET = 14;
    /** Offset of the first sequence (u64). */
    public static final int FIRST_SEQUENCE_OFFSET = 16;
    /** Offset of the last sequence (u64). */
    public static final int LAST_SEQUENCE_OFFSET = 24;
    /** Length of the frame header; the first record starts here. */
    public static final int HEADER_LENGTH = 32;
    /** Frame version written and accepted (2: the sender node id took half of version 1's reserved field). */
    public static final int CURRENT_VERSION = 2;
    /** Flag: the frame ends with a MAC. */
    public static final int FLAG_SIGNED = 1;
    /** Length of the MAC trailer of a signed frame. */
    public static final int MAC_LENGTH = 16;
    /** Highest sender node id the u16 field holds. */
    public static final int MAX_SENDER = 0xFFFF;
    /** Most records in one frame (u16 count). */
    public static final int MAX_RECORDS = 0xFFFF;

    private static final ByteOrder ORDER = ByteOrder.LITTLE_ENDIAN;

    private RecordBatch() {
    }

    /** @return the frame length field of the frame at {@code offset} */
    public static int frameLength(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + FRAME_LENGTH_OFFSET, ORDER);
    }

    /** @return the flags of the frame at {@code offset} */
    public static int flags(DirectBuffer buffer, int offset) {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    /** @return the record count of the frame at {@code offset} */
    public static int recordCount(DirectBuffer buffer, int offset) {
        return buffer.getShort(offset + RECORD_COUNT_OFFSET, ORDER) & 0xFFFF;
    }

    /** @return the sender node id of the frame at {@code offset} */
    public static int sender(DirectBuffer buffer, int offset) {
        return buffer.getShort(offset + SENDER_OFFSET, ORDER) & 0xFFFF;
    }

    /** @return the epoch of the frame at {@code offset} */
    public static int epoch(DirectBuffer buffer, int offset) {
        return buffer.getInt(offset + EPOCH_OFFSET, ORDER);
    }

    /** @return the first sequence of the frame at {@code offset} */
    public static long firstSequence(DirectBuffer buffer, int offset) {
        return buffer.getLong(offset + FIRST_SEQUENCE_OFFSET, ORDER);
    }

    /** @return the last sequence of the frame at {@code offset} */
    public static long lastSequence(DirectBuffer buffer, int offset) {
        return buffer.getLong(offset + LAST_SEQUENCE_OFFSET, ORDER);
    }
}
