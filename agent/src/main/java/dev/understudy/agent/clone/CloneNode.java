package dev.understudy.agent.clone;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.agent.status.AgentCounters;
import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationClone;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.membership.MemberListener;
import dev.understudy.transport.membership.Role;
import io.aeron.Counter;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * A clone's replication follower: it appends every record the primary sends (or that catch-up
 * brings) to its own Chronicle journal and acknowledges it, which is what lets the primary
 * release the client's bytes. The {@link Replayer} re-injects the journal into the clone's
 * application, on its own thread.
 *
 * <p>One duty-cycle thread ({@value #THREAD_NAME}). Close stops it and closes the follower, the
 * journal (everything acknowledged is already in it) and the driver.
 */
public final class CloneNode implements AutoCloseable {
    static final String THREAD_NAME = "understudy-clone";
    private static final String LOG = "clone";

    /** What a clone needs, resolved from the one configuration. */
    public record Settings(int nodeId, int epoch, ReplicationConfig replication, JournalConfig journal, String idle,
                           int[] ports, boolean serial, boolean periodic, long checkpointIntervalNs, Takeover takeover) {
    }

    /**
     * What a clone needs to take over as primary: the primary it follows, the VIP and its
     * interface, the NFQUEUE of the hold; null when failover is off. {@code primary}: the settings
     * of the primary this node becomes if it wins an election (it records and replicates under the
     * new epoch), null for a winner that serves alone; {@code follow}: the replication settings
     * with another node as the primary, for following a winner, null for a clone that stops
     * following once another node won.
     */
    public record Takeover(int primaryId, int vip, String vipText, String interfaceName,
                           dev.understudy.netfilter.nfqueue.NfQueueConfig queue,
                           dev.understudy.agent.election.ElectionConfig election,
                           dev.understudy.agent.primary.PrimaryNode.Settings primary,
                           java.util.function.IntFunction<ReplicationConfig> follow) {
    }

    private final EmbeddedMediaDriver driver;
    private final Journal journal;
    private final AgentCounters counters;
    private ReplicationClone clone;
    private boolean cloneClosed;
    /** The primary this node became (it owns the driver and the journal from then on), or null. */
    private volatile dev.understudy.agent.primary.PrimaryNode primaryNode;
    private boolean handedOver;
    /** {primary id, epoch} of a winner this clone is in step with and must follow, or null. */
    private long[] followPending;
    private boolean cannotFollow;
    private final MemberListener members = new MemberListener() {
        @Override
        public void onJoined(int nodeId, Role r, long ep) {
            AgentLog.log(LogLevel.INFO, LOG, "node " + nodeId + " joined as " + r + " (epoch " + ep + ")", null);
        }

        @Override
        public void onLost(int nodeId, long lastSeenNs) {
            AgentLog.log(LogLevel.WARN, LOG, "node " + nodeId + " lost", null);
        }
    };
    private final dev.understudy.agent.node.DutyCycle duty;
    private long lastStatus;
    private final Counter position;
    private final Counter acked;
    private final Counter catchingUp;
    private final Counter errors;
    private final Counter rejectedAuth;
    private final Counter rejectedMalformed;
    private final Counter staleFrames;
    private final Replayer replayer;
    private Counter valuesHanded;
    private Counter valuesMissing;

    private final boolean serial;
    private final Settings settings;
    private boolean promoted;
    private boolean outcomeSaid;
    private boolean otherSaid;
    private Counter switchovers;
    private Counter restored;
    private Counter resetAtSwitchover;
    private Counter role;
    private Counter epochCounter;
    /** {@code Membership.longestGapNs()}: the longest silence of a member this clone heard, what the failure timeout must outlast. */
    private Counter heartbeatGap;
    /** The replayer's applied position (it runs on its own thread): the election's heartbeats carry it. */
    private org.agrona.concurrent.status.AtomicCounter replayApplied;

    private CloneNode(Settings s) {
        this.serial = s.serial();
        this.settings = s;
        EmbeddedMediaDriver d = EmbeddedMediaDriver.launch(s.replication());
        Journal j = null;
        AgentCounters cs = null;
        try {
            j = Journal.open(s.journal());
            if (j.lastSequence() > 0 && j.firstSequence() > 1) {
                throw new IllegalStateException("this clone cannot be rebuilt from its journal " + s.journal().directory()
                    + ": it starts at sequence " + j.firstSequence() + ", the records before it were deleted (journal"
                    + " retention); delete the directory to rejoin from a peer whose journal still starts at sequence 1");
            }
            cs = new AgentCounters(d.aeron());
            role = cs.add("role (1 primary, 2 clone)");
            role.setOrdered(2);
            epochCounter = cs.add("epoch");
            epochCounter.setOrdered(s.epoch());
            switchovers = cs.add("switchovers");
            restored = cs.add("switchover connections rebuilt");
            resetAtSwitchover = cs.add("switchover connections reset");
            position = cs.add("journal position");
            acked = cs.add("acked position");
            catchingUp = cs.add("catching up");
            errors = cs.add("agent errors");
            rejectedAuth = cs.add("frames rejected (authentication)");
            rejectedMalformed = cs.add("frames rejected (malformed)");
            staleFrames = cs.add("frames rejected (stale epoch)");
            heartbeatGap = cs.add("longest heartbeat gap (us)");
            Replayer.Counters rc = new Replayer.Counters(cs.add("replay applied position"), cs.add("replay journal position"),
                cs.add("replay lag (records)"), cs.add("replay lag (ms)"), cs.add("replay connections"),
                cs.add("replay grants"), cs.add("replay waiting for the application"), cs.add("replay kept output bytes"),
                cs.add("replay verified output bytes"), cs.add("replay divergences"), cs.add("replay diverged connections"),
                cs.add("replay errors"), cs.add("replay stray accepts"), cs.add("replay short reads completed"),
                cs.add("replay values read ahead, not asked for"), cs.add("replay grants given out ahead"),
                cs.add("replay gate timeouts"), cs.add("replay timer runs"), cs.add("switchover bytes re-injected"));
            replayApplied = rc.applied();
            valuesHanded = cs.add("replay values handed back");
            valuesMissing = cs.add("replay values missing");
            java.nio.file.Path dir = s.journal().directory();
            replayer = new Replayer(j, s.ports(), s.serial(), s.periodic(), s.checkpointIntervalNs(), rc,
                dir.resolveSibling(dir.getFileName() + "-replay-output.tsv"));
            AgentLog.log(LogLevel.INFO, LOG, "journal " + s.journal().directory() + " at sequence " + j.lastSequence(), null);
            if (s.takeover() != null) {
                dropStaleVip(s.takeover());
            }
            clone = ReplicationClone.create(d.aeron(), s.replication(), s.epoch(), j, members);
            if (s.takeover() != null) {
                // the election's inputs, made before they are needed: built when the election started (the epoch
                // history read back from the journal, the vote file written) they took 250-315 ms, while a planned
                // switchover's successor was already asking this node for its vote; 23-38 ms are left
                electionHistory = historyOf(j);
                clone.appendListener(appends);
                dev.understudy.agent.failover.DurableStateFile file =
                    dev.understudy.agent.failover.DurableStateFile.nextTo(s.journal().directory());
                long epoch = Math.max(s.epoch(), electionHistory.lastEpoch());
                if (file.read().epoch() < epoch) {
                    file.write(new dev.understudy.agent.election.DurableState(epoch,
                        epoch == s.epoch() ? s.takeover().primaryId() : 0));
                }
            }
        } catch (RuntimeException | Error e) {
            if (cs != null) {
                cs.close();
            }
            if (j != null) {
                j.close();
            }
            d.close();
            throw e;
        }
        this.driver = d;
        this.journal = j;
        this.counters = cs;
        this.duty = new dev.understudy.agent.node.DutyCycle(THREAD_NAME, LOG, "this clone no longer acknowledges",
            this::doWork, EmbeddedMediaDriver.idle(s.idle()), cs, errors);
    }

    /**
     * A clone never holds the VIP. A node whose primary JVM died keeps it on its interface (its kernel
     * lives on); started again as a clone it drops it first: a second holder answers ARP for the
     * clients, and both nodes' kernels drop each other's packets sent from the VIP as martians (the
     * cluster's multicast between them fell silent so).
     */
    private static void dropStaleVip(Takeover t) {
        try (dev.understudy.netfilter.address.InterfaceAddresses addrs = new dev.understudy.netfilter.address.InterfaceAddresses()) {
            if (addrs.remove(t.interfaceName(), t.vip(), 32)) {
                AgentLog.log(LogLevel.WARN, LOG, "the VIP " + t.vipText() + " was still on " + t.interfaceName()
                    + " (a primary of this node died): removed, this node is a clone", null);
            }
        } catch (Exception | Error e) {
            AgentLog.log(LogLevel.DEBUG, LOG, "the VIP could not be checked on " + t.interfaceName() + ": " + e, null);
        }
    }

    /** Starts the follower and its duty cycle. */
    public static CloneNode start(Settings s) {
        CloneNode n = new CloneNode(s);
        n.duty.start();
        n.replayer.start();
        dev.understudy.agent.status.NodeMBean.operation("applyAll",
            "Apply everything in the journal to the application now, whatever the apply policy", () -> {
                n.replayer.applyAll();
                return "applying up to journal sequence " + n.journal.lastSequence();
            });
        dev.understudy.agent.status.NodeMBean.operation("divergedConnections",
            "Connections whose output differed from the primary's: id, client, first differing offset",
            n.replayer::describeDivergences);
        return n;
    }

    /** The socket hook that re-injects the journal into this JVM's application. */
    public dev.understudy.interceptors.hook.SocketHook hook() {
        return replayer.hook();
    }

    /** The clock and randomness hook of serial mode (hands back the primary's values in turns), or null. */
    public dev.understudy.interceptors.hook.ValueHook valueHook() {
        return serial ? new ReplayValues(replayer.hook(), replayer, valuesHanded, valuesMissing) : null;
    }

    /** Applies everything journaled, whatever the apply policy (what a switchover does first). */
    public void applyAll() {
        replayer.applyAll();
    }

    private int doWork(long now) {
        if (handedOver) {
            return 0; // the primary this node became has its own duty cycle
        }
        if (settings.takeover() != null) {
            long timeout = settings.takeover().election().failureTimeoutNs();
            if (lastCycleNs != 0 && now - lastCycleNs > timeout / 2) {
                // this clone did not run for a while (a pause: GC, SIGSTOP, a starved VM): every member looks
                // lost to it, though only its own clock jumped. Suspect nobody before a failure timeout of
                // fresh heartbeats has passed.
                graceUntilNs = now + timeout;
                AgentLog.log(LogLevel.WARN, LOG, "this clone did not run for " + TimeUnit.NANOSECONDS.toMillis(now - lastCycleNs)
                    + " ms: it suspects no primary before it has listened for a failure timeout again", null);
            }
            lastCycleNs = now;
        }
        int work = clone.doWork(now);
        if (!promoted && settings.takeover() != null && !electionStarted
            && (graceUntilNs == 0 || now - graceUntilNs >= 0)) {
            boolean lost = primaryLost();
            int elected = lost ? 0 : electedPrimary();
            if (lost || elected != 0) {
                electionStarted = true;
                startElection(now, lost, elected);
                work++;
            }
        }
        if (election != null) {
            reportAppends();
            election.onApplied(replayApplied.get());
            work += election.doWork(now);
            if (followPending != null) {
                long[] f = followPending;
                followPending = null;
                follow((int) f[0], f[1]);
                return work + 1;
            }
        }
        if (promoted && !outcomeSaid && replayer.outcome() != null) {
            outcomeSaid = true;
            Switchover.Outcome o = replayer.outcome();
            restored.setOrdered(o.restored());
            resetAtSwitchover.setOrdered(o.reset());
            role.setOrdered(1);
            if (o.primary() != null) {
                handOver(o);
                return work + 1;
            }
            clone.announcePrimary(o.epoch());
        }
        if (now - lastStatus > TimeUnit.MILLISECONDS.toNanos(50)) {
            lastStatus = now;
            position.setOrdered(clone.lastSequence());
            acked.setOrdered(clone.lastAcked());
            catchingUp.setOrdered(clone.isCatchingUp() ? 1 : 0);
            rejectedAuth.setOrdered(clone.rejectedAuth());
            rejectedMalformed.setOrdered(clone.rejectedMalformed());
            staleFrames.setOrdered(clone.staleFrames() + clone.foreignFrames());
            heartbeatGap.setOrdered(TimeUnit.NANOSECONDS.toMicros(clone.membership().longestGapNs()));
        }
        return work;
    }

    private dev.understudy.agent.failover.ElectionDriver election;
    private long lostAtNs;
    private boolean electionStarted;
    /** The journal position the election was last told of. */
    private long reportedToElection;
    /** When this node last began to stand for election (0 while it follows a primary). */
    private long standingSinceNs;
    /** The journal's epochs, made at start and handed to the election when it starts (then null). */
    private dev.understudy.agent.election.EpochHistory electionHistory;
    private long lastCycleNs;
    private long graceUntilNs;
    /** The primary and epoch this clone follows since an election ({@link #follow}), 0 before. */
    private int followingPrimary;
    private long followingEpoch;
    /** Runs of appended records not told to the election yet: {epoch, last sequence}. */
    private final java.util.ArrayDeque<long[]> appendRuns = new java.util.ArrayDeque<>();
    private final ReplicationClone.AppendListener appends = (epoch, sequence) -> {
        long[] run = appendRuns.peekLast();
        if (run != null && run[0] == epoch) {
            run[1] = sequence;
        } else {
            appendRuns.addLast(new long[] {epoch, sequence});
        }
    };

    /**
     * Tells the election of the records appended since (with their epochs): a vote compares logs,
     * and a new primary's answer to a follower uses where each epoch ends.
     */
    private void reportAppends() {
        long[] run;
        while ((run = appendRuns.pollFirst()) != null) {
            if (run[1] > reportedToElection) {
                reportedToElection = run[1];
                election.onAppended(run[0], run[1]);
            }
        }
    }

    /**
     * A member that heartbeats as the primary of an epoch later than this clone's (a primary an
     * election made, while this clone was away), or 0: this clone joins the election protocol to
     * follow it.
     */
    private int electedPrimary() {
        dev.understudy.transport.membership.Membership m = clone.membership();
        for (int i = 1; i <= settings.takeover().election().members(); i++) {
            if (i != settings.nodeId() && m.isAlive(i) && m.role(i) == Role.PRIMARY && m.epoch(i) > settings.epoch()) {
                return i;
            }
        }
        return 0;
    }

    /** The epochs of the journal's records, found by binary search (the epoch never decreases along the journal). */
    private static dev.understudy.agent.election.EpochHistory historyOf(Journal journal) {
        dev.understudy.agent.election.EpochHistory h = new dev.understudy.agent.election.EpochHistory();
        long last = journal.lastSequence();
        long at = Math.max(1, journal.firstSequence());
        while (last > 0 && at <= last) {
            int epoch = epochAt(journal, at);
            long lo = at;
            long hi = last;
            while (lo < hi) {
                long mid = lo + (hi - lo + 1) / 2;
                if (epochAt(journal, mid) == epoch) {
                    lo = mid;
                } else {
                    hi = mid - 1;
                }
            }
            h.append(Math.max(1, epoch), lo);
            at = lo + 1;
        }
        return h;
    }

    private static int epochAt(Journal journal, long sequence) {
        int[] epoch = {-1};
        try (dev.understudy.transport.journal.JournalTailer t = journal.tailer(sequence)) {
            t.poll((b, at, length) -> epoch[0] = dev.understudy.transport.record.RecordHeader.epoch(b, at), 1);
        }
        return epoch[0];
    }

    /**
     * The clones elect the new primary among themselves ({@link dev.understudy.agent.election.ElectionNode}:
     * pre-vote, one persisted vote per epoch, only for a candidate at least as up to date, a quorum
     * of votes), once this clone has lost its primary: the primary of epoch 1 is the configured
     * one, so the election starts from (epoch 1, vote for it), with the journal as epoch 1's log.
     * The node stands three heartbeat intervals later (plus its rank's delay): the other clones lost
     * the primary at about the same time, since they heard its last heartbeat together, and each
     * sends its election heartbeat as soon as its election starts, so by then they have usually
     * heard each other and the most up-to-date stands first. Two that stand before hearing each
     * other are sorted out by the pre-vote (a candidate refuses its pre-vote to one it ranks before).
     */
    private void startElection(long now, boolean lost, int elected) {
        Takeover t = settings.takeover();
        lostAtNs = now;
        dev.understudy.agent.failover.DurableStateFile file =
            dev.understudy.agent.failover.DurableStateFile.nextTo(settings.journal().directory());
        dev.understudy.agent.election.EpochHistory history = electionHistory; // made at start (the election starts once)
        electionHistory = null;
        for (long[] run : appendRuns) { // appended since the history was made
            if (run[1] > history.lastPosition()) {
                history.append(Math.max(Math.max(1, history.lastEpoch()), run[0]), run[1]);
            }
        }
        long epoch = Math.max(settings.epoch(), history.lastEpoch());
        if (file.read().epoch() < epoch) {
            file.write(new dev.understudy.agent.election.DurableState(epoch, epoch == settings.epoch() ? t.primaryId() : 0));
        }
        reportedToElection = history.lastPosition();
        appendRuns.clear();
        clone.appendListener(appends);
        // a lost primary: stand three heartbeat intervals from now (300 ms at the default 100 ms; one interval
        // let two clones stand before hearing each other on loaded cores, split the votes and wait an election
        // timeout: elect 1,108 ms in a link-loss run); joining an elected primary, or a planned
        // switchover (the election then hears the primary's hand-off, which tells who stands first): no hurry
        int successor = lost ? clone.membership().handOffTo(t.primaryId()) : 0;
        long standIn = lost && successor == 0 ? t.election().failureTimeoutNs() - 3 * t.election().heartbeatIntervalNs() : 0;
        election = new dev.understudy.agent.failover.ElectionDriver(t.election(), settings.nodeId(), file, history,
            new dev.understudy.agent.failover.ElectionDriver.Listener() {
                @Override
                public void onPromoted(long epoch) {
                    promote(System.nanoTime(), epoch);
                }

                @Override
                public void onFenced(long epoch) {
                    AgentLog.log(LogLevel.WARN, LOG, "the election fenced this node (epoch " + epoch + ")", null);
                }

                @Override
                public void onFollow(int primaryId, long epoch) {
                    // primary 0: this node stands (or waits for the winner); when it began, for the timeline
                    standingSinceNs = primaryId != 0 ? 0 : standingSinceNs != 0 ? standingSinceNs : System.nanoTime();
                    if (primaryId != 0 && primaryId != settings.nodeId() && !promoted && epoch > followingEpoch) {
                        clone.announceEpoch(epoch);
                        AgentLog.log(LogLevel.WARN, LOG, "node " + primaryId + " is primary of epoch " + epoch + (t.follow() == null
                            ? "; this clone cannot follow another primary (it keeps its journal, and stops here)"
                            : "; this clone follows it once in step"), null);
                    }
                }

                @Override
                public void onTruncate(long position) {
                    cannotFollow = true;
                    AgentLog.log(LogLevel.ERROR, LOG, "the new primary's log ends at " + position + " and this journal goes on to "
                        + clone.lastSequence() + ": records after " + position + " were never committed, and a journal is not"
                        + " cut here; this clone does not follow (restart it with an empty journal to rejoin)", null);
                }

                @Override
                public void onSynced(int primaryId, long epoch, long position) {
                    if (t.follow() != null && !cannotFollow && primaryId != settings.nodeId() && !promoted
                        && !(primaryId == followingPrimary && epoch == followingEpoch)) {
                        followPending = new long[] {primaryId, epoch}; // after the election's cycle: it runs on this channel
                    }
                }
            }, now - Math.max(0, standIn));
        election.attach(clone.control());
        long readyMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - now);
        if (successor != 0) {
            election.onPrimaryHandOff(t.primaryId(), settings.epoch(), successor);
            AgentLog.log(LogLevel.WARN, LOG, "primary node " + t.primaryId() + " hands over to node " + successor
                + " (planned switchover) at journal sequence " + clone.lastSequence() + ": electing it (election ready in "
                + readyMs + " ms)", null);
        } else if (lost) {
            AgentLog.log(LogLevel.WARN, LOG, "primary node " + t.primaryId() + " lost (" + TimeUnit.NANOSECONDS.toMillis(now
                - clone.membership().lastSeenNs(t.primaryId())) + " ms without a heartbeat) at journal sequence "
                + clone.lastSequence() + ": electing a new primary", null);
        } else {
            AgentLog.log(LogLevel.WARN, LOG, "node " + elected + " is the primary of epoch " + clone.membership().epoch(elected)
                + ": this clone joins the election protocol to follow it (journal at sequence " + clone.lastSequence() + ")", null);
        }
    }

    /** Whether the primary this clone follows is lost (no heartbeat for the failure timeout) while this clone is in step. */
    private boolean primaryLost() {
        dev.understudy.transport.membership.Membership m = clone.membership();
        int primary = settings.takeover().primaryId();
        if (!m.isKnown(primary) || clone.isCatchingUp()) {
            return false;
        }
        if (m.isAlive(primary)) {
            // alive: lost only if it hands over (a planned switchover: it holds input and stops serving)
            return m.handOffTo(primary) != 0 && m.role(primary) == Role.PRIMARY && m.epoch(primary) == settings.epoch();
        }
        for (int i = 1; i <= dev.understudy.transport.aeron.ReplicationConfig.MAX_NODE_ID; i++) {
            if (i != settings.nodeId() && m.isAlive(i) && m.role(i) == Role.PRIMARY && m.epoch(i) > settings.epoch()) {
                if (!otherSaid) {
                    otherSaid = true;
                    AgentLog.log(LogLevel.WARN, LOG, "node " + i + " took over as primary of epoch " + m.epoch(i)
                        + "; this clone does not follow a new primary yet (it keeps its journal, and stops here)", null);
                }
                return false;
            }
        }
        return true;
    }

    private void promote(long now, long epoch) {
        if (promoted) {
            return;
        }
        promoted = true;
        Takeover t = settings.takeover();
        clone.announcePrimary(epoch); // fences the old primary as soon as it hears this, before the switchover
        switchovers.increment();
        epochCounter.setOrdered(epoch);
        int lostPrimary = followingPrimary != 0 ? followingPrimary : t.primaryId();
        long lastHeard = clone.membership().lastSeenNs(lostPrimary);
        if (clone.membership().isAlive(lostPrimary)) {
            // it handed over or stepped down, and said so: lost when this node began to stand
            if (followingPrimary != 0) {
                lostAtNs = standingSinceNs != 0 ? standingSinceNs : now;
            }
            lastHeard = Math.min(lastHeard, lostAtNs);
        } else if (followingPrimary != 0) {
            lostAtNs = lastHeard + t.election().failureTimeoutNs(); // this election's driver suspected it on its own
        }
        AgentLog.log(LogLevel.WARN, LOG, "node " + settings.nodeId() + " won the election for epoch " + epoch + " ("
            + TimeUnit.NANOSECONDS.toMillis(now - lostAtNs) + " ms after the primary was found lost): taking over at"
            + " journal sequence " + clone.lastSequence(), null);
        Switchover.Recorder recorder = t.primary() == null ? null : () -> dev.understudy.agent.primary.PrimaryNode.prepare(
            t.primary(), new dev.understudy.agent.primary.PrimaryNode.InPlace(driver, journal, (int) epoch));
        replayer.promote(new Switchover.Plan(settings.nodeId(), epoch, t.vip(), t.vipText(), t.interfaceName(),
            settings.ports(), t.queue(), lastHeard, lostAtNs, recorder, t.primary() == null ? "" : t.primary().takeoverCommand()));
    }

    /**
     * This node won and switched over with a recorder: its follower goes (the election with it,
     * which runs on the follower's channel), and the primary it became takes the journal, the
     * driver and the hold over and replicates under the new epoch.
     */
    private void handOver(Switchover.Outcome o) {
        handedOver = true;
        final dev.understudy.agent.failover.ElectionDriver el = election;
        if (el != null) {
            el.detach();
        }
        reportAppends();
        try {
            // the election goes on as this primary's, on its duty cycle and its control channel
            o.primary().go(o.handOver(), el == null ? null : new dev.understudy.agent.primary.PrimaryNode.SideWork() {
                private long reported = reportedToElection;

                @Override
                public void start(dev.understudy.transport.membership.ControlChannel control) {
                    el.attach(control);
                }

                @Override
                public int doWork(long nowNs, long lastSequence, int epoch) {
                    if (lastSequence > reported) {
                        reported = lastSequence;
                        el.onAppended(epoch, lastSequence);
                    }
                    return el.doWork(nowNs);
                }

                @Override
                public void handOff(long nowNs, int successor) {
                    el.handOff(nowNs, successor);
                }
            });
            primaryNode = o.primary();
            o.primary().registerOperations();
            closeClone(); // after the primary's publications and subscriptions exist (see follow())
        } catch (Exception | Error e) {
            closeClone();
            errors.increment();
            AgentLog.log(LogLevel.ERROR, LOG, "the new primary could not start replicating; it serves without clones: " + e, null);
        }
    }

    /**
     * This clone is in step with the winner of {@code epoch}: it follows it from its journal's end,
     * acknowledging under the new epoch (its replayer goes on from where it is: the new primary's
     * records continue the same connections).
     */
    private void follow(int primaryId, long epoch) {
        election.detach();
        // the new follower before the old one closes: the group's channel endpoints stay in use throughout
        ReplicationClone old = clone;
        clone = ReplicationClone.create(driver.aeron(), settings.takeover().follow().apply(primaryId), (int) epoch, journal,
            members);
        old.close();
        clone.appendListener(appends);
        election.attach(clone.control());
        followingPrimary = primaryId;
        followingEpoch = epoch;
        epochCounter.setOrdered(epoch);
        AgentLog.log(LogLevel.WARN, LOG, "following node " + primaryId + ", primary of epoch " + epoch + ", from journal sequence "
            + clone.lastSequence(), null);
    }

    private void closeClone() {
        if (!cloneClosed) {
            cloneClosed = true;
            clone.close();
        }
    }

    public long lastSequence() {
        dev.understudy.agent.primary.PrimaryNode p = primaryNode;
        return p != null ? p.lastSequence() : clone.lastSequence();
    }

    @Override
    public void close() {
        replayer.close();
        duty.close();
        dev.understudy.agent.primary.PrimaryNode p = primaryNode;
        if (p != null) {
            try {
                p.close(); // it owns the journal and the driver
            } finally {
                counters.close();
            }
            return;
        }
        try {
            closeClone();
        } finally {
            counters.close();
            journal.close();
            driver.close();
        }
    }
}
