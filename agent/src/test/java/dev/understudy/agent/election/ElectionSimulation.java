package dev.understudy.agent.election;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.SplittableRandom;

/**
 * One deterministic run of a simulated cluster of {@link ElectionNode}s, everything drawn from one
 * seed: the cluster (3 nodes, or 5 in a quarter of the seeds; ack quorum 1 or 2), a simulated
 * clock (one event queue, each node's monotonic clock at its own random origin, wrap-around
 * included), a simulated network (delay, jitter, rare long delays that reorder, loss,
 * duplication, symmetric partitions and one-way cuts), process deaths and restarts (from the
 * persisted {@link DurableState} and the node's journal), pauses (a node's ticks and incoming
 * messages held, then resumed: the GC pause), hand-offs, and a supervisor that rebuilds a
 * {@link ElectionRole#FENCED} node after a while, as the agent would.
 *
 * <p>The journal is modelled as each node's list of record epochs by position. The primary
 * appends its epoch's first record when it wins (the {@code PROMOTE} record) and client records
 * on its ticks, and replicates them to every clone that is {@link ElectionNode#synced() synced}
 * to it; clones append and acknowledge (epoch, position). A record is <em>committed</em> when the
 * primary of epoch e has it and {@code ackQuorum} clones acknowledged, under e, a position at or
 * beyond a record of e that follows it (Raft §5.4.2: only a record of the primary's own epoch
 * commits, and with it everything before).
 *
 * <p>Checked whenever the state they are about changes, so on every step:
 * <ul>
 *   <li>never two primaries in one epoch (every node that ever became primary, per epoch; and after
 *       every call into a node, a primary still holds the epoch it won);</li>
 *   <li>no lost committed record: a node that becomes primary of epoch e holds every record
 *       committed in an epoch before e; a record committed in epoch c is already held by every
 *       live primary of a later epoch; a committed position never changes its record; a
 *       truncation ordered under epoch e never removes a record committed before e;</li>
 *   <li>log matching: what a synced clone already holds is what its primary sends for the same
 *       positions (so an acknowledgement means what it says);</li>
 *   <li>a primary superseded by a newer one stops serving within {@link #STALE_BOUND_NS} of its
 *       own running time (a partitioned primary stops: check-quorum);</li>
 *   <li>liveness, once the faults stop (every node up, the network whole and reliable): within
 *       {@link #LIVENESS_BOUND_NS} one primary, every other node a synced clone of it, and a
 *       record of its epoch committed.</li>
 * </ul>
 *
 * <p>Not thread-safe; one run per instance.
 */
final class ElectionSimulation {
    static final long MS = 1_000_000L;
    /** How long after the faults stop a stable primary must exist. */
    static final long LIVENESS_BOUND_NS = 5_000 * MS;
    private static final int TRACE_LINES = 250;
    /** The simulated primary sends again from a clone's last acknowledgement after this long. */
    private static final long RESEND_NS = 20 * MS;
    private static final long BASE_DELAY_MIN_NS = 100_000;
    private static final long BASE_DELAY_SPREAD_NS = 2 * MS;
    private static final long JITTER_MAX_NS = 5 * MS;
    private static final long SLOW_DELAY_MAX_NS = 300 * MS;
    /** Longest one-way delay: base + jitter + the rare slow path. */
    private static final long MAX_DELAY_NS = BASE_DELAY_MIN_NS + BASE_DELAY_SPREAD_NS + JITTER_MAX_NS + SLOW_DELAY_MAX_NS;
    /** Longest tick period (see start). */
    private static final long MAX_TICK_NS = 13 * MS;
    /**
     * How long, in its own running time (pauses excluded), a primary may go on serving after a
     * newer primary is elected. The winner's voters, a vote quorum, stopped following it before
     * they voted; the rest, itself included, are fewer than a lease quorum; so once their last
     * heartbeats as its followers have arrived (at most the longest delay later) it has a failure
     * timeout left, and notices on its next tick.
     */
    private static final long STALE_BOUND_NS = ElectionConfig.FAILURE_TIMEOUT_DEFAULT_NS + MAX_DELAY_NS + 2 * MAX_TICK_NS;

    private static final int TICK = 0;
    private static final int DELIVER = 1;
    private static final int FAULT = 2;
    private static final int RESTART = 3;
    private static final int RESUME = 4;
    private static final int HEAL_LINKS = 5;
    private static final int LOSS_END = 6;
    private static final int END_FAULTS = 7;
    private static final int CHECK = 8;
    private static final int SUPERVISOR = 9;
    private static final int CRASH = 10;

