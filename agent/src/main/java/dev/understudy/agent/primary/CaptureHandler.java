package dev.understudy.agent.primary;

import dev.understudy.netfilter.nfqueue.SegmentHandler;
import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpHeader;
import dev.understudy.netfilter.packet.TcpSegment;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The capture's decision for every client segment the NFQUEUE rule sends to the primary's agent
 * (runs in the duty cycle, inside {@code NfQueue.poll}): the SYN opens a connection (a new id,
 * a {@code CONN_OPEN} record); every segment of a known connection becomes a {@code SEGMENT}
 * record, published before its verdict; a segment that carries client bytes, a SYN or a FIN is
 * then held until the record is durable ({@link InputCommit}); a pure ACK is accepted at once (it
 * carries nothing a clone could lose). A segment whose record could not be published is
 * dropped, never held and never accepted: the client retransmits it.
 *
 * <p>Not thread-safe: the duty cycle's thread only.
 */
final class CaptureHandler implements SegmentHandler {
    /** Publishes one record through the encoder callback; returns its sequence or a negative code. */
    interface Publisher {
        /** The sequence the next published record will get: a new connection's id is its CONN_OPEN's sequence. */
        long nextSequence();

        long connOpen(Connection c, TcpSegment syn);

        long segment(long connectionId, TcpSegment s);
    }

    private final ConnectionTable table;
    private final InputCommit commit;
    private final Publisher publisher;
    private final int serviceAddress;
    private final boolean[] servicePort = new boolean[65536];
    private final AtomicCounter connectionsOpened;
    private final AtomicCounter segments;
    private final AtomicCounter untracked;
    private final AtomicCounter publishFailed;

    CaptureHandler(ConnectionTable table, InputCommit commit, Publisher publisher, int serviceAddress, int[] ports,
                   AtomicCounter connectionsOpened, AtomicCounter segments, AtomicCounter untracked,
                   AtomicCounter publishFailed) {
        this.table = table;
        this.commit = commit;
        this.publisher = publisher;
        this.serviceAddress = serviceAddress;
        for (int p : ports) {
            servicePort[p] = true;
        }
        this.connectionsOpened = connectionsOpened;
        this.segments = segments;
        this.untracked = untracked;
        this.publishFailed = publishFailed;
    }

    @Override
    public Verdict onSegment(int packetId, TcpSegment s) {
        int port = s.destinationPort();
        if (s.destinationAddress() != serviceAddress || !servicePort[port]) {
            untracked.increment();
            return Verdict.ACCEPT; // the rule matches VIP:port only; anything else is not ours
        }
        int clientAddress = s.sourceAddress();
        int clientPort = s.sourcePort();
        Connection c = table.byTuple(clientAddress, clientPort, port);
        boolean syn = s.hasFlag(TcpHeader.SYN);
        if (syn && !s.hasFlag(TcpHeader.ACK) && (c == null || c.clientIsn != s.seq())) {
            // A new connection (or the 4-tuple reused with a new ISN): the id is assigned here, once,
            // as the sequence of its CONN_OPEN record: unique in the log, across restarts and epochs.
            c = new Connection(publisher.nextSequence(), clientAddress, clientPort, serviceAddress, port, s.seq());
            if (publisher.connOpen(c, s) < 0) {
                publishFailed.increment();
                return Verdict.DROP; // the client retransmits its SYN
            }
            table.add(c);
            connectionsOpened.increment();
            dev.understudy.agent.status.AgentEvents.ConnectionOpened e = new dev.understudy.agent.status.AgentEvents.ConnectionOpened();
            if (e.isEnabled()) {
                e.connectionId = c.id;
                e.client = c.toString();
                e.servicePort = port;
                e.commit();
            }
        }
        if (c == null) {
            untracked.increment();
            return Verdict.ACCEPT; // opened before the agent started: not protected, counted
        }
        long sequence = publisher.segment(c.id, s);
        if (sequence < 0) {
            publishFailed.increment();
            return Verdict.DROP;
        }
        segments.increment();
        if (s.hasFlag(TcpHeader.RST)) {
            table.removeTuple(c);
        }
        boolean carriesInput = s.payloadLength() > 0 || syn || s.hasFlag(TcpHeader.FIN);
        if (carriesInput && commit.hold(sequence, packetId)) {
            return Verdict.HOLD;
        }
        return Verdict.ACCEPT;
    }
}
