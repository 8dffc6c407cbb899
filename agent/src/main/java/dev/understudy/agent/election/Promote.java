package dev.understudy.agent.election;

/**
 * The winner's announcement: {@code from} is the primary of {@code epoch}. Carries where its log
 * ended when it won, as the {@code PROMOTE} record does ({@code EpochChangeFlyweight}'s "last
 * sequence of the previous epoch"): a clone whose last record is of {@code lastEpoch} can cut its
 * journal to {@code lastPosition} and follow without asking.
 *
 * @param lastEpoch    epoch of the winner's last record before this epoch
 * @param lastPosition position of that record
 */
public record Promote(int from, long epoch, long lastEpoch, long lastPosition) implements Message {
}
