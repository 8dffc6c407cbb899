package dev.understudy.agent.election;

/**
 * The local effects of an {@link ElectionNode}'s decisions. Called on the node's thread, from
 * inside its methods, in the order they must take effect; an implementation must not call back
 * into the node.
 */
public interface ElectionListener {
    /**
     * The epoch or the vote changed. Must be durable (written and synced) when this returns:
     * the vote or the epoch is sent right after it, and a node that forgets a vote it sent
     * could vote twice in one epoch.
     */
    void onDurableStateChanged(DurableState state);

    /**
     * The role or the primary followed changed. {@code PRIMARY → FENCED} means stop serving and
     * drop the VIP now; {@code → PRIMARY} means switch over (DESIGN.md's order: hold, drain,
     * rebuild, take the VIP, release) and publish under {@code epoch}, beginning with the epoch's
     * first record (the {@code PROMOTE} record), reported with {@link ElectionNode#onAppended}
     * right after this call returns: until a record of its own epoch is acknowledged by the ack
     * quorum, nothing before it counts as committed (Raft paper §5.4.2), and clones that already
     * hold records of this epoch are answered from it.
     *
     * @param primaryId the primary of {@code epoch} this node follows (its own id as primary),
     *                  0 when not known
     */
    void onRoleChanged(ElectionRole previous, ElectionRole role, long epoch, int primaryId);

    /**
     * Drop every journal record after {@code position} before anything is appended or
     * acknowledged again: they are not in the new primary's log, so they were never committed.
     * A replayer that already applied past {@code position} must rebuild its application.
     */
    void onTruncate(long position);

    /**
     * The journal up to {@code position} is a prefix of the primary's log: replicate from
     * {@code position + 1} and acknowledge under {@code epoch} (invariant 5). Until this is
     * called for the current primary and epoch, nothing it sends may be appended.
     */
    void onSynced(int primaryId, long epoch, long position);
}
