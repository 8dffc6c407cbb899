package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class CaptureHandlerTest {
    private static final int PORT = 7000;
    private static final int FIN = 0x01;
    private static final int SYN = 0x02;
    private static final int RST = 0x04;
    private static final int ACK = 0x10;
    private static final int PSH = 0x08;

    private final UnsafeBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final ConnectionTable table = new ConnectionTable();
    private final List<String> published = new ArrayList<>();
    private final List<Integer> releases = new ArrayList<>();
    private long sequence;
    private boolean failPublish;
    private InputCommit commit;
    private CaptureHandler handler;

    @BeforeEach
    void setUp() {
        commit = new InputCommit(1, false, 64, counter(10), counter(11));
        commit.releaser(releases::add);
        commit.doWork(1);
        handler = new CaptureHandler(table, commit, new CaptureHandler.Publisher() {
            @Override
            public long nextSequence() {
                return sequence + 1;
            }

            @Override
            public long connOpen(Connection c, TcpSegment syn) {
                return publish("CONN_OPEN " + c.id + " isn " + c.clientIsn + " mss " + syn.mss());
            }

            @Override
            public long segment(long connectionId, TcpSegment s) {
                return publish("SEGMENT " + connectionId + " seq " + s.seq() + " len " + s.payloadLength());
            }
        }, Packets.VIP, new int[] {PORT}, counter(0), counter(1), counter(2), counter(3));
    }

    private AtomicCounter counter(int id) {
        return new AtomicCounter(values, id);
    }

    private long publish(String what) {
        if (failPublish) {
            return -1;
        }
        published.add(what);
        return ++sequence;
    }

    @Test
    void shouldOpenAConnectionAtTheSynAndHoldItUntilDurable() {
        Verdict v = handler.onSegment(1, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        assertEquals(Verdict.HOLD, v);
        assertEquals(List.of("CONN_OPEN 1 isn 1000 mss 1460", "SEGMENT 1 seq 1000 len 0"), published);
        Connection c = table.byTuple(Packets.CLIENT, 40000, PORT);
        assertNotNull(c);
        assertEquals(1, c.id, "the connection id is its CONN_OPEN's sequence");
        commit.onDurable(1, 2);
        assertEquals(List.of(1), releases);
    }

    // Mutation check: holding every segment (dropping the carriesInput test) made the pure ACK HOLD.
    @Test
    void shouldAcceptPureAcksAtOnceButHoldClientBytesAndFin() {
        handler.onSegment(1, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        assertEquals(Verdict.ACCEPT, handler.onSegment(2, Packets.segment(40000, PORT, 1001, 5001, ACK, new byte[0])));
        assertEquals(Verdict.HOLD, handler.onSegment(3, Packets.segment(40000, PORT, 1001, 5001, ACK | PSH, "GET a\n".getBytes())));
        assertEquals(Verdict.HOLD, handler.onSegment(4, Packets.segment(40000, PORT, 1007, 5001, ACK | FIN, new byte[0])));
        assertEquals(5, published.size(), "every segment is recorded, the pure ACK too: " + published);
    }

    // Mutation check: returning HOLD (or ACCEPT) after a failed publish made this test fail: a
    // byte no clone has would have been released by a later range verdict.
    @Test
    void shouldDropASegmentWhoseRecordCouldNotBePublished() {
        handler.onSegment(1, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        failPublish = true;
        assertEquals(Verdict.DROP, handler.onSegment(2, Packets.segment(40000, PORT, 1001, 5001, ACK, "x\n".getBytes())));
        assertEquals(Verdict.DROP, handler.onSegment(3, Packets.segment(40001, PORT, 7, 0, SYN, new byte[0])));
        assertNull(table.byTuple(Packets.CLIENT, 40001, PORT), "a SYN whose CONN_OPEN failed opens nothing");
        assertEquals(1, commit.held(), "only the SYN is held");
    }

    @Test
    void shouldKeepOneIdForARetransmittedSynAndANewOneForANewIsn() {
        handler.onSegment(1, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        handler.onSegment(2, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        assertEquals(1, table.byTuple(Packets.CLIENT, 40000, PORT).id);
        assertEquals(3, published.size(), "no second CONN_OPEN: " + published);
        handler.onSegment(3, Packets.segment(40000, PORT, 9000, 0, SYN, new byte[0]));
        assertEquals(4, table.byTuple(Packets.CLIENT, 40000, PORT).id, "4-tuple reused with a new ISN");
    }

    @Test
    void shouldAcceptSegmentsOfConnectionsItNeverSawOpenWithoutRecordingThem() {
        assertEquals(Verdict.ACCEPT, handler.onSegment(1, Packets.segment(40000, PORT, 1, 1, ACK | PSH, "x".getBytes())));
        assertEquals(Verdict.ACCEPT, handler.onSegment(2, Packets.segment(40000, 7001, 1, 0, SYN, new byte[0])));
        assertEquals(List.of(), published);
        assertEquals(2, counter(2).get());
    }

    @Test
    void shouldForgetAConnectionTheClientReset() {
        handler.onSegment(1, Packets.segment(40000, PORT, 1000, 0, SYN, new byte[0]));
        handler.onSegment(2, Packets.segment(40000, PORT, 1001, 0, RST, new byte[0]));
        assertNull(table.byTuple(Packets.CLIENT, 40000, PORT));
    }
}
