package dev.understudy.agent.primary;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.agent.status.AgentCounters;
import dev.understudy.interceptors.hook.SocketHook;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.nfqueue.NfQueue;
import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.netfilter.nfqueue.NfQueueCounter;
import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.aeron.ReplicationPrimary;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.membership.MemberListener;
import dev.understudy.transport.membership.Role;
import io.aeron.Counter;
import dev.understudy.netfilter.nfqueue.Verdict;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ControlledMessageHandler;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;

/**
 * The primary's recording: capture (NFQUEUE) and interceptor events become one totally ordered
 * log, published to the clones over Aeron and journalled locally; client bytes are released to
 * the kernel only when durable on {@code quorum} clones ({@link InputCommit}).
 *
 * <p>One duty-cycle thread ({@value #THREAD_NAME}) runs, in one loop: the capture
 * ({@code NfQueue.poll}, whose handler publishes SEGMENT and CONN_OPEN records), the drain of the
 * application threads' ring ({@link RecordingHook}), the replication primary (frames, acks,
 * durability callbacks, heartbeats, catch-up) and the input commit. Application threads only
 * claim, encode and commit into the ring.
 *
 * <p>Start order: media driver, journal, replication primary, the NFQUEUE reader, the close
 * guard ({@link CloseGuard}: a stale one of this node is replaced), then the capture rules (so no
 * packet is queued with no reader: the rule fails closed anyway). Close: stop the loop, close the
 * queue (the kernel drops what is still held: the clients retransmit), remove the rules and the
 * close guard, close the primary, the journal and the driver. A SIGKILLed primary closes nothing:
 * the guard and the capture rule stay and keep the node silent towards its clients.
 */
public final class PrimaryNode implements AutoCloseable {
    static final String THREAD_NAME = "understudy-primary";
    /** The epoch of the configured primary; an elected one records under the epoch it won ({@link InPlace}). */
    public static final int EPOCH = 1;
    private static final int RING_BYTES = 16 << 20;
    private static final int DRAIN_LIMIT = 1024;
    private static final String LOG = "primary";

    /** What the primary needs, resolved from the one configuration. */
    public record Settings(int nodeId, int vip, String vipText, int[] ports, int quorum, boolean serveWhenDegraded,
                           ReplicationConfig replication, JournalConfig journal, NfQueueConfig queue, String idle,
                           boolean serial, int members, String interfaceName, long failureTimeoutNs,
                           String takeoverCommand, NfQueueConfig outputQueue) {
    }

    /**
     * What a clone that won an election hands to the primary it becomes (DESIGN.md, "Failure,
     * election, switchover": replicate to the remaining clones under the new epoch): its media
     * driver and journal, which the primary then owns, and the epoch it won.
     */
    public record InPlace(EmbeddedMediaDriver driver, Journal journal, int epoch) {
    }

    /**
     * What the switchover leaves the new primary: the NFQUEUE that held inbound traffic and its
     * capture rules (they stay: the hold becomes the capture), the segments held meanwhile (copies,
     * in arrival order: they are recorded before they reach TCP), the hook that routes the queue's
     * later segments to the capture, and the records the switchover owes the clones first: the
     * reads of the input it re-injected ({connection, offset, count}) and the output the clone
     * produced beyond the old primary's last APP_WRITE ({connection, offset, count, CRC-32C}); in
     * serial mode each read has a turn of its own (its order the read's fourth element, -1 in
     * input-order mode), and the clock and random values read in those turns are recorded too
     * ({turn order, index, source, value, nanos or length, 1 for a clock value or 0 for randomness}).
     */
    public record HandOver(NfQueue queue, List<InstalledRule> rules, List<HeldPacket> held,
                           java.util.function.Consumer<dev.understudy.netfilter.nfqueue.SegmentHandler> route,
                           long lastReadOrder, List<long[]> reads, List<long[]> writes, List<long[]> values) {
    }

    /** A segment held during a switchover: its NFQUEUE packet id and a copy of its IP packet. */
    public record HeldPacket(int packetId, byte[] packet) {
    }

    private final Settings settings;
    private final int epochNumber;
    private final RecordingValues values;
    private final Turns turns;
    private final EmbeddedMediaDriver driver;
    private final Journal journal;
    private final AgentCounters counters;
    private ReplicationPrimary primary;
    private final CaptureHandler captureHandler;
    private List<HeldPacket> pendingHeld;
    private final ManyToOneRingBuffer ring;
    private final ConnectionTable table = new ConnectionTable();
    private final InputCommit commit;
    /** Output commit, or null when off ({@link Settings#outputQueue} null). */
    private final OutputCommit output;
    private NfQueue outputQueue;
    private final RecordEncoder encoder = new RecordEncoder();
    private final dev.understudy.netfilter.tcp.TcpInfo tcpInfoReader = new dev.understudy.netfilter.tcp.TcpInfo();
    private NfQueue queue;
    private final List<InstalledRule> rules = new ArrayList<>();
    private CloseGuard closeGuard;
    private final RecordingHook hook;
    private final dev.understudy.agent.node.DutyCycle duty;
    private long lastStatus;
    private int liveClones;
    private long readOrder;
    private long kernelStatsMs;

    private final Counter role;
    private final Counter epoch;
    private final Counter fencedCounter;
    private final Counter handedOffCounter;
    private final Counter resourceFault;
    private final Counter suspensions;
    private final Counter connections;
    private final Counter records;
    private final Counter lastSequence;
    private final Counter durable;
    private final Counter degraded;
    private final Counter ringFull;
    private final Counter agentErrors;
    private final Counter capturePackets;
    private final Counter captureDrops;
    private final Counter captureMalformed;
    private final Counter captureHandlerErrors;
    private final Counter rejectedFrames;
    /** {@code Membership.longestGapNs()}: the longest silence of a clone this primary heard, what its lease must outlast. */
    private final Counter heartbeatGap;
    private final Counter[] cloneAcked;
    private final ControlledMessageHandler drainHandler = this::onAppEvent;

