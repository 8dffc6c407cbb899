package dev.understudy.transport.aeron;

import dev.understudy.transport.internal.catchup.CatchupServer;
import dev.understudy.transport.internal.net.FramePort;
import dev.understudy.transport.internal.net.FrameSigner;
import dev.understudy.transport.internal.net.Framing;
import dev.understudy.transport.internal.net.Journals;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.internal.net.JournalPort;
import dev.understudy.transport.internal.net.Wire;
import dev.understudy.transport.membership.ControlChannel;
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
import org.agrona.MutableDirectBuffer;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordHeader;


/**
 * The primary's end of the replication channel.
 *
 * <p>{@link #publish} assigns the next gapless sequence to a record, appends it to the
 * primary's own journal (so that it can serve catch-up) and adds it to the data frame in
 * progress; a full frame, or {@link #flush()}, or {@link #doWork} sends the frame on the
 * data publication, multicast or multi-destination-cast by {@link ReplicationConfig#destinations()}
 * ({@code fc=min} either way: the publication never outruns the slowest live clone). Clones acknowledge the highest sequence appended to their journal on the unicast
 * acknowledgement stream; {@link #durableSequence(int)} answers "held by k clones" without
 * blocking and the {@link DurabilityListener} is told each time it advances, so the capture
 * can release held segments in batches. {@link #doWork} also heartbeats, tracks membership
 * (a lost clone stops counting for durability) and serves catch-up requests.
 *
 * <p>Return codes, not exceptions, for expected conditions: {@link #publish} returns the
 * sequence ({@code > 0}) or {@link #BACK_PRESSURED}, {@link #NOT_CONNECTED},
 * {@link #ADMIN_ACTION}, {@link #CLOSED}, {@link #JOURNAL_FAILED}.
 *
 * <h2>Encode once: claim, encode, commit</h2>
 * A caller that builds records itself can encode them straight into the frame in progress
 * instead of into a buffer of its own that {@link #publish} then copies:
 * <pre>{@code
 * int at = primary.claim(AppReadFlyweight.LENGTH);      // < 0: a publish code, nothing claimed
 * if (at >= 0) {
 *     appRead.wrapForEncode(primary.claimBuffer(), at, 0, 0)  // epoch, sequence: stamped by commit
 *         .connectionId(id).streamOffset(offset).readOrder(order).byteCount(n);
 *     long seq = primary.commitClaim(AppReadFlyweight.LENGTH); // same codes as publish
 * }
 * }</pre>
 * Contract: between {@link #claim} and {@link #commitClaim}/{@link #abortClaim} the caller writes
 * only {@code [at, at + length)} of {@link #claimBuffer()} and calls nothing else on the primary
 * ({@code publish}, {@code flush}, {@code doWork} or a second {@code claim} with a claim open is a bug
 * and throws {@link IllegalStateException}). {@code commitClaim(length)} makes the record's length
 * field {@code length} (at most the claimed length), stamps the primary's epoch and the next
 * sequence, seals the CRC, journals the record and adds it to the frame, exactly what {@code publish}
 * does to its copy. {@code publish} is {@code claim} + one copy + {@code commitClaim}.
 *
 * <h2>Epochs (DESIGN.md invariant 5)</h2>
 * Every frame carries this primary's node id and epoch. Clones ack under the highest epoch they
 * have seen; only acks of this primary's own epoch count towards durability, others are counted
 * in {@link #staleAcks()}: a primary whose clones follow a newer epoch makes nothing durable.
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
    private long framesDiscarded;
    private int finishedLength = -1;
    private int claimedAt = -1;
    private int claimedLength;
    private final RecordCodec codec = new RecordCodec();

    /**
     * The primary over a Chronicle {@link Journal} (the usual entry point). Frames are signed when
     * {@code config} has a secret. The caller keeps ownership of the journal (close it after the primary).
     *
     * @param epoch          the epoch stamped into every record and frame; only acks of this epoch count
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
     * Over any journal port and framing (tests use an in-memory journal). Package-private: the
     * public entry point is {@link #create}.
     *
     * @param listener told when the durable sequence for k = 1..{@code maxK} advances; may be {@code null}
     */
    ReplicationPrimary(Aeron aeron, ReplicationConfig config, int epoch, JournalPort journal,
                              Framing framing, int maxK,
                              DurabilityListener listener, MemberListener memberListener) {
        this.config = config;
        this.epoch = epoch;
        this.journal = journal;
        this.writer = framing.dataWriter();
        this.controlSigner = framing.controlSigner();
        this.tracker = new DurabilityTracker(epoch, ReplicationConfig.MAX_NODE_ID, maxK, listener);
        this.lastSequence = journal.lastSequence();
        this.publication = aeron.addPublication(config.dataChannel(), ReplicationConfig.DATA_STREAM);
        this.control = aeron.addSubscription(config.controlSubscriptionChannel(), ReplicationConfig.ACK_STREAM);
        MemberListener forward = memberListener == null ? new MemberListener() { } : memberListener;
        this.heartbeater = new Heartbeater(aeron, config, new MemberListener() {
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
     * Publishes one encoded record: copies it into the frame in progress, stamps the epoch and the
     * next sequence into the copy and seals its CRC (the caller's bytes are not modified), appends it
     * to the primary's journal, then adds it to the frame (a full frame is sent first). The same as
     * {@link #claim} + copy + {@link #commitClaim}.
     *
     * @return the record's sequence ({@code > 0}); or a negative code and the record was not taken:
     *         {@link #BACK_PRESSURED}/{@link #NOT_CONNECTED}/{@link #ADMIN_ACTION} (the full frame
     *         could not be sent yet: call {@link #doWork} and retry), {@link #CLOSED},
     *         {@link #JOURNAL_FAILED}
     * @throws IllegalArgumentException for a length outside the record bounds (a bug)
     * @throws IllegalStateException    while a claim is open (a bug)
     */
    public long publish(DirectBuffer record, int offset, int length) {
        int at = claim(length);
        if (at < 0) {
            return at;
        }
        writer.buffer().putBytes(at, record, offset, length);
        return commitClaim(length);
    }

    /**
     * The buffer {@link #claim} hands out room in (the frame in progress). The same buffer for the
     * primary's life; only the claimed range may be written, and only until the claim is committed or
     * aborted.
     */
    public MutableDirectBuffer claimBuffer() {
        return writer.buffer();
    }

    /**
     * Claims room for one record of up to {@code length} bytes in the frame in progress, sending a
     * full frame first. Encode the record at the returned offset of {@link #claimBuffer()} (epoch,
     * sequence and CRC are stamped by {@link #commitClaim}), then commit or abort it.
     *
     * @return the offset in {@link #claimBuffer()} ({@code >= 0}); or a negative code and nothing is
     *         claimed: {@link #BACK_PRESSURED}/{@link #NOT_CONNECTED}/{@link #ADMIN_ACTION} (the full
     *         frame could not be sent yet: call {@link #doWork} and retry), {@link #CLOSED}
     * @throws IllegalArgumentException for a length outside the record bounds (a bug)
     * @throws IllegalStateException    if a claim is already open (a bug)
     */
    public int claim(int length) {
        if (length < RecordHeader.HEADER_LENGTH || length > RecordHeader.MAX_RECORD_LENGTH) {
            throw new IllegalArgumentException("invalid record length: value=" + length
                + ", expected " + RecordHeader.HEADER_LENGTH + ".." + RecordHeader.MAX_RECORD_LENGTH);
        }
        if (claimedAt >= 0) {
            throw new IllegalStateException("claim while a claim is open: offset=" + claimedAt
                + ", length=" + claimedLength);
        }
        if (finishedLength >= 0 || !writer.hasRoom(length)) {
            long r = flush(); // a finished frame (sealed and signed) takes no more records
            if (r < 0) {
                return (int) r;
            }
        }
        int at = writer.claim(length);
        if (at < 0) {
            // an empty frame takes any record up to MAX_RECORD_LENGTH: not reachable unless the writer is broken
            throw new IllegalStateException("empty frame refused a record: length=" + length);
        }
        claimedAt = at;
        claimedLength = length;
        return at;
    }

    /**
     * Completes the open claim: sets the record's length field to {@code length}, stamps the epoch
     * and the next sequence, seals the CRC, appends the record to the primary's journal and adds it
     * to the frame. If the journal refuses it the claim is aborted: nothing is sent or numbered.
     * Either way the claim is closed.
     *
     * @param length the record's final length, {@code 24 <= length <=} the claimed length
     * @return the record's sequence ({@code > 0}) or {@link #JOURNAL_FAILED}
     * @throws IllegalStateException    without an open claim (a bug)
     * @throws IllegalArgumentException for a length outside {@code 24..claimed length} (a bug)
     */
    public long commitClaim(int length) {
        if (claimedAt < 0) {
            throw new IllegalStateException("commitClaim without an open claim");
        }
        if (length < RecordHeader.HEADER_LENGTH || length > claimedLength) {
            throw new IllegalArgumentException("invalid committed record length: value=" + length
                + ", expected " + RecordHeader.HEADER_LENGTH + ".." + claimedLength + " (the claimed length)");
        }
        int at = claimedAt;
        claimedAt = -1;
        MutableDirectBuffer b = writer.buffer();
        long seq = lastSequence + 1;
        b.putInt(at + RecordHeader.LENGTH_OFFSET, length, RecordHeader.ORDER);
        b.putInt(at + RecordHeader.EPOCH_OFFSET, epoch, RecordHeader.ORDER);
        b.putLong(at + RecordHeader.SEQUENCE_OFFSET, seq, RecordHeader.ORDER);
        codec.seal(b, at);
        if (!journal.append(b, at, length)) {
            writer.abort();
            return JOURNAL_FAILED; // never send what the primary could not journal
        }
        writer.commitSealed();
        lastSequence = seq;
        return seq;
    }

    /** Gives up the open claim, if any: nothing is journaled, numbered or sent. */
    public void abortClaim() {
        if (claimedAt >= 0) {
            writer.abort();
            claimedAt = -1;
        }
    }

    /**
     * Sends the frame in progress, if any.
     *
     * @return 0 if there was nothing to send, 1 if sent, or a negative {@link Publication} code
     * @throws IllegalStateException while a claim is open (a bug)
     */
    public long flush() {
        if (claimedAt >= 0) {
            throw new IllegalStateException("flush while a claim is open: offset=" + claimedAt
                + ", length=" + claimedLength + ": commit or abort it first");
        }
        if (writer.recordCount() == 0) {
            return 0;
        }
        if (finishedLength < 0) {
            finishedLength = writer.finish();
        }
        long r = publication.offer(writer.buffer(), writer.offset(), finishedLength);
        if (r == NOT_CONNECTED) {
            // No clone subscribed: the frame's records are in this primary's journal already, and a
            // clone that connects later sees the sequence gap and catches up from there. Holding the
            // frame instead would stop every later publish, and a degraded primary that serves from
            // its own journal could record nothing.
            framesDiscarded++;
            finishedLength = -1;
            writer.begin(epoch);
            return 1;
        }
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
            tracker.onAck(Wire.sender(buf, off), Wire.session(buf, off), buf.getInt(off + Wire.ACK_EPOCH_OFFSET, Wire.LE),
                buf.getLong(off + Wire.ACK_SEQUENCE_OFFSET, Wire.LE));
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

    /**
     * Planned switchover: from the next heartbeat on (sent at once), this primary says it hands over
     * to {@code nodeId}; 0 takes it back. Same thread as {@link #doWork}.
     */
    public void handOffTo(int nodeId) {
        heartbeater.handOffTo(nodeId);
    }

    /**
     * Election messages on the heartbeat stream, sent and received by this node in this role; frames
     * received reach the channel's handler while {@link #doWork} runs.
     */
    public ControlChannel control() {
        return heartbeater.control();
    }

    public DurabilityTracker tracker() {
        return tracker;
    }

    /** @return records this primary has served to catching-up clones */
    public long catchupRecordsServed() {
        return catchup.recordsServed();
    }

    /** @return catch-up sessions this primary has started */
    public long catchupSessionsStarted() {
        return catchup.sessionsStarted();
    }

    /** @return the epoch this primary publishes under */
    public int epoch() {
        return epoch;
    }

    /** @return acknowledgements received, of any epoch */
    public long acksReceived() {
        return acksReceived;
    }

    /** @return acknowledgements ignored because they were made under another epoch than {@link #epoch()} */
    public long staleAcks() {
        return tracker.staleAcks();
    }

    /** Control frames (acks, catch-up requests) and heartbeats rejected: bad MAC or malformed. */
    public long rejectedFrames() {
        return controlRejected + heartbeater.rejected();
    }

    /** Frames not sent because no clone was connected (their records are in the journal, for catch-up). */
    public long framesDiscarded() {
        return framesDiscarded;
    }

    public long framesSent() {
        return framesSent;
    }

    @Override
    public void close() {
        CloseHelper.quietCloseAll(catchup, heartbeater, catchupRequests, control, publication);
    }
}
