package dev.understudy.agent.failover;

import dev.understudy.agent.election.DurableState;
import dev.understudy.agent.election.ElectionConfig;
import dev.understudy.agent.election.ElectionListener;
import dev.understudy.agent.election.ElectionNode;
import dev.understudy.agent.election.ElectionRole;
import dev.understudy.agent.election.EpochHistory;
import dev.understudy.agent.election.Message;
import dev.understudy.agent.election.Outbox;
import dev.understudy.transport.membership.ControlChannel;
import dev.understudy.transport.membership.ElectionFrame;

import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * Runs one node's {@link ElectionNode} between real nodes: its messages go out and come in as
 * {@link ElectionFrame}s on the heartbeat stream ({@link ControlChannel}, the current role's
 * {@code ReplicationPrimary.control()} or {@code ReplicationClone.control()}), its durable state
 * is written to a {@link DurableStateFile} before anything that depends on it is sent, and its
 * decisions reach the rest of the agent as a few {@link Listener} calls. A thin adapter: every
 * rule is in {@link ElectionNode}.
 *
 * <h2>Use, on the node's duty-cycle thread</h2>
 * <ol>
 *   <li>Construct it at start with the journal's {@link EpochHistory} (rebuilt from the journal) and
 *       the state file next to the journal; it reads the state file (a corrupt one stops the start).</li>
 *   <li>{@link #attach} the control channel of whichever replication object the node runs now, and
 *       again whenever it replaces that object (clone → primary at switchover); {@link #detach} before
 *       closing it.</li>
 *   <li>Every duty cycle: the replication object's {@code doWork(now)} (which receives frames into this
 *       driver's inbox), then {@link #doWork(long) doWork(now)}, at least every heartbeat interval.</li>
 *   <li>For every record appended to the local journal, the new primary's own included:
 *       {@link #onAppended}; on a clone, how far its replay got: {@link #onApplied}.</li>
 *   <li>A fatal resource fault on the primary: {@link #handOff}.</li>
 * </ol>
 *
 * <p>Received frames are queued and handed to the node in {@link #doWork}, not from inside the
 * replication object's poll; and the {@link Listener} is called only after the node's method
 * returned, in the order the node decided. So a listener may call {@link #onAppended} (the new
 * primary's first record), detach and close the replication object it is running, and attach the
 * next one. Only the durable state is written synchronously, from inside the node's call, because
 * the node sends the vote or epoch it records right after.
 *
 * <p>If the state file cannot be written the call that needed it throws
 * {@link UncheckedIOException}; nothing that depended on it was sent, and the driver refuses every
 * further call ({@link IllegalStateException}): the node must stop serving and restart, as for any
 * fatal resource fault.
 *
 * <p>Not thread-safe: one thread calls every method. Allocates one message per message sent or
 * received (as {@link ElectionNode} does); nothing per duty cycle otherwise.
 */
public final class ElectionDriver implements AutoCloseable {
    /** Most received messages held between two {@link #doWork} calls; more are dropped and counted. */
    public static final int INBOX_CAPACITY = 1024;

    /**
     * What the election decided for this node. Called on the duty-cycle thread from {@link #doWork},
     * {@link #onAppended} or {@link #handOff}, after the election node's call returned.
     */
    public interface Listener {
        /**
         * This node won {@code epoch}: run the switchover (DESIGN.md's order: hold, drain, rebuild,
         * take the VIP, release) and publish under {@code epoch}, beginning with the epoch's first
         * record (the {@code PROMOTE} record), reported with {@link ElectionDriver#onAppended} as soon
         * as it is in the journal: nothing before it counts as committed until a record of this epoch is.
         */
        void onPromoted(long epoch);

        /**
         * This node was primary and must stop serving now: drop the VIP, retire its sockets silently,
         * commit nothing more. It saw {@code epoch} (higher than the one it served, or its own when it
         * lost its quorum or handed off). It does not serve or follow again in this process run: rebuild
         * the node from its journal and start a new driver from the same state file.
         */
        void onFenced(long epoch);

        /**
         * This node is a clone in {@code epoch} following {@code primaryId}, or, with {@code primaryId}
         * 0, following nobody (it stands for election, or waits to hear the epoch's winner). Either way:
         * append and acknowledge nothing until {@link #onSynced} for this primary and epoch.
         */
        void onFollow(int primaryId, long epoch);

        /**
         * Drop every journal record after {@code position} before anything is appended or acknowledged
         * again: the new primary does not have them, so they were never committed. A replayer that
         * applied past {@code position} must rebuild its application.
         */
        void onTruncate(long position);

        /**
         * The journal up to {@code position} is a prefix of {@code primaryId}'s log: replicate from
         * {@code position + 1} and acknowledge under {@code epoch} (invariant 5).
         */
        void onSynced(int primaryId, long epoch, long position);
    }

    private static final int PROMOTED = 1;
    private static final int FENCED = 2;
    private static final int FOLLOW = 3;
    private static final int TRUNCATE = 4;
    private static final int SYNCED = 5;

    private record Event(int kind, int primaryId, long epoch, long position) {
    }

    private final DurableStateFile stateFile;
    private final Listener listener;
    private final ElectionNode node;
    private final ArrayDeque<Message> inbox = new ArrayDeque<>();
    private final ArrayDeque<Event> events = new ArrayDeque<>();
    private final ControlChannel.Handler handler = this::onFrame;
    private ControlChannel channel;
    private boolean dispatching;
    private boolean failed;
    private long sent;
    private long sendFailures;
    private long received;
    private long inboxOverflows;

    /**
     * @param config    the cluster's election settings (the same on every node)
     * @param nodeId    this node
     * @param stateFile where the epoch and vote live; read now
     * @param history   the journal's epochs and last position, rebuilt from the journal; the driver's node
     *                  owns it from here on
     * @param listener  the agent's side
     * @param nowNs     now, {@code System.nanoTime()}
     * @throws IllegalStateException if the state file is corrupt
     */
    public ElectionDriver(ElectionConfig config, int nodeId, DurableStateFile stateFile, EpochHistory history,
                          Listener listener, long nowNs) {
        this(config, nodeId, stateFile, history, new SplittableRandom(), listener, nowNs);
    }

    /** As the other constructor, with the election-timeout jitter drawn from {@code random} (tests). */
    public ElectionDriver(ElectionConfig config, int nodeId, DurableStateFile stateFile, EpochHistory history,
                          RandomGenerator random, Listener listener, long nowNs) {
        this.stateFile = stateFile;
        this.listener = listener;
        DurableState restored = stateFile.read();
        Adapter adapter = new Adapter();
        this.node = new ElectionNode(config, nodeId, restored, history, random, adapter, adapter, nowNs);
    }

    /**
     * Sends and receives through {@code control} from now on (replacing any channel attached before).
     * Frames the channel received before go to this driver's inbox from its next poll on.
     */
    public void attach(ControlChannel control) {
        detach();
        channel = control;
        control.handler(handler);
    }

    /** Sends nothing and receives nothing until the next {@link #attach} (messages meanwhile are dropped and counted). */
    public void detach() {
        if (channel != null) {
            channel.handler(null);
            channel = null;
        }
    }

    /**
     * One duty cycle: hands the messages received since the last call to the election, ticks it, and
     * reports what it decided to the {@link Listener}.
     *
     * @return work done (messages handled; 0 when idle)
     */
    public int doWork(long nowNs) {
        checkUsable();
        int work = 0;
        Message m;
        while ((m = inbox.poll()) != null) {
            try {
                node.onMessage(m, nowNs);
            } catch (UncheckedIOException e) {
                failed = true;
                throw e;
            }
            dispatch(); // what this message decided, before the next one (a new primary's first record)
            work++;
        }
        try {
            node.onTick(nowNs);
        } catch (UncheckedIOException e) {
            failed = true;
            throw e;
        }
        dispatch();
        return work;
    }

    /** Records up to {@code position} of {@code epoch} are in the local journal (see {@link ElectionNode#onAppended}). */
    public void onAppended(long epoch, long position) {
        checkUsable();
        node.onAppended(epoch, position);
    }

    /** This node's replay has applied its journal up to {@code position} (see {@link ElectionNode#onApplied}). */
    public void onApplied(long position) {
        node.onApplied(position);
    }

    /**
     * The primary's resource supervisor reports a fault it cannot serve through: stop now and let a
     * clone take over without waiting for the failure timeout ({@link Listener#onFenced} follows).
     *
     * @return whether this node was primary
     */
    public boolean handOff(long nowNs) {
        return handOff(nowNs, 0);
    }

    /**
     * A planned switchover to {@code successorId} (see {@link ElectionNode#handOff(long, int)}).
     *
     * @return whether this node was primary
     */
    public boolean handOff(long nowNs, int successorId) {
        checkUsable();
        boolean was;
        try {
            was = node.handOff(nowNs, successorId);
        } catch (UncheckedIOException e) {
            failed = true;
            throw e;
        }
        dispatch();
        return was;
    }

    /**
     * The configured primary, which runs no election of its own, said in its replication heartbeats
     * that it hands over to {@code successorId} ({@code Membership.handOffTo}): the election hears it
     * as that primary's hand-off (a heartbeat of it, stopped, naming the successor) with the next
     * {@link #doWork}.
     */
    public void onPrimaryHandOff(int primaryId, long epoch, int successorId) {
        if (inbox.size() < INBOX_CAPACITY) {
            inbox.add(new dev.understudy.agent.election.Heartbeat(primaryId, epoch, ElectionRole.FENCED, successorId, 0, 0,
                0, false));
        }
    }

    public int nodeId() {
        return node.nodeId();
    }

    public ElectionRole role() {
        return node.role();
    }

    /** Highest epoch seen (durable). */
    public long epoch() {
        return node.epoch();
    }

    /** The primary of {@link #epoch()} this node follows (itself as primary), 0 if none. */
    public int primaryId() {
        return node.primaryId();
    }

    /** A clone whose journal is a prefix of its primary's log: it may append and acknowledge. */
    public boolean synced() {
        return node.synced();
    }

    public DurableState durableState() {
        return node.durableState();
    }

    /** Epoch of the last journal record the election knows of (0 when empty). */
    public long lastEpoch() {
        return node.lastEpoch();
    }

    /** Position of the last journal record the election knows of (0 when empty). */
    public long lastPosition() {
        return node.lastPosition();
    }

    /** Messages taken by the control channel. */
    public long sent() {
        return sent;
    }

    /** Messages not sent: no channel attached, or the channel's offer failed (the election tolerates loss). */
    public long sendFailures() {
        return sendFailures;
    }

    /** Messages received and handed to the election. */
    public long received() {
        return received;
    }

    /** Messages dropped because {@link #INBOX_CAPACITY} were already waiting. */
    public long inboxOverflows() {
        return inboxOverflows;
    }

    @Override
    public String toString() {
        return "ElectionDriver[" + node + ", sent " + sent + ", send failures " + sendFailures + ", received " + received + "]";
    }

    /** Detaches from the channel. The state file needs no closing. */
    @Override
    public void close() {
        detach();
    }

    // ---- inside ------------------------------------------------------------------------------

    private void onFrame(ElectionFrame frame) {
        if (inbox.size() >= INBOX_CAPACITY) {
            inboxOverflows++;
            return;
        }
        received++;
        inbox.add(ElectionCodec.decode(frame));
    }

    private void checkUsable() {
        if (failed) {
            throw new IllegalStateException("election driver of node " + node.nodeId()
                + " stopped: its durable state could not be written (path=" + stateFile.path() + ")");
        }
    }

    /** Calls the listener for every event the node produced, including those its calls back produce. */
    private void dispatch() {
        if (dispatching) {
            return; // the outer loop gets to them
        }
        dispatching = true;
        try {
            Event e;
            while ((e = events.poll()) != null) {
                switch (e.kind()) {
                    case PROMOTED -> listener.onPromoted(e.epoch());
                    case FENCED -> listener.onFenced(e.epoch());
                    case FOLLOW -> listener.onFollow(e.primaryId(), e.epoch());
                    case TRUNCATE -> listener.onTruncate(e.position());
                    case SYNCED -> listener.onSynced(e.primaryId(), e.epoch(), e.position());
                    default -> throw new IllegalStateException("unknown election event " + e.kind());
                }
            }
        } finally {
            dispatching = false;
        }
    }

    private void transmit(Message m) {
        ControlChannel c = channel;
        if (c == null) {
            sendFailures++;
            return;
        }
        ElectionCodec.encode(m, c.encoder(ElectionCodec.kind(m)));
        if (c.offer() > 0) {
            sent++;
        } else {
            sendFailures++;
        }
    }

    /** The node's outbox and listener: sends at once, persists at once, defers everything else. */
    private final class Adapter implements Outbox, ElectionListener {
        @Override
        public void broadcast(Message message) {
            transmit(message);
        }

        @Override
        public void send(int nodeId, Message message) {
            // every frame reaches every node; a Vote or Follow names its addressee, who alone takes it
            transmit(message);
        }

        @Override
        public void onDurableStateChanged(DurableState state) {
            stateFile.write(state); // durable before the node sends what depends on it
        }

        @Override
        public void onRoleChanged(ElectionRole previous, ElectionRole role, long epoch, int primaryId) {
            switch (role) {
                case PRIMARY -> events.add(new Event(PROMOTED, primaryId, epoch, 0));
                case FENCED -> events.add(new Event(FENCED, 0, epoch, 0));
                default -> events.add(new Event(FOLLOW, primaryId, epoch, 0)); // CLONE, or CANDIDATE with primary 0
            }
        }

        @Override
        public void onTruncate(long position) {
            events.add(new Event(TRUNCATE, 0, 0, position));
        }

        @Override
        public void onSynced(int primaryId, long epoch, long position) {
            events.add(new Event(SYNCED, primaryId, epoch, position));
        }
    }
}
