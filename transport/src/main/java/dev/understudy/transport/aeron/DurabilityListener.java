package dev.understudy.transport.aeron;

/**
 * Told when the durable sequence for a replication factor {@code k} advances.
 * Called on the thread that runs the primary's duty cycle; must not block.
 */
@FunctionalInterface
public interface DurabilityListener {
    /**
     * @param k        number of clones that hold the record in their journal (1..n)
     * @param sequence every record with a sequence {@code <= sequence} is in the journal of at least {@code k} clones
     */
    void onDurable(int k, long sequence);
}
