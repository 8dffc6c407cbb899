package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.understudy.netfilter.packet.PacketBuilder;
import dev.understudy.netfilter.packet.TcpHeader;
import dev.understudy.netfilter.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Seeded fuzzing of the receive path (netlink message walk + IPv4/TCP parse) with garbage,
 * truncated and mutated input: nothing may throw, every outcome is counted, and every parse
 * that succeeds must describe bytes inside the region it was given.
 */
class NfQueueFuzzTest {
    private static final long SEED = 0x5EEDL;
    private static final int CASES_PER_KIND = 30_000;

    /** What a real NfQueue does with each report, minus the socket: parse, read every field, count. */
    static final class CountingSink implements NfqMessageReader.Sink {
        final TcpSegment seg = new TcpSegment();
        final long[] parse = new long[TcpSegment.PARSE_RESULTS];
        final long[] malformed = new long[NfqMessageReader.MALFORMED_REASONS];
        long packets;
        long dropsWithId;
        long errors;
        long checksum;
        int regionEnd;

        @Override
        public void onPacket(int packetId, int hook, ByteBuffer buf, int offset, int length) {
            packets++;
            if (offset < 0 || length < 0 || offset + length > regionEnd) {
                fail("packet region outside the datagram: " + offset + "+" + length + " > " + regionEnd);
            }
            int rc = seg.wrap(buf, offset, length);
            parse[rc]++;
            if (rc == TcpSegment.PARSE_OK) {
                touch(seg, offset, length);
            }
        }

        void touch(TcpSegment s, int offset, int length) {
            if (s.payloadOffset() < offset || s.payloadLength() < 0 || s.payloadOffset() + s.payloadLength() > offset + length) {
                fail("payload outside the packet: " + s);
            }
            long sum = s.seq() + s.ack() + s.window() + s.flags() + s.mss() + s.windowScale() + s.tsVal() + s.tsEcr()
                + s.sourcePort() + s.destinationPort() + s.sourceAddress() + s.destinationAddress();
            for (int i = 0; i < s.sackBlocks(); i++) {
                sum += s.sackLeft(i) + s.sackRight(i);
            }
            int end = s.payloadOffset() + s.payloadLength();
            for (int i = s.payloadOffset(); i < end; i += 97) {
                sum += s.buffer().get(i);
            }
            checksum += sum;
        }

        @Override
        public void onMalformed(int reason, boolean hasId, int packetId) {
            malformed[reason]++;
            if (hasId) {
                dropsWithId++;
            }
        }

        @Override
        public void onError(int seq, int errno) {
            errors++;
        }

        long parseFailures() {
            long n = 0;
            for (int i = 1; i < parse.length; i++) {
                n += parse[i];
            }
            return n;
        }

        long malformedTotal() {
            long n = 0;
            for (long m : malformed) {
                n += m;
            }
            return n;
        }
    }

    private static byte[] randomValidPacket(SplittableRandom r) {
        PacketBuilder p = new PacketBuilder();
        p.source = r.nextInt();
        p.destination = r.nextInt();
        p.sourcePort = r.nextInt(1, 65536);
        p.destinationPort = r.nextInt(1, 65536);
        p.seq = r.nextLong(1L << 32);
        p.ack = r.nextLong(1L << 32);
        p.flags = r.nextInt(256);
        p.window = r.nextInt(65536);
        switch (r.nextInt(5)) {
            case 0:
                p.options = PacketBuilder.linuxSynOptions(r.nextLong(1L << 32), r.nextLong(1L << 32));
                break;
            case 1:
                p.options = PacketBuilder.timestampOptions(r.nextLong(1L << 32), r.nextLong(1L << 32));
                break;
            case 2: {
                int blocks = r.nextInt(1, 4);
                byte[] o = new byte[(2 + 2 + 8 * blocks + 3) & ~3];
                o[0] = 1;
                o[1] = 1;
                o[2] = TcpHeader.OPT_SACK;
                o[3] = (byte) (2 + 8 * blocks);
                for (int i = 4; i < 4 + 8 * blocks; i++) {
                    o[i] = (byte) r.nextInt();
                }
                p.options = o;
                break;
            }
            case 3:
                p.options = new byte[] {2, 4, (byte) r.nextInt(), (byte) r.nextInt(), 1, 3, 3, (byte) r.nextInt(15)};
                break;
            default:
                break;
        }
        p.payload = new byte[r.nextInt(4) == 0 ? r.nextInt(1500) : r.nextInt(64)];
        for (int i = 0; i < p.payload.length; i++) {
            p.payload[i] = (byte) r.nextInt();
        }
        return p.build();
    }