    /**
     * @param inPlace null for the configured primary (it launches its driver, opens its journal and
     *                starts capturing here); else the clone's driver and journal, and the rest comes
     *                with {@link #go} once the switchover has handed its hold over
     */
    private PrimaryNode(Settings s, InPlace inPlace) throws Exception {
        this.settings = s;
        this.epochNumber = inPlace == null ? EPOCH : inPlace.epoch();
        EmbeddedMediaDriver d = null;
        Journal j = null;
        AgentCounters cs = null;
        ReplicationPrimary p = null;
        NfQueue q = null;
        CloseGuard g = null;
        try {
            d = inPlace == null ? EmbeddedMediaDriver.launch(s.replication()) : inPlace.driver();
            j = inPlace == null ? Journal.open(s.journal()) : inPlace.journal();
            cs = new AgentCounters(d.aeron());
            role = cs.add("role (1 primary, 2 clone)");
            role.setOrdered(1);
            epoch = cs.add("epoch");
            fencedCounter = cs.add("fenced (a higher epoch's primary seen)");
            handedOffCounter = cs.add("handed over (planned switchover)");
            resourceFault = cs.add("resource fault (supervisor)");
            suspensions = cs.add("input held after a pause");
            epoch.setOrdered(epochNumber);
            connections = cs.add("connections opened");
            records = cs.add("records published");
            lastSequence = cs.add("journal position");
            durable = cs.add("durable position (k=quorum)");
            degraded = cs.add("degraded");
            ringFull = cs.add("ring full");
            agentErrors = cs.add("agent errors");
            Counter acceptsUnknown = cs.add("accepts not captured");
            Counter segments = cs.add("segments recorded");
            Counter untracked = cs.add("segments not tracked");
            Counter publishFailed = cs.add("segments dropped (publish failed)");
            Counter held = cs.add("segments held");
            Counter released = cs.add("segments released");
            capturePackets = cs.add("capture packets");
            captureDrops = cs.add("capture kernel queue drops");
            captureMalformed = cs.add("capture malformed packets dropped");
            captureHandlerErrors = cs.add("capture handler errors");
            rejectedFrames = cs.add("control frames rejected");
            heartbeatGap = cs.add("longest heartbeat gap (us)");
            cloneAcked = new Counter[ReplicationConfig.MAX_NODE_ID + 1];
            this.commit = new InputCommit(s.quorum(), s.serveWhenDegraded(), 2 * s.queue().maxLength(),
                s.replication().memberTimeoutNs(), held, released);
            this.output = s.outputQueue() == null ? null : new OutputCommit(s.quorum(), 2 * s.outputQueue().maxLength(),
                cs.add("output segments held"), cs.add("output segments released"));
            if (inPlace == null) {
                p = replicate(d, j);
            }
            this.ring = new ManyToOneRingBuffer(new UnsafeBuffer(
                ByteBuffer.allocateDirect(RING_BYTES + RingBufferDescriptor.TRAILER_LENGTH)));
            CaptureHandler handler = new CaptureHandler(table, commit, new CaptureHandler.Publisher() {
                @Override
                public long nextSequence() {
                    return primary.lastSequence() + 1;
                }

                @Override
                public long connOpen(Connection c, TcpSegment syn) {
                    int at = primary.claim(dev.understudy.transport.record.ConnOpenFlyweight.LENGTH);
                    return at < 0 ? at : commit(encoder.connOpen(primary.claimBuffer(), at, c, syn));
                }

                @Override
                public long segment(long connectionId, TcpSegment seg) {
                    int at = primary.claim(RecordEncoder.segmentLength(seg));
                    return at < 0 ? at : commit(encoder.segment(primary.claimBuffer(), at, connectionId, seg, realtimeNanos()));
                }
            }, s.vip(), s.ports(), connections, segments, untracked, publishFailed);
            this.captureHandler = handler;
            this.primary = p;
            if (inPlace == null) {
                q = NfQueue.open(s.queue(), handler);
                this.queue = q;
                final NfQueue fq = q;
                commit.releaser(fq::releaseUpTo);
                openOutput();
                g = guard();
                for (int port : s.ports()) {
                    rules.add(Iptables.local().install(IptablesRule.capture(s.vipText(), port, s.queue().queueNumber())));
                }
            }
            final RecordingHook[] emitter = new RecordingHook[1];
            Turns turns = s.serial() ? new Turns(cs.add("turns"), cs.add("turns forced (waited over 1 s)"),
                (conn, kind, ordinal, order) -> emitter[0].emitTurn(conn, kind, ordinal, order)) : null;
            this.hook = new RecordingHook(table, ring, s.ports(), ringFull, acceptsUnknown, agentErrors,
                () -> AgentLog.log(dev.understudy.agent.Configuration.LogLevel.ERROR, LOG,
                    "the recording ring is full: application events are being lost (counter 'ring full')", null),
                turns, CloseGuard.MARK, cs.add("close guard marks failed"),
                why -> AgentLog.log(dev.understudy.agent.Configuration.LogLevel.ERROR, LOG,
                    "could not mark a service socket the application closes (its FIN/RST stays behind the close guard; "
                        + "counter 'close guard marks failed'): " + why, null));
            emitter[0] = hook;
            this.values = turns == null ? null : new RecordingValues(turns, hook, cs.add("values recorded"));
            this.turns = turns;
            this.driver = d;
            this.journal = j;
            this.counters = cs;
            this.duty = new dev.understudy.agent.node.DutyCycle(THREAD_NAME, LOG,
                "input is no longer released (fail closed)", this::doWork, EmbeddedMediaDriver.idle(s.idle()), cs, agentErrors);
        } catch (Exception | Error e) {
            for (InstalledRule r : rules) {
                quietly(r::remove);
            }
            if (g != null) {
                quietly(g::remove);
            }
            if (q != null) {
                q.close();
            }
            if (outputQueue != null) {
                outputQueue.close();
            }
            if (p != null) {
                p.close();
            }
            if (cs != null) {
                cs.close();
            }
            if (inPlace == null && j != null) {
                j.close();
            }
            if (inPlace == null && d != null) {
                d.close();
            }
            throw e;
        }
    }

