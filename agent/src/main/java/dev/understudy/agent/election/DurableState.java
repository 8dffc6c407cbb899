package dev.understudy.agent.election;

/**
 * What a node must keep across restarts so that it never votes twice in one epoch: the
 * highest epoch it has seen and whom it voted for in it (Raft's {@code currentTerm} and
 * {@code votedFor}). {@link ElectionListener#onDurableStateChanged} hands it over whenever it
 * changes; it must be on disk before that call returns, because the vote or epoch it records
 * may be sent right after.
 *
 * @param epoch    highest epoch seen, 0 for a node that has seen none
 * @param votedFor node id voted for in {@code epoch}, {@link #NO_VOTE} if none
 */
public record DurableState(long epoch, int votedFor) {
    /** {@link #votedFor()} of a node that has not voted in its epoch. */
    public static final int NO_VOTE = 0;
    /** A node that has never run. */
    public static final DurableState INITIAL = new DurableState(0, NO_VOTE);

    public DurableState {
        if (epoch < 0) {
            throw new IllegalArgumentException("invalid durable epoch: value=" + epoch + ", expected >= 0");
        }
        if (votedFor < 0) {
            throw new IllegalArgumentException("invalid durable vote: value=" + votedFor + ", expected a node id or 0");
        }
    }
}
