package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DerivedStateBuilderTest {
    static final int ACK = DerivedStateBuilder.ACK;
    static final int PSH = DerivedStateBuilder.PSH;

    @Test
    void shouldDeriveSequenceWindowOptionsAndClockFromInboundSegments() {
        DerivedStateBuilder b = new DerivedStateBuilder().endpoints(0xC6120064, 7000, 0xC6120002, 40000)
            .clientSyn(0xFFFFFF00, 1460, 7, true, true, 500)
            .serverInfo(9, 1 | 2 | 4);
        int clientData = 0xFFFFFF01;
        int serverIsn = 12345;
        b.segment(clientData, serverIsn + 1, 502, ACK, true, 501, 9000, 0, 1000);          // handshake ACK
        b.segment(clientData, serverIsn + 1, 502, ACK | PSH, true, 502, 9000, 1000, 1010);   // 1000 bytes, wraps 2^32
        b.segment(clientData + 1000, serverIsn + 301, 400, ACK | PSH, true, 510, 9100, 500, 1100);
        b.segment(clientData + 1000, serverIsn + 301, 400, ACK | PSH, true, 511, 9100, 500, 1120); // retransmission
        b.segment(clientData + 3000, serverIsn + 301, 400, ACK | PSH, true, 512, 9100, 100, 1130); // after a gap
        assertEquals(DerivedStateBuilder.Status.READY, b.status());
        TcpState s = b.build(new TcpState());
        assertEquals(clientData + 1500, s.rcvNxt(), "contiguous end; the segment past the gap is ignored");
        assertEquals(1, b.outOfOrderSegments());
        assertEquals(serverIsn + 301, s.sndUna());
        assertEquals(serverIsn, b.serverIsn(), "from the handshake ACK");
        assertEquals(1500, b.inputLength());
        assertEquals(300, b.outputAcked());
        assertEquals(400 << 7, s.sndWnd(), "the client's scale");
        assertEquals(clientData + 3000, s.sndWl1());
        assertEquals(502 << 7, s.maxWindow());
        assertEquals(s.rcvNxt(), s.rcvWup());
        assertEquals(1460, s.mss());
        assertEquals(7, s.sndWscale());
        assertEquals(9, s.rcvWscale());
        assertEquals(TcpState.OPT_TIMESTAMPS | TcpState.OPT_SACK | TcpState.OPT_WSCALE, s.options());
        assertEquals(9100 + DerivedStateBuilder.DEFAULT_TS_MARGIN_MILLIS, s.tsClock());
        assertEquals(1100, s.capturedAtMillis(), "time of the segment that carried the newest TSecr");
        assertEquals(512, b.lastTsval());
        assertTrue((s.flags() & TcpState.FLAG_DERIVED) != 0);
        assertEquals(0, s.sendQueueLength());
    }

    @Test
    void shouldKeepOnlyOptionsBothSidesAgreedTo() {
        DerivedStateBuilder b = new DerivedStateBuilder().endpoints(1, 2, 3, 4).clientSyn(100, 1400, -1, true, false, 0)
            .serverInfo(7, 2);
        b.segment(101, 1001, 1000, ACK, false, 0, 0, 10, 5);
        TcpState s = b.build(new TcpState());
        assertEquals(TcpState.OPT_SACK, s.options());
        assertEquals(0, s.sndWscale());
        assertEquals(0, s.rcvWscale());
        assertEquals(1000, s.sndWnd(), "unscaled without window scaling");
        assertEquals(0, s.tsClock());
    }

    @Test
    void shouldRefuseClosedOrIncompleteConnections() {
        DerivedStateBuilder b = new DerivedStateBuilder();
        assertEquals(DerivedStateBuilder.Status.NO_SYN, b.status());
        assertThrows(IllegalStateException.class, () -> b.build(new TcpState()));
        b.clientSyn(100, 1460, 7, true, true, 1);
        b.segment(101, 1001, 100, ACK, true, 2, 3, 0, 1);
        assertEquals(DerivedStateBuilder.Status.NO_SERVER_INFO, b.status());
        b.serverInfo(7, 7);
        assertEquals(DerivedStateBuilder.Status.READY, b.status());
        b.segment(101, 1001, 100, ACK | DerivedStateBuilder.FIN, true, 2, 3, 0, 1);
        assertEquals(DerivedStateBuilder.Status.CLOSED, b.status());
        b.reset();
        assertEquals(DerivedStateBuilder.Status.NO_SYN, b.status());
    }

    @Test
    void shouldPreferAShippedServerClockWhenItIsAhead() {
        DerivedStateBuilder b = new DerivedStateBuilder().endpoints(1, 2, 3, 4).clientSyn(100, 1460, 7, true, true, 1)
            .serverInfo(7, 7).serverClock(50_000, 2_000).tsMarginMillis(0);
        b.segment(101, 1001, 100, ACK, true, 2, 40_000, 0, 1_000);
        TcpState s = b.build(new TcpState());
        assertEquals(50_000, s.tsClock());
        assertEquals(2_000, s.capturedAtMillis());
    }
}
