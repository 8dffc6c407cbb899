package dev.understudy.transport.internal.catchup;

import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.internal.net.FramePort;
import dev.understudy.transport.internal.net.JournalPort;
import dev.understudy.transport.internal.net.Wire;
import dev.understudy.transport.record.RecordHeader;
import io.aeron.Aeron;
import io.aeron.Publication;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.function.Supplier;

/**
 * Serves catch-up from this node's journal: for each {@code CATCHUP_REQUEST(from, token)} a
 * session tails the journal from {@code from} and streams the records, batched into signed
 * {@code CATCHUP_DATA} frames, on a unicast publication to the requester (stream
 * {@code 1200 + requester id}). The tailer keeps following the journal as it grows, so the
 * stream always reaches the live position; the requester sends {@code CATCHUP_STOP} once its
 * live stream has bridged the gap. A session also ends when its publication has not been
 * connected for the catch-up timeout, or when the same requester asks again (new token).
 *
 * <p>Runs on the node's duty-cycle thread ({@link #doWork}); not thread-safe. Cold-path
 * allocation only (per session). Not a public API.
 */
public final class CatchupServer implements AutoCloseable {
    /** Frames sent per duty cycle per session at most (keeps the duty cycle short). */
    private static final int FRAMES_PER_CYCLE = 16;

    private final Aeron aeron;
    private final ReplicationConfig config;
    private final JournalPort journal;
    private final Supplier<FramePort.Writer> writers;
    private final Session[] sessions;
    private long recordsServed;
    private long sessionsStarted;

    /**
     * @param writers makes one frame writer per session (frames of several datagrams are fine:
     *                Aeron fragments and reassembles them losslessly)
     */
    public CatchupServer(Aeron aeron, ReplicationConfig config, JournalPort journal, Supplier<FramePort.Writer> writers) {
        this.aeron = aeron;
        this.config = config;
        this.journal = journal;
        this.writers = writers;
        this.sessions = new Session[ReplicationConfig.MAX_NODE_ID + 1];
    }

    /** Handles a CATCHUP_REQUEST or CATCHUP_STOP control frame (already verified). */
    public void onControl(int type, DirectBuffer buf, int off, int len, long nowNs) {
        int requester = Wire.sender(buf, off);
        int token = Wire.session(buf, off);
        if (requester <= 0 || requester > ReplicationConfig.MAX_NODE_ID || requester == config.nodeId()) {
            return;
        }
        if (type == Wire.TYPE_CATCHUP_REQUEST && len >= Wire.CR_LENGTH) {
            long from = buf.getLong(off + Wire.CR_FROM_OFFSET, Wire.LE);
            int ip = buf.getInt(off + Wire.CR_REPLY_IP_OFFSET, Wire.LE);
            Session s = sessions[requester];
            if (s != null && s.token == token) {
                return; // a resent request for the running session
            }
            close(requester);
            sessions[requester] = new Session(requester, token, Math.max(1, from), ip, nowNs);
            sessionsStarted++;
        } else if (type == Wire.TYPE_CATCHUP_STOP) {
            Session s = sessions[requester];
            if (s != null && s.token == token) {
                close(requester);
            }
        }
    }

    /** Streams records of every open session. */
    public int doWork(long nowNs) {
        int work = 0;
        for (int i = 1; i < sessions.length; i++) {
            Session s = sessions[i];
            if (s != null) {
                int w = s.doWork(nowNs);
                if (w < 0) {
                    close(i);
                } else {
                    work += w;
                }
            }
        }
        return work;
    }

    public int activeSessions() {
        int n = 0;
        for (Session s : sessions) {
            if (s != null) {
                n++;
            }
        }
        return n;
    }

    public long recordsServed() {
        return recordsServed;
    }

    public long sessionsStarted() {
        return sessionsStarted;
    }

    private void close(int requester) {
        Session s = sessions[requester];
        if (s != null) {
            sessions[requester] = null;
            s.close();
        }
    }

    @Override
    public void close() {
        for (int i = 1; i < sessions.length; i++) {
            close(i);
        }
    }

    private final class Session implements JournalPort.RecordHandler {
        final int requester;
        final int token;
        final Publication publication;
        final JournalPort.Reader reader;
        final FramePort.Writer writer;
        final UnsafeBuffer spill;
        int spillLength;
        boolean framePending;
        long lastConnectedNs;

        Session(int requester, int token, long from, int replyIp, long nowNs) {
            this.requester = requester;
            this.token = token;
            String channel = config.controlChannel(config.ipc() ? null : Wire.ipv4(replyIp), true);
            this.publication = aeron.addPublication(channel, ReplicationConfig.CATCHUP_DATA_STREAM_BASE + requester);
            this.reader = journal.reader(from);
            this.writer = writers.get();
            this.spill = new UnsafeBuffer(ByteBuffer.allocateDirect(RecordHeader.MAX_RECORD_LENGTH));
            this.lastConnectedNs = nowNs;
            writer.begin(0);
        }

        /** @return work done, or -1 when the session should end */
        int doWork(long nowNs) {
            if (!publication.isConnected()) {
                return nowNs - lastConnectedNs > config.catchupTimeoutNs() ? -1 : 0;
            }
            lastConnectedNs = nowNs;
            int work = 0;
            for (int frames = 0; frames < FRAMES_PER_CYCLE; frames++) {
                if (!framePending) {
                    if (spillLength > 0) {
                        writer.begin(RecordHeader.epoch(spill, 0));
                        writer.appendSealed(spill, 0, spillLength);
                        spillLength = 0;
                    } else {
                        writer.begin(writer.epoch());
                    }
                    // fill until a record spills over or the journal has nothing more for now
                    while (spillLength == 0 && reader.poll(this, 1) > 0) {
                        // onRecord did the copy
                    }
                    if (writer.recordCount() == 0) {
                        return work;
                    }
                    framePending = true;
                }
                long r = publication.offer(writer.buffer(), 0, writer.finish());
                if (r < 0) {
                    return work; // back-pressured or not connected: the same frame goes next cycle
                }
                framePending = false;
                work++;
            }
            return work;
        }

        @Override
        public void onRecord(DirectBuffer buf, int off, int len) {
            recordsServed++;
            int epoch = RecordHeader.epoch(buf, off);
            if (writer.recordCount() == 0 && writer.epoch() != epoch) {
                writer.begin(epoch);
            }
            if (writer.epoch() != epoch || !writer.appendSealed(buf, off, len)) {
                spill.putBytes(0, buf, off, len);
                spillLength = len;
            }
        }

        void close() {
            CloseHelper.quietClose(reader);
            CloseHelper.quietClose(publication);
        }
    }
}
