package dev.understudy.agent.primary;

import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.AppWriteFlyweight;
import dev.understudy.transport.record.ConnOpenFlyweight;
import dev.understudy.transport.record.ConnectionEventFlyweight;
import dev.understudy.transport.record.RecordType;
import dev.understudy.transport.record.SegmentFlyweight;
import org.agrona.MutableDirectBuffer;

/**
 * Encodes the primary's records into a caller-given buffer (the replication primary's claim):
 * the one place that knows the record layouts on the agent's side. Epoch and sequence are
 * stamped by the publisher; they are written as 0 here.
 *
 * <p>Not thread-safe: one instance, used by the duty cycle.
 */
final class RecordEncoder {
    private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private final ConnectionEventFlyweight event = new ConnectionEventFlyweight();

    /** CONN_OPEN from the client's SYN; the server's ISN is not known yet (0: the handshake's ACK gives it). */
    int connOpen(MutableDirectBuffer b, int at, Connection c, TcpSegment syn) {
        int options = 0;
        if (syn.sackPermitted()) {
            options |= ConnOpenFlyweight.OPTION_SACK;
        }
        if (syn.hasTimestamps()) {
            options |= ConnOpenFlyweight.OPTION_TIMESTAMPS;
        }
        connOpen.wrapForEncode(b, at, 0, 0)
            .connectionId(c.id)
            .clientIsn(c.clientIsn)
            .serverIsn(0)
            .clientPort(c.clientPort)
            .servicePort(c.servicePort)
            .mss(syn.mss())
            .clientWindowScale(syn.windowScale())
            .serverWindowScale(0)
            .tcpOptions(options)
            .ipv4Addresses(c.clientAddress, c.serviceAddress);
        return ConnOpenFlyweight.LENGTH;
    }

    /** SEGMENT: the captured header fields and the payload, copied once from the NFQUEUE buffer. */
    int segment(MutableDirectBuffer b, int at, long connectionId, TcpSegment s, long arrivalNanos) {
        int payload = s.payloadLength();
        segment.wrapForEncode(b, at, 0, 0)
            .connectionId(connectionId)
            .seq(s.seq())
            .ack(s.ack())
            .window(s.window())
            .tcpFlags(s.flags())
            .tsVal(s.hasTimestamps() ? s.tsVal() : 0)
            .tsEcr(s.hasTimestamps() ? s.tsEcr() : 0);
        segment.payloadLength(payload);
        if (payload > 0) {
            b.putBytes(at + SegmentFlyweight.PAYLOAD_OFFSET, s.buffer(), s.payloadOffset(), payload);
        }
        return SegmentFlyweight.lengthFor(payload);
    }

    int appRead(MutableDirectBuffer b, int at, long connectionId, long streamOffset, long readOrder, int count) {
        appRead.wrapForEncode(b, at, 0, 0).connectionId(connectionId).readOrder(readOrder).byteCount(count);
        return AppReadFlyweight.LENGTH;
    }

    int appWrite(MutableDirectBuffer b, int at, long connectionId, long streamOffset, int count, int crc) {
        appWrite.wrapForEncode(b, at, 0, 0).connectionId(connectionId).byteCount(count).bytesCrc32c(crc);
        return AppWriteFlyweight.LENGTH;
    }

    int close(MutableDirectBuffer b, int at, long connectionId) {
        event.wrapForEncode(b, at, RecordType.APP_CLOSE, 0, 0).connectionId(connectionId);
        return ConnectionEventFlyweight.LENGTH;
    }

    int shutdownOutput(MutableDirectBuffer b, int at, long connectionId) {
        event.wrapForEncode(b, at, RecordType.APP_SHUTDOWN_OUTPUT, 0, 0).connectionId(connectionId);
        return ConnectionEventFlyweight.LENGTH;
    }
}
