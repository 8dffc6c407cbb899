package dev.understudy.agent.election;

/**
 * A candidate asks for a vote in {@code epoch}. A pre-vote ({@code preVote}) asks only whether
 * the receiver <em>would</em> vote: it changes nothing on either side.
 *
 * @param epoch        the epoch asked for (the candidate's epoch + 1 for a pre-vote)
 * @param lastEpoch    epoch of the candidate's last journal record
 * @param lastPosition position of the candidate's last journal record
 */
public record VoteRequest(int from, long epoch, long lastEpoch, long lastPosition, boolean preVote) implements Message {
}