    @Test
    void shouldNeverThrowOnGarbageTruncatedOrMutatedInputAndCountEveryFailure() {
        SplittableRandom r = new SplittableRandom(SEED);
        ByteBuffer b = ByteBuffer.allocate(16384);
        CountingSink sink = new CountingSink();
        long cases = 0;
        long okValid = 0;

        // 1. Valid datagrams of 1..3 packet messages: every packet must come out intact.
        for (int c = 0; c < CASES_PER_KIND / 3; c++, cases++) {
            int len = 0;
            int n = r.nextInt(1, 4);
            long before = sink.parse[TcpSegment.PARSE_OK];
            for (int i = 0; i < n; i++) {
                len += NfqTestMessages.packet(b, len, 1, r.nextInt(), 0, randomValidPacket(r));
            }
            sink.regionEnd = len;
            NfqMessageReader.read(b, 0, len, false, sink);
            assertEquals(before + n, sink.parse[TcpSegment.PARSE_OK], "valid datagram parsed in full");
            okValid += n;
        }

        // 2. Pure garbage, sometimes behind a plausible nlmsghdr.
        for (int c = 0; c < CASES_PER_KIND; c++, cases++) {
            int len = r.nextInt(0, 2048);
            for (int i = 0; i < len; i++) {
                b.put(i, (byte) r.nextInt());
            }
            if (len >= 16 && r.nextBoolean()) {
                NfqMessages.putHeader(b, 0, r.nextInt(4) == 0 ? r.nextInt() : r.nextInt(0, len + 64),
                    r.nextBoolean() ? 0x0300 : r.nextInt(65536), 0, r.nextInt());
            }
            sink.regionEnd = len;
            NfqMessageReader.read(b, 0, len, r.nextInt(8) == 0, sink);
        }

        // 3. Valid datagrams, then mutated (1..8 random bytes) and/or truncated.
        for (int c = 0; c < CASES_PER_KIND; c++, cases++) {
            int len = 0;
            int n = r.nextInt(1, 4);
            for (int i = 0; i < n; i++) {
                len += NfqTestMessages.packet(b, len, 1, r.nextInt(), 0, randomValidPacket(r));
            }
            int mutations = r.nextInt(0, 9);
            for (int m = 0; m < mutations; m++) {
                b.put(r.nextInt(len), (byte) r.nextInt());
            }
            boolean truncated = mutations == 0 || r.nextInt(3) == 0;
            if (truncated) {
                len = r.nextInt(len);
            }
            sink.regionEnd = len;
            NfqMessageReader.read(b, 0, len, truncated, sink);
        }

        // 4. The IPv4/TCP parser alone: mutated, truncated and random headers at random offsets.
        for (int c = 0; c < CASES_PER_KIND; c++, cases++) {
            byte[] pkt = randomValidPacket(r);
            int off = r.nextInt(0, 64);
            b.put(off, pkt);
            int len = pkt.length;
            switch (r.nextInt(4)) {
                case 0:
                    for (int m = r.nextInt(1, 6); m > 0; m--) {
                        b.put(off + r.nextInt(Math.min(len, 60)), (byte) r.nextInt());
                    }
                    break;
                case 1:
                    len = r.nextInt(len + 1);
                    break;
                case 2:
                    for (int i = 0; i < len; i++) {
                        b.put(off + i, (byte) r.nextInt());
                    }
                    break;
                default:
                    b.put(off + 20 + 12, (byte) (r.nextInt(16) << 4)); // random data offset
                    break;
            }
            int rc = sink.seg.wrap(b, off, len);
            sink.parse[rc]++;
            if (rc == TcpSegment.PARSE_OK) {
                sink.touch(sink.seg, off, len);
            }
        }

        // 5. Out-of-range regions must be refused, not thrown.
        for (int c = 0; c < 1_000; c++, cases++) {
            int off = r.nextInt(-100, 20000);
            int len = r.nextInt(-100, 20000);
            sink.regionEnd = b.capacity();
            NfqMessageReader.read(b, off, len, false, sink);
            sink.parse[sink.seg.wrap(b, off, len)]++;
        }

        System.out.printf("fuzz: %d cases, %d packets, parse ok %d, parse failures %d, malformed %d (with id %d), errors %d%n",
            cases, sink.packets, sink.parse[TcpSegment.PARSE_OK], sink.parseFailures(), sink.malformedTotal(), sink.dropsWithId,
            sink.errors);
        for (int i = 0; i < sink.parse.length; i++) {
            System.out.printf("  parse %-16s %d%n", TcpSegment.resultName(i), sink.parse[i]);
        }
        for (int i = 0; i < sink.malformed.length; i++) {
            System.out.printf("  malformed reason %d: %d%n", i, sink.malformed[i]);
        }
        assertTrue(cases >= 100_000, "at least 100,000 cases: " + cases);
        assertTrue(sink.parse[TcpSegment.PARSE_OK] > okValid, "some mutated packets still parse");
        assertTrue(sink.parseFailures() > 10_000, "mutations are detected as parse failures");
        assertTrue(sink.malformedTotal() > 10_000, "malformed messages are counted");
        assertTrue(sink.dropsWithId > 1_000, "truncated packets keep their id so they can be dropped");
        for (int i = 1; i < TcpSegment.PARSE_RESULTS; i++) {
            assertTrue(sink.parse[i] > 0, "failure kind " + TcpSegment.resultName(i) + " exercised");
        }
    }
}
