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
 * <em>before</em> it records the event, and the turn's {@code TURN} record (its order, the
 * connection and the kind of event) is written first, so the order of turns is the order of the
 * log; a clone that grants input in log order and waits for each turn to end runs the same
 * handling in the same order. Clock and random values read inside a turn are keyed by
 * (turn order, index within the turn): {@link #slot()}.
 *
 * <p>A thread that waits longer than {@link #FORCE_AFTER_NS} for the turn (a holder blocked where no
 * release point is seen, e.g. in a write to a client that does not read) goes ahead without it: the
 * service never stops because of the turns. Such a forced turn is counted and has no order (its
 * values are not recorded); what it changes on a clone is caught by divergence detection.
 *
 * <p>Thread-safe. Costs one uncontended lock acquisition per input event when there is no overlap.
 */
final class Turns {
    /** How long a thread waits for the turn before it goes ahead without it. */
    static final long FORCE_AFTER_NS = TimeUnit.SECONDS.toNanos(1);

    /** Writes a turn's TURN event (under the turn, so in order). */
    interface Emitter {
        void turn(long connectionId, int kind, long ordinal, long order);
    }

    private final ReentrantLock lock = new ReentrantLock();
    private final AtomicCounter turns;
    private final AtomicCounter forced;
    private final Emitter emitter;
    /** Order of the next turn; written under the lock only. */
    private long nextOrder;
    /** Per thread: {turn order, values read in it}; order -1 outside a turn. */
    private final ThreadLocal<long[]> current = ThreadLocal.withInitial(() -> new long[] {-1, 0});

    Turns(AtomicCounter turns, AtomicCounter forced, Emitter emitter) {
        this.turns = turns;
        this.forced = forced;
        this.emitter = emitter;
    }

    /**
     * A new primary's turns continue the log's: the next turn gets {@code order} (before any
     * application event reaches this primary's hook).
     */
    void startAt(long order) {
        lock.lock();
        try {
            nextOrder = order;
        } finally {
            lock.unlock();
        }
    }

    /**
     * The calling thread got an input event on {@code connectionId}: it takes the turn (waits for
     * the holder to reach a wait), and the turn is logged.
     */
    void begin(long connectionId, int kind, long ordinal) {
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
        long[] c = current.get();
        if (got) {
            long order = nextOrder++;
            c[0] = order;
            c[1] = 0;
            turns.increment();
            emitter.turn(connectionId, kind, ordinal, order);
        } else {
            c[0] = -1;
            forced.increment();
        }
    }

    /** The calling thread reached a wait: if it holds the turn, the turn ends. */
    void end() {
        if (lock.isHeldByCurrentThread()) {
            long[] c = current.get();
            c[0] = -1;
            lock.unlock();
        }
    }

    /**
     * For a clock or random value the calling thread reads: {turn order, index} of the value, the
     * index advanced; or {@code null} outside a turn (the value is neither recorded nor replayed).
     */
    long[] slot() {
        long[] c = current.get();
        if (c[0] < 0) {
            return null;
        }
        c[1]++;
        return c;
    }
}
