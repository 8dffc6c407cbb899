package dev.understudy.agent.election;

import java.util.Arrays;
import java.util.random.RandomGenerator;

/**
 * One node's election and fencing state machine (DESIGN.md, "Failure, election, switchover";
 * invariants 5 and 6), with no I/O in it: it is driven only by method calls that carry the
 * time, and it answers only through its {@link Outbox} (messages to other nodes) and its
 * {@link ElectionListener} (persist, role changes, truncate, replicate). The agent calls it from
 * its heartbeat duty cycle; a simulation drives a cluster of them from one seed.
 *
 * <h2>Life of a node</h2>
 * A node starts as a {@link ElectionRole#CLONE} that knows no primary, with the epoch and vote it
 * persisted ({@link DurableState}) and its journal's {@link EpochHistory}. It follows the first
 * primary of its epoch or a later one that it hears from. When it has heard nothing from its
 * primary for the failure timeout, or the primary says it stopped being primary, it suspects it:
 * the most up-to-date clone it has heard from recently stands at once, the others after a delay that
 * grows with their rank. Up to date is the journal first (Raft's rule, which votes follow too); among
 * equal journals, a clone whose replay lags more than {@link #REPLAY_LAG_TOLERANCE} records behind
 * another's ranks after it (its switchover would re-inject that much), then the lowest id. Standing is a {@link ElectionRole#CANDIDATE}
 * asking for pre-votes for epoch+1; with {@link ElectionConfig#voteQuorum()} of them it takes
 * epoch+1, votes for itself, persists that and asks for votes; with a quorum of votes it is
 * {@link ElectionRole#PRIMARY} and announces it ({@link Promote}). A round that does not finish
 * in a randomized timeout starts over with a new pre-vote.
 *
 * <p>A primary stops ({@link ElectionRole#FENCED}) when it sees a higher epoch in a heartbeat, an
 * announcement, a vote request or a vote; when it has not heard from {@link ElectionConfig#leaseQuorum()}
 * nodes (itself included) of its epoch for the failure timeout; when another primary of its own
 * epoch shows up (impossible unless a node lost its durable state: both stop); or when it is
 * asked to hand off ({@link #handOff}). Its next heartbeat says so, and its clones suspect it at once.
 * A planned switchover names the successor in those heartbeats ({@link #handOff(long, int)}): that
 * clone stands at once, the others only a failure timeout later (in case it cannot win). Who stands
 * first is all it changes: votes follow the same rules.
 *
 * <h2>Votes</h2>
 * A node grants at most one vote per epoch (persisted before the vote is sent), only to a
 * candidate whose (last epoch, last position) is at least its own (Raft paper §5.4.1), and
 * refuses vote requests while it hears from its primary (Ongaro's dissertation §4.2.3): together
 * with the pre-vote (§9.6), a node cut off alone raises nobody's epoch. A candidate still asking
 * for pre-votes refuses its pre-vote to one it ranks before, for a failure timeout from the start
 * of its candidacy, so that two that stood at once do not both go on to split the votes.
 *
 * <h2>Following</h2>
 * A clone's journal may end in records the new primary does not have (they were never
 * committed). Before it appends anything from the primary it finds the longest prefix it shares
 * with the primary's log: from the {@link Promote} when its last record is of the epoch the new
 * primary's log ended in, otherwise by asking with its heartbeat ({@code synced == false}) and
 * applying the primary's {@link Follow} answer, as often as needed. What it must drop it is told
 * to drop ({@link ElectionListener#onTruncate}); when it is in step it is told where to replicate
 * from ({@link ElectionListener#onSynced}). The caller reports every record it appends with
 * {@link #onAppended}, the new primary's own records included.
 *
 * <h2>Time</h2>
 * All times are {@code System.nanoTime()}-style readings from one monotonic clock per node,
 * compared only by difference (so any origin and wrap-around work); nodes never compare each
 * other's times. The only randomness is the generator passed in (election timeout jitter).
 *
 * <p>Not thread-safe: one thread calls every method. Allocates a message per message sent.
 */
