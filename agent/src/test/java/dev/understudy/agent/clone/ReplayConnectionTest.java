package dev.understudy.agent.clone;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The per-connection bookkeeping of the replay: the inbound stream rebuilt from SEGMENT payloads
 * whatever their order and overlaps, the output checked range by range against the primary's
 * CRC-32C, and the output kept until it is both checked and acknowledged.
 *
 * <p>Mutation checks (done once): with {@code payload} appending out-of-order segments at once,
 * {@link #shouldRebuildTheStreamFromSegmentsInAnyOrder} failed; with {@code verify} comparing
 * nothing, {@link #shouldFindTheFirstDifferingRange} failed; with {@code keepFrom} ignoring the
 * client's ACK, {@link #shouldKeepOutputUntilCheckedAndAcknowledged} failed.
 */
class ReplayConnectionTest {
    private static final long ISN = 0xFFFF_FF00L; // wraps past 2^32 within the stream

    private static ReplayConnection conn() {
        return new ReplayConnection(1, new InetSocketAddress("198.18.0.2", 40000), ISN, 7000);
    }

    private static void segment(ReplayConnection c, byte[] all, int from, int to) {
        byte[] part = java.util.Arrays.copyOfRange(all, from, to);
        c.payload((ISN + 1 + from) & 0xFFFF_FFFFL, new UnsafeBuffer(part), 0, part.length);
    }

    @Test
    void shouldRebuildTheStreamFromSegmentsInAnyOrder() {
        byte[] all = new byte[1000];
        for (int i = 0; i < all.length; i++) {
            all[i] = (byte) (i * 7);
        }
        ReplayConnection c = conn();
        segment(c, all, 500, 800);   // ahead of a gap
        segment(c, all, 0, 300);
        segment(c, all, 100, 400);   // overlaps what is there
        segment(c, all, 0, 300);     // a retransmission
        assertEquals(400, c.inboundEnd);
        segment(c, all, 400, 500);   // fills the gap: the held segment follows
        assertEquals(800, c.inboundEnd);
        segment(c, all, 800, 1000);
        ByteBuffer b = c.inbound(0, 1000);
        byte[] got = new byte[1000];
        b.get(got);
        assertArrayEquals(all, got);
    }

    private static int crc(byte[] b, int from, int n) {
        CRC32C crc = new CRC32C();
        crc.update(b, from, n);
        return (int) crc.getValue();
    }

    @Test
    void shouldFindTheFirstDifferingRange() {
        byte[] primary = "INT 1\nINT 2\nINT 3\n".getBytes(StandardCharsets.US_ASCII);
        byte[] clone = "INT 1\nINT 9\nINT 3\n".getBytes(StandardCharsets.US_ASCII);
        ReplayConnection c = conn();
        for (int at = 0; at < primary.length; at += 6) {
            c.expected.add(new long[] {at, 6, crc(primary, at, 6)});
        }
        c.output(ByteBuffer.wrap(clone, 0, 9)); // the clone's writes need not match the primary's boundaries
        assertEquals(0, c.verify());
        assertEquals(6, c.verifiedUpTo);
        c.output(ByteBuffer.wrap(clone, 9, clone.length - 9));
        assertEquals(1, c.verify());
        assertEquals(6, c.divergedAt);
        assertEquals(primary.length, c.verifiedUpTo);
    }

    @Test
    void shouldKeepOutputUntilCheckedAndAcknowledged() {
        byte[] out = new byte[10_000];
        ReplayConnection c = conn();
        c.clientAck(5000); // the client's first ACK: server ISN + 1
        c.output(ByteBuffer.wrap(out));
        assertEquals(10_000, c.keptBytes(), "nothing checked, nothing acknowledged");
        c.expected.add(new long[] {0, 8000, crc(out, 0, 8000)});
        assertEquals(0, c.verify());
        assertEquals(10_000, c.keptBytes(), "checked but not acknowledged");
        c.clientAck(5000 + 3000);
        assertEquals(7000, c.keptBytes(), "3000 acknowledged and checked");
        c.clientAck(5000 + 9000);
        assertEquals(2000, c.keptBytes(), "acknowledged beyond what is checked: kept from 8000");
    }
}
