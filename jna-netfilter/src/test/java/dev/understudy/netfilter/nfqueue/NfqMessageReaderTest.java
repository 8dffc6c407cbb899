package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.netfilter.packet.PacketBuilder;
import dev.understudy.netfilter.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class NfqMessageReaderTest {
    /** Records what the reader reports, as text. */
    static final class Recorder implements NfqMessageReader.Sink {
        final List<String> events = new ArrayList<>();
        final TcpSegment seg = new TcpSegment();

        @Override
        public void onPacket(int packetId, int hook, ByteBuffer buf, int offset, int length) {
            int rc = seg.wrap(buf, offset, length);
            events.add("packet " + packetId + " hook " + hook + " len " + length + " parse " + TcpSegment.resultName(rc)
                + (rc == 0 ? " seq " + seg.seq() + " payload " + seg.payloadLength() : ""));
        }

        @Override
        public void onMalformed(int reason, boolean hasId, int packetId) {
            events.add("malformed " + reason + (hasId ? " id " + packetId : ""));
        }

        @Override
        public void onError(int seq, int errno) {
            events.add("error seq " + seq + " errno " + errno);
        }
    }

    private static byte[] ip(long seq, int payload) {
        PacketBuilder p = new PacketBuilder();
        p.seq = seq;
        p.options = PacketBuilder.timestampOptions(1, 2);
        p.payload = new byte[payload];
        return p.build();
    }

    @Test
    void shouldFindEveryPacketAndAckInOneDatagram() {
        ByteBuffer b = ByteBuffer.allocate(8192);
        int len = NfqTestMessages.packet(b, 0, 1, 41, 0, ip(100, 10));
        len += NfqTestMessages.packet(b, len, 1, 42, 0, ip(110, 3)); // odd size: next message needs alignment
        len += NfqTestMessages.error(b, len, 1, 0);
        len += NfqTestMessages.error(b, len, 77, 2);
        Recorder r = new Recorder();
        assertEquals(4, NfqMessageReader.read(b, 0, len, false, r));
        assertEquals(List.of(
            "packet 41 hook 0 len 62 parse OK seq 100 payload 10",
            "packet 42 hook 0 len 55 parse OK seq 110 payload 3",
            "error seq 1 errno 0",
            "error seq 77 errno 2"), r.events);
    }

    @Test
    void shouldDropATruncatedPacketWhoseIdIsReadable() {
        ByteBuffer b = ByteBuffer.allocate(8192);
        int len = NfqTestMessages.packet(b, 0, 1, 7, 0, ip(1, 1000));
        Recorder r = new Recorder();
        NfqMessageReader.read(b, 0, 200, true, r);
        assertEquals(List.of("malformed " + NfqMessageReader.TRUNCATED + " id 7"), r.events);
        r.events.clear();
        NfqMessageReader.read(b, 0, 20, true, r);
        assertEquals(List.of("malformed " + NfqMessageReader.TRUNCATED), r.events);
        assertTrue(len > 200);
    }

    @Test
    void shouldStopAtABadLengthAndReportIt() {
        ByteBuffer b = ByteBuffer.allocate(256);
        NfqMessages.putHeader(b, 0, 8, 0x0300, 0, 0); // nlmsg_len below the header size
        Recorder r = new Recorder();
        NfqMessageReader.read(b, 0, 64, false, r);
        assertEquals(List.of("malformed " + NfqMessageReader.BAD_NLMSG_LENGTH), r.events);
    }

    @Test
    void shouldReportAPacketWithoutPayloadSoItCanBeDropped() {
        ByteBuffer b = ByteBuffer.allocate(256);
        int len = NfqTestMessages.packet(b, 0, 1, 9, 0, new byte[0]);
        // Turn the payload attribute into an unknown one.
        int payloadAttr = 16 + 4 + 12 + 8;
        NfqMessages.putHostShort(b, payloadAttr + 2, 99);
        Recorder r = new Recorder();
        NfqMessageReader.read(b, 0, len, false, r);
        assertEquals(List.of("malformed " + NfqMessageReader.NO_PAYLOAD + " id 9"), r.events);
    }
}