    /** The primary's replication stream in the simulation (not an election message). */
    record Records(int from, long epoch, long start, long[] entries) {
        @Override
        public String toString() {
            return "Records[from=" + from + ", epoch=" + epoch + ", " + start + ".." + (start + entries.length - 1) + "]";
        }
    }

    /**
     * A clone's acknowledgement: its journal up to {@code position} is durable, under {@code epoch};
     * {@code gap}: the records it answers began after that, send from {@code position + 1} again.
     */
    record Ack(int from, long epoch, long position, boolean gap) {
    }

    /** What a run found. */
    static final class Outcome {
        final long seed;
        int members;
        int ackQuorum;
        String failure;
        long failedAtNs;
        long endNs;
        long events;
        List<String> trace = List.of();
        String nodes = "";
        // what happened, to show the faults and the protocol's paths were exercised
        long elections;
        long overlappingPrimaries;
        long fenced;
        long handOffs;
        long kills;
        long restarts;
        long pauses;
        long partitions;
        long oneWayCuts;
        long truncations;
        long truncatedRecords;
        long committed;
        long maxEpoch;
        long livenessNs;

        Outcome(long seed) {
            this.seed = seed;
        }

        boolean ok() {
            return failure == null;
        }
    }

    private static final class Event implements Comparable<Event> {
        final long at;
        final long seq;
        final int kind;
        final int node;
        final int from;
        final int incarnation;
        final Object payload;

        Event(long at, long seq, int kind, int node, int from, int incarnation, Object payload) {
            this.at = at;
            this.seq = seq;
            this.kind = kind;
            this.node = node;
            this.from = from;
            this.incarnation = incarnation;
            this.payload = payload;
        }

        @Override
        public int compareTo(Event o) {
            return at != o.at ? Long.compare(at, o.at) : Long.compare(seq, o.seq);
        }
    }

    /** One node: the process (may be dead or paused) and its disk (durable state and journal). */
    private final class Sim implements Outbox, ElectionListener {
        final int id;
        final long clockOrigin;
        ElectionNode node;
        int incarnation;
        boolean alive;
        boolean paused;
        final ArrayList<Event> held = new ArrayList<>();
        long tickPeriod;
        // disk
        DurableState disk = DurableState.INITIAL;
        long[] log = new long[64];
        int length;
        // as primary
        final long[] next;
        final long[] match;
        final long[] sentUpTo;
        final long[] sentAt;
        long commitIndex;
        long verifiedThrough;
        boolean owesFirstRecord;
        long wonEpoch;
        // paused time, and when a newer primary was elected while this one served
        long pausedTotal;
        long pausedSince;
        boolean superseded;
        long supersededAt;
        long pausedAtSupersede;
        int supersededBy;

        Sim(int id, long clockOrigin) {
            this.id = id;
            this.clockOrigin = clockOrigin;
            next = new long[members + 1];
            match = new long[members + 1];
            sentUpTo = new long[members + 1];
            sentAt = new long[members + 1];
        }

        long clock() {
            return clockOrigin + now; // wraps for some origins, as nanoTime may
        }

        void append(long epoch) {
            if (length + 1 == log.length) {
                log = Arrays.copyOf(log, log.length * 2);
            }
            log[++length] = epoch;
            node.onAppended(epoch, length);
        }

        EpochHistory history() {
            EpochHistory h = new EpochHistory();
            for (int q = 1; q <= length; q++) {
                if (q == length || log[q + 1] != log[q]) {
                    h.append(log[q], q);
                }
            }
            return h;
        }

        @Override
        public void broadcast(Message message) {
            for (int to = 1; to <= members; to++) {
                if (to != id) {
                    transmit(id, to, message);
                }
            }
        }

        @Override
        public void send(int nodeId, Message message) {
            transmit(id, nodeId, message);
        }

        @Override
        public void onDurableStateChanged(DurableState state) {
            disk = state;
            if (crashAfterPersist && !healed && rnd.nextInt(4) == 0) {
                // dies right after the vote or epoch is on disk (and its message on the wire), and
                // is back within the same election: the case a forgotten vote would break
                schedule(now, CRASH, id, 0, incarnation, null);
            }
        }

