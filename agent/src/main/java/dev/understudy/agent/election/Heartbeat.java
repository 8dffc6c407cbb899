package dev.understudy.agent.election;

/**
 * Every node, every heartbeat interval, to every other node: who it is, its epoch and role,
 * whom it follows and how far its journal goes. The primary's heartbeats keep the clones from
 * suspecting it; the clones' heartbeats keep the primary's check-quorum satisfied and tell it
 * whether they still need to find where their journal meets its log ({@link Follow}).
 *
 * @param primaryId  the primary of {@code epoch} the sender follows (itself when primary), 0 if none;
 *                   from a {@link ElectionRole#FENCED} node, the successor it handed off to (0 if none)
 * @param lastEpoch  epoch of the last record in the sender's journal (0 when empty)
 * @param lastPosition position of that record (0 when empty)
 * @param applied    how far the sender's application has taken its journal, at most {@code lastPosition}: a
 *                   clone's replay (a clone that lags far behind it ranks after one that does not when
 *                   both have the same journal), a primary's whole journal
 * @param synced     a clone whose journal is known to be a prefix of its primary's log
 */
public record Heartbeat(int from, long epoch, ElectionRole role, int primaryId, long lastEpoch, long lastPosition,
                        long applied, boolean synced) implements Message {
}