    private ReplicationPrimary replicate(EmbeddedMediaDriver d, Journal j) {
        dev.understudy.transport.aeron.DurabilityListener durability = output == null ? commit : (k, sequence) -> {
            commit.onDurable(k, sequence);
            output.onDurable(k, sequence);
        };
        return ReplicationPrimary.create(d.aeron(), settings.replication(), epochNumber, j, Math.max(1, settings.quorum()),
            durability, new MemberListener() {
                @Override
                public void onJoined(int nodeId, Role r, long ep) {
                    AgentLog.log(dev.understudy.agent.Configuration.LogLevel.INFO, LOG,
                        "node " + nodeId + " joined as " + r + " (epoch " + ep + ")", null);
                }

                @Override
                public void onLost(int nodeId, long lastSeenNs) {
                    AgentLog.log(dev.understudy.agent.Configuration.LogLevel.WARN, LOG, "node " + nodeId + " lost", null);
                }

                @Override
                public void onRejoined(int nodeId, Role r, long ep) {
                    AgentLog.log(dev.understudy.agent.Configuration.LogLevel.INFO, LOG,
                        "node " + nodeId + " rejoined as " + r, null);
                }
            });
    }

    /**
     * The close guard (replacing a stale one of this node in one commit), before the capture rules:
     * from the first connection on, the kernel's FINs and RSTs for it stay in if this JVM dies.
     */
    private CloseGuard guard() throws IOException {
        CloseGuard g = CloseGuard.install(Iptables.local(), settings.nodeId(), settings.vipText(), settings.ports(),
            outputQueue == null ? -1 : outputQueue.queueNumber());
        this.closeGuard = g;
        AgentLog.log(dev.understudy.agent.Configuration.LogLevel.INFO, LOG, "close guard installed: chain " + g.chain()
            + " (FIN/RST from ports " + java.util.Arrays.toString(settings.ports()) + " leave only with mark 0x"
            + Integer.toHexString(CloseGuard.MARK) + (outputQueue == null ? "; output commit off"
            : "; output waits in NFQUEUE " + outputQueue.queueNumber() + " until durable") + ")", null);
        return g;
    }

    /**
     * The output commit's reader (before the guard's rules send anything to it): each segment from a
     * service port is tagged with the recording ring's position ({@link OutputCommit}).
     */
    private void openOutput() throws ErrnoException {
        if (output == null) {
            return;
        }
        NfQueue oq = NfQueue.open(settings.outputQueue(), (id, seg) -> output.onSegment(id, seg, ring.producerPosition()));
        this.outputQueue = oq;
        output.releaser(oq::releaseUpTo);
    }

    /**
     * A clone that won an election becomes this primary (the first half, on the switchover's thread,
     * before the rebuilt sockets go under the application's fds): the recording hook and its
     * connection table exist from here on ({@link #seed} each rebuilt connection), so that every
     * application event after the swap is recorded; replication and capture begin with {@link #go}.
     */
    public static PrimaryNode prepare(Settings s, InPlace inPlace) throws Exception {
        return new PrimaryNode(s, inPlace);
    }

    /**
     * Serial mode: the turns go on from the log's ({@code nextOrder} is the next turn's order), and
     * the application's timers keep the names and run counts its replay gave them.
     */
    public void continueTurns(long nextOrder, dev.understudy.agent.node.TimerNames timers) {
        if (turns != null) {
            turns.startAt(nextOrder);
            hook.adoptTimers(timers);
        }
    }

    /**
     * A connection the switchover rebuilt under the application's fd {@code fd}: recorded from the
     * stream offsets the replay reached (the application has read {@code readOffset} bytes and
     * written {@code writeOffset}), under the id the old primary's capture gave it.
     */
    public void seed(long id, int clientAddress, int clientPort, int servicePort, long clientIsn, int fd, long readOffset,
                     long writeOffset) {
        Connection c = new Connection(id, clientAddress, clientPort, settings.vip(), servicePort, clientIsn);
        c.readOffset = readOffset;
        c.writeOffset = writeOffset;
        table.add(c);
        table.bind(c, fd);
    }

    /**
     * The second half (on the clone's replication thread; its follower is closed right after): the
     * replication primary under the new epoch on the clone's journal (its sequences go on), the
     * records the switchover owes, the close guard, the hold's queue and rules as the capture, and
     * the duty cycle, whose first work is to record the held segments and let the input commit
     * release them.
     */
    public void go(HandOver h, SideWork side) throws Exception {
        primary = replicate(driver, journal);
        if (side != null) {
            side.start(primary.control());
            this.side = side;
        }
        readOrder = h.lastReadOrder();
        for (long[] r : h.reads()) {
            if (r[3] >= 0) {
                publishOwed(dev.understudy.transport.record.TurnFlyweight.LENGTH, (b, at) -> encoder.turn(b, at, r[0],
                    dev.understudy.transport.record.TurnFlyweight.READ, 0, r[3]));
            }
            publishOwed(dev.understudy.transport.record.AppReadFlyweight.LENGTH,
                (b, at) -> encoder.appRead(b, at, r[0], r[1], ++readOrder, (int) r[2]));
        }
        for (long[] v : h.values()) {
            boolean clock = v[5] == 1;
            publishOwed(clock ? dev.understudy.transport.record.ClockFlyweight.LENGTH
                : dev.understudy.transport.record.RandomFlyweight.LENGTH, (b, at) -> clock
                ? encoder.clock(b, at, v[0], (int) v[1], (int) v[2], v[3], (int) v[4])
                : encoder.random(b, at, v[0], (int) v[1], (int) v[2], v[3], (int) v[4]));
        }
        for (long[] w : h.writes()) {
            publishOwed(dev.understudy.transport.record.AppWriteFlyweight.LENGTH,
                (b, at) -> encoder.appWrite(b, at, w[0], w[1], (int) w[2], (int) w[3]));
        }
        openOutput();
        guard();
        queue = h.queue();
        final NfQueue fq = h.queue();
        commit.releaser(fq::releaseUpTo);
        rules.addAll(h.rules());
        pendingHeld = h.held();
        pendingRoute = h.route();
        AgentLog.log(LogLevel.INFO, LOG, "primary of epoch " + epochNumber + ": recording " + table.size()
            + " rebuilt connections from journal sequence " + primary.lastSequence() + " (" + h.reads().size()
            + " re-injected reads, " + h.writes().size() + " output ranges and " + h.values().size()
            + " values recorded first), " + h.held().size()
            + " held segments to record", null);
        duty.start();
    }