        @Override
        public void onRoleChanged(ElectionRole previous, ElectionRole role, long epoch, int primaryId) {
            trace("n%d %s -> %s epoch %d primary %d, journal %s", id, previous, role, epoch, primaryId, summary(this));
            superseded = false;
            if (role == ElectionRole.PRIMARY) {
                becamePrimary(this, epoch);
            } else if (role == ElectionRole.FENCED) {
                outcome.fenced++;
                // the agent rebuilds a fenced node (its application ran input a new primary may not have)
                schedule(now + MS * (20 + rnd.nextInt(300)), SUPERVISOR, id, 0, incarnation, null);
            }
        }

        @Override
        public void onTruncate(long position) {
            truncated(this, position);
        }

        @Override
        public void onSynced(int primaryId, long epoch, long position) {
            trace("n%d synced to n%d epoch %d at %d", id, primaryId, epoch, position);
            checkPrefix(this, sims[primaryId], epoch, position);
        }
    }

    private final Outcome outcome;
    private final boolean tracing;
    private final ArrayDeque<String> trace = new ArrayDeque<>();
    private final SplittableRandom rnd;
    private final int members;
    private final ElectionConfig config;
    private final Sim[] sims;
    private final boolean[][] cut;
    private final PriorityQueue<Event> queue = new PriorityQueue<>();
    private long now;
    private long seq;

    // network
    private final double baseLoss;
    private double loss;
    private double duplication;
    private final long baseDelayNs;
    private final long jitterNs;
    private double slowChance;
    private boolean healed;
    private final boolean crashAfterPersist;
    private long healedAt;
    private final long faultsEndNs;

    // what the checker knows
    private final HashMap<Long, Integer> primaryOfEpoch = new HashMap<>();
    private long[] committedEpoch = new long[64];
    private long[] commitMinEpoch = new long[64];
    private int committedUpTo;
    private boolean done;

    private ElectionSimulation(long seed, boolean tracing) {
        this.outcome = new Outcome(seed);
        this.tracing = tracing;
        this.rnd = new SplittableRandom(seed);
        members = rnd.nextInt(4) == 0 ? 5 : 3;
        int ack = members == 5 ? 1 + rnd.nextInt(2) : (rnd.nextInt(5) == 0 ? 2 : 1);
        config = new ElectionConfig(members, ack, ElectionConfig.HEARTBEAT_INTERVAL_DEFAULT_NS,
            ElectionConfig.FAILURE_TIMEOUT_DEFAULT_NS);
        outcome.members = members;
        outcome.ackQuorum = ack;
        baseLoss = rnd.nextInt(3) == 0 ? 0 : rnd.nextDouble() * 0.3;
        loss = baseLoss;
        duplication = rnd.nextInt(2) == 0 ? 0 : rnd.nextDouble() * 0.1;
        baseDelayNs = BASE_DELAY_MIN_NS + rnd.nextLong(BASE_DELAY_SPREAD_NS);
        jitterNs = rnd.nextLong(JITTER_MAX_NS);
        slowChance = rnd.nextInt(2) == 0 ? 0 : 0.02;
        faultsEndNs = 200 * MS + rnd.nextLong(2_300 * MS);
        crashAfterPersist = rnd.nextInt(3) == 0;
        sims = new Sim[members + 1];
        cut = new boolean[members + 1][members + 1];
        for (int i = 1; i <= members; i++) {
            sims[i] = new Sim(i, rnd.nextLong());
        }
    }

    /** Runs {@code seed} to its end or to its first failure; {@code tracing} keeps the last events for the report. */
    static Outcome run(long seed, boolean tracing) {
        ElectionSimulation s = new ElectionSimulation(seed, tracing);
        try {
            s.loop();
        } catch (RuntimeException | AssertionError e) {
            s.fail("exception: " + e);
            if (tracing) {
                for (StackTraceElement f : e.getStackTrace()) {
                    s.trace.addLast("    at " + f);
                }
            }
        }
        s.outcome.endNs = s.now;
        s.outcome.trace = List.copyOf(s.trace);
        StringBuilder b = new StringBuilder();
        for (int i = 1; i <= s.members; i++) {
            Sim n = s.sims[i];
            b.append("  n").append(i).append(n.alive ? (n.paused ? " paused " : " ") : " dead ")
                .append(n.node == null ? "" : n.node.toString()).append(" disk ").append(n.disk)
                .append(" journal ").append(s.summary(n)).append('\n');
        }
        s.outcome.nodes = b.toString();
        return s.outcome;
    }

