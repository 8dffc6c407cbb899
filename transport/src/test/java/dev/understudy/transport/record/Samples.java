package dev.understudy.transport.record;

import dev.understudy.transport.membership.Role;
import org.agrona.MutableDirectBuffer;

/** Encodes one record of each type, deterministic from a seed, for codec and batch tests. */
final class Samples {
    private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private final ConnectionEventFlyweight event = new ConnectionEventFlyweight();
    private final CheckpointFlyweight checkpoint = new CheckpointFlyweight();
    private final HeartbeatFlyweight heartbeat = new HeartbeatFlyweight();
    private final EpochChangeFlyweight epochChange = new EpochChangeFlyweight();
    private final TcpInfoFlyweight tcpInfo = new TcpInfoFlyweight();
    private final TurnFlyweight turn = new TurnFlyweight();
    private final ClockFlyweight clock = new ClockFlyweight();
    private final RandomFlyweight random = new RandomFlyweight();
    private final byte[] randomBytes = new byte[RandomFlyweight.MAX_PAYLOAD];

    /** Largest record {@link #encode} writes. */
    static final int MAX_LENGTH = SegmentFlyweight.lengthFor(1500);

    /** A valid APP_READ byte count from a seed: mostly bytes, sometimes EOF, RESET or TIMEOUT. */
    static int readCount(long seed) {
        int pick = (int) Math.floorMod(seed, 16);
        return pick < 3 ? AppReadFlyweight.TIMEOUT + pick : 1 + (int) Math.floorMod(seed, 65536);
    }

    /**
     * Encodes (unsealed) a record of {@code type} at {@code offset}.
     *
     * @return its length
     */
    int encode(int type, MutableDirectBuffer b, int offset, int epoch, long sequence, long seed) {
        switch (type) {
            case RecordType.CONN_OPEN:
                return connOpen.wrapForEncode(b, offset, epoch, sequence).connectionId(seed).clientIsn(seed * 7)
                    .serverIsn(seed * 11).clientPort((int) seed & 0xFFFF).servicePort(8080).mss(1460)
                    .clientWindowScale(7).serverWindowScale(7)
                    .tcpOptions(TcpOptions.TCPI_OPT_TIMESTAMPS | TcpOptions.TCPI_OPT_SACK | TcpOptions.TCPI_OPT_WSCALE)
                    .ipv4Addresses(0xC6120001, 0xC6120064).length();
            case RecordType.SEGMENT: {
                SegmentFlyweight s = segment.wrapForEncode(b, offset, epoch, sequence).connectionId(seed)
                    .arrivalNanos(seed * 1_000_003L).seq(seed * 1000).ack(seed).window(512).tcpFlags(0x18);
                if ((seed & 1) == 0) {
                    s.timestamps(seed & 0xFFFF_FFFFL, (seed >>> 32) & 0xFFFF_FFFFL); // TSval may well be 0
                }
                int n = (int) Math.floorMod(seed * 37, 1501);
                s.payloadLength(n);
                for (int i = 0; i < n; i++) {
                    b.putByte(s.payloadOffset() + i, (byte) (seed + i));
                }
                return s.length();
            }
            case RecordType.APP_READ:
                return appRead.wrapForEncode(b, offset, epoch, sequence).connectionId(seed).streamOffset(seed * 3)
                    .readOrder(seed * 2).byteCount(readCount(seed)).length();
            case RecordType.APP_WRITE:
                return appWrite.wrapForEncode(b, offset, epoch, sequence).connectionId(seed).streamOffset(seed * 5)
                    .byteCount(100)
                    .bytesCrc32c((int) seed).length();
            case RecordType.APP_CLOSE:
            case RecordType.APP_SHUTDOWN_OUTPUT:
                return event.wrapForEncode(b, offset, type, epoch, sequence).connectionId(seed).length();
            case RecordType.CHECKPOINT:
                return checkpoint.wrapForEncode(b, offset, epoch, sequence).checkpointId(seed).timestampNs(seed)
                    .reason(1).length();
            case RecordType.HEARTBEAT:
                return heartbeat.wrapForEncode(b, offset, epoch, sequence).nodeId(2).role(Role.CLONE).durableSequence(seed)
                    .appliedSequence(seed).timestampNs(seed).length();
            case RecordType.PROMOTE:
            case RecordType.FENCE:
                return epochChange.wrapForEncode(b, offset, type, epoch, sequence).newEpoch(epoch).primaryNodeId(1)
                    .lastSequence(sequence - 1).length();
            case RecordType.TCP_INFO:
                return tcpInfo.wrapForEncode(b, offset, epoch, sequence).connectionId(seed)
                    .tcpiOptions(TcpOptions.TCPI_OPT_TIMESTAMPS | TcpOptions.TCPI_OPT_SACK).sndWscale(7).rcvWscale(9)
                    .sndMss(1448).rcvMss(1460).serverIsn(seed * 13).sndUna(seed * 17).sndNxt(seed * 17 + 100)
                    .timestampClock(seed >>> 16).clockReadNanos(seed).unackedBytes(100).notsentBytes(seed & 0xFFFF)
                    .length();
            case RecordType.TURN: {
                int kind = TurnFlyweight.READ + (int) Math.floorMod(seed, 4);
                return turn.wrapForEncode(b, offset, epoch, sequence)
                    .connectionId(kind == TurnFlyweight.READ ? seed & Long.MAX_VALUE : TurnFlyweight.NO_CONNECTION)
                    .kind(kind).ordinal((seed >>> 8) & 0xFFFF).turnOrder((seed >>> 1) & Long.MAX_VALUE)
                    .sourceId(kind == TurnFlyweight.ACCEPT || kind == TurnFlyweight.TIMER ? seed >>> 40 : 0).length();
            }
            case RecordType.CLOCK: {
                int source = ClockFlyweight.WALL_MILLIS + (int) Math.floorMod(seed, 3);
                ClockFlyweight c = clock.wrapForEncode(b, offset, epoch, sequence)
                    .turnOrder(Math.floorMod(seed, 5) == 0 ? TurnFlyweight.OUTSIDE_TURN : (seed >>> 2) & Long.MAX_VALUE)
                    .index((int) Math.floorMod(seed, 100)).source(source).value(seed);
                if (source == ClockFlyweight.INSTANT) {
                    c.nanos((int) Math.floorMod(seed, ClockFlyweight.MAX_NANOS + 1));
                }
                return c.length();
            }
            case RecordType.RANDOM: {
                int source = RandomFlyweight.SEED + (int) Math.floorMod(seed, 3);
                RandomFlyweight r = random.wrapForEncode(b, offset, epoch, sequence)
                    .turnOrder(Math.floorMod(seed, 7) == 0 ? TurnFlyweight.OUTSIDE_TURN : (seed >>> 3) & Long.MAX_VALUE)
                    .index((int) Math.floorMod(seed, 50)).source(source);
                if (source == RandomFlyweight.BYTES) {
                    int n = 1 + (int) Math.floorMod(seed >>> 5, RandomFlyweight.MAX_PAYLOAD);
                    for (int i = 0; i < n; i++) {
                        randomBytes[i] = (byte) (seed >>> i);
                    }
                    r.payload(randomBytes, 0, n);
                } else {
                    r.seed(seed);
                }
                return r.length();
            }
            default:
                throw new IllegalArgumentException("invalid sample record type: value=" + type);
        }
    }
}
