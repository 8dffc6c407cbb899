package dev.understudy.agent.primary;

import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.netfilter.tcp.TcpInfo;
import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.AppWriteFlyweight;
import dev.understudy.transport.record.ConnOpenFlyweight;
import dev.understudy.transport.record.ConnectionEventFlyweight;
import dev.understudy.transport.record.RecordType;
import dev.understudy.transport.record.SegmentFlyweight;
import dev.understudy.transport.record.TcpInfoFlyweight;
import dev.understudy.transport.record.TcpOptions;
import org.agrona.MutableDirectBuffer;

/**
 * Encodes the primary's records straight into the replication primary's claimed room (encode
 * once: the NFQUEUE buffer's payload is copied exactly once, into the outgoing frame): the one
 * place that knows the record layouts on the agent's side. Epoch, sequence and CRC are stamped by
 * {@code commitClaim}; they are written as 0 here.
 *
 * <p>Not thread-safe: one instance, used by the duty cycle.
 */
final class RecordEncoder {
    private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private final ConnectionEventFlyweight event = new ConnectionEventFlyweight();
    private final TcpInfoFlyweight tcpInfo = new TcpInfoFlyweight();
    private final dev.understudy.transport.record.TurnFlyweight turn = new dev.understudy.transport.record.TurnFlyweight();
    private final dev.understudy.transport.record.ClockFlyweight clock = new dev.understudy.transport.record.ClockFlyweight();
    private final dev.understudy.transport.record.RandomFlyweight random = new dev.understudy.transport.record.RandomFlyweight();

    /** CONN_OPEN from the client's SYN; the server's ISN is not known yet (0: the handshake's ACK and TCP_INFO give it). */
    int connOpen(MutableDirectBuffer b, int at, Connection c, TcpSegment syn) {
        int options = 0;
        if (syn.sackPermitted()) {
            options |= TcpOptions.TCPI_OPT_SACK;
        }
        if (syn.hasTimestamps()) {
            options |= TcpOptions.TCPI_OPT_TIMESTAMPS;
        }
        if (syn.windowScale() >= 0) {
            options |= TcpOptions.TCPI_OPT_WSCALE;
        }
        connOpen.wrapForEncode(b, at, 0, 0)
            .connectionId(c.id)
            .clientIsn(c.clientIsn)
            .serverIsn(0)
            .clientPort(c.clientPort)
            .servicePort(c.servicePort)
            .mss(syn.mss())
            .clientWindowScale(Math.max(0, syn.windowScale()))
            .serverWindowScale(0)
            .tcpOptions(options)
            .ipv4Addresses(c.clientAddress, c.serviceAddress);
        return ConnOpenFlyweight.LENGTH;
    }

    static int segmentLength(TcpSegment s) {
        return SegmentFlyweight.lengthFor(s.payloadLength());
    }

    /** SEGMENT: the captured header fields and the payload, copied once from the NFQUEUE buffer. */
    int segment(MutableDirectBuffer b, int at, long connectionId, TcpSegment s, long arrivalNanos) {
        int payload = s.payloadLength();
        segment.wrapForEncode(b, at, 0, 0)
            .connectionId(connectionId)
            .arrivalNanos(arrivalNanos)
            .seq(s.seq())
            .ack(s.ack())
            .window(s.window())
            .tcpFlags(s.flags());
        if (s.hasTimestamps()) {
            segment.timestamps(s.tsVal(), s.tsEcr());
        } else {
            segment.noTimestamps();
        }
        segment.payloadLength(payload);
        if (payload > 0) {
            b.putBytes(at + SegmentFlyweight.PAYLOAD_OFFSET, s.buffer(), s.payloadOffset(), payload);
        }
        return SegmentFlyweight.lengthFor(payload);
    }

    int appRead(MutableDirectBuffer b, int at, long connectionId, long streamOffset, long readOrder, int count) {
        appRead.wrapForEncode(b, at, 0, 0).connectionId(connectionId).streamOffset(streamOffset).readOrder(readOrder)
            .byteCount(count);
        return AppReadFlyweight.LENGTH;
    }

    int turn(MutableDirectBuffer b, int at, long connectionId, int kind, long ordinal, long turnOrder) {
        boolean timer = kind == dev.understudy.transport.record.TurnFlyweight.TIMER;
        // a timer's run belongs to no connection: the id passed is the timer's
        turn.wrapForEncode(b, at, 0, 0)
            .connectionId(timer ? dev.understudy.transport.record.TurnFlyweight.NO_CONNECTION : connectionId)
            .kind(kind).ordinal(ordinal).turnOrder(turnOrder).sourceId(timer ? connectionId : 0);
        return dev.understudy.transport.record.TurnFlyweight.LENGTH;
    }

    int clock(MutableDirectBuffer b, int at, long turnOrder, int index, int source, long value, int nanos) {
        clock.wrapForEncode(b, at, 0, 0).turnOrder(turnOrder).index(index).source(source).value(value).nanos(nanos);
        return dev.understudy.transport.record.ClockFlyweight.LENGTH;
    }

    private final byte[] randomBytes = new byte[8];

    /** A RANDOM record of up to 8 bytes ({@code bytes}, little-endian, {@code length} of them). */
    int random(MutableDirectBuffer b, int at, long turnOrder, int index, int source, long bytes, int length) {
        for (int i = 0; i < 8; i++) {
            randomBytes[i] = (byte) (bytes >>> (8 * i));
        }
        random.wrapForEncode(b, at, 0, 0).turnOrder(turnOrder).index(index).source(source)
            .payload(randomBytes, 0, length);
        return dev.understudy.transport.record.RandomFlyweight.LENGTH;
    }

    int appWrite(MutableDirectBuffer b, int at, long connectionId, long streamOffset, int count, int crc) {
        appWrite.wrapForEncode(b, at, 0, 0).connectionId(connectionId).streamOffset(streamOffset).byteCount(count)
            .bytesCrc32c(crc);
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

    /**
     * TCP_INFO: what the clone cannot derive from inbound segments, from the primary's kernel. The
     * server ISN, snd_una/snd_nxt and the timestamp clock are not in {@code struct tcp_info}: written
     * as 0 (unknown) here; the clone derives the ISN from the handshake's ACK and the clock from the
     * client's TSecr (DerivedStateBuilder).
     */
    int tcpInfo(MutableDirectBuffer b, int at, long connectionId, TcpInfo info, long readNanos) {
        tcpInfo.wrapForEncode(b, at, 0, 0)
            .connectionId(connectionId)
            .tcpiOptions(info.options())
            .sndWscale(info.sndWscale())
            .rcvWscale(info.rcvWscale())
            .sndMss(Math.min(0xFFFF, info.sndMss()))
            .rcvMss(Math.min(0xFFFF, info.rcvMss()))
            .serverIsn(0)
            .sndUna(0)
            .sndNxt(0)
            .timestampClock(0)
            .clockReadNanos(readNanos)
            .unackedBytes(info.unacked() & 0xFFFF_FFFFL)
            .notsentBytes(info.notsentBytes() & 0xFFFF_FFFFL);
        return TcpInfoFlyweight.LENGTH;
    }
}