    private void loop() {
        for (int i = 1; i <= members; i++) {
            // nodes come up within the first half second, in any order
            schedule(rnd.nextLong(500 * MS), RESTART, i, 0, 0, null);
        }
        schedule(rnd.nextLong(300 * MS), FAULT, 0, 0, 0, null);
        schedule(faultsEndNs, END_FAULTS, 0, 0, 0, null);
        while (outcome.failure == null && !done) {
            Event e = queue.poll();
            now = e.at;
            outcome.events++;
            handle(e);
        }
    }

    private void handle(Event e) {
        switch (e.kind) {
            case TICK: {
                Sim s = sims[e.node];
                if (!s.alive || s.incarnation != e.incarnation) {
                    return; // that process is gone
                }
                if (!s.paused) {
                    tick(s);
                }
                schedule(now + s.tickPeriod + rnd.nextLong(MS), TICK, s.id, 0, s.incarnation, null);
                return;
            }
            case DELIVER:
                deliver(e);
                return;
            case FAULT:
                fault();
                return;
            case RESTART: {
                Sim s = sims[e.node];
                if (!s.alive) {
                    start(s);
                }
                return;
            }
            case SUPERVISOR: {
                Sim s = sims[e.node];
                if (s.alive && s.incarnation == e.incarnation && s.node.role() == ElectionRole.FENCED) {
                    trace("n%d rebuilt by its supervisor", s.id);
                    kill(s);
                    start(s);
                }
                return;
            }
            case CRASH: {
                Sim s = sims[e.node];
                if (s.alive && s.incarnation == e.incarnation) {
                    outcome.kills++;
                    trace("FAULT n%d crashes right after persisting %s", s.id, s.disk);
                    kill(s);
                    schedule(now + rnd.nextLong(3 * MS), RESTART, s.id, 0, 0, null);
                }
                return;
            }
            case RESUME: {
                Sim s = sims[e.node];
                if (s.alive && s.paused && s.incarnation == e.incarnation) {
                    resume(s);
                }
                return;
            }
            case HEAL_LINKS: {
                int[] links = (int[]) e.payload;
                for (int i = 0; i < links.length; i += 2) {
                    cut[links[i]][links[i + 1]] = false;
                }
                trace("links healed %s", Arrays.toString(links));
                return;
            }
            case LOSS_END:
                if (!healed) {
                    loss = baseLoss;
                }
                return;
            case END_FAULTS:
                endFaults();
                return;
            case CHECK:
                checkLiveness();
                return;
            default:
                throw new IllegalStateException("unknown event " + e.kind);
        }
    }

    // ---- nodes ---------------------------------------------------------------------------

    private void start(Sim s) {
        s.alive = true;
        s.paused = false;
        s.incarnation++;
        s.tickPeriod = (4 + rnd.nextInt(9)) * MS;
        s.node = null;
        s.node = new ElectionNode(config, s.id, s.disk, s.history(), rnd.split(), s, s, s.clock());
        if (s.incarnation > 1) {
            outcome.restarts++;
        }
        trace("n%d starts from %s, journal %s", s.id, s.disk, summary(s));
        schedule(now + rnd.nextLong(s.tickPeriod), TICK, s.id, 0, s.incarnation, null);
    }

    private void kill(Sim s) {
        s.superseded = false;
        s.alive = false;
        s.paused = false;
        s.held.clear();
        s.node = null;
        s.incarnation++;
    }

    private void resume(Sim s) {
        s.paused = false;
        s.pausedTotal += now - s.pausedSince;
        trace("n%d resumes with %d held messages", s.id, s.held.size());
        List<Event> held = new ArrayList<>(s.held);
        s.held.clear();
        boolean tickFirst = rnd.nextBoolean(); // a thread that wakes may run its duty cycle before reading
        if (tickFirst) {
            tick(s);
        }
        for (Event e : held) {
            if (!s.alive || s.paused || outcome.failure != null) {
                return;
            }
            dispatch(s, e.from, e.payload);
        }
        if (!tickFirst && s.alive) {
            tick(s);
        }
    }

