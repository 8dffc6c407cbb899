package dev.understudy.agent.primary;

import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Serial turns on the primary (DESIGN.md, Determinism; configuration {@code determinism=serial}):
 * the application's handling of input runs one turn at a time. A turn begins when an application
 * thread gets an input event — a read on a service connection returned bytes, EOF or a reset, or
 * the service listener accepted — and lasts until that thread next waits: its next socket read or
 * accept, entry into a select, the end of a pool task, or its exit. The hook takes the turn
 * <em>before</em> it records the event, so the order of APP_READ and accept records in the log is
 * the order of turns, and a clone that grants input in log order and waits for each turn to end
 * runs the same handling in the same order.
 *
 * <p>A thread that waits longer than {@link #FORCE_AFTER_NS} for the turn (a holder blocked where no
 * release point is seen, e.g. in a write to a client that does not read) goes ahead without it: the
 * service never stops because of the turns. Such a forced turn is counted; what it changes on a
 * clone is caught by divergence detection.
 *
 * <p>Thread-safe. Costs one uncontended lock acquisition per input event when there is no overlap.
 */
final class Turns {
    /** How long a thread waits for the turn before it goes ahead without it. */
    static final long FORCE_AFTER_NS = TimeUnit.SECONDS.toNanos(1);

    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicCounter turns;
    private final AtomicCounter forced;

    Turns(AtomicCounter turns, AtomicCounter forced) {
        this.turns = turns;
        this.forced = forced;
    }

    /** The calling thread got an input event: it takes the turn (waits for the holder to wait). */
    void begin() {
        if (lock.isHeldByCurrentThread()) {
            return; // still in its turn (no wait since the last event): the same turn goes on
        }
        boolean got = lock.tryLock();
        if (!got) {
            try {
                got = lock.tryLock(FORCE_AFTER_NS, TimeUnit.NANOSECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (got) {
            turns.increment();
        } else {
            forced.increment();
        }
    }

    /** The calling thread reached a wait: if it holds the turn, the turn ends. */
    void end() {
        if (lock.isHeldByCurrentThread()) {
            lock.unlock();
        }
    }
}
