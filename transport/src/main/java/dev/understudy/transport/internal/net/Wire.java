package dev.understudy.transport.internal.net;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * The replication channel's control frames (acks, heartbeats, catch-up requests/stops, election
 * messages), laid out
 * so that {@code dev.understudy.transport.auth.FrameAuthenticator} signs and verifies them like a
 * record frame: frame length at 0, flags (FLAG_SIGNED) at 5, at least 32 bytes of header, MAC at the
 * end. The version byte differs from a record frame's, so one can never be read as the other.
 * Little-endian.
 *
 * <pre>
 *  0               1               2               3
 *  +---------------------------------------------------------------+
 *  |            frame length (set when signed)                     |  0
 *  +---------------+---------------+---------------+---------------+
 *  | version 0x81  |    flags      |    type       |      0        |  4
 *  +---------------+---------------+---------------+---------------+
 *  |        sender node id u16     |              0                |  8
 *  +-------------------------------+-------------------------------+
 *  |                   session / token / address u32               | 12
 *  +---------------------------------------------------------------+
 *  |                   0 (16 bytes)                                | 16
 *  +---------------------------------------------------------------+
 *  |   body                                                        | 32
 *  |   MAC (16), when a secret is set                              |
 *  +---------------------------------------------------------------+
 *
 *  ACK body (32..56):       u64 journal sequence @32 | u64 sender nanoTime @40 | i32 epoch @48 | u32 0 @52
 *                           (session field: the clone's incarnation)
 *  HEARTBEAT body (32..72): u8 role @32 | u8 healthy @33 | u16 hand-off target @34 | u32 0 | u64 epoch @40 | u64 journal seq @48
 *                           | u64 durable seq @56 | u64 nanoTime @64
 *  CATCHUP_REQUEST body:    u64 from sequence @32 | u32 reply IPv4 @40 | u32 0 @44
 *  CATCHUP_STOP body:       u64 last sequence @32
 *  ELECTION body (32..72):  see {@code dev.understudy.transport.membership.ElectionFrame} (heartbeat stream)
 * </pre>
 *
 * <ul>
 *   <li><b>ACK epoch</b>: the epoch the clone acknowledges under, the highest epoch it has seen on the
 *       live stream (DESIGN.md invariant 5). A primary counts an ack towards durability only when this
 *       is its own epoch.</li>
 *   <li><b>HEARTBEAT role</b>: a {@code membership.Role} wire code ({@code Role.code()}), never an
 *       ordinal: 1 = PRIMARY, 2 = CLONE, 3 = CATCHING_UP; any other value is rejected.</li>
 * </ul>
 *
 * Static accessors over an Agrona buffer: no allocation. Not a public API.
 */
public final class Wire {
    public static final ByteOrder LE = ByteOrder.LITTLE_ENDIAN;
    public static final int VERSION = 0x81;

    public static final int TYPE_ACK = 2;
    public static final int TYPE_HEARTBEAT = 3;
    public static final int TYPE_CATCHUP_REQUEST = 4;
    public static final int TYPE_CATCHUP_STOP = 6;
    /** Election messages, on the heartbeat stream ({@code membership.ElectionFrame}). */
    public static final int TYPE_ELECTION = 7;

    public static final int LENGTH_OFFSET = 0;
    public static final int VERSION_OFFSET = 4;
    public static final int FLAGS_OFFSET = 5;
    public static final int TYPE_OFFSET = 6;
    public static final int SENDER_OFFSET = 8;
    public static final int SESSION_OFFSET = 12;
    public static final int HEADER_LENGTH = 32;

    public static final int ACK_SEQUENCE_OFFSET = HEADER_LENGTH;
    public static final int ACK_TIME_OFFSET = HEADER_LENGTH + 8;
    /** Offset of the epoch the clone acknowledges under (i32). */
    public static final int ACK_EPOCH_OFFSET = HEADER_LENGTH + 16;
    public static final int ACK_LENGTH = HEADER_LENGTH + 24;

    public static final int HB_ROLE_OFFSET = HEADER_LENGTH;
    public static final int HB_HEALTHY_OFFSET = HEADER_LENGTH + 1;
    /**
     * u16: the node a primary hands over to in a planned switchover (it holds client input and
     * stops serving once that node has caught up), 0 otherwise (and from older senders).
     */
    public static final int HB_HANDOFF_OFFSET = HEADER_LENGTH + 2;
    public static final int HB_EPOCH_OFFSET = HEADER_LENGTH + 8;
    public static final int HB_JOURNAL_OFFSET = HEADER_LENGTH + 16;
    public static final int HB_DURABLE_OFFSET = HEADER_LENGTH + 24;
    public static final int HB_TIME_OFFSET = HEADER_LENGTH + 32;
    public static final int HB_LENGTH = HEADER_LENGTH + 40;

    public static final int CR_FROM_OFFSET = HEADER_LENGTH;
    public static final int CR_REPLY_IP_OFFSET = HEADER_LENGTH + 8;
    public static final int CR_LENGTH = HEADER_LENGTH + 16;

    public static final int CS_LAST_OFFSET = HEADER_LENGTH;
    public static final int CS_LENGTH = HEADER_LENGTH + 8;

    private Wire() {
    }

    /** Writes a control header for a frame of {@code length} bytes (before signing) and zeroes its reserved bytes. */
    public static void header(MutableDirectBuffer b, int off, int length, int type, int sender, int session) {
        b.setMemory(off, HEADER_LENGTH, (byte) 0);
        b.putInt(off + LENGTH_OFFSET, length, LE);
        b.putByte(off + VERSION_OFFSET, (byte) VERSION);
        b.putByte(off + TYPE_OFFSET, (byte) type);
        b.putShort(off + SENDER_OFFSET, (short) sender, LE);
        b.putInt(off + SESSION_OFFSET, session, LE);
    }

    /** The frame type, or -1 if the frame is too short or of another version. */
    public static int type(DirectBuffer b, int off, int len) {
        if (len < HEADER_LENGTH || (b.getByte(off + VERSION_OFFSET) & 0xFF) != VERSION) {
            return -1;
        }
        return b.getByte(off + TYPE_OFFSET) & 0xFF;
    }

    public static int sender(DirectBuffer b, int off) {
        return b.getShort(off + SENDER_OFFSET, LE) & 0xFFFF;
    }

    public static int session(DirectBuffer b, int off) {
        return b.getInt(off + SESSION_OFFSET, LE);
    }

    /** IPv4 dotted quad to int (network order packed big-end first). */
    public static int ipv4(String dotted) {
        String[] p = dotted.split("\\.");
        if (p.length != 4) {
            throw new IllegalArgumentException("invalid IPv4 address: value=" + dotted);
        }
        int v = 0;
        for (String s : p) {
            v = (v << 8) | (Integer.parseInt(s) & 0xFF);
        }
        return v;
    }

    /** Int to dotted quad (cold path: allocates). */
    public static String ipv4(int v) {
        return ((v >>> 24) & 0xFF) + "." + ((v >>> 16) & 0xFF) + "." + ((v >>> 8) & 0xFF) + "." + (v & 0xFF);
    }
}