    private void tick(Sim s) {
        s.node.onTick(s.clock());
        afterCall(s);
        ElectionNode n = s.node;
        if (n == null || n.role() != ElectionRole.PRIMARY) {
            return;
        }
        if (s.superseded) {
            long running = now - s.supersededAt - (s.pausedTotal - s.pausedAtSupersede);
            if (running > STALE_BOUND_NS) {
                fail(String.format(Locale.ROOT, "stale primary: n%d still serves epoch %d %d ms (running) after n%d won "
                    + "epoch %d", s.id, n.epoch(), running / MS, s.supersededBy, primaryEpoch(s.supersededBy)));
                return;
            }
        }
        if (rnd.nextInt(2) == 0) {
            int records = 1 + rnd.nextInt(3); // client input
            for (int i = 0; i < records; i++) {
                s.append(n.epoch());
            }
        }
        for (int to = 1; to <= members; to++) {
            if (to == s.id) {
                continue;
            }
            // pipelined: what was not sent yet at once, the rest again from the last acknowledgement
            // when nothing was sent for a resend interval
            long from = Math.max(s.next[to], s.sentUpTo[to] + 1);
            if (from > s.length) {
                if (s.next[to] > s.length || now - s.sentAt[to] < RESEND_NS) {
                    continue;
                }
                from = s.next[to];
            }
            from = Math.max(1, from);
            int count = (int) Math.min(16, s.length - from + 1);
            long[] entries = Arrays.copyOfRange(s.log, (int) from, (int) from + count);
            s.sentUpTo[to] = from + count - 1;
            s.sentAt[to] = now;
            transmit(s.id, to, new Records(s.id, n.epoch(), from, entries));
        }
    }

    /**
     * After any call into a node: a primary is still primary of the epoch it won (one that took a
     * later epoch without an election would be a second primary in it); the new primary writes its
     * epoch's first record.
     */
    private void afterCall(Sim s) {
        if (s.node != null && s.node.role() == ElectionRole.PRIMARY && s.node.epoch() != s.wonEpoch) {
            fail("two primaries in epoch " + s.node.epoch() + ": n" + primaryOfEpoch.get(s.node.epoch()) + " and n" + s.id
                + ", which won epoch " + s.wonEpoch + " and is still primary");
            return;
        }
        if (s.owesFirstRecord && s.node != null) {
            s.owesFirstRecord = false;
            if (s.node.role() == ElectionRole.PRIMARY) {
                s.append(s.node.epoch());
            }
        }
    }

    private void dispatch(Sim s, int from, Object payload) {
        if (payload instanceof Message) {
            s.node.onMessage((Message) payload, s.clock());
            afterCall(s);
        } else if (payload instanceof Records) {
            onRecords(s, (Records) payload);
        } else if (payload instanceof Ack) {
            onAck(s, (Ack) payload);
        }
    }

    private void onRecords(Sim s, Records r) {
        ElectionNode n = s.node;
        if (n.role() != ElectionRole.CLONE || n.epoch() != r.epoch() || n.primaryId() != r.from() || !n.synced()) {
            return; // invariant 5: a clone appends and acknowledges only what its primary of its epoch sends
        }
        long end = r.start() + r.entries().length - 1;
        for (long q = r.start(); q <= Math.min(end, s.length); q++) {
            if (s.log[(int) q] != r.entries()[(int) (q - r.start())]) {
                fail(String.format(Locale.ROOT, "log matching: synced clone n%d holds epoch %d at position %d, its primary n%d "
                    + "sends epoch %d", s.id, s.log[(int) q], q, r.from(), r.entries()[(int) (q - r.start())]));
                return;
            }
        }
        boolean gap = r.start() > s.length + 1;
        if (!gap) {
            for (long q = s.length + 1; q <= end; q++) {
                s.append(r.entries()[(int) (q - r.start())]);
            }
        }
        transmit(s.id, r.from(), new Ack(s.id, r.epoch(), s.length, gap));
    }

    private void onAck(Sim p, Ack a) {
        ElectionNode n = p.node;
        if (n.role() != ElectionRole.PRIMARY || n.epoch() != a.epoch() || a.position() > p.length) {
            return;
        }
        p.next[a.from()] = a.position() + 1;
        if (a.gap()) {
            p.sentUpTo[a.from()] = Math.min(p.sentUpTo[a.from()], a.position());
        }
        p.match[a.from()] = Math.max(p.match[a.from()], a.position());
        // the highest position that ackQuorum clones hold
        long best = 0;
        for (int i = 1; i <= members; i++) {
            long v = p.match[i];
            if (i == p.id || v <= best) {
                continue;
            }
            int holders = 0;
            for (int j = 1; j <= members; j++) {
                if (j != p.id && p.match[j] >= v) {
                    holders++;
                }
            }
            if (holders >= config.ackQuorum()) {
                best = v;
            }
        }
        if (best > p.commitIndex && p.log[(int) best] == n.epoch()) {
            commit(p, best, n.epoch());
        }
    }

