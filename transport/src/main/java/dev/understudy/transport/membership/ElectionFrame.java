package dev.understudy.transport.membership;

import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.internal.net.Wire;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * An election message on the heartbeat stream (DESIGN.md, "Failure, election, switchover"): the
 * wire form of the agent's {@code dev.understudy.agent.election.Message}s ({@code Heartbeat},
 * {@code VoteRequest}, {@code Vote}, {@code Promote}, {@code Follow}). A control frame of type
 * {@link #TYPE} with the control header every control frame has (frame length at 0, version 0x81,
 * flags at 5, sender at 8), signed and verified like a heartbeat when a secret is set, so an
 * unsigned or forged one never reaches the election. One fixed layout for all five kinds, every
 * field little-endian; the kind says which fields mean something, the others are 0.
 *
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |      control header (Wire): length, 0x81, flags, type 7,      |  0..31
 *  |      sender node id u16 @8, session 0                          |
 *  +---------------+---------------+---------------+---------------+
 *  |     kind      |     flags     |     role      |       0       | 32
 *  +---------------+---------------+---------------+---------------+
 *  |        to (u16, 0 = all)      |   primary id (u16, 0 = none)  | 36
 *  +-------------------------------+-------------------------------+
 *  |                        epoch (i64)                            | 40
 *  +---------------------------------------------------------------+
 *  |        last epoch (i64)  ·  FOLLOW: for epoch                 | 48
 *  +---------------------------------------------------------------+
 *  |        last position (i64)  ·  FOLLOW: match epoch            | 56
 *  +---------------------------------------------------------------+
 *  |  HEARTBEAT: applied (i64)  ·  FOLLOW: match end (i64)  ·  0   | 64
 *  +---------------------------------------------------------------+
 *  |        MAC (16), when a secret is set                         | 72
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <table>
 *   <caption>fields by kind (everything not listed is 0)</caption>
 *   <tr><th>kind</th><th>code</th><th>fields</th></tr>
 *   <tr><td>HEARTBEAT</td><td>1</td><td>role, primary id, epoch, last epoch, last position, applied (&le; last position), flag SYNCED</td></tr>
 *   <tr><td>VOTE_REQUEST</td><td>2</td><td>epoch (asked for, &ge; 1), last epoch, last position, flag PRE_VOTE</td></tr>
 *   <tr><td>VOTE</td><td>3</td><td>to (the candidate, &ne; 0), epoch, flags GRANTED and PRE_VOTE</td></tr>
 *   <tr><td>PROMOTE</td><td>4</td><td>epoch (&ge; 1), last epoch, last position</td></tr>
 *   <tr><td>FOLLOW</td><td>5</td><td>to (the clone, &ne; 0), epoch (&ge; 1), for epoch, match epoch, match end</td></tr>
 * </table>
 *
 * <ul>
 *   <li><b>flags</b>: bit 0 {@link #FLAG_GRANTED}, bit 1 {@link #FLAG_PRE_VOTE}, bit 2 {@link #FLAG_SYNCED};
 *       a bit a kind does not use must be 0.</li>
 *   <li><b>role</b> (HEARTBEAT only): an election role wire code, never an ordinal. The codes a
 *       {@link Role} also has are its codes: {@link #ROLE_PRIMARY} 1 ({@link Role#PRIMARY}),
 *       {@link #ROLE_CLONE} 2 ({@link Role#CLONE}); {@link #ROLE_CANDIDATE} 4 and {@link #ROLE_FENCED} 5
 *       are roles only the election has; 3 ({@link Role#CATCHING_UP}) is not an election role.</li>
 *   <li><b>to</b>: messages addressed to one node are sent to every node (the stream is multicast or
 *       manual MDC) and carry the addressee here; a receiver skips what is not for it.</li>
 *   <li>Epochs and positions are 64-bit and never negative; node ids are 1..{@link ReplicationConfig#MAX_NODE_ID}.</li>
 * </ul>
 * {@link #validate} checks every rule above: a frame that breaks one is malformed, rejected and counted.
 *
 * <p>A flyweight: wrap a buffer, read or write, no allocation. Not thread-safe.
 */
public final class ElectionFrame {
    /** The control frame type of an election frame. */
    public static final int TYPE = Wire.TYPE_ELECTION;

    public static final int KIND_HEARTBEAT = 1;
    public static final int KIND_VOTE_REQUEST = 2;
    public static final int KIND_VOTE = 3;
    public static final int KIND_PROMOTE = 4;
    public static final int KIND_FOLLOW = 5;

    public static final int FLAG_GRANTED = 1;
    public static final int FLAG_PRE_VOTE = 2;
    public static final int FLAG_SYNCED = 4;

    /** {@link Role#PRIMARY}'s code. */
    public static final int ROLE_PRIMARY = 1;
    /** {@link Role#CLONE}'s code. */
    public static final int ROLE_CLONE = 2;
    /** Asking for (pre-)votes. */
    public static final int ROLE_CANDIDATE = 4;
    /** Was primary and stopped. */
    public static final int ROLE_FENCED = 5;

    public static final int KIND_OFFSET = Wire.HEADER_LENGTH;
    public static final int FLAGS_OFFSET = Wire.HEADER_LENGTH + 1;
    public static final int ROLE_OFFSET = Wire.HEADER_LENGTH + 2;
    public static final int RESERVED_OFFSET = Wire.HEADER_LENGTH + 3;
    public static final int TO_OFFSET = Wire.HEADER_LENGTH + 4;
    public static final int PRIMARY_ID_OFFSET = Wire.HEADER_LENGTH + 6;
    public static final int EPOCH_OFFSET = Wire.HEADER_LENGTH + 8;
    public static final int LAST_EPOCH_OFFSET = Wire.HEADER_LENGTH + 16;
    public static final int LAST_POSITION_OFFSET = Wire.HEADER_LENGTH + 24;
    public static final int MATCH_END_OFFSET = Wire.HEADER_LENGTH + 32;
    /** Frame length before the MAC. */
    public static final int LENGTH = Wire.HEADER_LENGTH + 40;

    /** {@link #validate} result: well formed. */
    public static final int OK = 0;
    public static final int TOO_SHORT = 1;
    public static final int NOT_ELECTION = 2;
    public static final int BAD_SENDER = 3;
    public static final int BAD_KIND = 4;
    public static final int BAD_FLAGS = 5;
    public static final int BAD_ROLE = 6;
    public static final int BAD_NODE_ID = 7;
    public static final int BAD_VALUE = 8;

    private static final int MAX_NODE_ID = ReplicationConfig.MAX_NODE_ID;

    private DirectBuffer buffer;
    private MutableDirectBuffer mutable;
    private int offset;

    /** Wraps a received frame (its MAC, if any, already verified) for reading. */
    public ElectionFrame wrap(DirectBuffer b, int off) {
        buffer = b;
        mutable = null;
        offset = off;
        return this;
    }

    /**
     * Writes the control header of an election frame of {@code kind} from {@code sender}, zeroes the
     * body, and wraps it for writing.
     */
    public ElectionFrame wrapForEncode(MutableDirectBuffer b, int off, int sender, int kind) {
        Wire.header(b, off, LENGTH, TYPE, sender, 0);
        b.setMemory(off + Wire.HEADER_LENGTH, LENGTH - Wire.HEADER_LENGTH, (byte) 0);
        b.putByte(off + KIND_OFFSET, (byte) kind);
        buffer = b;
        mutable = b;
        offset = off;
        return this;
    }

    /**
     * Checks a frame of {@code length} bytes (without MAC) at the wrapped offset against every rule
     * of the class comment.
     *
     * @return {@link #OK} or the first rule broken ({@code TOO_SHORT} .. {@code BAD_VALUE})
     */
    public int validate(int length) {
        if (length < LENGTH) {
            return TOO_SHORT;
        }
        if (Wire.type(buffer, offset, length) != TYPE) {
            return NOT_ELECTION;
        }
        if (!isNodeId(sender())) {
            return BAD_SENDER;
        }
        int kind = kind();
        int flags = flags();
        int role = roleCode();
        int to = to();
        if (buffer.getByte(offset + RESERVED_OFFSET) != 0) {
            return BAD_VALUE;
        }
        if (epoch() < 0 || lastEpoch() < 0 || lastPosition() < 0 || matchEnd() < 0) {
            return BAD_VALUE;
        }
        int allowedFlags;
        switch (kind) {
            case KIND_HEARTBEAT:
                allowedFlags = FLAG_SYNCED;
                if (role != ROLE_PRIMARY && role != ROLE_CLONE && role != ROLE_CANDIDATE && role != ROLE_FENCED) {
                    return BAD_ROLE;
                }
                if (to != 0 || primaryId() > MAX_NODE_ID) {
                    return BAD_NODE_ID;
                }
                if (applied() > lastPosition()) {
                    return BAD_VALUE;
                }
                break;
            case KIND_VOTE_REQUEST:
            case KIND_PROMOTE:
                allowedFlags = kind == KIND_VOTE_REQUEST ? FLAG_PRE_VOTE : 0;
                if (role != 0) {
                    return BAD_ROLE;
                }
                if (to != 0 || primaryId() != 0) {
                    return BAD_NODE_ID;
                }
                if (epoch() < 1 || matchEnd() != 0) {
                    return BAD_VALUE;
                }
                break;
            case KIND_VOTE:
                allowedFlags = FLAG_GRANTED | FLAG_PRE_VOTE;
                if (role != 0) {
                    return BAD_ROLE;
                }
                if (!isNodeId(to) || primaryId() != 0) {
                    return BAD_NODE_ID;
                }
                if (lastEpoch() != 0 || lastPosition() != 0 || matchEnd() != 0) {
                    return BAD_VALUE;
                }
                break;
            case KIND_FOLLOW:
                allowedFlags = 0;
                if (role != 0) {
                    return BAD_ROLE;
                }
                if (!isNodeId(to) || primaryId() != 0) {
                    return BAD_NODE_ID;
                }
                if (epoch() < 1) {
                    return BAD_VALUE;
                }
                break;
            default:
                return BAD_KIND;
        }
        if ((flags & ~allowedFlags) != 0) {
            return BAD_FLAGS;
        }
        return OK;
    }

    private static boolean isNodeId(int id) {
        return id >= 1 && id <= MAX_NODE_ID;
    }

    // ---- read ----------------------------------------------------------------------------

    public int sender() {
        return Wire.sender(buffer, offset);
    }

    public int kind() {
        return buffer.getByte(offset + KIND_OFFSET) & 0xFF;
    }

    public int flags() {
        return buffer.getByte(offset + FLAGS_OFFSET) & 0xFF;
    }

    public boolean flag(int bit) {
        return (flags() & bit) != 0;
    }

    /** HEARTBEAT: the sender's role code ({@code ROLE_*}); 0 for other kinds. */
    public int roleCode() {
        return buffer.getByte(offset + ROLE_OFFSET) & 0xFF;
    }

    /** The addressee, 0 for every node. */
    public int to() {
        return buffer.getShort(offset + TO_OFFSET, Wire.LE) & 0xFFFF;
    }

    public int primaryId() {
        return buffer.getShort(offset + PRIMARY_ID_OFFSET, Wire.LE) & 0xFFFF;
    }

    public long epoch() {
        return buffer.getLong(offset + EPOCH_OFFSET, Wire.LE);
    }

    public long lastEpoch() {
        return buffer.getLong(offset + LAST_EPOCH_OFFSET, Wire.LE);
    }

    public long lastPosition() {
        return buffer.getLong(offset + LAST_POSITION_OFFSET, Wire.LE);
    }

    /** FOLLOW: the clone's last epoch answered (the {@link #lastEpoch()} slot). */
    public long forEpoch() {
        return lastEpoch();
    }

    /** FOLLOW: the latest epoch of the primary's log not after {@link #forEpoch()} (the {@link #lastPosition()} slot). */
    public long matchEpoch() {
        return lastPosition();
    }

    /** FOLLOW: last position of {@link #matchEpoch()} in the primary's log. */
    public long matchEnd() {
        return buffer.getLong(offset + MATCH_END_OFFSET, Wire.LE);
    }

    /**
     * HEARTBEAT: how far the sender's application has taken its journal, at most {@link #lastPosition()}
     * (a clone's replay; a primary's whole log), in the {@link #matchEnd()} slot.
     */
    public long applied() {
        return matchEnd();
    }

    // ---- write (after wrapForEncode) -----------------------------------------------------

    public ElectionFrame flags(int value) {
        mutable.putByte(offset + FLAGS_OFFSET, (byte) value);
        return this;
    }

    public ElectionFrame roleCode(int value) {
        mutable.putByte(offset + ROLE_OFFSET, (byte) value);
        return this;
    }

    public ElectionFrame to(int value) {
        mutable.putShort(offset + TO_OFFSET, (short) value, Wire.LE);
        return this;
    }

    public ElectionFrame primaryId(int value) {
        mutable.putShort(offset + PRIMARY_ID_OFFSET, (short) value, Wire.LE);
        return this;
    }

    public ElectionFrame epoch(long value) {
        mutable.putLong(offset + EPOCH_OFFSET, value, Wire.LE);
        return this;
    }

    public ElectionFrame lastEpoch(long value) {
        mutable.putLong(offset + LAST_EPOCH_OFFSET, value, Wire.LE);
        return this;
    }

    public ElectionFrame lastPosition(long value) {
        mutable.putLong(offset + LAST_POSITION_OFFSET, value, Wire.LE);
        return this;
    }

    public ElectionFrame forEpoch(long value) {
        return lastEpoch(value);
    }

    public ElectionFrame matchEpoch(long value) {
        return lastPosition(value);
    }

    public ElectionFrame matchEnd(long value) {
        mutable.putLong(offset + MATCH_END_OFFSET, value, Wire.LE);
        return this;
    }

    public ElectionFrame applied(long value) {
        return matchEnd(value);
    }
}