    private java.util.function.Consumer<dev.understudy.netfilter.nfqueue.SegmentHandler> pendingRoute;
    private SideWork side;

    /**
     * Work of the node's that must run on this primary's duty cycle (the election, whose messages
     * come and go on the replication's control channel).
     */
    public interface SideWork {
        /** Once, with the control channel, before the duty cycle starts. */
        void start(dev.understudy.transport.membership.ControlChannel control);

        /** Every cycle, with this primary's journal position and epoch (for the epoch history). */
        int doWork(long nowNs, long lastSequence, int epoch);

        /** A planned switchover hands over to {@code successor}: the election stops this primary and names it. */
        default void handOff(long nowNs, int successor) {
        }
    }

    private interface Encode {
        int into(org.agrona.MutableDirectBuffer b, int at);
    }

    /** Publishes one record the switchover owes, waiting for back pressure (a bounded 5 s). */
    private void publishOwed(int length, Encode e) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (true) {
            int at = primary.claim(length);
            if (at >= 0) {
                if (commit(e.into(primary.claimBuffer(), at)) < 0) {
                    throw new IOException("the journal refused a record");
                }
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("the replication primary stayed back-pressured (" + at + ")");
            }
            primary.doWork(System.nanoTime());
        }
    }

    /** The held segments, recorded and then left to the input commit (the capture's path for each). */
    private int recordHeld() {
        List<HeldPacket> held = pendingHeld;
        pendingHeld = null;
        pendingRoute.accept(captureHandler);
        TcpSegment seg = new TcpSegment();
        for (HeldPacket h : held) {
            Verdict v = seg.wrap(ByteBuffer.wrap(h.packet()), 0, h.packet().length) == TcpSegment.PARSE_OK
                ? captureHandler.onSegment(h.packetId(), seg) : Verdict.ACCEPT;
            if (v == Verdict.ACCEPT) {
                queue.release(h.packetId());
            } else if (v == Verdict.DROP) {
                queue.drop(h.packetId());
            }
        }
        return held.size() + 1;
    }

    /**
     * Starts the primary: everything above, and the duty cycle.
     *
     * @throws Exception when any part cannot start (the caller stops the JVM: never serve unprotected)
     */
    public static PrimaryNode start(Settings s) throws Exception {
        PrimaryNode n = new PrimaryNode(s, null);
        n.duty.start();
        return n;
    }

    /** The hook to install in the interceptors. */
    public SocketHook hook() {
        return hook;
    }

    /** Commits the open claim (the record encoded in it is {@code length} bytes). */
    private long commit(int length) {
        long seq = primary.commitClaim(length);
        if (seq > 0) {
            records.incrementOrdered();
        }
        return seq;
    }

    private static long realtimeNanos() {
        java.time.Instant now = java.time.Instant.now();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    private int doWork(long now) throws dev.understudy.netfilter.ErrnoException {
        if (pendingHeld != null) {
            return recordHeld();
        }
        int sideWork = side == null ? 0 : side.doWork(now, primary.lastSequence(), epochNumber);
        PlannedSwitchover planned = this.planned.get();
        if (fenced) {
            int work = primary.doWork(now) + sideWork;
            if (planned != null && planned.handedOffNs != 0 && !planned.done.isDone()) {
                awaitSuccessor(planned, now);
            }
            return work;
        }
        if (lastCycleNs != 0 && now - lastCycleNs > settings.failureTimeoutNs()) {
            // this node did not run for longer than the failure timeout (a pause: GC, SIGSTOP, a
            // starved VM): a clone may have taken over meanwhile. Release nothing until heartbeats
            // have been heard again for a failure timeout, so that a new primary's fences us first.
            suspendedUntil = now + settings.failureTimeoutNs();
            suspensions.increment();
            AgentLog.log(LogLevel.WARN, LOG, "this node did not run for " + TimeUnit.NANOSECONDS.toMillis(now - lastCycleNs)
                + " ms (more than the failure timeout): client input is held until the cluster has been heard again", null);
        }
        lastCycleNs = now;
        int work = sideWork + queue.poll(0);
        if (outputQueue != null) {
            work += outputQueue.poll(0);
        }
        work += ring.controlledRead(drainHandler, DRAIN_LIMIT);
        if (output != null) {
            output.resolve(ring.consumerPosition(), primary.lastSequence());
        }
        work += primary.doWork(now);
        int higher = higherPrimary();
        if (higher != 0) {
            fence(higher);
            return work + 1;
        }
        if (planned != null) {
            work += hold(planned, now);
            if (fenced) {
                return work;
            }
        }
        if (now - suspendedUntil < 0) {
            return work;
        }
        work += commit.doWork(liveClones);
        if (output != null) {
            // degraded as the input commit sees it, or output itself waiting longer than the clones' failure timeout
            boolean degradedNow = commit.degraded() || output.stalled(now, settings.replication().memberTimeoutNs());
            work += output.doWork(degradedNow && settings.serveWhenDegraded());
        }
        if (now - lastStatus > TimeUnit.MILLISECONDS.toNanos(50)) {
            lastStatus = now;
            status();
        }
        return work;
    }

    private long lastCycleNs;
    private long suspendedUntil;
    private volatile boolean fenced;

    /**
     * A cluster member that announces a higher epoch than this node's, or 0: the new primary
     * itself, or a clone that learnt of it (which an old primary that cannot hear the new one,
     * after a pause or across a partition, still hears).
     */
    private int higherPrimary() {
        dev.understudy.transport.membership.Membership m = primary.membership();
        for (int id = 1; id <= settings.members(); id++) {
            // members only: a host that is not in the node list (no secret set) cannot fence this node
            if (id != settings.nodeId() && m.isAlive(id) && m.epoch(id) > epochNumber) {
                return id;
            }
        }
        return 0;
    }

    /**
     * Another node is primary of a higher epoch (invariant 5): stop serving at once. The VIP goes
     * (clients' packets no longer reach this node), nothing held is released, and every client
     * socket is retired silently (repair mode, then a placeholder under the application's fd): no
     * FIN, no RST, no byte more from this node. The application keeps running with dead sockets.
     */
    private void fence(int by) {
        fencedCounter.setOrdered(1);
        dev.understudy.transport.membership.Membership m = primary.membership();
        AgentLog.log(LogLevel.ERROR, LOG, "fenced: node " + by + " (" + m.role(by) + ") announces epoch " + m.epoch(by)
            + " (this node's is "
            + epochNumber + "): this node stops serving, drops the VIP and retires its client sockets silently", null);
        dropVip();
        retire("fenced");
    }

    private void dropVip() {
        try (dev.understudy.netfilter.address.InterfaceAddresses addrs = new dev.understudy.netfilter.address.InterfaceAddresses()) {
            addrs.remove(settings.interfaceName(), settings.vip(), 32);
        } catch (Exception e) {
            AgentLog.log(LogLevel.ERROR, LOG, "the VIP could not be removed: " + e, null);
        }
    }

    /** Stops serving: every client socket is retired silently (see {@link #fence}). */
    private void retire(String why) {
        fenced = true;
        if (output != null) {
            output.stop(); // what it holds never leaves: the successor sends that output itself
        }
        dev.understudy.agent.node.TakeoverCommand.start(settings.takeoverCommand(), dev.understudy.agent.node.TakeoverCommand.STOPPED,
            settings.vipText(), settings.interfaceName(), settings.nodeId(), epochNumber);
        int[] retired = {0};
        table.forEachFd(fd -> {
            try {
                dev.understudy.netfilter.repair.TcpRepair.retireSilently(fd);
                retired[0]++;
            } catch (Exception e) {
                // closed meanwhile
            }
        });
        AgentLog.log(LogLevel.ERROR, LOG, why + ": " + retired[0] + " client sockets retired silently", null);
    }

    // ---- resource supervisor -----------------------------------------------------------------

    private final ResourceSupervisor supervisor = new ResourceSupervisor();
    private boolean faultSaid;

    /** Once a second: a fault this primary cannot serve through hands over to the clone furthest along. */
    private void supervise(long kernelQueued) {
        if (faultSaid || fenced || planned.get() != null) {
            return;
        }
        long now = System.nanoTime();
        long[] heap = heapAfterCollection();
        String fault = supervisor.check(now, new ResourceSupervisor.Probe(journal.healthy(), journal.fault(), heap[0], heap[1],
            listening(), queue.counter(NfQueueCounter.PACKETS), kernelQueued, commit.held()));
        if (fault == null) {
            return;
        }
        faultSaid = true;
        resourceFault.setOrdered(1);
        int target = furthestClone();
        if (target == 0) {
            AgentLog.log(LogLevel.ERROR, LOG, "resource fault: " + fault + "; no live clone to hand over to: serving on", null);
            return;
        }
        AgentLog.log(LogLevel.ERROR, LOG, "resource fault: " + fault + "; handing over to node " + target, null);
        planned.compareAndSet(null, new PlannedSwitchover(target, now, switchoverTimeoutNs(), true));
    }

    /** A live clone, of no later epoch than this primary's: one that may take over from it. */
    private boolean followsThisEpoch(int id) {
        dev.understudy.transport.membership.Membership m = primary.membership();
        return m.isAlive(id) && m.role(id) == Role.CLONE && m.epoch(id) <= epochNumber;
    }

    /** The live clone of this epoch that acknowledged the most (the lowest id among equals), 0 if none. */
    private int furthestClone() {
        int best = 0;
        long bestAcked = -1;
        for (int id = 1; id <= settings.members(); id++) {
            if (id != settings.nodeId() && followsThisEpoch(id) && primary.tracker().acked(id) > bestAcked) {
                best = id;
                bestAcked = primary.tracker().acked(id);
            }
        }
        return best;
    }

    /** {used, max} bytes of the heap pools after their last collection (max 0 when unknown). */
    private static long[] heapAfterCollection() {
        long used = 0;
        long max = 0;
        for (java.lang.management.MemoryPoolMXBean pool : java.lang.management.ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() != java.lang.management.MemoryType.HEAP || !pool.isCollectionUsageThresholdSupported()) {
                continue;
            }
            java.lang.management.MemoryUsage u = pool.getCollectionUsage();
            if (u == null || u.getMax() <= 0) {
                continue;
            }
            used += u.getUsed();
            max += u.getMax();
        }
        return new long[] {used, max};
    }

    /** Whether a socket of this network namespace listens on a service port (/proc/net/tcp and tcp6). */
    private boolean listening() {
        for (String file : new String[] {"/proc/net/tcp", "/proc/net/tcp6"}) {
            try (java.io.BufferedReader r = java.nio.file.Files.newBufferedReader(Path.of(file))) {
                String line = r.readLine(); // header
                while ((line = r.readLine()) != null) {
                    if (listensOn(line, settings.ports())) {
                        return true;
                    }
                }
            } catch (IOException | RuntimeException e) {
                return true; // unreadable: no verdict, and no fault from it
            }
        }
        return false;
    }

    /** One /proc/net/tcp line ("sl local_address rem_address st ..."): state LISTEN (0A) on one of {@code ports}. */
    static boolean listensOn(String line, int[] ports) {
        String[] f = line.trim().split("\\s+", 5);
        if (f.length < 4 || !"0A".equals(f[3])) {
            return false;
        }
        int colon = f[1].lastIndexOf(':');
        int port = Integer.parseInt(f[1].substring(colon + 1), 16);
        for (int p : ports) {
            if (p == port) {
                return true;
            }
        }
        return false;
    }

    // ---- planned switchover ------------------------------------------------------------------

    /** How long the application must have been quiet (no event recorded) before the hand-off. */
    static final long QUIET_NS = TimeUnit.MILLISECONDS.toNanos(20);

    /** A planned switchover: asked for on another thread ({@link #switchover}), run by the duty cycle. */
    private static final class PlannedSwitchover {
        final int target;
        final long startNs;
        final long deadlineNs;
        final java.util.concurrent.CompletableFuture<String> done = new java.util.concurrent.CompletableFuture<>();
        /** Started by the resource supervisor: hand over without waiting for the application to go quiet for long. */
        final boolean forced;
        long eventsSeen = -1;
        long quietSinceNs;
        long handedOffNs;
        long handedOffAt;
        boolean vipDropped;

        PlannedSwitchover(int target, long startNs, long timeoutNs, boolean forced) {
            this.target = target;
            this.forced = forced;
            this.startNs = startNs;
            this.deadlineNs = startNs + timeoutNs;
        }
    }

    private final java.util.concurrent.atomic.AtomicReference<PlannedSwitchover> planned =
        new java.util.concurrent.atomic.AtomicReference<>();
    /** Application events recorded (duty-cycle thread): a planned switchover waits until they stop. */
    private long appEvents;
    private final long[] eventsByKind = new long[9];

    /**
     * Live migration to clone {@code target} (DESIGN.md, "Planned switchover"): this primary holds
     * client input (captured and replicated, never released to its own application), waits until
     * the application has gone quiet and {@code target} has acknowledged the whole journal, then
     * names {@code target} in its heartbeats and election (so that it stands at once), drops the
     * VIP and retires every client socket silently (no FIN, no RST). {@code target} is elected,
     * re-injects what was held and rebuilds every connection under its own application's fds.
     * This node serves no more: restart its process as a clone to rejoin (it catches up from the
     * new primary).
     *
     * <p>If {@code target} does not catch up within {@code timeoutNs} the switchover is called
     * off and client input flows again, here: nothing was lost.
     *
     * @return a line saying what happened, once {@code target} announces itself primary
     * @throws IllegalArgumentException if {@code target} is not another member
     * @throws IllegalStateException    if it did not happen (called off, already under way, this node no longer serves)
     */
    public String switchover(int target, long timeoutNs) {
        if (target < 1 || target > settings.members() || target == settings.nodeId()) {
            throw new IllegalArgumentException("invalid switchover target: value=" + target + ", expected another node of 1.."
                + settings.members());
        }
        if (fenced) {
            throw new IllegalStateException("this node no longer serves (fenced, or handed off already)");
        }
        PlannedSwitchover h = new PlannedSwitchover(target, System.nanoTime(), timeoutNs, false);
        if (!planned.compareAndSet(null, h)) {
            throw new IllegalStateException("a switchover is already under way");
        }
        AgentLog.log(LogLevel.WARN, LOG, "planned switchover to node " + target + ": client input is held until it has"
            + " caught up (at most " + TimeUnit.NANOSECONDS.toMillis(timeoutNs) + " ms)", null);
        try {
            return h.done.get(2 * timeoutNs + TimeUnit.SECONDS.toNanos(5), TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.ExecutionException e) {
            throw new IllegalStateException(e.getCause().getMessage(), e.getCause());
        } catch (java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("switchover to node " + target + ": the primary's duty cycle did not answer in time");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("switchover to node " + target + ": interrupted");
        }
    }

    /** The longest a planned switchover holds client input waiting for its target: 10 s, or 10 failure timeouts. */
    long switchoverTimeoutNs() {
        return Math.max(TimeUnit.SECONDS.toNanos(10), 10 * settings.failureTimeoutNs());
    }

    /**
     * Registers this primary's JMX operation {@code switchover(target)} (see {@link #switchover};
     * {@code target} is a node id, {@code 2} or {@code node2}).
     */
    public void registerOperations() {
        dev.understudy.agent.status.NodeMBean.operation("switchover", "Live migration: hold client input until node TARGET"
            + " has caught up, hand over to it, retire this node's sockets silently (restart it as a clone afterwards)",
            "target", arg -> switchover(parseNode(arg), switchoverTimeoutNs()));
    }

    /** A node id written {@code 2} or {@code node2}. */
    static int parseNode(String text) {
        String t = text == null ? "" : text.trim();
        if (t.startsWith("node")) {
            t = t.substring(4);
        }
        try {
            return Integer.parseInt(t);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid switchover target: value=" + text + ", expected a node id such as 2 or node2");
        }
    }

    /** One duty cycle of a planned switchover while this node still serves (input held). */
    private int hold(PlannedSwitchover h, long now) {
        dev.understudy.transport.membership.Membership m = primary.membership();
        if (!commit.paused()) {
            commit.pause(true); // from here no client input reaches the application
            h.eventsSeen = appEvents;
            h.quietSinceNs = now;
        }
        if (h.eventsSeen != appEvents) {
            h.eventsSeen = appEvents;
            h.quietSinceNs = now;
        }
        long last = primary.lastSequence();
        long acked = primary.tracker().acked(h.target);
        boolean targetFollows = followsThisEpoch(h.target);
        // a fault may keep the application's events from being recorded (a full journal): then the target
        // has all there is once it acknowledged the journal
        boolean quiet = (ring.size() == 0 && now - h.quietSinceNs >= QUIET_NS) || (h.forced && now - h.startNs >= 5 * QUIET_NS);
        if (targetFollows && acked >= last && quiet) {
            h.handedOffNs = now;
            h.handedOffAt = last;
            primary.handOffTo(h.target);
            if (side != null) {
                side.handOff(now, h.target);
            }
            AgentLog.log(LogLevel.WARN, LOG, "planned switchover: node " + h.target + " holds the journal up to " + last
                + " after " + TimeUnit.NANOSECONDS.toMillis(now - h.startNs) + " ms of held input; handing over", null);
            handedOffCounter.setOrdered(1);
            // The VIP stays until the successor announces its epoch. Meanwhile its clients' segments still
            // reach the capture (held, never released, so this kernel answers none of them) and the close
            // guard keeps any RST in. And the heartbeats that name the successor keep going: the JDK sets a
            // multicast socket's IP_MULTICAST_IF to the first IPv4 address of the interface it lists, which on
            // a node that held the VIP when its media driver started is the VIP (Java lists it first); Aeron's
            // send socket is bound to the wildcard, so its datagrams leave from the VIP, and once the VIP is
            // gone every send fails (ENETUNREACH; measured in the lab with a plain socket). The clones would
            // then hear nothing from this node and stand only after a failure timeout.
            retire("handed over to node " + h.target);
            return 1;
        }
        if (now - h.deadlineNs > 0) {
            planned.set(null);
            commit.pause(false); // the next cycle releases input again
            String why = targetFollows ? "it acknowledged the journal up to " + acked + " of " + last
                + (ring.size() == 0 && now - h.quietSinceNs >= QUIET_NS ? "" : ", and the application did not go quiet"
                + " (events by kind " + java.util.Arrays.toString(eventsByKind) + ")")
                : "it is not a live clone of this epoch (role " + m.role(h.target) + ", epoch " + m.epoch(h.target) + ")";
            AgentLog.log(LogLevel.WARN, LOG, "planned switchover to node " + h.target + " called off: " + why
                + "; client input flows again", null);
            h.done.completeExceptionally(new IllegalStateException("switchover to node " + h.target + " called off after "
                + TimeUnit.NANOSECONDS.toMillis(now - h.startNs) + " ms: " + why + "; this node goes on serving"));
        }
        return 0;
    }

    /**
     * After the hand-off: the VIP goes as soon as any member shows a later epoch (the successor won;
     * it takes the VIP only after rebuilding the connections), and the switchover is done once a
     * member announces itself primary of a later epoch (or time runs out).
     */
    private void awaitSuccessor(PlannedSwitchover h, long now) {
        if (!h.vipDropped && higherPrimary() != 0) {
            h.vipDropped = true;
            dropVip();
        }
        dev.understudy.transport.membership.Membership m = primary.membership();
        int successor = 0;
        for (int id = 1; id <= settings.members(); id++) {
            if (id != settings.nodeId() && m.isAlive(id) && m.role(id) == Role.PRIMARY && m.epoch(id) > epochNumber
                && (successor == 0 || id == h.target)) {
                successor = id;
            }
        }
        if (successor != 0) { // a member of a later epoch, so the VIP went above
            String line = "switched over: node " + successor + " is primary of epoch " + m.epoch(successor)
                + (successor == h.target ? "" : " (node " + h.target + " was asked)") + ", "
                + TimeUnit.NANOSECONDS.toMillis(now - h.startNs) + " ms after the switchover began (input held "
                + TimeUnit.NANOSECONDS.toMillis(h.handedOffNs - h.startNs) + " ms; handed over at journal sequence "
                + h.handedOffAt + "); this node serves no more: restart it as a clone to rejoin";
            AgentLog.log(LogLevel.WARN, LOG, line, null);
            h.done.complete(line);
        } else if (now - h.deadlineNs > 0 && now - h.handedOffNs > settings.failureTimeoutNs() * 4) {
            h.done.completeExceptionally(new IllegalStateException("handed over to node " + h.target + " at journal sequence "
                + h.handedOffAt + ", but no node announced itself primary of a later epoch yet; this node serves no more"));
        }
    }

    /**
     * Clones that count as alive for the input commit: heartbeating within the failure timeout and
     * in role CLONE. A clone that is catching up (role CATCHING_UP) does not count: it acknowledges
     * only once it has caught up, and holding client input for its whole catch-up would stall every
     * client (with {@code degraded=serve} the primary serves from its own journal meanwhile).
     */
    private int countLiveClones() {
        dev.understudy.transport.membership.Membership m = primary.membership();
        int n = 0;
        for (int id = 1; id <= ReplicationConfig.MAX_NODE_ID; id++) {
            if (id != settings.nodeId() && m.isAlive(id) && m.role(id) == Role.CLONE) {
                n++;
            }
        }
        return n;
    }

    private void status() {
        liveClones = countLiveClones();
        lastSequence.setOrdered(primary.lastSequence());
        durable.setOrdered(primary.durableSequence(Math.max(1, settings.quorum())));
        boolean wasDegraded = degraded.get() != 0;
        if (commit.degraded() != wasDegraded) {
            AgentLog.log(dev.understudy.agent.Configuration.LogLevel.WARN, LOG, commit.degraded()
                ? "degraded: fewer than " + settings.quorum() + " clone(s) hold the input; "
                    + (settings.serveWhenDegraded() ? "serving with the local journal only" : "holding client input")
                : "protected again: " + settings.quorum() + " clone(s) acknowledge", null);
        }
        degraded.setOrdered(commit.degraded() ? 1 : 0);
        capturePackets.setOrdered(queue.counter(NfQueueCounter.PACKETS));
        captureMalformed.setOrdered(queue.counter(NfQueueCounter.PARSE_FAILURES) + queue.counter(NfQueueCounter.MALFORMED_MESSAGES));
        captureHandlerErrors.setOrdered(queue.counter(NfQueueCounter.HANDLER_ERRORS));
        rejectedFrames.setOrdered(primary.rejectedFrames());
        heartbeatGap.setOrdered(java.util.concurrent.TimeUnit.NANOSECONDS.toMicros(primary.membership().longestGapNs()));
        long nowMs = System.currentTimeMillis();
        if (nowMs - kernelStatsMs >= 1000) {
            kernelStatsMs = nowMs;
            long queued = 0;
            try {
                dev.understudy.netfilter.nfqueue.KernelQueueStats k = queue.kernelStats();
                captureDrops.setOrdered(k.queueDropped() + k.userDropped());
                queued = k.queueTotal();
            } catch (java.io.IOException | RuntimeException e) {
                // /proc/net/netfilter/nfnetlink_queue unreadable: the counter stays as it was
            }
            supervise(queued);
        }
        for (int id = 1; id <= ReplicationConfig.MAX_NODE_ID; id++) {
            long acked = primary.tracker().acked(id);
            if (acked > 0 && cloneAcked[id] == null) {
                cloneAcked[id] = counters.add("clone " + id + " acked position");
            }
            if (cloneAcked[id] != null) {
                cloneAcked[id].setOrdered(acked);
            }
        }
    }

    private ControlledMessageHandler.Action onAppEvent(int kind, org.agrona.MutableDirectBuffer b, int at, int length) {
        appEvents++;
        if (kind > 0 && kind < eventsByKind.length) {
            eventsByKind[kind]++;
        }
        long connectionId = b.getLong(at + AppEvents.CONNECTION_ID_OFFSET);
        long streamOffset = b.getLong(at + AppEvents.STREAM_OFFSET_OFFSET);
        int count = b.getInt(at + AppEvents.COUNT_OFFSET);
        int fd = b.getInt(at + AppEvents.FD_OFFSET);
        int recordLength;
        switch (kind) {
            case AppEvents.READ:
                recordLength = dev.understudy.transport.record.AppReadFlyweight.LENGTH;
                break;
            case AppEvents.WRITE:
                recordLength = dev.understudy.transport.record.AppWriteFlyweight.LENGTH;
                break;
            case AppEvents.CLOSE:
            case AppEvents.SHUTDOWN_OUTPUT:
                recordLength = dev.understudy.transport.record.ConnectionEventFlyweight.LENGTH;
                break;
            case AppEvents.TURN:
                recordLength = dev.understudy.transport.record.TurnFlyweight.LENGTH;
                break;
            case AppEvents.CLOCK:
                recordLength = dev.understudy.transport.record.ClockFlyweight.LENGTH;
                break;
            case AppEvents.RANDOM:
                recordLength = dev.understudy.transport.record.RandomFlyweight.LENGTH;
                break;
            case AppEvents.ACCEPT:
                Connection c = table.byFd(fd);
                if (c == null || c.id != connectionId) {
                    return ControlledMessageHandler.Action.CONTINUE; // already closed: nothing to describe
                }
                try {
                    tcpInfoReader.read(fd);
                } catch (dev.understudy.netfilter.ErrnoException e) {
                    return ControlledMessageHandler.Action.CONTINUE; // closed meanwhile
                }
                recordLength = dev.understudy.transport.record.TcpInfoFlyweight.LENGTH;
                break;
            default:
                agentErrors.increment();
                return ControlledMessageHandler.Action.CONTINUE;
        }
        int to = primary.claim(recordLength);
        if (to < 0) {
            return ControlledMessageHandler.Action.ABORT; // kept in the ring: retried next cycle
        }
        org.agrona.MutableDirectBuffer out = primary.claimBuffer();
        int len;
        switch (kind) {
            case AppEvents.READ:
                len = encoder.appRead(out, to, connectionId, streamOffset, readOrder + 1, count);
                break;
            case AppEvents.WRITE:
                len = encoder.appWrite(out, to, connectionId, streamOffset, count, b.getInt(at + AppEvents.CRC_OFFSET));
                break;
            case AppEvents.CLOSE:
                len = encoder.close(out, to, connectionId);
                break;
            case AppEvents.SHUTDOWN_OUTPUT:
                len = encoder.shutdownOutput(out, to, connectionId);
                break;
            case AppEvents.TURN:
                len = encoder.turn(out, to, connectionId, count, fd, streamOffset);
                break;
            case AppEvents.CLOCK:
                len = encoder.clock(out, to, connectionId, count, fd, streamOffset, b.getInt(at + AppEvents.CRC_OFFSET));
                break;
            case AppEvents.RANDOM:
                len = encoder.random(out, to, connectionId, count, fd, streamOffset, b.getInt(at + AppEvents.CRC_OFFSET));
                break;
            default:
                len = encoder.tcpInfo(out, to, connectionId, tcpInfoReader, realtimeNanos());
                break;
        }
        if (commit(len) < 0) {
            agentErrors.increment(); // the primary's own journal refused it: the node is unhealthy
            return ControlledMessageHandler.Action.ABORT;
        }
        if (kind == AppEvents.READ) {
            readOrder++;
        }
        return ControlledMessageHandler.Action.CONTINUE;
    }

    /** The clock and randomness hook of serial mode (records values read in turns), or null in input-order mode. */
    public dev.understudy.interceptors.hook.ValueHook valueHook() {
        return values;
    }

    /** Counters of the capture, for status and tests. */
    public NfQueue queue() {
        return queue;
    }

    public long lastSequence() {
        return primary.lastSequence();
    }

    public boolean degraded() {
        return commit.degraded();
    }

    @Override
    public void close() {
        duty.close();
        if (queue != null) {
            queue.close();
        }
        if (outputQueue != null) {
            outputQueue.close();
        }
        for (InstalledRule r : rules) {
            quietly(r::remove);
        }
        // a clean stop: the application's sockets close after this, and their FINs must leave
        if (closeGuard != null) {
            quietly(closeGuard::remove);
        }
        if (primary != null) {
            quietly(primary::close);
        }
        quietly(counters::close);
        quietly(journal::close);
        quietly(driver::close);
    }

    private interface Step {
        void run() throws Exception;
    }

    private static void quietly(Step s) {
        try {
            s.run();
        } catch (Exception | Error e) {
            AgentLog.log(dev.understudy.agent.Configuration.LogLevel.WARN, LOG, "while closing", e);
        }
    }
}