public final class ElectionNode {
    /**
     * Records of replay lag ({@link #onApplied}) two clones with the same journal may differ by and
     * still rank by id: clones replaying live differ by a few records from one heartbeat to the next,
     * and ranking by them would make both wait. A restarted clone replaying its catch-up is thousands
     * behind.
     */
    public static final long REPLAY_LAG_TOLERANCE = 1024;

    private final ElectionConfig config;
    private final int id;
    private final EpochHistory log;
    private final RandomGenerator random;
    private final Outbox out;
    private final ElectionListener listener;

    // durable (DurableState): every change is handed to persist() before anything is sent
    private long epoch;
    private int votedFor;

    private ElectionRole role = ElectionRole.CLONE;
    /** The primary of {@link #epoch} this node follows, itself as primary, 0 if none known. */
    private int primaryId;
    /** Journal known to be a prefix of the primary's log (clone only). */
    private boolean synced;
    /** Last time the followed primary was heard from (or this node adopted an epoch, or granted a vote). */
    private long primaryHeardNs;
    /** The followed primary said it is no longer primary: suspect it now. */
    private boolean primaryLost;
    /** The successor a primary that handed off named (a planned switchover), 0 if none. */
    private int successor;
    /** This node handed off to this successor: its heartbeats as FENCED name it. */
    private int handedTo;
    /** A clone that suspects its primary and waits for {@link #dueNs} to stand. */
    private boolean suspecting;
    /** Clone suspecting: when to stand. Candidate: when the current round is given up. */
    private long dueNs;
    /** Candidate phase: asking for pre-votes (true) or votes (false). */
    private boolean preVote;
    private final boolean[] granted;
    private int grantedCount;
    private long heartbeatSentNs;
    private boolean heartbeatSent;
    /** How far this node's application took its journal ({@link #onApplied}). */
    private long applied;
    /** When this node's current candidacy began (its first pre-vote since it was last a clone). */
    private long candidateSinceNs;

    // what this node last heard from each peer (for ranking candidates and for check-quorum)
    private final boolean[] heard;
    private final long[] heardNs;
    private final ElectionRole[] peerRole;
    private final long[] peerLastEpoch;
    private final long[] peerLastPosition;
    private final long[] peerApplied;
    /** Primary only: last time each peer's heartbeat said it follows this primary in its epoch. */
    private final long[] followerNs;
    private final boolean[] follower;

    /**
     * @param config   the cluster's settings (the same on every node)
     * @param nodeId   this node, 1..{@link ElectionConfig#members()}
     * @param restored what this node persisted ({@link DurableState#INITIAL} the first time)
     * @param history  this node's journal; the node keeps it up to date from here on
     * @param random   jitter for election timeouts; seeded by a simulation
     * @param nowNs    now, on this node's monotonic clock
     */
    public ElectionNode(ElectionConfig config, int nodeId, DurableState restored, EpochHistory history,
                        RandomGenerator random, Outbox out, ElectionListener listener, long nowNs) {
        if (nodeId < 1 || nodeId > config.members()) {
            throw new IllegalArgumentException("invalid election node id: value=" + nodeId + ", expected 1.." + config.members());
        }
        if (restored.votedFor() > config.members()) {
            throw new IllegalArgumentException("invalid durable vote: value=" + restored.votedFor() + ", expected 0.."
                + config.members());
        }
        this.config = config;
        this.id = nodeId;
        this.log = history;
        this.random = random;
        this.out = out;
        this.listener = listener;
        this.epoch = restored.epoch();
        this.votedFor = restored.votedFor();
        int n = config.members() + 1;
        granted = new boolean[n];
        heard = new boolean[n];
        heardNs = new long[n];
        peerRole = new ElectionRole[n];
        peerLastEpoch = new long[n];
        peerLastPosition = new long[n];
        peerApplied = new long[n];
        followerNs = new long[n];
        follower = new boolean[n];
        // a node that just started gives the cluster a failure timeout to be heard before it stands
        primaryHeardNs = nowNs;
    }

