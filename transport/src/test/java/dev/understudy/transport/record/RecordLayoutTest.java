package dev.understudy.transport.record;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.understudy.transport.membership.Role;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Every record type encoded by its flyweight, compared byte for byte with a layout written here from
 * literal offsets (independently of the flyweights' constants), CRC included; then decoded back.
 */
class RecordLayoutTest {
    private final RecordCodec codec = new RecordCodec();
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);

    /** Expected bytes: header at literal offsets, body filled by the caller, CRC computed independently. */
    private static ByteBuffer expected(int length, int type, int epoch, long sequence) {
        ByteBuffer b = ByteBuffer.allocate(length).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(0, length);
        b.put(4, (byte) 2); // RecordHeader.CURRENT_VERSION, written here as a literal
        b.put(5, (byte) type);
        b.putShort(6, (short) 0);
        b.putInt(8, epoch);
        b.putLong(16, sequence);
        return b;
    }

    private static byte[] sealed(ByteBuffer b) {
        byte[] bytes = b.array();
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, 12);
        crc.update(bytes, 16, bytes.length - 16);
        b.putInt(12, (int) crc.getValue());
        return bytes;
    }

    private byte[] actual(int length) {
        codec.seal(buffer, 0);
        assertEquals(RecordErrors.OK, codec.validate(buffer, 0, length));
        byte[] out = new byte[length];
        buffer.getBytes(0, out);
        return out;
    }

    @Test
    void shouldLayOutConnOpen() {
        ByteBuffer e = expected(88, 1, 7, 0x0102030405060708L);
        e.putLong(24, 0x1122334455667788L).putInt(32, 0xDEADBEEF).putInt(36, 0x01020304)
            .putShort(40, (short) 51234).putShort(42, (short) 8080).putShort(44, (short) 1460)
            .put(46, (byte) 7).put(47, (byte) 9).put(48, (byte) 7).put(49, (byte) 4);
        e.put(56, (byte) 198).put(57, (byte) 18).put(58, (byte) 0).put(59, (byte) 1);
        e.put(72, (byte) 198).put(73, (byte) 18).put(74, (byte) 0).put(75, (byte) 100);
        ConnOpenFlyweight f = new ConnOpenFlyweight().wrapForEncode(buffer, 0, 7, 0x0102030405060708L)
            .connectionId(0x1122334455667788L).clientIsn(0xDEADBEEFL).serverIsn(0x01020304L).clientPort(51234)
            .servicePort(8080).mss(1460).clientWindowScale(7).serverWindowScale(9)
            .tcpOptions(TcpOptions.TCPI_OPT_TIMESTAMPS | TcpOptions.TCPI_OPT_SACK | TcpOptions.TCPI_OPT_WSCALE)
            .addresses(new byte[] {(byte) 198, 18, 0, 1}, new byte[] {(byte) 198, 18, 0, 100});
        assertArrayEquals(sealed(e), actual(88));

        ConnOpenFlyweight r = new ConnOpenFlyweight().wrap(buffer, 0);
        assertEquals(RecordType.CONN_OPEN, r.type());
        assertEquals(7, r.epoch());
        assertEquals(0x0102030405060708L, r.sequence());
        assertEquals(0x1122334455667788L, r.connectionId());
        assertEquals(0xDEADBEEFL, r.clientIsn());
        assertEquals(0x01020304L, r.serverIsn());
        assertEquals(51234, r.clientPort());
        assertEquals(8080, r.servicePort());
        assertEquals(1460, r.mss());
        assertEquals(7, r.clientWindowScale());
        assertEquals(9, r.serverWindowScale());
        assertEquals(7, r.tcpOptions());
        assertEquals(4, r.addressFamily());
        assertEquals(0xC6120001, r.clientIpv4());
        assertEquals(0xC6120064, r.serviceIpv4());
        byte[] addr = new byte[16];
        assertEquals(4, r.getServiceAddress(addr));
        assertEquals(100, addr[3]);
        assertEquals(88, f.length());
    }

    @Test
    void shouldLayOutIpv6ConnOpen() {
        byte[] client = new byte[16];
        byte[] service = new byte[16];
        for (int i = 0; i < 16; i++) {
            client[i] = (byte) (0x20 + i);
            service[i] = (byte) (0x40 + i);
        }
        ByteBuffer e = expected(88, 1, 1, 2);
        e.put(49, (byte) 6);
        for (int i = 0; i < 16; i++) {
            e.put(56 + i, client[i]).put(72 + i, service[i]);
        }
        new ConnOpenFlyweight().wrapForEncode(buffer, 0, 1, 2).addresses(client, service);
        assertArrayEquals(sealed(e), actual(88));
    }

    @Test
    void shouldLayOutSegment() {
        byte[] payload = {10, 20, 30, 40, 50};
        ByteBuffer e = expected(72 + 5, 2, 3, 99);
        e.putLong(24, 42).putLong(32, 1_764_547_200_123_456_789L).putInt(40, 0xFFFFFFF0).putInt(44, 123456)
            .putInt(48, 1000).putInt(52, 2000).putShort(56, (short) 0xFFFF).putShort(58, (short) 0x18)
            .put(60, (byte) 1).putInt(64, 5);
        for (int i = 0; i < 5; i++) {
            e.put(72 + i, payload[i]);
        }
        SegmentFlyweight f = new SegmentFlyweight().wrapForEncode(buffer, 0, 3, 99).connectionId(42)
            .arrivalNanos(1_764_547_200_123_456_789L).seq(0xFFFFFFF0L).ack(123456).window(0xFFFF).tcpFlags(0x18)
            .timestamps(1000, 2000).payload(payload, 0, 5);
        assertArrayEquals(sealed(e), actual(77));
        SegmentFlyweight r = new SegmentFlyweight().wrap(buffer, 0);
        assertEquals(42, r.connectionId());
        assertEquals(1_764_547_200_123_456_789L, r.arrivalNanos());
        assertEquals(0xFFFFFFF0L, r.seq());
        assertEquals(123456, r.ack());
        assertEquals(0xFFFF, r.window());
        assertEquals(0x18, r.tcpFlags());
        assertEquals(true, r.hasTimestamp());
        assertEquals(SegmentFlyweight.FLAG_HAS_TIMESTAMP, r.segmentFlags());
        assertEquals(1000, r.tsVal());
        assertEquals(2000, r.tsEcr());
        assertEquals(5, r.payloadLength());
        assertEquals(72, r.payloadOffset());
        assertEquals(0, r.payloadOffset() % 8, "payload 8-aligned");
        assertEquals(77, f.length());
        UnsafeBuffer out = new UnsafeBuffer(new byte[5]);
        r.getPayload(out, 0);
        assertEquals(50, out.getByte(4));
    }

    @Test
    void shouldLayOutSegmentWithoutTimestampOption() {
        ByteBuffer e = expected(72, 2, 1, 1);
        e.putLong(24, 7).putInt(64, 0); // flags byte 60 stays 0, TSval/TSecr 0
        SegmentFlyweight f = new SegmentFlyweight().wrapForEncode(buffer, 0, 1, 1).connectionId(7)
            .timestamps(5, 6).noTimestamps().payloadLength(0);
        assertArrayEquals(sealed(e), actual(72));
        assertEquals(false, f.hasTimestamp());
    }

    @Test
    void shouldLayOutAppRead() {
        ByteBuffer e = expected(56, 3, 2, 5);
        e.putLong(24, -3).putLong(32, 1L << 33).putLong(40, 1L << 40).putInt(48, 65536);
        new AppReadFlyweight().wrapForEncode(buffer, 0, 2, 5).connectionId(-3).streamOffset(1L << 33)
            .readOrder(1L << 40).byteCount(65536);
        assertArrayEquals(sealed(e), actual(56));
        AppReadFlyweight r = new AppReadFlyweight().wrap(buffer, 0);
        assertEquals(-3, r.connectionId());
        assertEquals(1L << 33, r.streamOffset());
        assertEquals(1L << 40, r.readOrder());
        assertEquals(65536, r.byteCount());
    }

    @Test
    void shouldLayOutAppReadStatuses() {
        int[] literal = {-1, -2, -3};
        int[] named = {AppReadFlyweight.EOF, AppReadFlyweight.RESET, AppReadFlyweight.TIMEOUT};
        for (int i = 0; i < 3; i++) {
            ByteBuffer e = expected(56, 3, 1, 9);
            e.putLong(24, 4).putLong(32, 100).putLong(40, 17).putInt(48, literal[i]);
            new AppReadFlyweight().wrapForEncode(buffer, 0, 1, 9).connectionId(4).streamOffset(100).readOrder(17)
                .byteCount(named[i]);
            assertArrayEquals(sealed(e), actual(56));
        }
    }

    @Test
    void shouldLayOutAppWrite() {
        ByteBuffer e = expected(48, 4, 2, 6);
        e.putLong(24, 77).putLong(32, 5_000_000_000L).putInt(40, 1400).putInt(44, 0xCAFEBABE);
        new AppWriteFlyweight().wrapForEncode(buffer, 0, 2, 6).connectionId(77).streamOffset(5_000_000_000L)
            .byteCount(1400).bytesCrc32c(0xCAFEBABE);
        assertArrayEquals(sealed(e), actual(48));
        AppWriteFlyweight r = new AppWriteFlyweight().wrap(buffer, 0);
        assertEquals(77, r.connectionId());
        assertEquals(5_000_000_000L, r.streamOffset());
        assertEquals(1400, r.byteCount());
        assertEquals(0xCAFEBABE, r.bytesCrc32c());
    }

    @Test
    void shouldLayOutTcpInfo() {
        ByteBuffer e = expected(72, 11, 3, 12);
        e.putLong(24, 0x0102030405060708L).put(32, (byte) 0x0F).put(33, (byte) 7).put(34, (byte) 14)
            .putShort(36, (short) 1448).putShort(38, (short) 65000).putInt(40, 0xFEDCBA98).putInt(44, 0x80000001)
            .putInt(48, 0x80000100).putInt(52, 0xFFFFFFFF).putLong(56, 1_764_547_200_987_654_321L)
            .putInt(64, 255).putInt(68, 0x90000000);
        new TcpInfoFlyweight().wrapForEncode(buffer, 0, 3, 12).connectionId(0x0102030405060708L)
            .tcpiOptions(TcpOptions.TCPI_OPT_TIMESTAMPS | TcpOptions.TCPI_OPT_SACK | TcpOptions.TCPI_OPT_WSCALE
                | TcpOptions.TCPI_OPT_ECN)
            .sndWscale(7).rcvWscale(14).sndMss(1448).rcvMss(65000).serverIsn(0xFEDCBA98L).sndUna(0x80000001L)
            .sndNxt(0x80000100L).timestampClock(0xFFFFFFFFL).clockReadNanos(1_764_547_200_987_654_321L)
            .unackedBytes(255).notsentBytes(0x90000000L);
        assertArrayEquals(sealed(e), actual(72));
        TcpInfoFlyweight r = new TcpInfoFlyweight().wrap(buffer, 0);
        assertEquals(RecordType.TCP_INFO, r.type());
        assertEquals(0x0102030405060708L, r.connectionId());
        assertEquals(0x0F, r.tcpiOptions());
        assertEquals(7, r.sndWscale());
        assertEquals(14, r.rcvWscale());
        assertEquals(1448, r.sndMss());
        assertEquals(65000, r.rcvMss());
        assertEquals(0xFEDCBA98L, r.serverIsn());
        assertEquals(0x80000001L, r.sndUna());
        assertEquals(0x80000100L, r.sndNxt());
        assertEquals(0xFFFFFFFFL, r.timestampClock());
        assertEquals(1_764_547_200_987_654_321L, r.clockReadNanos());
        assertEquals(255, r.unackedBytes());
        assertEquals(0x90000000L, r.notsentBytes());
    }

    @Test
    void shouldLayOutTurn() {
        ByteBuffer e = expected(64, 12, 4, 77);
        e.putLong(24, -1).putInt(32, 2).putLong(40, 0x1_0000_0003L).putLong(48, 1L << 50).putLong(56, 0x0A0B0C0D0E0F1011L);
        new TurnFlyweight().wrapForEncode(buffer, 0, 4, 77).connectionId(TurnFlyweight.NO_CONNECTION)
            .kind(TurnFlyweight.ACCEPT).ordinal(0x1_0000_0003L).turnOrder(1L << 50).sourceId(0x0A0B0C0D0E0F1011L);
        assertArrayEquals(sealed(e), actual(64));
        TurnFlyweight r = new TurnFlyweight().wrap(buffer, 0);
        assertEquals(RecordType.TURN, r.type());
        assertEquals(-1, r.connectionId());
        assertEquals(TurnFlyweight.ACCEPT, r.kind());
        assertEquals(0x1_0000_0003L, r.ordinal());
        assertEquals(1L << 50, r.turnOrder());
        assertEquals(0x0A0B0C0D0E0F1011L, r.sourceId());
        // the kinds' wire codes, as literals
        assertEquals(1, TurnFlyweight.READ);
        assertEquals(2, TurnFlyweight.ACCEPT);
        assertEquals(3, TurnFlyweight.TIMER);
        assertEquals(4, TurnFlyweight.TASK);
    }

    @Test
    void shouldLayOutClock() {
        ByteBuffer e = expected(56, 13, 2, 78);
        e.putLong(24, 123_456_789_012L).putInt(32, 7).putInt(36, 3).putLong(40, 1_764_547_200L).putInt(48, 999_999_999);
        new ClockFlyweight().wrapForEncode(buffer, 0, 2, 78).turnOrder(123_456_789_012L).index(7)
            .source(ClockFlyweight.INSTANT).value(1_764_547_200L).nanos(999_999_999);
        assertArrayEquals(sealed(e), actual(56));
        ClockFlyweight r = new ClockFlyweight().wrap(buffer, 0);
        assertEquals(RecordType.CLOCK, r.type());
        assertEquals(123_456_789_012L, r.turnOrder());
        assertEquals(7, r.index());
        assertEquals(ClockFlyweight.INSTANT, r.source());
        assertEquals(1_764_547_200L, r.value());
        assertEquals(999_999_999, r.nanos());

        e = expected(56, 13, 2, 79);
        e.putLong(24, -1).putInt(32, 0).putInt(36, 2).putLong(40, -5_000_000_000L);
        new ClockFlyweight().wrapForEncode(buffer, 0, 2, 79).turnOrder(TurnFlyweight.OUTSIDE_TURN)
            .source(ClockFlyweight.NANO_TIME).value(-5_000_000_000L); // nanoTime may well be negative
        assertArrayEquals(sealed(e), actual(56));
        assertEquals(1, ClockFlyweight.WALL_MILLIS);
        assertEquals(2, ClockFlyweight.NANO_TIME);
        assertEquals(3, ClockFlyweight.INSTANT);
    }

    @Test
    void shouldLayOutRandomSeedAndBytes() {
        ByteBuffer e = expected(80, 14, 5, 80);
        e.putLong(24, 41).putInt(32, 3).putInt(36, 1).putInt(40, 8).putLong(48, 0x8877665544332211L);
        new RandomFlyweight().wrapForEncode(buffer, 0, 5, 80).turnOrder(41).index(3).source(RandomFlyweight.SEED)
            .seed(0x8877665544332211L);
        assertArrayEquals(sealed(e), actual(80));
        RandomFlyweight r = new RandomFlyweight().wrap(buffer, 0);
        assertEquals(RecordType.RANDOM, r.type());
        assertEquals(41, r.turnOrder());
        assertEquals(3, r.index());
        assertEquals(RandomFlyweight.SEED, r.source());
        assertEquals(8, r.payloadLength());
        assertEquals(0x8877665544332211L, r.seed());
        assertEquals(0x11, r.payloadByte(0), "little-endian");

        byte[] bytes = new byte[40];
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (0xA0 + i);
        }
        e = expected(80, 14, 5, 81);
        e.putLong(24, 42).putInt(32, 4).putInt(36, 2).putInt(40, 5);
        for (int i = 0; i < 5; i++) {
            e.put(48 + i, bytes[35 + i]); // the tail of a 40-byte nextBytes: its second record
        }
        // written over the seed record: the payload past the length must be zeroed again
        new RandomFlyweight().wrapForEncode(buffer, 0, 5, 81).turnOrder(42).index(4).source(RandomFlyweight.BYTES)
            .seed(-1).payload(bytes, 35, 5);
        assertArrayEquals(sealed(e), actual(80));
        byte[] out = new byte[8];
        assertEquals(5, r.wrap(buffer, 0).getPayload(out, 1));
        assertEquals((byte) (0xA0 + 35), out[1]);
        assertEquals((byte) (0xA0 + 39), out[5]);
        assertEquals(0, out[6]);
        assertEquals(1, RandomFlyweight.SEED);
        assertEquals(2, RandomFlyweight.BYTES);
        assertEquals(3, RandomFlyweight.TLR_SEED);
    }

    @Test
    void shouldUseTheKernelsTcpiOptBits() {
        // include/uapi/linux/tcp.h: TCPI_OPT_TIMESTAMPS 1, TCPI_OPT_SACK 2, TCPI_OPT_WSCALE 4, TCPI_OPT_ECN 8
        assertEquals(1, TcpOptions.TCPI_OPT_TIMESTAMPS);
        assertEquals(2, TcpOptions.TCPI_OPT_SACK);
        assertEquals(4, TcpOptions.TCPI_OPT_WSCALE);
        assertEquals(8, TcpOptions.TCPI_OPT_ECN);
    }

    @Test
    void shouldLayOutAppCloseAndShutdownOutput() {
        for (int type : new int[] {RecordType.APP_CLOSE, RecordType.APP_SHUTDOWN_OUTPUT}) {
            ByteBuffer e = expected(32, type, 4, 8);
            e.putLong(24, 0x7FFF_FFFF_FFFF_FFFFL);
            new ConnectionEventFlyweight().wrapForEncode(buffer, 0, type, 4, 8).connectionId(Long.MAX_VALUE);
            assertArrayEquals(sealed(e), actual(32));
            ConnectionEventFlyweight r = new ConnectionEventFlyweight().wrap(buffer, 0);
            assertEquals(type, r.type());
            assertEquals(Long.MAX_VALUE, r.connectionId());
        }
    }

    @Test
    void shouldLayOutCheckpoint() {
        ByteBuffer e = expected(48, 7, 1, 1000);
        e.putLong(24, 12).putLong(32, 1_700_000_000_123_456_789L).putInt(40, 3);
        new CheckpointFlyweight().wrapForEncode(buffer, 0, 1, 1000).checkpointId(12)
            .timestampNs(1_700_000_000_123_456_789L).reason(CheckpointFlyweight.REASON_PERIOD);
        assertArrayEquals(sealed(e), actual(48));
        CheckpointFlyweight r = new CheckpointFlyweight().wrap(buffer, 0);
        assertEquals(12, r.checkpointId());
        assertEquals(1_700_000_000_123_456_789L, r.timestampNs());
        assertEquals(CheckpointFlyweight.REASON_PERIOD, r.reason());
    }

    @Test
    void shouldLayOutHeartbeat() {
        ByteBuffer e = expected(56, 8, 9, 31);
        e.putInt(24, 3).put(28, (byte) 2).put(29, (byte) 1).putLong(32, 5000).putLong(40, 4990).putLong(48, 123);
        new HeartbeatFlyweight().wrapForEncode(buffer, 0, 9, 31).nodeId(3).role(Role.CLONE)
            .health(HeartbeatFlyweight.HEALTH_JOURNAL_FAULT).durableSequence(5000).appliedSequence(4990).timestampNs(123);
        assertArrayEquals(sealed(e), actual(56));
        HeartbeatFlyweight r = new HeartbeatFlyweight().wrap(buffer, 0);
        assertEquals(3, r.nodeId());
        assertEquals(Role.CLONE, r.role());
        assertEquals(2, r.roleCode());
        assertEquals(1, r.health());
        assertEquals(5000, r.durableSequence());
        assertEquals(4990, r.appliedSequence());
        assertEquals(123, r.timestampNs());
    }

    @Test
    void shouldLayOutPromoteAndFence() {
        for (int type : new int[] {RecordType.PROMOTE, RecordType.FENCE}) {
            ByteBuffer e = expected(40, type, 10, 501);
            e.putInt(24, 10).putInt(28, 2).putLong(32, 500);
            new EpochChangeFlyweight().wrapForEncode(buffer, 0, type, 10, 501).newEpoch(10).primaryNodeId(2)
                .lastSequence(500);
            assertArrayEquals(sealed(e), actual(40));
            EpochChangeFlyweight r = new EpochChangeFlyweight().wrap(buffer, 0);
            assertEquals(type, r.type());
            assertEquals(10, r.newEpoch());
            assertEquals(2, r.primaryNodeId());
            assertEquals(500, r.lastSequence());
        }
    }

    @Test
    void shouldNameEveryTypeAndCode() {
        for (int t = RecordType.MIN; t <= RecordType.MAX; t++) {
            assertEquals(false, RecordType.name(t).startsWith("UNKNOWN"));
        }
        assertEquals("UNKNOWN(0)", RecordType.name(0));
        assertEquals("BAD_CRC", RecordErrors.name(RecordErrors.BAD_CRC));
        assertEquals(88, RecordType.fixedLength(RecordType.CONN_OPEN));
        assertEquals(11, RecordType.TCP_INFO);
        assertEquals("TCP_INFO", RecordType.name(RecordType.TCP_INFO));
        assertEquals(72, RecordType.fixedLength(RecordType.TCP_INFO));
        assertEquals(72, RecordType.fixedLength(RecordType.SEGMENT));
        assertEquals(12, RecordType.TURN);
        assertEquals(13, RecordType.CLOCK);
        assertEquals(14, RecordType.RANDOM);
        assertEquals("TURN", RecordType.name(RecordType.TURN));
        assertEquals("CLOCK", RecordType.name(RecordType.CLOCK));
        assertEquals("RANDOM", RecordType.name(RecordType.RANDOM));
        assertEquals(64, RecordType.fixedLength(RecordType.TURN));
        assertEquals(56, RecordType.fixedLength(RecordType.CLOCK));
        assertEquals(80, RecordType.fixedLength(RecordType.RANDOM));
        assertEquals(RecordType.RANDOM, RecordType.MAX);
        assertEquals("UNKNOWN(15)", RecordType.name(15));
    }

    @Test
    void shouldLayOutTheFrameHeaderWithSenderAndEpoch() {
        UnsafeBuffer frame = new UnsafeBuffer(new byte[512]);
        RecordBatchWriter writer = new RecordBatchWriter(0x0203, frame, 0, 512);
        writer.reset(6);
        int at = writer.claim(AppReadFlyweight.LENGTH);
        new AppReadFlyweight().wrapForEncode(frame, at, 6, 41).connectionId(1).byteCount(1);
        writer.commit();
        int length = writer.finish();
        assertEquals(32 + 56, length);
        ByteBuffer e = ByteBuffer.allocate(32).order(ByteOrder.LITTLE_ENDIAN);
        e.putInt(0, 88).put(4, (byte) 2).put(5, (byte) 0).putShort(6, (short) 1).putInt(8, 6)
            .putShort(12, (short) 0x0203).putShort(14, (short) 0).putLong(16, 41).putLong(24, 41);
        byte[] header = new byte[32];
        frame.getBytes(0, header);
        assertArrayEquals(e.array(), header);
        RecordBatchReader reader = new RecordBatchReader();
        assertEquals(RecordErrors.OK, reader.wrap(frame, 0, length));
        assertEquals(0x0203, reader.sender());
        assertEquals(6, reader.epoch());
        frame.putShort(14, (short) 1, RecordHeader.ORDER);
        assertEquals(RecordErrors.BAD_FRAME, reader.wrap(frame, 0, length), "reserved must be 0");
    }

    @Test
    void shouldGiveRolesExplicitWireCodes() {
        assertEquals(1, Role.PRIMARY.code());
        assertEquals(2, Role.CLONE.code());
        assertEquals(3, Role.CATCHING_UP.code());
        for (Role role : Role.values()) {
            assertEquals(role, Role.fromCode(role.code()));
        }
        assertEquals(null, Role.fromCode(0));
        assertEquals(null, Role.fromCode(4));
        assertEquals(null, Role.fromCode(-1));
    }
}
