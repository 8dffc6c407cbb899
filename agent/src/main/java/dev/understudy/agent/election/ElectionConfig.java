package dev.understudy.agent.election;

import dev.understudy.agent.Configuration;
import java.util.concurrent.TimeUnit;

/**
 * The settings of one cluster's election; every node of the cluster must use the same ones.
 * Built from the agent's {@link Configuration} when the election is wired into the node (its
 * {@link Configuration#nodeCount()}, {@link Configuration#ackQuorum()},
 * {@link Configuration#heartbeatIntervalNs()} and {@link Configuration#failureTimeoutNs()}).
 *
 * <h2>Quorums</h2>
 * A record is committed once the primary and {@code ackQuorum} clones hold it. An election must
 * meet every such set of {@code ackQuorum + 1} nodes, or it could elect a node that lacks a
 * committed record; and any two elections in one epoch must meet, or each could win. So the
 * {@link #voteQuorum()} is the larger of a majority and {@code members - ackQuorum} (Flexible
 * Paxos, Howard, Malkhi and Spiegelman, 2016: election quorum + replication quorum &gt; members).
 * For three nodes and one acknowledging clone both are 2. For five nodes and one clone the
 * majority, 3, is not enough: two nodes hold a committed record and the other three could elect
 * one of themselves; the vote quorum is 4 (one failure tolerated) unless {@code ackQuorum} is 2.
 *
 * <p>A primary keeps serving while it hears from {@link #leaseQuorum()} nodes, itself included:
 * as long as it does, no vote quorum can form without one of them.
 *
 * @param members            nodes in the cluster, ids 1..members
 * @param ackQuorum          clones that must hold a record before it is committed (input commit, invariant 1)
 * @param heartbeatIntervalNs time between two heartbeats of a node
 * @param failureTimeoutNs   time without a heartbeat after which the primary is suspected; also the
 *                           check-quorum window and the base election timeout
 */
public record ElectionConfig(int members, int ackQuorum, long heartbeatIntervalNs, long failureTimeoutNs) {
    /** Default time between heartbeats. */
    public static final long HEARTBEAT_INTERVAL_DEFAULT_NS = TimeUnit.MILLISECONDS.toNanos(20);
    /** Default failure timeout. */
    public static final long FAILURE_TIMEOUT_DEFAULT_NS = TimeUnit.MILLISECONDS.toNanos(100);
    /** Default ack quorum: one clone (as {@link Configuration#ACK_QUORUM_DEFAULT}). */
    public static final int ACK_QUORUM_DEFAULT = 1;

    public ElectionConfig {
        if (members < 1 || members > Configuration.MAX_NODE_ID) {
            throw new IllegalArgumentException("invalid election members: value=" + members + ", expected 1.."
                + Configuration.MAX_NODE_ID);
        }
        if (ackQuorum < 0 || ackQuorum > members - 1) {
            throw new IllegalArgumentException("invalid election ack quorum: value=" + ackQuorum + ", expected 0.."
                + (members - 1) + " for " + members + " members");
        }
        if (heartbeatIntervalNs <= 0) {
            throw new IllegalArgumentException("invalid heartbeat interval: value=" + heartbeatIntervalNs + "ns, expected > 0");
        }
        if (failureTimeoutNs < 2 * heartbeatIntervalNs) {
            throw new IllegalArgumentException("invalid failure timeout: value=" + failureTimeoutNs
                + "ns, expected at least twice the heartbeat interval (" + 2 * heartbeatIntervalNs + "ns)");
        }
    }

    /** {@code members} nodes, the default ack quorum (capped at {@code members - 1}), interval and timeout. */
    public static ElectionConfig of(int members) {
        return new ElectionConfig(members, Math.min(ACK_QUORUM_DEFAULT, members - 1), HEARTBEAT_INTERVAL_DEFAULT_NS,
            FAILURE_TIMEOUT_DEFAULT_NS);
    }

    /** More than half of the members. */
    public int majority() {
        return members / 2 + 1;
    }

    /** Votes a candidate needs, its own included: see the class comment. */
    public int voteQuorum() {
        return Math.max(majority(), members - ackQuorum);
    }

    /** Nodes, itself included, a primary must hear from within the failure timeout to keep serving. */
    public int leaseQuorum() {
        return members - voteQuorum() + 1;
    }
}