    /**
     * Time passes: sends a heartbeat when one is due, suspects a silent primary, stands, gives up
     * a round, or (as primary) steps down without a quorum. Call at least every heartbeat interval.
     */
    public void onTick(long nowNs) {
        switch (role) {
            case PRIMARY:
                if (followersHeard(nowNs) + 1 < config.leaseQuorum()) {
                    stop(nowNs); // check-quorum: another primary may be elected without us
                    return;
                }
                break;
            case CLONE:
                if (!suspecting && (primaryLost || nowNs - primaryHeardNs > config.failureTimeoutNs())) {
                    suspecting = true;
                    dueNs = nowNs + candidacyDelay(nowNs);
                }
                if (suspecting && nowNs - dueNs >= 0) {
                    startPreVote(nowNs);
                    return;
                }
                break;
            case CANDIDATE:
                if (nowNs - dueNs >= 0) {
                    startPreVote(nowNs);
                    return;
                }
                break;
            default:
                break;
        }
        if (!heartbeatSent || nowNs - heartbeatSentNs >= config.heartbeatIntervalNs()) {
            sendHeartbeat(nowNs);
        }
    }

    /** A message from another node. Messages from unknown ids, from itself or to another node are ignored. */
    public void onMessage(Message m, long nowNs) {
        int from = m.from();
        if (from < 1 || from > config.members() || from == id) {
            return;
        }
        if (m instanceof Heartbeat) {
            onHeartbeat((Heartbeat) m, nowNs);
        } else if (m instanceof VoteRequest) {
            onVoteRequest((VoteRequest) m, nowNs);
        } else if (m instanceof Vote) {
            onVote((Vote) m, nowNs);
        } else if (m instanceof Promote) {
            onPromote((Promote) m, nowNs);
        } else if (m instanceof Follow) {
            onFollow((Follow) m, nowNs);
        }
    }

    /**
     * Records up to {@code position} are in the local journal, the new ones of {@code epoch}:
     * the new primary's own records, or records replicated after {@link ElectionListener#onSynced}.
     *
     * @throws IllegalArgumentException if the journal would go back in epoch or position
     */
    public void onAppended(long recordEpoch, long position) {
        if (recordEpoch > epoch) {
            throw new IllegalArgumentException("invalid journal append: value=epoch " + recordEpoch
                + ", expected at most the node's epoch " + epoch);
        }
        log.append(recordEpoch, position);
    }

    /**
     * This node's application has taken its journal up to {@code position} (a clone's replay; a
     * primary need not call it). Its heartbeats say so, and a clone lagging far behind another with
     * the same journal stands after it ({@link #REPLAY_LAG_TOLERANCE}). Votes do not depend on it.
     */
    public void onApplied(long position) {
        applied = Math.max(0, position);
    }

    /**
     * The local resource supervisor reports a fault the primary cannot serve through (listener
     * gone, capture stalled, journal disk full, heap nearly exhausted): the primary stops at once
     * and says so in a heartbeat, and its clones elect a successor without waiting for the
     * failure timeout.
     *
     * @return whether this node was primary
     */
    public boolean handOff(long nowNs) {
        return handOff(nowNs, 0);
    }

    /**
     * A planned switchover: the primary stops, and its heartbeats name {@code successorId} (a clone
     * that caught up while the primary held client input) so that it stands at once and the other
     * clones wait a failure timeout before they do.
     *
     * @param successorId the clone to take over, 0 for none in particular (as {@link #handOff(long)})
     * @return whether this node was primary
     * @throws IllegalArgumentException if {@code successorId} is this node or not a member
     */
    public boolean handOff(long nowNs, int successorId) {
        if (successorId < 0 || successorId > config.members() || successorId == id) {
            throw new IllegalArgumentException("invalid successor: value=" + successorId + ", expected 0 or another member of 1.."
                + config.members());
        }
        if (role != ElectionRole.PRIMARY) {
            return false;
        }
        handedTo = successorId;
        stop(nowNs);
        return true;
    }

    public int nodeId() {
        return id;
    }

    public ElectionRole role() {
        return role;
    }

    /** Highest epoch seen (persisted). */
    public long epoch() {
        return epoch;
    }

    /** The primary of {@link #epoch()} this node follows (its own id as primary), 0 if none known. */
    public int primaryId() {
        return primaryId;
    }

    /** A clone whose journal is a prefix of its primary's log: it may append and acknowledge. */
    public boolean synced() {
        return synced;
    }

