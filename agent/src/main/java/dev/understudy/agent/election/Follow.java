package dev.understudy.agent.election;

/**
 * The primary's answer to a clone that does not yet know where its journal meets the primary's
 * log. The clone reported its last record's epoch ({@code forEpoch}); in the primary's log the
 * latest epoch not after it is {@code matchEpoch}, whose records end at {@code matchEnd}. The
 * clone drops its records of epochs after {@code matchEpoch}, and if it then ends in
 * {@code matchEpoch} it cuts to {@code matchEnd} and is in step; otherwise it asks again with
 * its new last epoch (Kafka's OffsetsForLeaderEpoch, KIP-101 and KIP-279). These are facts about
 * epochs before the primary's own, which never change, so a late or repeated answer is harmless.
 *
 * @param to         the clone
 * @param forEpoch   the clone's last epoch this answers
 * @param matchEpoch the latest epoch in the primary's log that is not after {@code forEpoch} (0 if none)
 * @param matchEnd   last position of {@code matchEpoch} in the primary's log
 */
public record Follow(int from, long epoch, int to, long forEpoch, long matchEpoch, long matchEnd) implements Message {
}
