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
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHeader;
import io.aeron.Aeron;
import io.aeron.FragmentAssembler;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * A clone's end of the replication channel.
 *
 * <p>Reads data frames from the primary's data stream (multicast, or unicast to this clone's
 * address by multi-destination-cast: {@link ReplicationConfig#dataSubscriptionChannel()}), verifies them (MAC, structure,
 * CRC of every record), appends each record whose sequence is the next one expected
 * ({@code journal.lastSequence() + 1}) to the journal, and only then acknowledges the journal's
 * highest sequence to the primary on the unicast acknowledgement stream (one ack per duty cycle
 * that appended something, plus one per heartbeat interval).
 *
 * <h2>Catch-up, no gap and no duplicate</h2>
 * A record whose sequence is below the expected one is a duplicate and is dropped. A record
 * above it means history is missing (the clone started late, was restarted from its journal,
 * or lost its image): the clone keeps it in a bounded buffer of live records (one contiguous
 * run; dropped if it overflows) and asks a peer (another live clone whose journal is
 * ahead, else the primary) for {@code CATCHUP_REQUEST(from = expected)}. The peer's
 * {@link CatchupServer} streams its journal from there on a unicast stream; the clone appends
 * those records by the same rule. The live stream keeps being read; as soon as a live record
 * is at or below the expected one the gap is bridged (live is gapless from there), the clone
 * sends {@code CATCHUP_STOP} and follows live only. Because every record is accepted only when it is exactly the next sequence, the
 * journal is gapless and duplicate-free whatever the two streams deliver. No progress for the
 * catch-up timeout: ask again (rotating peers).
 *
 * <h2>Epochs, one primary per epoch (DESIGN.md invariant 5)</h2>
 * Every frame carries its sender's node id and epoch. The clone keeps the highest epoch it has seen
 * (starting from the epoch it was created with) and the sender of that epoch's live frames:
 * <ul>
 *   <li>a live frame of a lower epoch comes from a stale primary: it is dropped whole and counted
 *       in {@link #staleFrames()};</li>
 *   <li>a live frame of a higher epoch raises the highest epoch (a new primary took over); its sender
 *       becomes that epoch's primary and live records buffered from the older epoch are dropped;</li>
 *   <li>a live frame of the highest epoch from another sender than that epoch's primary is dropped
 *       and counted in {@link #foreignFrames()} (two primaries cannot share an epoch);</li>
 *   <li>acks and heartbeats carry the highest epoch, so a stale primary never gets an ack of its own
 *       epoch from this clone once it has seen a newer one, and can commit nothing.</li>
 * </ul>
 * Catch-up frames are history from a peer's journal and legitimately hold records of older epochs:
 * they are appended by the sequence rule alone. (Truncating an old-epoch suffix, invariant 6, is
 * the election's job and not done here.)
 *
 * <p>Not thread-safe: {@link #doWork} on one thread. No allocation per record.
 */
public final class ReplicationClone implements AutoCloseable {
    private final Aeron aeron;
    private final ReplicationConfig config;
    private final JournalPort journal;
    private final FramePort.Reader reader;
    private final FrameSigner controlSigner;
    private final Subscription data;
    private final Subscription catchupData;
    private final Subscription catchupRequests;
    private final Publication ack;
    private final Publication[] requestPublications = new Publication[ReplicationConfig.MAX_NODE_ID + 1];
    private final Heartbeater heartbeater;
    private final CatchupServer catchupServer;
    private final FragmentAssembler dataAssembler;
    private final FragmentAssembler catchupAssembler;
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
    private final io.aeron.logbuffer.FragmentHandler controlHandler = this::onControl;
    private final JournalPort.RecordHandler liveHandler = this::onLiveRecord;
    private final JournalPort.RecordHandler catchupHandler = this::onCatchupRecord;
    private final int selfAddress;
    /** Random per start: lets the primary tell a restarted clone's acks from its previous run's. */
    private final int incarnation = new java.security.SecureRandom().nextInt();
    private int highestEpoch;
    /** Epoch this node announces itself primary of in its heartbeats (after a switchover), 0 while it is a clone. */
    private volatile long primaryEpoch;
    /** The highest epoch this clone learnt of from an election (announced in its heartbeats), 0 if none. */
    private volatile long knownEpoch;
    private int epochSender;

    private long expected;
    private long lastAcked = -1;
    private long nextAckNs;
    private boolean ackDue;
    private long nowNs;

    private boolean catchingUp;
    private int catchupPeer;
    private int catchupToken;
    private long catchupProgressNs;
    private boolean stopDue;

    private UnsafeBuffer liveBuffer;
    private int liveBufferLength;
    private int liveBufferCount;
    private long liveBufferFirst;
    private long liveBufferNext;

    private long appendedLive;
    private final int primaryNodeId;
    private long appendedCatchup;
    private long duplicates;
    private long aheadDropped;
    private long journalFailures;
    private long acksSent;
    private long catchupRequestsSent;
    private long catchupsCompleted;
    private long controlRejected;
    private long staleFrames;
    private long foreignFrames;

    /**
     * A clone over a Chronicle {@link Journal} (the usual entry point); it resumes from the
     * journal's last sequence. Frames must be signed when {@code config} has a secret. The caller
     * keeps ownership of the journal (close it after the clone).
     *
     * @param epoch          the highest epoch known at start: live frames of lower epochs are refused,
     *                       and acks are made under this epoch until a newer one is seen
     * @param memberListener told about joined/lost/rejoined nodes; may be {@code null}
     */
    public static ReplicationClone create(Aeron aeron, ReplicationConfig config, int epoch, Journal journal,
                                          MemberListener memberListener) {
        return new ReplicationClone(aeron, config, epoch, Journals.wrap(journal), new Framing(config), memberListener);
    }

    /**
     * Over any journal port and framing (tests use an in-memory journal). Package-private: the
     * public entry point is {@link #create}.
     *
     * @param epoch the highest epoch known at start: live frames of lower epochs are refused
     */
    ReplicationClone(Aeron aeron, ReplicationConfig config, int epoch, JournalPort journal,
                     Framing framing, MemberListener memberListener) {
        if (epoch < 0) {
            throw new IllegalArgumentException("invalid epoch: value=" + epoch + ", expected >= 0");
        }
        this.aeron = aeron;
        this.config = config;
        this.highestEpoch = epoch;
        this.journal = journal;
        this.reader = framing.reader();
        this.controlSigner = framing.controlSigner();
        this.expected = journal.lastSequence() + 1;
        this.selfAddress = config.ipc() ? 0 : Wire.ipv4(config.address());
        this.primaryNodeId = config.primaryNodeId();
        this.data = aeron.addSubscription(config.dataSubscriptionChannel(), ReplicationConfig.DATA_STREAM);
        this.catchupData = aeron.addSubscription(config.controlSubscriptionChannel(),
            ReplicationConfig.CATCHUP_DATA_STREAM_BASE + config.nodeId());
        this.catchupRequests = aeron.addSubscription(config.controlSubscriptionChannel(),
            ReplicationConfig.CATCHUP_REQUEST_STREAM_BASE + config.nodeId());
        this.ack = aeron.addPublication(config.controlChannel(config.primaryAddress(), false), ReplicationConfig.ACK_STREAM);
        this.heartbeater = new Heartbeater(aeron, config, memberListener);
        this.catchupServer = new CatchupServer(aeron, config, journal, framing::catchupWriter);
        this.dataAssembler = new FragmentAssembler(this::onDataFrame);
        this.catchupAssembler = new FragmentAssembler(this::onCatchupFrame);
    }

    /**
     * One duty cycle: live data, catch-up data, acknowledgement, heartbeat, catch-up serving.
     *
     * @return work done (0 means idle)
     */
    public int doWork(long nanoTime) {
        nowNs = nanoTime;
        int work = data.poll(dataAssembler, 16);
        work += catchupData.poll(catchupAssembler, 16);
        work += drainLiveBuffer();
        work += catchupRequests.poll(controlHandler, 8);
        work += sendAck(nanoTime);
        Membership m = heartbeater.membership();
        long announced = primaryEpoch;
        work += heartbeater.doWork(nanoTime, announced > 0 ? Role.PRIMARY : catchingUp ? Role.CATCHING_UP : Role.CLONE,
            announced > 0 ? announced : Math.max(highestEpoch, knownEpoch),
            journal.lastSequence(), journal.lastSequence(), journal.healthy());
        work += catchupServer.doWork(nanoTime);
        work += manageCatchup(nanoTime, m);
        return work;
    }

    private void onDataFrame(DirectBuffer buf, int off, int len, Header header) {
        if (reader.wrap(buf, off, len) != RecordErrors.OK) {
            return; // counted by the reader
        }
        if (primaryNodeId != 0 && reader.sender() != primaryNodeId) {
            // Data frames come from the primary only. Until election exists the primary is the
            // configured one: a frame from any other sender id (a host that merely reaches the group,
            // no secret set) must neither fence the primary with a higher epoch nor add records.
            // A forger that also forges the sender id is stopped only by a secret.
            foreignFrames++;
            return;
        }
        int frameEpoch = reader.epoch();
        int sender = reader.sender();
        if (frameEpoch < highestEpoch) {
            staleFrames++; // a primary of an older epoch: fenced
            return;
        }
        if (frameEpoch > highestEpoch) {
            highestEpoch = frameEpoch;
            epochSender = sender;
            dropLiveBuffer(); // what a previous epoch's primary sent ahead of the journal
        } else if (epochSender == 0) {
            epochSender = sender;
        } else if (sender != epochSender) {
            foreignFrames++;
            return;
        }
        reader.forEach(liveHandler);
    }

    private void dropLiveBuffer() {
        aheadDropped += liveBufferCount;
        liveBufferLength = 0;
        liveBufferCount = 0;
    }

    private void onCatchupFrame(DirectBuffer buf, int off, int len, Header header) {
        reader.read(buf, off, len, catchupHandler);
    }

    private void onControl(DirectBuffer buf, int off, int len, Header header) {
        int plain = controlSigner.verify(buf, off, len);
        int type = plain < 0 ? -1 : Wire.type(buf, off, plain);
        if (type == Wire.TYPE_CATCHUP_REQUEST || type == Wire.TYPE_CATCHUP_STOP) {
            catchupServer.onControl(type, buf, off, plain, nowNs);
        } else {
            controlRejected++;
        }
    }

    private void onLiveRecord(DirectBuffer buf, int off, int len) {
        long seq = RecordHeader.sequence(buf, off);
        if (seq <= expected && catchingUp) {
            // live has bridged the gap: the live stream is gapless and already at or behind the
            // journal, so it will deliver every sequence from here on (catch-up, which tails the
            // primary's journal, may overtake live)
            finishCatchup();
        }
        if (seq < expected) {
            duplicates++;
        } else if (seq == expected) {
            if (append(buf, off, len)) {
                appendedLive++;
            }
        } else {
            if (!catchingUp) {
                startCatchup();
            }
            if (!bufferLive(buf, off, len, seq)) {
                aheadDropped++;
            }
        }
    }

    /**
     * Keeps a live record that is ahead of the journal while history is fetched, so that catch-up
     * only has to deliver the fixed range before the first buffered record (it converges even when
     * live runs faster than catch-up). Records are kept only as one contiguous run; a full buffer
     * or a break in the run drops the buffer and starts a new run (catch-up then has to go further).
     *
     * @return {@code false} if the record was not kept
     */
    private boolean bufferLive(DirectBuffer buf, int off, int len, long seq) {
        if (config.catchupBufferBytes() == 0) {
            return false;
        }
        if (liveBuffer == null) {
            liveBuffer = new UnsafeBuffer(ByteBuffer.allocateDirect(config.catchupBufferBytes())); // first catch-up only
        }
        if (liveBufferLength > 0 && (seq != liveBufferNext || liveBufferLength + 4 + len > liveBuffer.capacity())) {
            aheadDropped += liveBufferCount;
            liveBufferLength = 0;
            liveBufferCount = 0;
        }
        if (4 + len > liveBuffer.capacity()) {
            return false;
        }
        if (liveBufferLength == 0) {
            liveBufferFirst = seq;
        }
        liveBuffer.putInt(liveBufferLength, len);
        liveBuffer.putBytes(liveBufferLength + 4, buf, off, len);
        liveBufferLength += 4 + len;
        liveBufferCount++;
        liveBufferNext = seq + 1;
        return true;
    }

    /** Appends the buffered live run once the journal has reached its first record. */
    private int drainLiveBuffer() {
        if (liveBufferLength == 0 || expected < liveBufferFirst) {
            return 0;
        }
        int n = 0;
        for (int p = 0; p < liveBufferLength; ) {
            int len = liveBuffer.getInt(p);
            long seq = RecordHeader.sequence(liveBuffer, p + 4);
            if (seq == expected && append(liveBuffer, p + 4, len)) {
                appendedLive++;
                n++;
            } else if (seq < expected) {
                duplicates++;
            }
            p += 4 + len;
        }
        liveBufferLength = 0;
        liveBufferCount = 0;
        if (catchingUp && expected == liveBufferNext) {
            finishCatchup(); // live continues right after the buffered run
        }
        return n;
    }

    private void finishCatchup() {
        catchingUp = false;
        stopDue = true;
        catchupsCompleted++;
    }

    private void onCatchupRecord(DirectBuffer buf, int off, int len) {
        long seq = RecordHeader.sequence(buf, off);
        if (seq < expected) {
            duplicates++;
        } else if (seq == expected) {
            if (append(buf, off, len)) {
                appendedCatchup++;
                catchupProgressNs = nowNs;
            }
        }
        // above expected from catch-up cannot happen with one session; a stale session's records are
        // dropped here and the current one re-delivers them in order
    }

    private boolean append(DirectBuffer buf, int off, int len) {
        if (!journal.append(buf, off, len)) {
            journalFailures++;
            return false;
        }
        expected++;
        ackDue = true;
        AppendListener l = appendListener;
        if (l != null) {
            l.onAppended(RecordHeader.epoch(buf, off), expected - 1);
        }
        return true;
    }

    /** Told of every record appended to the journal, with its epoch, on the {@link #doWork} thread. */
    public interface AppendListener {
        void onAppended(int epoch, long sequence);
    }

    private AppendListener appendListener;

    /** Tells {@code l} (null: nobody) of every record appended from now on (an election keeps its epoch history so). */
    public void appendListener(AppendListener l) {
        appendListener = l;
    }

    private int sendAck(long now) {
        if (!ackDue && now - nextAckNs < 0) {
            return 0;
        }
        long last = journal.lastSequence();
        Wire.header(out, 0, Wire.ACK_LENGTH, Wire.TYPE_ACK, config.nodeId(), incarnation);
        out.putLong(Wire.ACK_SEQUENCE_OFFSET, last, Wire.LE);
        out.putLong(Wire.ACK_TIME_OFFSET, now, Wire.LE);
        out.putInt(Wire.ACK_EPOCH_OFFSET, highestEpoch, Wire.LE);
        out.putInt(Wire.ACK_EPOCH_OFFSET + 4, 0, Wire.LE);
        int len = controlSigner.sign(out, 0, Wire.ACK_LENGTH);
        if (ack.offer(out, 0, len) > 0) {
            acksSent++;
            lastAcked = last;
            ackDue = false;
            nextAckNs = now + config.heartbeatIntervalNs();
            return 1;
        }
        return 0;
    }

    private void startCatchup() {
        catchingUp = true;
        catchupPeer = 0;
        catchupProgressNs = nowNs - config.catchupTimeoutNs() - 1; // request at the next cycle
    }

    private int manageCatchup(long now, Membership m) {
        int work = 0;
        if (stopDue && catchupPeer != 0) {
            if (sendControl(catchupPeer, Wire.TYPE_CATCHUP_STOP, 0)) {
                stopDue = false;
                work++;
            }
        }
        if (!catchingUp) {
            // a late/restarted clone on an idle stream: the primary announces more than we hold
            int primary = primaryId(m);
            if (primary != 0 && m.journalPosition(primary) >= expected
                && now - m.lastSeenNs(primary) < config.heartbeatIntervalNs() * 2
                && now - catchupProgressNs > config.catchupTimeoutNs() && appendedNothingRecently(now)) {
                startCatchup();
            } else {
                return work;
            }
        }
        if (now - catchupProgressNs <= config.catchupTimeoutNs()) {
            return work;
        }
        // (re)request: no progress for the catch-up timeout
        int primary = primaryId(m);
        if (primary != 0 && m.journalPosition(primary) < expected && catchupRequestsSent > 0) {
            finishCatchup(); // nothing left to fetch: the primary holds no more than we do
            return work;
        }
        int peer = choosePeer(m);
        if (peer == 0) {
            return work;
        }
        catchupToken++;
        if (sendControl(peer, Wire.TYPE_CATCHUP_REQUEST, expected)) {
            catchupPeer = peer;
            catchupRequestsSent++;
            catchupProgressNs = now;
            work++;
        }
        return work;
    }

    private long lastLiveCount = -1;
    private long lastLiveCheckNs;

    private boolean appendedNothingRecently(long now) {
        if (now - lastLiveCheckNs < config.heartbeatIntervalNs() * 2) {
            return false;
        }
        boolean idle = appendedLive == lastLiveCount;
        lastLiveCount = appendedLive;
        lastLiveCheckNs = now;
        return idle;
    }

    private static int primaryId(Membership m) {
        for (int i = 1; i <= ReplicationConfig.MAX_NODE_ID; i++) {
            if (m.isAlive(i) && m.role(i) == Role.PRIMARY) {
                return i;
            }
        }
        return 0;
    }

    /** The next live clone after the last peer tried whose journal is ahead of us, else the primary. */
    private int choosePeer(Membership m) {
        int n = ReplicationConfig.MAX_NODE_ID;
        for (int step = 1; step <= n; step++) {
            int id = (catchupPeer + step - 1) % n + 1;
            if (id != catchupPeer && m.isAlive(id) && m.role(id) == Role.CLONE && m.journalPosition(id) >= expected
                && (config.ipc() || heartbeater.address(id) != 0)) {
                return id;
            }
        }
        return primaryId(m);
    }

    private boolean sendControl(int peer, int type, long value) {
        Publication p = requestPublications[peer];
        if (p == null) {
            String address = config.ipc() ? null : Wire.ipv4(heartbeater.address(peer));
            p = aeron.addPublication(config.controlChannel(address, false), ReplicationConfig.CATCHUP_REQUEST_STREAM_BASE + peer);
            requestPublications[peer] = p;
        }
        int len;
        Wire.header(out, 0, type == Wire.TYPE_CATCHUP_REQUEST ? Wire.CR_LENGTH : Wire.CS_LENGTH, type, config.nodeId(), catchupToken);
        if (type == Wire.TYPE_CATCHUP_REQUEST) {
            out.putLong(Wire.CR_FROM_OFFSET, value, Wire.LE);
            out.putInt(Wire.CR_REPLY_IP_OFFSET, selfAddress, Wire.LE);
            out.putInt(Wire.CR_REPLY_IP_OFFSET + 4, 0, Wire.LE);
            len = Wire.CR_LENGTH;
        } else {
            out.putLong(Wire.CS_LAST_OFFSET, journal.lastSequence(), Wire.LE);
            len = Wire.CS_LENGTH;
        }
        len = controlSigner.sign(out, 0, len);
        return p.offer(out, 0, len) > 0;
    }

    /** Highest sequence in this clone's journal. */
    public long lastSequence() {
        return journal.lastSequence();
    }

    public boolean isCatchingUp() {
        return catchingUp;
    }

    public Membership membership() {
        return heartbeater.membership();
    }

    /**
     * Election messages on the heartbeat stream, sent and received by this node in this role; frames
     * received reach the channel's handler while {@link #doWork} runs.
     */
    public ControlChannel control() {
        return heartbeater.control();
    }

    public long appendedLive() { return appendedLive; }
    public long appendedCatchup() { return appendedCatchup; }
    public long duplicates() { return duplicates; }
    public long aheadDropped() { return aheadDropped; }
    public long journalFailures() { return journalFailures; }
    public long acksSent() { return acksSent; }
    public long lastAcked() { return lastAcked; }

    /**
     * This node took over as primary of {@code epoch}: its heartbeats say so from now on, which
     * fences the old primary (it stops serving when it hears a higher epoch) and keeps the other
     * clones from taking over too.
     */
    public void announcePrimary(long epoch) {
        primaryEpoch = epoch;
        adoptEpoch(epoch);
    }

    /**
     * Invariant 5: from now on frames of older epochs are stale — neither appended nor
     * acknowledged — and acks carry {@code epoch}, which the old primary does not count: it can
     * commit nothing more. Call on the duty-cycle thread.
     */
    private void adoptEpoch(long epoch) {
        if (epoch > highestEpoch && epoch <= Integer.MAX_VALUE) {
            highestEpoch = (int) epoch;
        }
    }

    /**
     * This clone learnt that {@code epoch} has a new primary: its heartbeats carry that epoch, so
     * that an old primary which cannot hear the new one (a partition, a pause) still learns it is
     * superseded from any clone it hears.
     */
    public void announceEpoch(long epoch) {
        knownEpoch = Math.max(knownEpoch, epoch);
        adoptEpoch(epoch);
    }
    public long catchupRequestsSent() { return catchupRequestsSent; }
    public long catchupsCompleted() { return catchupsCompleted; }
    /** Records this clone has served to catching-up peers. */
    public long catchupRecordsServed() { return catchupServer.recordsServed(); }

    /** The highest epoch seen (or given at start): the epoch this clone appends and acks under. */
    public int highestEpoch() { return highestEpoch; }

    /** Node id of the sender of the highest epoch's live frames (0 before the first frame). */
    public int epochSender() { return epochSender; }

    /** Live frames dropped because their epoch was below {@link #highestEpoch()}. */
    public long staleFrames() { return staleFrames; }

    /** Live frames of the highest epoch dropped because another node than {@link #epochSender()} sent them. */
    public long foreignFrames() { return foreignFrames; }

    /** Frames rejected for a missing/wrong MAC (data, catch-up, control, heartbeats). */
    public long rejectedAuth() {
        return reader.rejectedAuth() + heartbeater.rejected() + controlRejected;
    }

    /** Data frames rejected as malformed. */
    public long rejectedMalformed() {
        return reader.rejectedMalformed();
    }

    @Override
    public void close() {
        CloseHelper.quietCloseAll(catchupServer, heartbeater, ack, catchupRequests, catchupData, data);
        CloseHelper.quietCloseAll(requestPublications);
    }
}
