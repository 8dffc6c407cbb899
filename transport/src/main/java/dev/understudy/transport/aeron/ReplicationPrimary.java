package dev.understudy.transport.aeron;

import dev.understudy.transport.catchup.CatchupServer;
import dev.understudy.transport.internal.net.FramePort;
import dev.understudy.transport.internal.net.FrameSigner;
import dev.understudy.transport.internal.net.Framing;
import dev.understudy.transport.internal.net.Journals;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.internal.net.JournalPort;
import dev.understudy.transport.internal.net.Wire;
import dev.understudy.transport.membership.Heartbeater;
import dev.understudy.transport.membership.MemberListener;
import dev.understudy.transport.membership.Membership;
import dev.understudy.transport.membership.Role;
import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordHeader;

import java.nio.ByteBuffer;

/**
 * The primary's end of the replication channel.
 *
 * <p>{@link #publish} assigns the next gapless sequence to a record, appends it to the
 * primary's own journal (so that it can serve catch-up) and adds it to the data frame in
 * progress; a full frame, or {@link #flush()}, or {@link #doWork} sends the frame on the
 * multicast data publication ({@code fc=min}: the publication never outruns the slowest live
 * clone). Clones acknowledge the highest sequence appended to their journal on the unicast
 * acknowledgement stream; {@link #durableSequence(int)} answers "held by k clones" without
 * blocking and the {@link DurabilityListener} is told each time it advances, so the capture
 * can release held segments in batches. {@link #doWork} also heartbeats, tracks membership
 * (a lost clone stops counting for durability) and serves catch-up requests.
 *
 * <p>Return codes, not exceptions, for expected conditions: {@link #publish} returns the
 * sequence ({@code > 0}) or {@link #BACK_PRESSURED}, {@link #NOT_CONNECTED},
 * {@link #ADMIN_ACTION}, {@link #CLOSED}, {@link #JOURNAL_FAILED}.
 *
 * <p>Not thread-safe: {@code publish}, {@code flush} and {@code doWork} are called by one
 * thread (the agent's replication duty cycle). No allocation per record.
 */
public final class ReplicationPrimary implements AutoCloseable {
    public static final long NOT_CONNECTED = Publication.NOT_CONNECTED;
    public static final long BACK_PRESSURED = Publication.BACK_PRESSURED;
    public static final long ADMIN_ACTION = Publication.ADMIN_ACTION;
    public static final long CLOSED = Publication.CLOSED;
    /** The primary's journal refused the record (disk full, closed): the node is unhealthy. */
    public static final long JOURNAL_FAILED = -10;

    private final ReplicationConfig config;
    private final JournalPort journal;
    private final FramePort.Writer writer;
    private final FrameSigner controlSigner;
    private final Publication publication;
    private final Subscription control;
    private final Subscription catchupRequests;
    private final Heartbeater heartbeater;
    private final CatchupServer catchup;
    private final DurabilityTracker tracker;
    private final FragmentHandler controlHandler = this::onControl;
    private final int epoch;
    private long lastSequence;
    private long nowNs;
    private long acksReceived;
    private long controlRejected;
    private long framesSent;
    private int finishedLength = -1;
    private final RecordCodec codec = new RecordCodec();
    private final UnsafeBuffer staging = new UnsafeBuffer(ByteBuffer.allocateDirect(RecordHeader.MAX_RECORD_LENGTH));

    /**
     * The primary over a Chronicle {@link Journal} (the usual entry point). Frames are signed when
     * {@code config} has a secret. The caller keeps ownership of the journal (close it after the primary).
     *
     * @param maxK           highest replication factor reported to {@code listener}
     * @param listener       told when the durable sequence for k = 1..maxK advances; may be {@code null}
     * @param memberListener told about joined/lost/rejoined nodes; may be {@code null}
     */
    public static ReplicationPrimary create(Aeron aeron, ReplicationConfig config, int epoch, Journal journal, int maxK,
                                            DurabilityListener listener, MemberListener memberListener) {
        return new ReplicationPrimary(aeron, config, epoch, Journals.wrap(journal), new Framing(config), maxK, listener,
            memberListener);
    }

    /**
     * @param listener told when the durable sequence for k = 1..{@code maxK} advances; may be {@code null}
     */
    public ReplicationPrimary(Aeron aeron, ReplicationConfig config, int epoch, JournalPort journal,
                              Framing framing, int maxK,
                              DurabilityListener listener, MemberListener memberListener) {
        this.config = config;
        this.epoch = epoch;
        this.journal = journal;
        this.writer = framing.dataWriter();
        this.controlSigner = framing.controlSigner();
        this.tracker = new DurabilityTracker(ReplicationConfig.MAX_NODE_ID, maxK, listener);
        this.lastSequence = journal.lastSequence();
        this.publication = aeron.addPublication(config.dataChannel(), ReplicationConfig.DATA_STREAM);
        this.control = aeron.addSubscription(config.controlSubscriptionChannel(), ReplicationConfig.ACK_STREAM);
        MemberListener forward = memberListener == null ? new MemberListener() { } : memberListener;
        this.heartbeater = new Heartbeater(aeron, config, controlSigner, new MemberListener() {
            @Override
            public void onJoined(int nodeId, Role role, long ep) {
                forward.onJoined(nodeId, role, ep);
            }

            @Override
            public void onLost(int nodeId, long lastSeenNs) {
                tracker.remove(nodeId);
                forward.onLost(nodeId, lastSeenNs);
            }

            @Override
            public void onRejoined(int nodeId, Role role, long ep) {
                forward.onRejoined(nodeId, role, ep);
            }
        });
        this.catchupRequests = aeron.addSubscription(config.controlSubscriptionChannel(),
            ReplicationConfig.CATCHUP_REQUEST_STREAM_BASE + config.nodeId());
        this.catchup = new CatchupServer(aeron, config, journal, framing::catchupWriter);
        writer.begin(epoch);
    }