    /** What must survive a restart; also handed over by {@link ElectionListener#onDurableStateChanged}. */
    public DurableState durableState() {
        return new DurableState(epoch, votedFor);
    }

    public long lastEpoch() {
        return log.lastEpoch();
    }

    public long lastPosition() {
        return log.lastPosition();
    }

    @Override
    public String toString() {
        return "ElectionNode[" + id + " " + role + " epoch " + epoch + " vote " + votedFor + " primary " + primaryId
            + (synced ? " synced" : "") + " " + log + "]";
    }

    // ---- messages -----------------------------------------------------------------------

    private void onHeartbeat(Heartbeat h, long nowNs) {
        int from = h.from();
        heard[from] = true;
        heardNs[from] = nowNs;
        peerRole[from] = h.role();
        peerLastEpoch[from] = h.lastEpoch();
        peerLastPosition[from] = h.lastPosition();
        peerApplied[from] = h.applied();
        if (h.epoch() > epoch) {
            if (h.role() == ElectionRole.PRIMARY) {
                follow(from, h.epoch(), nowNs);
            } else {
                adopt(h.epoch(), nowNs);
            }
            return;
        }
        if (h.epoch() < epoch) {
            return; // it learns our epoch from our heartbeats
        }
        if (h.role() == ElectionRole.PRIMARY) {
            if (role == ElectionRole.PRIMARY) {
                stop(nowNs); // two primaries in one epoch: a node lost its vote; neither may serve
            } else {
                follow(from, epoch, nowNs);
            }
            return;
        }
        if (from == primaryId && role == ElectionRole.CLONE) {
            primaryLost = true; // our primary handed off, stepped down or restarted: elect now
        }
        if (h.role() == ElectionRole.FENCED && h.primaryId() != 0) {
            // a primary that handed off names its successor (a node that never heard it as primary,
            // such as a clone of the configured primary, takes its word for it too)
            if (role == ElectionRole.CLONE && (from == primaryId || primaryId == 0)) {
                if (!primaryLost || successor != h.primaryId()) {
                    suspecting = false; // rank again, with the successor known
                }
                primaryLost = true;
                successor = h.primaryId();
            }
            return;
        }
        if (role == ElectionRole.PRIMARY && h.primaryId() == id) {
            follower[from] = true;
            followerNs[from] = nowNs;
            if (!h.synced()) {
                long match = log.floorEpoch(h.lastEpoch());
                out.send(from, new Follow(id, epoch, from, h.lastEpoch(), match, log.endOf(match)));
            }
        }
    }

    private void onVoteRequest(VoteRequest r, long nowNs) {
        int from = r.from();
        if (r.preVote()) {
            // would we vote? Changes nothing here: a node cut off alone raises nobody's epoch
            boolean yes = r.epoch() > epoch && role != ElectionRole.PRIMARY && !hearsPrimary(nowNs) && upToDate(r)
                && !standsBefore(r, nowNs);
            out.send(from, new Vote(id, yes ? r.epoch() : epoch, yes, from, true));
            return;
        }
        if (r.epoch() < epoch || hearsPrimary(nowNs)) {
            // dissertation §4.2.3: while our primary is alive, a candidate is not a reason to leave it
            out.send(from, new Vote(id, epoch, false, from, false));
            return;
        }
        if (r.epoch() > epoch) {
            adopt(r.epoch(), nowNs);
        }
        boolean yes = (votedFor == DurableState.NO_VOTE || votedFor == from) && upToDate(r);
        if (yes) {
            if (votedFor != from) {
                votedFor = from;
                persist();
            }
            primaryHeardNs = nowNs; // give the candidate time to win before standing ourselves
            suspecting = false;
        }
        out.send(from, new Vote(id, epoch, yes, from, false));
    }

    private void onVote(Vote v, long nowNs) {
        if (v.to() != id) {
            return;
        }
        if (!v.granted() && v.epoch() > epoch) {
            adopt(v.epoch(), nowNs); // we are behind
            return;
        }
        if (role != ElectionRole.CANDIDATE || !v.granted() || v.preVote() != preVote) {
            return;
        }
        if (v.epoch() != (preVote ? epoch + 1 : epoch)) {
            return;
        }
        grant(v.from()); // a repeated vote counts once
        if (grantedCount >= config.voteQuorum()) {
            if (preVote) {
                startElection(nowNs);
            } else {
                becomePrimary(nowNs);
            }
        }
    }

