package dev.understudy.netfilter.nfqueue;

import dev.understudy.netfilter.packet.TcpHeader;
import dev.understudy.netfilter.packet.TcpSegment;

/**
 * Test helper: rebuilds one client-to-server byte stream from captured segments by sequence
 * number. New bytes are stored once; bytes seen again (retransmissions) are compared with
 * the stored ones. Runs on the capture thread; results are read after {@link #finished()}.
 */
final class StreamReassembler {
    private final byte[] data;
    private final long[] seenBits;
    private volatile boolean finished;
    private boolean haveIsn;
    private long isn;
    private long next; // offset of the first byte not yet seen in order
    long segments;
    long payloadSegments;
    long newBytes;
    long duplicateBytes;
    long duplicateMismatches;
    long outOfOrderSegments;
    long beyondEnd;
    int clientPort;
    int synMss = -2;
    int synWindowScale = -2;
    boolean synSackPermitted;
    boolean synTimestamps;
    long synTsVal;
    byte[] synBytes;
    boolean lastTsEcrNonZero;

    StreamReassembler(int capacity) {
        this.data = new byte[capacity];
        this.seenBits = new long[(capacity + 63) / 64];
    }

    void onSegment(TcpSegment s) {
        segments++;
        if (s.hasFlag(TcpHeader.SYN)) {
            isn = s.seq();
            haveIsn = true;
            clientPort = s.sourcePort();
            synMss = s.mss();
            synWindowScale = s.windowScale();
            synSackPermitted = s.sackPermitted();
            synTimestamps = s.hasTimestamps();
            synTsVal = s.tsVal();
            synBytes = new byte[s.totalLength()];
            s.buffer().get(s.ipOffset(), synBytes);
            return;
        }
        if (s.hasTimestamps()) {
            lastTsEcrNonZero |= s.tsEcr() != 0;
        }
        if (!haveIsn) {
            return;
        }
        int len = s.payloadLength();
        if (len > 0) {
            payloadSegments++;
            long start = (s.seq() - isn - 1) & 0xFFFFFFFFL;
            if (start + len > data.length) {
                beyondEnd++;
                return;
            }
            if (start > next) {
                outOfOrderSegments++;
            }
            int off = s.payloadOffset();
            java.nio.ByteBuffer b = s.buffer();
            for (int i = 0; i < len; i++) {
                int pos = (int) start + i;
                byte v = b.get(off + i);
                long bit = 1L << (pos & 63);
                if ((seenBits[pos >>> 6] & bit) != 0) {
                    duplicateBytes++;
                    if (data[pos] != v) {
                        duplicateMismatches++;
                    }
                } else {
                    seenBits[pos >>> 6] |= bit;
                    data[pos] = v;
                    newBytes++;
                }
            }
            while (next < data.length && (seenBits[(int) (next >>> 6)] & (1L << (next & 63))) != 0) {
                next++;
            }
        }
        if (s.hasFlag(TcpHeader.FIN)) {
            finished = true;
        }
    }

    boolean finished() {
        return finished;
    }

    long contiguous() {
        return next;
    }

    byte[] data() {
        return data;
    }
}
