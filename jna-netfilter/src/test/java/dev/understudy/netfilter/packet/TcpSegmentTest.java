package dev.understudy.netfilter.packet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

class TcpSegmentTest {
    private final TcpSegment seg = new TcpSegment();

    /**
     * A SYN in the layout Linux 6.x sends (60-byte IPv4+TCP header, options in Linux's order),
     * 198.18.0.2:40000 to 198.18.0.100:7000, written out byte by byte per RFC 791/793/7323.
     */
    private static final String LINUX_SYN =
        "4500003c1234400040060000c6120002c6120064"              // IPv4: len 60, DF, TTL 64, TCP (checksum patched below)
            + "9c401b58" + "000003e8" + "00000000" + "a002" + "faf0" + "0000" + "0000"  // ports, seq 1000, ack 0, doff 10, SYN, win 64240
            + "020405b4" + "0402" + "080a" + "0001e240" + "00000000" + "01030307";       // MSS 1460, SACK_PERM, TS 123456/0, NOP, WS 7

    @Test
    void shouldReadEveryFieldAndOptionOfALinuxSyn() {
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex(LINUX_SYN));
        b.putShort(10, (short) Ipv4Header.checksumResidue(b, 0, 20));
        assertEquals(0, Ipv4Header.checksumResidue(b, 0, 20), "IP checksum verifies");
        assertEquals(TcpSegment.PARSE_OK, seg.wrap(b, 0, b.capacity()));
        assertTrue(seg.isValid());
        assertEquals(0xC6120002, seg.sourceAddress());
        assertEquals(0xC6120064, seg.destinationAddress());
        assertEquals("198.18.0.2", Ipv4Header.toString(seg.sourceAddress()));
        assertEquals(40000, seg.sourcePort());
        assertEquals(7000, seg.destinationPort());
        assertEquals(1000, seg.seq());
        assertEquals(0, seg.ack());
        assertEquals(TcpHeader.SYN, seg.flags());
        assertTrue(seg.hasFlag(TcpHeader.SYN));
        assertFalse(seg.hasFlag(TcpHeader.ACK));
        assertEquals(64240, seg.window());
        assertEquals(1460, seg.mss());
        assertEquals(7, seg.windowScale());
        assertTrue(seg.sackPermitted());
        assertTrue(seg.hasTimestamps());
        assertEquals(123456, seg.tsVal());
        assertEquals(0, seg.tsEcr());
        assertEquals(0, seg.sackBlocks());
        assertEquals(20, seg.ipHeaderLength());
        assertEquals(40, seg.tcpHeaderLength());
        assertEquals(60, seg.payloadOffset());
        assertEquals(0, seg.payloadLength());
        assertEquals(1, seg.sequenceLength());
    }

    @Test
    void shouldExposeThePayloadInPlaceAndTimestampsOfADataSegment() {
        PacketBuilder p = new PacketBuilder();
        p.seq = 0xFFFFFFF0L; // near wrap: must read unsigned
        p.ack = 0x80000001L;
        p.flags = TcpHeader.ACK | TcpHeader.PSH;
        p.options = PacketBuilder.timestampOptions(0xDEADBEEFL, 0x01020304L);
        p.payload = "hello, understudy".getBytes();
        ByteBuffer b = ByteBuffer.allocateDirect(200).order(ByteOrder.BIG_ENDIAN);
        int len = p.write(b, 37);
        assertEquals(TcpSegment.PARSE_OK, seg.wrap(b, 37, len));
        assertEquals(0xFFFFFFF0L, seg.seq());
        assertEquals(0x80000001L, seg.ack());
        assertEquals(0xDEADBEEFL, seg.tsVal());
        assertEquals(0x01020304L, seg.tsEcr());
        assertEquals(-1, seg.mss());
        assertEquals(-1, seg.windowScale());
        assertFalse(seg.sackPermitted());
        byte[] got = new byte[seg.payloadLength()];
        for (int i = 0; i < got.length; i++) {
            got[i] = seg.buffer().get(seg.payloadOffset() + i);
        }
        assertArrayEquals(p.payload, got);
        assertEquals(37 + 20 + 32, seg.payloadOffset());
    }

    @Test
    void shouldReadSackBlocksAndSkipUnknownOptions() {
        PacketBuilder p = new PacketBuilder();
        p.options = new byte[] {
            1, 1, 5, 18, 0, 0, 0, 10, 0, 0, 0, 20, 0, 0, 0, 30, 0, 0, 0, 40,   // SACK 2 blocks
            (byte) 254, 4, 0x12, 0x34,                                             // experimental kind 254, length 4
            0, 0, 0, 0                                                             // EOL + padding
        };
        ByteBuffer b = ByteBuffer.wrap(p.build());
        assertEquals(TcpSegment.PARSE_OK, seg.wrap(b, 0, b.capacity()));
        assertEquals(2, seg.sackBlocks());
        assertEquals(10, seg.sackLeft(0));
        assertEquals(20, seg.sackRight(0));
        assertEquals(30, seg.sackLeft(1));
        assertEquals(40, seg.sackRight(1));
        assertThrows(IndexOutOfBoundsException.class, () -> seg.sackLeft(2));
    }

    @Test
    void shouldSkipIpOptionsAndCountFinInSequenceLength() {
        PacketBuilder p = new PacketBuilder();
        p.ipOptions = new byte[] {1, 1, 1, 0}; // NOP NOP NOP EOL
        p.flags = TcpHeader.FIN | TcpHeader.ACK;
        p.payload = new byte[] {1, 2, 3};
        ByteBuffer b = ByteBuffer.wrap(p.build());
        assertEquals(TcpSegment.PARSE_OK, seg.wrap(b, 0, b.capacity()));
        assertEquals(24, seg.ipHeaderLength());
        assertEquals(3, seg.payloadLength());
        assertEquals(4, seg.sequenceLength());
    }

    @Test
    void shouldIgnoreBytesAfterTheIpTotalLength() {
        PacketBuilder p = new PacketBuilder();
        p.payload = new byte[] {9, 9};
        byte[] raw = p.build();
        byte[] padded = new byte[raw.length + 10]; // Ethernet minimum-frame padding, say
        System.arraycopy(raw, 0, padded, 0, raw.length);
        assertEquals(TcpSegment.PARSE_OK, seg.wrap(ByteBuffer.wrap(padded), 0, padded.length));
        assertEquals(2, seg.payloadLength());
    }

    @Test
    void shouldReportEachKindOfMalformedPacket() {
        PacketBuilder p = new PacketBuilder();
        byte[] good = p.build();
        assertEquals(TcpSegment.PARSE_TOO_SHORT, seg.wrap(ByteBuffer.wrap(good), 0, 19));
        assertEquals(TcpSegment.PARSE_TOO_SHORT, seg.wrap(ByteBuffer.wrap(good), 30, 20));
        assertEquals(TcpSegment.PARSE_NOT_IPV4, parse(good, 0, (byte) 0x65));
        assertEquals(TcpSegment.PARSE_BAD_IHL, parse(good, 0, (byte) 0x44));
        assertEquals(TcpSegment.PARSE_BAD_TOTAL_LENGTH, parse(good, 3, (byte) 100));
        assertEquals(TcpSegment.PARSE_BAD_TOTAL_LENGTH, parse(good, 3, (byte) 10));
        assertEquals(TcpSegment.PARSE_NOT_TCP, parse(good, 9, (byte) 17));
        assertEquals(TcpSegment.PARSE_FRAGMENT, parse(good, 6, (byte) 0x20)); // MF
        assertEquals(TcpSegment.PARSE_FRAGMENT, parse(good, 7, (byte) 0x01)); // offset 8
        assertEquals(TcpSegment.PARSE_BAD_DATA_OFFSET, parse(good, 32, (byte) 0x40)); // doff 4
        assertEquals(TcpSegment.PARSE_BAD_DATA_OFFSET, parse(good, 32, (byte) 0x60)); // doff 6 > packet
        p.options = new byte[] {2, 3, 5, (byte) 0xB4}; // MSS with length 3
        assertEquals(TcpSegment.PARSE_BAD_OPTION, seg.wrap(ByteBuffer.wrap(p.build()), 0, p.length()));
        p.options = new byte[] {1, 1, 1, 8}; // kind without length byte
        assertEquals(TcpSegment.PARSE_BAD_OPTION, seg.wrap(ByteBuffer.wrap(p.build()), 0, p.length()));
        p.options = new byte[] {1, 99, 1, 0}; // length 1
        assertEquals(TcpSegment.PARSE_BAD_OPTION, seg.wrap(ByteBuffer.wrap(p.build()), 0, p.length()));
        p.options = new byte[] {1, 1, 99, 8}; // length beyond the header
        assertEquals(TcpSegment.PARSE_BAD_OPTION, seg.wrap(ByteBuffer.wrap(p.build()), 0, p.length()));
        p.options = new byte[] {5, 6, 0, 0, 0, 0, 0, 0}; // SACK with a partial block
        assertEquals(TcpSegment.PARSE_BAD_OPTION, seg.wrap(ByteBuffer.wrap(p.build()), 0, p.length()));
        assertFalse(seg.isValid());
        assertEquals("BAD_OPTION", TcpSegment.resultName(TcpSegment.PARSE_BAD_OPTION));
    }

    @Test
    void shouldRefuseALittleEndianBuffer() {
        ByteBuffer le = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        assertThrows(IllegalArgumentException.class, () -> seg.wrap(le, 0, 64));
    }

    @Test
    void shouldVerifyTheRfc1071ChecksumOfAKnownHeader() {
        // The classic example header: 192.168.0.1 -> 192.168.0.199, UDP, checksum 0xb861.
        ByteBuffer b = ByteBuffer.wrap(HexFormat.of().parseHex("450000730000400040110000c0a80001c0a800c7"));
        assertEquals(0xB861, Ipv4Header.checksumResidue(b, 0, 20));
        b.putShort(10, (short) 0xB861);
        assertEquals(0, Ipv4Header.checksumResidue(b, 0, 20));
        assertEquals(0xC0A800C7, Ipv4Header.parse("192.168.0.199"));
        assertThrows(IllegalArgumentException.class, () -> Ipv4Header.parse("1.2.3"));
    }

    private int parse(byte[] good, int index, byte value) {
        byte[] copy = good.clone();
        copy[index] = value;
        return seg.wrap(ByteBuffer.wrap(copy), 0, copy.length);
    }
}