    private void onPromote(Promote p, long nowNs) {
        if (p.epoch() < epoch) {
            return;
        }
        if (p.epoch() == epoch && role == ElectionRole.PRIMARY) {
            stop(nowNs); // two primaries in one epoch: see onHeartbeat
            return;
        }
        follow(p.from(), p.epoch(), nowNs);
        if (role == ElectionRole.CLONE && primaryId == p.from() && !synced) {
            long last = log.lastEpoch();
            if (last == epoch) {
                inStep(nowNs); // our records of this epoch all came from this primary
            } else if (last >= p.lastEpoch()) {
                // the primary's log holds no epoch between p.lastEpoch() and its own
                cutTo(p.lastEpoch(), p.lastPosition(), nowNs);
            }
        }
    }

    private void onFollow(Follow f, long nowNs) {
        if (f.to() != id || f.epoch() < epoch) {
            return;
        }
        if (f.epoch() == epoch && role == ElectionRole.PRIMARY) {
            stop(nowNs); // two primaries in one epoch: see onHeartbeat
            return;
        }
        follow(f.from(), f.epoch(), nowNs);
        if (role != ElectionRole.CLONE || primaryId != f.from() || synced) {
            return;
        }
        long last = log.lastEpoch();
        if (last == epoch && f.matchEpoch() == epoch) {
            inStep(nowNs);
        } else if (last >= f.matchEpoch() && last <= f.forEpoch() && last < epoch) {
            // the primary's log holds no epoch after f.matchEpoch() up to f.forEpoch(), so none up to ours
            cutTo(f.matchEpoch(), f.matchEnd(), nowNs);
        }
        // else an answer to a journal we no longer have: the next heartbeat asks again
    }

    // ---- transitions --------------------------------------------------------------------

    /** {@code primary} is the primary of epoch {@code e} (at least ours): follow it, or stop if we served. */
    private void follow(int primary, long e, long nowNs) {
        if (e > epoch) {
            epoch = e;
            votedFor = DurableState.NO_VOTE;
            persist();
        }
        if (role == ElectionRole.PRIMARY) {
            stop(nowNs);
            return;
        }
        if (role == ElectionRole.FENCED) {
            return;
        }
        primaryHeardNs = nowNs;
        primaryLost = false;
        suspecting = false;
        successor = 0;
        if (role != ElectionRole.CLONE || primaryId != primary) {
            ElectionRole previous = role;
            role = ElectionRole.CLONE;
            primaryId = primary;
            synced = false;
            listener.onRoleChanged(previous, role, epoch, primaryId);
            sendHeartbeat(nowNs); // ask where our journal meets its log without waiting for the interval
        }
    }

    /** A higher epoch whose primary we do not know (yet). */
    private void adopt(long e, long nowNs) {
        epoch = e;
        votedFor = DurableState.NO_VOTE;
        persist();
        if (role == ElectionRole.PRIMARY) {
            stop(nowNs);
            return;
        }
        if (role == ElectionRole.FENCED) {
            return;
        }
        ElectionRole previous = role;
        int previousPrimary = primaryId;
        role = ElectionRole.CLONE;
        primaryId = 0;
        synced = false;
        suspecting = false;
        primaryLost = false;
        successor = 0;
        primaryHeardNs = nowNs; // give the epoch's winner a failure timeout to show up
        if (previous != role || previousPrimary != 0) {
            listener.onRoleChanged(previous, role, epoch, primaryId);
        }
    }