    // ---- network -------------------------------------------------------------------------

    private void transmit(int from, int to, Object message) {
        if (cut[from][to] || rnd.nextDouble() < loss) {
            return;
        }
        schedule(now + delay(), DELIVER, to, from, 0, message);
        if (rnd.nextDouble() < duplication) {
            schedule(now + delay(), DELIVER, to, from, 0, message);
        }
    }

    private long delay() {
        long d = baseDelayNs + (jitterNs == 0 ? 0 : rnd.nextLong(jitterNs));
        if (slowChance > 0 && rnd.nextDouble() < slowChance) {
            d += rnd.nextLong(SLOW_DELAY_MAX_NS); // overtaken by later messages: reordering
        }
        return d;
    }

    private void deliver(Event e) {
        Sim s = sims[e.node];
        if (cut[e.from][e.node] || !s.alive) {
            return;
        }
        if (s.paused) {
            s.held.add(e);
            return;
        }
        if (tracing && !(e.payload instanceof Records) && !(e.payload instanceof Ack)) {
            trace("n%d <- n%d %s", e.node, e.from, e.payload);
        }
        dispatch(s, e.from, e.payload);
    }

    // ---- faults --------------------------------------------------------------------------

    private void fault() {
        if (healed) {
            return;
        }
        int kind = rnd.nextInt(14);
        Sim primary = currentPrimary();
        if (kind < 2) {
            Sim s = kind == 0 && primary != null ? primary : sims[1 + rnd.nextInt(members)];
            if (s.alive) {
                outcome.kills++;
                trace("FAULT kill n%d", s.id);
                kill(s);
                if (rnd.nextInt(5) != 0) {
                    schedule(now + rnd.nextLong(800 * MS), RESTART, s.id, 0, 0, null);
                }
            }
        } else if (kind < 5) {
            Sim s = kind == 2 && primary != null ? primary : sims[1 + rnd.nextInt(members)];
            if (s.alive && !s.paused) {
                outcome.pauses++;
                long d = 20 * MS + rnd.nextLong(500 * MS);
                trace("FAULT pause n%d for %d ms", s.id, d / MS);
                s.paused = true;
                s.pausedSince = now;
                schedule(now + d, RESUME, s.id, 0, s.incarnation, null);
            }
        } else if (kind < 8) {
            // symmetric partition: a random non-empty proper subset against the rest
            int side = 1 + rnd.nextInt((1 << members) - 2);
            int[] links = new int[2 * members * members];
            int k = 0;
            for (int a = 1; a <= members; a++) {
                for (int b = 1; b <= members; b++) {
                    boolean aIn = (side >> (a - 1) & 1) == 1;
                    boolean bIn = (side >> (b - 1) & 1) == 1;
                    if (aIn != bIn && !cut[a][b]) {
                        cut[a][b] = true;
                        links[k++] = a;
                        links[k++] = b;
                    }
                }
            }
            outcome.partitions++;
            trace("FAULT partition %s", Integer.toBinaryString(side));
            schedule(now + 50 * MS + rnd.nextLong(1_000 * MS), HEAL_LINKS, 0, 0, 0, Arrays.copyOf(links, k));
        } else if (kind < 11) {
            int a = 1 + rnd.nextInt(members);
            int b = 1 + rnd.nextInt(members - 1);
            b = b >= a ? b + 1 : b;
            if (primary != null && rnd.nextBoolean()) {
                a = primary.id; // the primary is heard by nobody on that link, or hears nobody
                b = b == a ? (a % members) + 1 : b;
                if (rnd.nextBoolean()) {
                    int t = a;
                    a = b;
                    b = t;
                }
            }
            if (!cut[a][b]) {
                cut[a][b] = true;
                outcome.oneWayCuts++;
                trace("FAULT one-way cut n%d -> n%d", a, b);
                schedule(now + 50 * MS + rnd.nextLong(1_000 * MS), HEAL_LINKS, 0, 0, 0, new int[] {a, b});
            }
        } else if (kind < 12) {
            if (primary != null && !primary.paused) {
                outcome.handOffs++;
                // half of them planned switchovers that name a successor (any other node, up or down)
                int successor = rnd.nextBoolean() ? 0 : 1 + (primary.id + rnd.nextInt(members - 1)) % members;
                trace("FAULT n%d hands off to n%d", primary.id, successor);
                primary.node.handOff(primary.clock(), successor);
                afterCall(primary);
            }
        } else {
            loss = 0.3 + rnd.nextDouble() * 0.4;
            trace("FAULT lossy network %.2f", loss);
            schedule(now + 50 * MS + rnd.nextLong(400 * MS), LOSS_END, 0, 0, 0, null);
        }
        schedule(now + 5 * MS + rnd.nextLong(250 * MS), FAULT, 0, 0, 0, null);
    }

