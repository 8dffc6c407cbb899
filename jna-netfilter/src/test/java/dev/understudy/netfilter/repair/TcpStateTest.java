package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;

class TcpStateTest {
    static TcpState sample() {
        byte[] rq = {1, 2, 3};
        byte[] sq = {9, 8, 7, 6, 5};
        return new TcpState().local(0xC6120064, 7000).remote(0xC6120002, 40000).sequence(0xFFFFFFF0, 0x80000001)
            .window(0x80000000, 65536, 131072, 29200, 0x80000001).timestamp(0x7FFFFFFE, 1_700_000_000_123L)
            .options(1460, 7, 9, TcpState.OPT_TIMESTAMPS | TcpState.OPT_SACK | TcpState.OPT_WSCALE)
            .flags(TcpState.FLAG_INET6_SOCKET).recvQueue(rq, 0, rq.length).sendQueue(sq, 0, sq.length).sendQueueUnsent(2);
    }

    @Test
    void shouldRoundTripThroughBytesWithEveryField() {
        TcpState s = sample();
        byte[] bytes = s.toBytes();
        assertEquals(TcpState.HEADER_LENGTH + 3 + 5, bytes.length);
        TcpState back = TcpState.fromBytes(bytes);
        assertEquals(s, back);
        assertEquals(s.toString(), back.toString());
        assertEquals(2, back.sendQueueUnsent());
        assertEquals(0xFFFFFFF0, back.sndUna());
    }

    @Test
    void shouldWriteTheDocumentedLittleEndianLayoutWhateverTheBufferOrder() {
        ByteBuffer big = ByteBuffer.allocate(200).order(ByteOrder.BIG_ENDIAN);
        big.position(7);
        sample().encode(big);
        assertEquals(7 + TcpState.HEADER_LENGTH + 8, big.position());
        assertEquals(ByteOrder.BIG_ENDIAN, big.order(), "caller's order restored");
        ByteBuffer le = ByteBuffer.wrap(big.array(), 7, 200 - 7).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(TcpState.MAGIC, le.getInt(TcpState.MAGIC_OFFSET));
        assertEquals(TcpState.HEADER_LENGTH, le.getShort(TcpState.HEADER_LENGTH_OFFSET));
        assertEquals(0xC6120064, le.getInt(TcpState.LOCAL_ADDRESS_OFFSET));
        assertEquals(7000, le.getShort(TcpState.LOCAL_PORT_OFFSET) & 0xffff);
        assertEquals(40000, le.getShort(TcpState.REMOTE_PORT_OFFSET) & 0xffff);
        assertEquals(0x80000001, le.getInt(TcpState.RCV_NXT_OFFSET));
        assertEquals(131072, le.getInt(TcpState.MAX_WINDOW_OFFSET));
        assertEquals(1_700_000_000_123L, le.getLong(TcpState.CAPTURED_AT_OFFSET));
        assertEquals(1460, le.getShort(TcpState.MSS_OFFSET));
        assertEquals(7, le.get(TcpState.SND_WSCALE_OFFSET));
        assertEquals(9, le.get(TcpState.RCV_WSCALE_OFFSET));
        assertEquals(3, le.getInt(TcpState.RECV_QUEUE_LENGTH_OFFSET));
        assertEquals(5, le.getInt(TcpState.SEND_QUEUE_LENGTH_OFFSET));
        assertEquals(2, le.getInt(TcpState.SEND_QUEUE_UNSENT_OFFSET));
        assertEquals(1, le.get(TcpState.HEADER_LENGTH));
        assertEquals(9, le.get(TcpState.HEADER_LENGTH + 3));
    }

    @Test
    void shouldRejectBadMagicTruncationAndInconsistentLengths() {
        byte[] bytes = sample().toBytes();
        byte[] badMagic = bytes.clone();
        badMagic[0] ^= 1;
        assertTrue(assertThrows(IllegalArgumentException.class, () -> TcpState.fromBytes(badMagic)).getMessage().contains("magic"));
        byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 1);
        assertThrows(IllegalArgumentException.class, () -> TcpState.fromBytes(truncated));
        byte[] unsent = bytes.clone();
        ByteBuffer.wrap(unsent).order(ByteOrder.LITTLE_ENDIAN).putInt(TcpState.SEND_QUEUE_UNSENT_OFFSET, 6);
        assertThrows(IllegalArgumentException.class, () -> TcpState.fromBytes(unsent));
        assertThrows(IllegalArgumentException.class, () -> new TcpState().options(1460, 15, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new TcpState().local(1, 70000));
    }

    @Test
    void shouldReuseQueueArraysWhenDecodingIntoTheSameHolder() {
        TcpState holder = new TcpState();
        byte[] bytes = sample().toBytes();
        holder.decode(ByteBuffer.wrap(bytes));
        byte[] rq = holder.recvQueue();
        holder.decode(ByteBuffer.wrap(bytes));
        assertTrue(rq == holder.recvQueue(), "no new array for the same size");
        assertArrayEquals(new byte[] {1, 2, 3}, java.util.Arrays.copyOf(holder.recvQueue(), holder.recvQueueLength()));
    }

    @Test
    void shouldRestoreAnEvenClockThatNeverGoesBack() {
        TcpState s = new TcpState().timestamp(1001, 10_000);
        assertEquals(1000, TcpRepair.restoredClock(s, 10_000) + 0, "odd clock: low bit cleared");
        assertEquals(1250, TcpRepair.restoredClock(s.timestamp(1000, 10_000), 10_250));
        assertEquals(1000, TcpRepair.restoredClock(s.timestamp(1000, 10_000), 9_000), "clock skew never moves it back");
        assertEquals(4, TcpRepair.restoredClock(s.timestamp(0xFFFFFFFE, 10_000), 10_006), "wraps like TCP");
    }
}