    private void startPreVote(long nowNs) {
        ElectionRole previous = role;
        if (previous != ElectionRole.CANDIDATE) {
            candidateSinceNs = nowNs;
        }
        role = ElectionRole.CANDIDATE;
        primaryId = 0;
        synced = false;
        suspecting = false;
        primaryLost = false;
        preVote = true;
        clearGrants();
        if (previous != role) {
            listener.onRoleChanged(previous, role, epoch, primaryId);
        }
        grant(id);
        if (grantedCount >= config.voteQuorum()) {
            startElection(nowNs);
            return;
        }
        // pre-votes change nothing anywhere: retry often (a voter may hear the old primary a little longer than us;
        // a named successor, whose voters may not have heard the hand-off yet, five times as often)
        long retry = successor == id ? Math.max(1, config.heartbeatIntervalNs() / 5) : config.heartbeatIntervalNs();
        dueNs = nowNs + retry + random.nextLong(retry);
        out.broadcast(new VoteRequest(id, epoch + 1, log.lastEpoch(), log.lastPosition(), true));
        sendHeartbeat(nowNs);
    }

    private void startElection(long nowNs) {
        epoch++;
        votedFor = id;
        persist();
        preVote = false;
        clearGrants();
        grant(id);
        if (grantedCount >= config.voteQuorum()) {
            becomePrimary(nowNs);
            return;
        }
        // randomized (Raft paper §5.2): two candidates that split the votes rarely time out together again
        dueNs = nowNs + config.failureTimeoutNs() + random.nextLong(config.failureTimeoutNs());
        out.broadcast(new VoteRequest(id, epoch, log.lastEpoch(), log.lastPosition(), false));
        sendHeartbeat(nowNs);
    }

    private void becomePrimary(long nowNs) {
        ElectionRole previous = role;
        role = ElectionRole.PRIMARY;
        primaryId = id;
        synced = false;
        Arrays.fill(follower, false);
        for (int i = 1; i <= config.members(); i++) {
            if (granted[i] && i != id) {
                follower[i] = true; // voted for us just now
                followerNs[i] = nowNs;
            }
        }
        listener.onRoleChanged(previous, role, epoch, id);
        out.broadcast(new Promote(id, epoch, log.lastEpoch(), log.lastPosition()));
        sendHeartbeat(nowNs);
    }

    /** The primary stops serving: fenced until the node is rebuilt. */
    private void stop(long nowNs) {
        ElectionRole previous = role;
        role = ElectionRole.FENCED;
        primaryId = 0;
        synced = false;
        listener.onRoleChanged(previous, role, epoch, 0);
        sendHeartbeat(nowNs); // our clones suspect us at once
    }

    /**
     * Applies "the primary's log has no epoch after {@code matchEpoch} up to our last one, and its
     * {@code matchEpoch} records end at {@code matchEnd}": drop our records of later epochs; if we
     * then end in {@code matchEpoch}, cut to {@code matchEnd} and we are in step.
     */
    private void cutTo(long matchEpoch, long matchEnd, long nowNs) {
        long cut = log.startAfter(matchEpoch) - 1;
        boolean inStep = log.contains(matchEpoch);
        if (inStep) {
            // same epoch, same primary, same start: the shorter run is a prefix of the longer
            cut = Math.min(cut, matchEnd);
        }
        if (cut < log.lastPosition()) {
            log.truncate(cut);
            listener.onTruncate(cut);
        }
        if (inStep) {
            inStep(nowNs);
        } else {
            sendHeartbeat(nowNs); // ask again with our new last epoch
        }
    }

    private void inStep(long nowNs) {
        synced = true;
        listener.onSynced(primaryId, epoch, log.lastPosition());
        sendHeartbeat(nowNs);
    }

    // ---- helpers ------------------------------------------------------------------------

    private void persist() {
        listener.onDurableStateChanged(new DurableState(epoch, votedFor));
    }

    private void sendHeartbeat(long nowNs) {
        int names = role == ElectionRole.FENCED ? handedTo : primaryId;
        out.broadcast(new Heartbeat(id, epoch, role, names, log.lastEpoch(), log.lastPosition(), applied(), synced));
        heartbeatSent = true;
        heartbeatSentNs = nowNs;
    }

    /** How far this node's application took its journal: all of it as primary, else at most all of it. */
    private long applied() {
        return role == ElectionRole.PRIMARY ? log.lastPosition() : Math.min(applied, log.lastPosition());
    }

    /** A clone that heard its primary within the failure timeout (and was not told it stopped). */
    private boolean hearsPrimary(long nowNs) {
        return role == ElectionRole.CLONE && primaryId != 0 && !primaryLost
            && nowNs - primaryHeardNs <= config.failureTimeoutNs();
    }