    private long primaryEpoch(int id) {
        Sim s = sims[id];
        return s.node == null ? -1 : s.node.epoch();
    }

    private Sim currentPrimary() {
        Sim best = null;
        for (int i = 1; i <= members; i++) {
            Sim s = sims[i];
            if (s.alive && s.node.role() == ElectionRole.PRIMARY && (best == null || s.node.epoch() > best.node.epoch())) {
                best = s;
            }
        }
        return best;
    }

    private void endFaults() {
        healed = true;
        healedAt = now;
        loss = 0;
        duplication = 0;
        slowChance = 0;
        for (boolean[] row : cut) {
            Arrays.fill(row, false);
        }
        trace("FAULTS END: network whole, every node up");
        for (int i = 1; i <= members; i++) {
            Sim s = sims[i];
            if (!s.alive) {
                start(s);
            } else if (s.paused) {
                resume(s);
            }
        }
        schedule(now + 5 * MS, CHECK, 0, 0, 0, null);
    }

    private void checkLiveness() {
        Sim p = currentPrimary();
        if (p != null && p.commitIndex > 0 && p.log[(int) p.commitIndex] == p.node.epoch()) {
            boolean all = true;
            for (int i = 1; i <= members && all; i++) {
                Sim s = sims[i];
                ElectionNode n = s.node;
                all = s == p || (s.alive && !s.paused && n.role() == ElectionRole.CLONE && n.epoch() == p.node.epoch()
                    && n.primaryId() == p.id && n.synced());
            }
            if (all) {
                outcome.livenessNs = now - healedAt;
                done = true;
                return;
            }
        }
        if (now - healedAt > LIVENESS_BOUND_NS) {
            fail("liveness: no primary followed by every node with a committed record of its epoch "
                + LIVENESS_BOUND_NS / MS + " ms after the faults stopped");
            return;
        }
        schedule(now + 5 * MS, CHECK, 0, 0, 0, null);
    }

    // ---- the checker ---------------------------------------------------------------------

    private void becamePrimary(Sim s, long epoch) {
        outcome.elections++;
        outcome.maxEpoch = Math.max(outcome.maxEpoch, epoch);
        Integer other = primaryOfEpoch.putIfAbsent(epoch, s.id);
        if (other != null && other != s.id) {
            fail("two primaries in epoch " + epoch + ": n" + other + " and n" + s.id);
            return;
        }
        for (int q = 1; q <= committedUpTo; q++) {
            if (commitMinEpoch[q] < epoch && (s.length < q || s.log[q] != committedEpoch[q])) {
                fail(String.format(Locale.ROOT, "lost committed record: (epoch %d, position %d), committed in epoch %d, "
                    + "is not in the journal of n%d, primary of epoch %d (holds %s)", committedEpoch[q], q,
                    commitMinEpoch[q], s.id, epoch, s.length < q ? "nothing there" : "epoch " + s.log[q]));
                return;
            }
        }
        for (int i = 1; i <= members; i++) {
            Sim o = sims[i];
            if (i != s.id && o.alive && o.node != null && o.node.role() == ElectionRole.PRIMARY && o.node.epoch() < epoch) {
                outcome.overlappingPrimaries++; // a stale primary still thinks it serves: fencing's case
                if (!o.superseded) {
                    o.superseded = true;
                    o.supersededAt = now;
                    o.supersededBy = s.id;
                    o.pausedAtSupersede = o.pausedTotal + (o.paused ? now - o.pausedSince : 0);
                }
            }
        }
        Arrays.fill(s.match, 0);
        Arrays.fill(s.next, s.length + 1);
        Arrays.fill(s.sentUpTo, s.length);
        s.commitIndex = 0;
        s.verifiedThrough = 0;
        s.owesFirstRecord = true;
        s.wonEpoch = epoch;
    }

