package dev.understudy.agent.it;

import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.journal.JournalTailer;
import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.AppWriteFlyweight;
import dev.understudy.transport.record.ConnOpenFlyweight;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.RecordType;
import dev.understudy.transport.record.SegmentFlyweight;
import java.io.ByteArrayOutputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Rebuilds, from a clone's journal alone, what the primary recorded per connection: the client's
 * inbound byte stream (from SEGMENT payloads at their stream offsets, retransmissions merged),
 * the application's reads (APP_READ) and its write ranges (APP_WRITE with CRC-32C).
 */
final class JournalStreams {
    record Write(long offset, int count, int crc) {
    }

    static final class Conn {
        long id;
        int clientPort;
        long clientIsn;
        final ByteArrayOutputStream inbound = new ByteArrayOutputStream();
        final TreeMap<Long, byte[]> pending = new TreeMap<>();
        long readBytes;
        long reads;
        boolean eof;
        long readOffsetErrors;
        final List<Write> writes = new ArrayList<>();
        long writeOffsetErrors;
        long writtenBytes;
        boolean closed;
        long segments;

        byte[] inboundBytes() {
            return inbound.toByteArray();
        }

        void payload(long offset, byte[] data) {
            pending.merge(offset, data, (a, b) -> a.length >= b.length ? a : b);
            while (!pending.isEmpty()) {
                Map.Entry<Long, byte[]> e = pending.firstEntry();
                long have = inbound.size();
                long start = e.getKey();
                byte[] d = e.getValue();
                if (start > have) {
                    return; // a gap: wait for the retransmission
                }
                pending.pollFirstEntry();
                long skip = have - start;
                if (skip < d.length) {
                    inbound.write(d, (int) skip, d.length - (int) skip);
                }
            }
        }
    }

    final Map<Long, Conn> connections = new LinkedHashMap<>();
    long records;
    long lastSequence;
    long sequenceGaps;
    long readOrderErrors;
    long tcpInfos;

    static JournalStreams read(Path directory) {
        JournalStreams s = new JournalStreams();
        try (Journal journal = Journal.open(JournalConfig.builder(directory).readOnly(true).build());
             JournalTailer tailer = journal.tailer(1)) {
            while (tailer.poll(s::onRecord, 4096) > 0) {
                // drain
            }
        }
        return s;
    }

    private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private long lastReadOrder;

    private void onRecord(org.agrona.DirectBuffer b, int at, int length) {
        records++;
        long seq = RecordHeader.sequence(b, at);
        if (lastSequence != 0 && seq != lastSequence + 1) {
            sequenceGaps++;
        }
        lastSequence = seq;
        switch (RecordHeader.type(b, at)) {
            case RecordType.CONN_OPEN: {
                connOpen.wrap(b, at);
                Conn c = new Conn();
                c.id = connOpen.connectionId();
                c.clientPort = connOpen.clientPort();
                c.clientIsn = connOpen.clientIsn();
                connections.put(c.id, c);
                break;
            }
            case RecordType.SEGMENT: {
                segment.wrap(b, at);
                Conn c = connections.get(segment.connectionId());
                if (c == null) {
                    break;
                }
                c.segments++;
                int n = segment.payloadLength();
                if (n > 0) {
                    long offset = (segment.seq() - c.clientIsn - 1) & 0xFFFF_FFFFL;
                    byte[] data = new byte[n];
                    b.getBytes(segment.payloadOffset(), data);
                    c.payload(offset, data);
                }
                break;
            }
            case RecordType.APP_READ: {
                appRead.wrap(b, at);
                Conn c = connections.get(appRead.connectionId());
                if (appRead.readOrder() != lastReadOrder + 1) {
                    readOrderErrors++;
                }
                lastReadOrder = appRead.readOrder();
                if (c == null) {
                    break;
                }
                int n = appRead.byteCount();
                if (appRead.streamOffset() != c.readBytes) {
                    c.readOffsetErrors++;
                }
                if (n > 0) {
                    c.readBytes += n;
                    c.reads++;
                } else if (n == -1) {
                    c.eof = true;
                }
                break;
            }
            case RecordType.APP_WRITE: {
                appWrite.wrap(b, at);
                Conn c = connections.get(appWrite.connectionId());
                if (c == null) {
                    break;
                }
                if (appWrite.streamOffset() != c.writtenBytes) {
                    c.writeOffsetErrors++;
                }
                c.writes.add(new Write(appWrite.streamOffset(), appWrite.byteCount(), appWrite.bytesCrc32c()));
                c.writtenBytes += appWrite.byteCount();
                break;
            }
            case RecordType.TCP_INFO: {
                tcpInfos++;
                break;
            }
            case RecordType.APP_CLOSE: {
                Conn c = connections.get(b.getLong(at + 24, RecordHeader.ORDER));
                if (c != null) {
                    c.closed = true;
                }
                break;
            }
            default:
                break;
        }
    }

    Conn byClientPort(int port) {
        Conn found = null;
        for (Conn c : connections.values()) {
            if (c.clientPort == port) {
                found = c; // the newest connection of that port
            }
        }
        return found;
    }
}