    /** Raft paper §5.4.1: the candidate's last record is of a later epoch, or of the same and at least as far. */
    private boolean upToDate(VoteRequest r) {
        return r.lastEpoch() > log.lastEpoch()
            || (r.lastEpoch() == log.lastEpoch() && r.lastPosition() >= log.lastPosition());
    }

    /**
     * How long a clone that just suspected its primary waits before it stands: not at all if no
     * clone it heard from recently ranks before it (class comment: journal, then replay lag beyond
     * {@link #REPLAY_LAG_TOLERANCE}, then id), else a half failure timeout per such clone plus
     * jitter; so the best placed clone usually wins alone.
     */
    private long candidacyDelay(long nowNs) {
        if (successor == id) {
            return 0; // the primary handed over to this node: it caught up, and the others wait for it
        }
        int ahead = 0;
        for (int i = 1; i <= config.members(); i++) {
            if (i == id || !heard[i] || nowNs - heardNs[i] > config.failureTimeoutNs() || i == primaryId) {
                continue;
            }
            if (peerRole[i] != ElectionRole.CLONE && peerRole[i] != ElectionRole.CANDIDATE) {
                continue;
            }
            if (ranksBefore(i)) {
                ahead++;
            }
        }
        long jitter = random.nextLong(config.heartbeatIntervalNs());
        long named = successor != 0 ? config.failureTimeoutNs() : 0; // another node was named: give it a timeout
        return named + (ahead == 0 ? jitter : ahead * (config.failureTimeoutNs() / 2) + jitter);
    }

    /**
     * A candidate asking for pre-votes that ranks before the one asking it (class comment; the
     * asker's applied position as last heard, its id otherwise) says no, for a failure timeout from
     * the start of its candidacy: two clones that stood together before hearing each other (their
     * duty cycles late on loaded cores) granted each other's pre-votes, split the votes and waited
     * an election timeout, 1-2 s (FailoverIT, link loss: elect 1,108 ms). Only a pre-vote is
     * refused, and only for that while: if this node cannot win, the other one can afterwards.
     */
    private boolean standsBefore(VoteRequest r, long nowNs) {
        if (role != ElectionRole.CANDIDATE || !preVote || nowNs - candidateSinceNs > config.failureTimeoutNs()) {
            return false;
        }
        int from = r.from();
        if (r.lastEpoch() != log.lastEpoch() || r.lastPosition() != log.lastPosition()) {
            return false; // upToDate(r) holds: the asker is ahead
        }
        return firstAmongEqualJournals(heard[from] ? peerApplied[from] : applied(), from);
    }

    /** Whether peer {@code i}, as last heard, stands before this node: see the class comment. */
    private boolean ranksBefore(int i) {
        long e = peerLastEpoch[i];
        long p = peerLastPosition[i];
        if (e != log.lastEpoch()) {
            return e > log.lastEpoch();
        }
        if (p != log.lastPosition()) {
            return p > log.lastPosition();
        }
        return !firstAmongEqualJournals(peerApplied[i], i);
    }

    /**
     * With the same journal as {@code peer} (applied up to {@code peerAppliedPosition}): whether this
     * node ranks before it, by replay lag beyond {@link #REPLAY_LAG_TOLERANCE}, then by the lower id.
     */
    private boolean firstAmongEqualJournals(long peerAppliedPosition, int peer) {
        long lead = applied() - peerAppliedPosition;
        if (Math.abs(lead) > REPLAY_LAG_TOLERANCE) {
            return lead > 0;
        }
        return id < peer;
    }

    private int followersHeard(long nowNs) {
        int n = 0;
        for (int i = 1; i <= config.members(); i++) {
            if (follower[i] && nowNs - followerNs[i] <= config.failureTimeoutNs()) {
                n++;
            }
        }
        return n;
    }

    private void clearGrants() {
        Arrays.fill(granted, false);
        grantedCount = 0;
    }

    private void grant(int voter) {
        if (!granted[voter]) {
            granted[voter] = true;
            grantedCount++;
        }
    }
}
