package dev.understudy.agent.election;

/**
 * What election nodes say to each other. Every message names its sender and the sender's epoch
 * (invariant 5: frames carry the sender and the epoch), so any of them can fence a stale primary.
 * Immutable; the wire encoding is the transport's business (the announcement maps onto the
 * {@code PROMOTE} record, {@code EpochChangeFlyweight}).
 */
public sealed interface Message permits Heartbeat, VoteRequest, Vote, Promote, Follow {
    /** Sender's node id. */
    int from();

    /** Sender's epoch (for a {@link VoteRequest}, the epoch asked for). */
    long epoch();
}
