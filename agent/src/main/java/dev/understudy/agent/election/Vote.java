package dev.understudy.agent.election;

/**
 * The answer to a {@link VoteRequest}.
 *
 * @param epoch   the epoch voted in when granted; the voter's own epoch when refused (a higher
 *                one tells the candidate it is behind)
 * @param granted yes or no
 * @param to      the candidate
 * @param preVote answers a pre-vote
 */
public record Vote(int from, long epoch, boolean granted, int to, boolean preVote) implements Message {
}