    /**
     * Publishes one encoded record: copies it, stamps the epoch and the next sequence into the
     * copy and seals its CRC (the caller's bytes are not modified), appends it to the primary's
     * journal, then adds it to the frame in progress (a full frame is sent first).
     *
     * @return the record's sequence ({@code > 0}); or a negative code and the record was not taken:
     *         {@link #BACK_PRESSURED}/{@link #NOT_CONNECTED}/{@link #ADMIN_ACTION} (the full frame
     *         could not be sent yet: call {@link #doWork} and retry), {@link #CLOSED},
     *         {@link #JOURNAL_FAILED}
     * @throws IllegalArgumentException for a length outside the record bounds (a bug)
     */
    public long publish(DirectBuffer record, int offset, int length) {
        if (length < RecordHeader.HEADER_LENGTH || length > RecordHeader.MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("invalid record length: value=" + length
                + ", expected " + RecordHeader.HEADER_LENGTH + ".." + RecordHeader.MAX_RECORD_LENGTH);
        }
        if (finishedLength >= 0 || !writer.hasRoom(length)) {
            long r = flush(); // a finished frame (sealed and signed) takes no more records
            if (r < 0) {
                return r;
            }
        }
        long seq = lastSequence + 1;
        staging.putBytes(0, record, offset, length);
        staging.putInt(RecordHeader.LENGTH_OFFSET, length, RecordHeader.ORDER);
        staging.putInt(RecordHeader.EPOCH_OFFSET, epoch, RecordHeader.ORDER);
        staging.putLong(RecordHeader.SEQUENCE_OFFSET, seq, RecordHeader.ORDER);
        codec.seal(staging, 0);
        if (!journal.append(staging, 0, length)) {
            return JOURNAL_FAILED; // never send what the primary could not journal
        }
        writer.appendSealed(staging, 0, length);
        lastSequence = seq;
        return seq;
    }

    /**
     * Sends the frame in progress, if any.
     *
     * @return 0 if there was nothing to send, 1 if sent, or a negative {@link Publication} code
     */
    public long flush() {
        if (writer.recordCount() == 0) {
            return 0;
        }
        if (finishedLength < 0) {
            finishedLength = writer.finish();
        }
        long r = publication.offer(writer.buffer(), writer.offset(), finishedLength);
        if (r < 0) {
            return r;
        }
        framesSent++;
        finishedLength = -1;
        writer.begin(epoch);
        return 1;
    }

    /**
     * One duty cycle: flush, read acknowledgements, report durability, heartbeat, membership,
     * catch-up. Never blocks.
     *
     * @return work done (0 means idle)
     */
    public int doWork(long nanoTime) {
        nowNs = nanoTime;
        int work = 0;
        if (flush() > 0) {
            work++;
        }
        work += control.poll(controlHandler, 64);
        work += catchupRequests.poll(controlHandler, 8);
        work += tracker.poll();
        work += heartbeater.doWork(nanoTime, Role.PRIMARY, epoch, lastSequence, tracker.durableSequence(1) , journal.healthy());
        work += catchup.doWork(nanoTime);
        return work;
    }

    private void onControl(DirectBuffer buf, int off, int len, Header header) {
        int plain = controlSigner.verify(buf, off, len);
        int type = plain < 0 ? -1 : Wire.type(buf, off, plain);
        if (type == Wire.TYPE_ACK && plain >= Wire.ACK_LENGTH) {
            acksReceived++;
            tracker.onAck(Wire.sender(buf, off), Wire.session(buf, off), buf.getLong(off + Wire.ACK_SEQUENCE_OFFSET, Wire.LE));
        } else if (type == Wire.TYPE_CATCHUP_REQUEST || type == Wire.TYPE_CATCHUP_STOP) {
            catchup.onControl(type, buf, off, plain, nowNs);
        } else {
            controlRejected++;
        }
    }

    /**
     * The highest sequence held in the journals of at least {@code k} live clones (0 if none).
     * Reflects acknowledgements read by the last {@link #doWork}.
     */
    public long durableSequence(int k) {
        return tracker.durableSequence(k);
    }

    public long lastSequence() {
        return lastSequence;
    }

    public boolean isConnected() {
        return publication.isConnected();
    }

    public Membership membership() {
        return heartbeater.membership();
    }

    public DurabilityTracker tracker() {
        return tracker;
    }

    public CatchupServer catchup() {
        return catchup;
    }

    public long acksReceived() {
        return acksReceived;
    }

    /** Control frames (acks, catch-up requests) and heartbeats rejected: bad MAC or malformed. */
    public long rejectedFrames() {
        return controlRejected + heartbeater.rejected();
    }

    public long framesSent() {
        return framesSent;
    }

    @Override
    public void close() {
        CloseHelper.quietCloseAll(catchup, heartbeater, catchupRequests, control, publication);
    }
}
