package dev.understudy.agent.election;

/**
 * A node's role in the election.
 *
 * <p>Not a wire vocabulary itself: on the wire (the election frame's role byte,
 * {@code dev.understudy.transport.membership.ElectionFrame}) a role is a fixed code, never its
 * {@code ordinal()}: PRIMARY 1 and CLONE 2 as in {@code membership.Role}, CANDIDATE 4, FENCED 5.
 * {@code dev.understudy.agent.failover.ElectionCodec} is the one mapping.
 */
public enum ElectionRole {
    /** Follows the primary of its epoch (or waits to learn who it is). */
    CLONE,
    /** Asks for votes: first for pre-votes, then, with a quorum of them, for votes in a new epoch. */
    CANDIDATE,
    /** Won its epoch: serves, holds the VIP, publishes the record log. */
    PRIMARY,
    /**
     * Was primary and stopped: saw a higher epoch, lost contact with a quorum, or handed off.
     * It must not serve, must drop the VIP, and does not follow or stand again: its application
     * has run input that a new primary may not have, and it cannot be rewound. It still votes
     * (its journal is intact). The agent rebuilds the node (restart from its journal) and
     * constructs a new {@link ElectionNode} from {@link ElectionNode#durableState()}.
     */
    FENCED
}
