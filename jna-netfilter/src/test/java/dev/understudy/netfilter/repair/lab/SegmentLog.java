package dev.understudy.netfilter.repair.lab;

import dev.understudy.netfilter.nfqueue.SegmentHandler;
import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpHeader;
import dev.understudy.netfilter.packet.TcpSegment;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The derived-state test's replication stream: a file of captured inbound segments, written by
 * the primary's NFQUEUE handler ({@link Recorder}) and read by the node that takes over
 * ({@link Reader}), which feeds them to {@code DerivedStateBuilder}.
 *
 * <p>Record (big-endian), one per queued packet to VIP:port, in the kernel's packet-id order:
 * <pre>
 *   u32 packet id (NFQUEUE, 1.. per bound queue)
 *   u16 client port   u32 client address
 *   u32 seq   u32 ack   u16 window (raw field)   u8 flags
 *   u16 SYN mss (0 absent)   i8 SYN wscale (-1 absent)   u8 SYN sackOK
 *   u8 has TS   u32 TSval   u32 TSecr
 *   u64 arrival (epoch ms)   u32 payload length   payload
 * </pre>
 * The packet id lets the reader prove that the handler saw every packet the kernel queued: ids
 * run 1, 2, 3, ... without a gap (a parse failure or a packet lost on the way to the reader
 * would leave one).
 */
public final class SegmentLog {
    /** Bytes of a record before its payload. */
    public static final int HEADER_BYTES = 4 + 2 + 4 + 4 + 4 + 2 + 1 + 2 + 1 + 1 + 1 + 4 + 4 + 8 + 4;
    /** Largest payload of one queued packet (a GSO packet: IPv4 total length is 16 bits). */
    public static final int MAX_PAYLOAD = 65535;

    private SegmentLog() {
    }

    /**
     * The capture handler: writes each segment's record to the file with {@code write(2)}
     * <em>before</em> returning {@link Verdict#ACCEPT} — the input-commit invariant (shared
     * DESIGN.md): the primary's kernel can ACK a byte only after the record holding it has been
     * handed on. Here "handed on" is the page cache, which outlives a SIGKILL of the primary's
     * JVM, as a clone's journal outlives the primary. A record that cannot be written throws:
     * NfQueue counts a handler error and drops the packet (fail closed; TCP retransmits it).
     *
     * <p>Runs on the queue's receive thread only; counters may be read from any thread.
     */
    public static final class Recorder implements SegmentHandler, AutoCloseable {
        private final FileChannel out;
        private final int vip;
        private final int port;
        private final ByteBuffer record = ByteBuffer.allocateDirect(HEADER_BYTES + MAX_PAYLOAD);
        private final AtomicLong records = new AtomicLong();
        private final AtomicLong payloadBytes = new AtomicLong();
        private final AtomicLong foreign = new AtomicLong();

        /** Truncates/creates {@code file}; records only segments to {@code vip:port} (others are accepted unrecorded). */
        public Recorder(Path file, int vip, int port) throws IOException {
            this.out = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE);
            this.vip = vip;
            this.port = port;
        }

        @Override
        public Verdict onSegment(int packetId, TcpSegment s) {
            if (s.destinationAddress() != vip || s.destinationPort() != port) {
                foreign.incrementAndGet(); // the capture rule matches only VIP:port; nothing else should come
                return Verdict.ACCEPT;
            }
            boolean syn = s.hasFlag(TcpHeader.SYN);
            int plen = s.payloadLength();
            ByteBuffer r = record;
            r.clear();
            r.putInt(packetId);
            r.putShort((short) s.sourcePort());
            r.putInt(s.sourceAddress());
            r.putInt((int) s.seq());
            r.putInt((int) s.ack());
            r.putShort((short) s.window());
            r.put((byte) s.flags());
            r.putShort((short) (syn && s.mss() > 0 ? s.mss() : 0));
            r.put((byte) (syn ? s.windowScale() : -1));
            r.put((byte) (syn && s.sackPermitted() ? 1 : 0));
            r.put((byte) (s.hasTimestamps() ? 1 : 0));
            r.putInt((int) s.tsVal());
            r.putInt((int) s.tsEcr());
            r.putLong(System.currentTimeMillis());
            r.putInt(plen);
            r.put(r.position(), s.buffer(), s.payloadOffset(), plen); // the flyweight's bytes live only until we return
            r.position(r.position() + plen);
            r.flip();
            try {
                while (r.hasRemaining()) {
                    out.write(r);
                }
            } catch (IOException e) {
                throw new UncheckedIOException("record of packet " + packetId + " not written", e);
            }
            records.incrementAndGet();
            payloadBytes.addAndGet(plen);
            return Verdict.ACCEPT; // only now may the kernel deliver (and ACK) the segment
        }

        /** Records written. */
        public long records() {
            return records.get();
        }

        public long payloadBytes() {
            return payloadBytes.get();
        }

        /** Packets that were not to VIP:port (accepted, not recorded). */
        public long foreign() {
            return foreign.get();
        }

        @Override
        public void close() throws IOException {
            out.close();
        }
    }

    /** Reads the records back in order; {@link #next()} fills the public fields. Not thread-safe. */
    public static final class Reader implements AutoCloseable {
        private final DataInputStream in;
        public int packetId;
        public int clientPort;
        public int clientAddress;
        public int seq;
        public int ack;
        public int window;
        public int flags;
        /** SYN's MSS option, 0 when absent (or not a SYN). */
        public int mss;
        /** SYN's window shift, -1 when absent (or not a SYN). */
        public int wscale;
        public boolean sackOk;
        public boolean hasTs;
        public int tsval;
        public int tsecr;
        public long atMillis;
        public int payloadLength;
        /** The payload is {@code payload[0, payloadLength)}. */
        public final byte[] payload = new byte[MAX_PAYLOAD];
        private boolean truncatedTail;

        public Reader(Path file) throws IOException {
            this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 20));
        }

        /**
         * @return false at the end of the file. A last record cut short (the JVM was killed inside
         *         its write) is not returned and sets {@link #truncatedTail()}: its packet never got
         *         a verdict, so the old node's kernel never had it.
         */
        public boolean next() throws IOException {
            try {
                packetId = in.readInt();
            } catch (EOFException eof) {
                return false;
            }
            try {
                clientPort = in.readUnsignedShort();
                clientAddress = in.readInt();
                seq = in.readInt();
                ack = in.readInt();
                window = in.readUnsignedShort();
                flags = in.readUnsignedByte();
                mss = in.readUnsignedShort();
                wscale = in.readByte();
                sackOk = in.readByte() != 0;
                hasTs = in.readByte() != 0;
                tsval = in.readInt();
                tsecr = in.readInt();
                atMillis = in.readLong();
                payloadLength = in.readInt();
                in.readFully(payload, 0, payloadLength);
            } catch (EOFException eof) {
                truncatedTail = true;
                return false;
            }
            return true;
        }

        /** Whether the file ended inside a record. */
        public boolean truncatedTail() {
            return truncatedTail;
        }

        @Override
        public void close() throws IOException {
            in.close();
        }
    }
}
