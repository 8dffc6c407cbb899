package dev.understudy.agent.election;

/**
 * Where an {@link ElectionNode} puts the messages it sends. Called on the node's thread, from
 * inside the node's methods; must not block and must not call back into the node. Delivery is
 * best effort: the node tolerates loss, duplication, delay and reordering.
 */
public interface Outbox {
    /** To every other member of the cluster. */
    void broadcast(Message message);

    /** To member {@code nodeId} only. */
    void send(int nodeId, Message message);
}