    private void commit(Sim p, long upTo, long epoch) {
        int c = (int) upTo;
        if (c >= committedEpoch.length) {
            int size = Math.max(c + 1, committedEpoch.length * 2);
            committedEpoch = Arrays.copyOf(committedEpoch, size);
            commitMinEpoch = Arrays.copyOf(commitMinEpoch, size);
        }
        int before = committedUpTo;
        for (int q = (int) p.verifiedThrough + 1; q <= c; q++) {
            if (q <= committedUpTo) {
                if (committedEpoch[q] != p.log[q]) {
                    fail(String.format(Locale.ROOT, "committed record changed: position %d committed with epoch %d, "
                        + "n%d commits epoch %d there in epoch %d", q, committedEpoch[q], p.id, p.log[q], epoch));
                    return;
                }
                commitMinEpoch[q] = Math.min(commitMinEpoch[q], epoch);
            } else {
                committedEpoch[q] = p.log[q];
                commitMinEpoch[q] = epoch;
                outcome.committed++;
            }
        }
        committedUpTo = Math.max(committedUpTo, c);
        trace("n%d commits up to %d in epoch %d", p.id, c, epoch);
        p.verifiedThrough = c;
        p.commitIndex = c;
        for (int i = 1; i <= members; i++) {
            Sim o = sims[i];
            if (o == p || !o.alive || o.node == null || o.node.role() != ElectionRole.PRIMARY || o.node.epoch() <= epoch) {
                continue;
            }
            for (int q = before + 1; q <= c; q++) {
                if (o.length < q || o.log[q] != committedEpoch[q]) {
                    fail(String.format(Locale.ROOT, "lost committed record: (epoch %d, position %d), committed in epoch %d "
                        + "by n%d, is not in the journal of n%d, primary of the later epoch %d", committedEpoch[q], q, epoch,
                        p.id, o.id, o.node.epoch()));
                    return;
                }
            }
        }
    }

    /**
     * A clone says its journal up to {@code position} is a prefix of its primary's log: check it
     * against that log while the primary still serves the epoch (after, its journal may have moved on).
     */
    private void checkPrefix(Sim clone, Sim primary, long epoch, long position) {
        if (!primary.alive || primary.node == null || primary.node.role() != ElectionRole.PRIMARY
            || primary.node.epoch() != epoch) {
            return;
        }
        for (int q = 1; q <= position; q++) {
            if (q > primary.length || clone.log[q] != primary.log[q]) {
                fail(String.format(Locale.ROOT, "log matching: n%d is synced to n%d at %d but holds epoch %d at %d where "
                    + "its primary holds %s", clone.id, primary.id, position, clone.log[q], q,
                    q > primary.length ? "nothing" : "epoch " + primary.log[q]));
                return;
            }
        }
    }

    private void truncated(Sim s, long position) {
        long epoch = s.node.epoch();
        outcome.truncations++;
        outcome.truncatedRecords += s.length - position;
        trace("n%d truncates %s to %d under epoch %d", s.id, summary(s), position, epoch);
        for (int q = (int) position + 1; q <= s.length; q++) {
            if (q <= committedUpTo && s.log[q] == committedEpoch[q] && commitMinEpoch[q] < epoch) {
                fail(String.format(Locale.ROOT, "lost committed record: n%d truncates (epoch %d, position %d), committed in "
                    + "epoch %d, following epoch %d", s.id, s.log[q], q, commitMinEpoch[q], epoch));
                return;
            }
        }
        s.length = (int) position;
    }

    // ---- plumbing ------------------------------------------------------------------------

    private void schedule(long at, int kind, int node, int from, int incarnation, Object payload) {
        queue.add(new Event(at, seq++, kind, node, from, incarnation, payload));
    }

    private void fail(String why) {
        if (outcome.failure == null) {
            outcome.failure = why;
            outcome.failedAtNs = now;
            trace("FAILED: %s", why);
        }
    }

    private void trace(String format, Object... args) {
        if (!tracing) {
            return;
        }
        if (trace.size() == TRACE_LINES) {
            trace.removeFirst();
        }
        trace.addLast(String.format(Locale.ROOT, "%10.3f ms  ", now / 1e6) + String.format(Locale.ROOT, format, args));
    }

    /** A journal as runs of epochs: {@code 1x3 2x5} is epoch 1 at 1..3, epoch 2 at 4..8. */
    private String summary(Sim s) {
        if (!tracing) {
            return "";
        }
        StringBuilder b = new StringBuilder("[");
        int q = 1;
        while (q <= s.length) {
            int r = q;
            while (r < s.length && s.log[r + 1] == s.log[q]) {
                r++;
            }
            b.append(q == 1 ? "" : " ").append(s.log[q]).append('x').append(r - q + 1);
            q = r + 1;
        }
        return b.append(']').toString();
    }
}
