package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;

/**
 * Serial turns: one at a time, logged in the order they ran, values keyed inside their turn.
 *
 * <p>Mutation check (done once): with {@code begin} not taking the lock (and {@code end} not
 * releasing it), the exclusion test below saw two threads inside a turn at once.
 */
class TurnsTest {
    private static AtomicCounter counter() {
        return new AtomicCounter(new UnsafeBuffer(new byte[64]), 0);
    }

    @Test
    void shouldRunOneTurnAtATimeAndLogThemInOrder() throws Exception {
        List<long[]> log = new ArrayList<>();
        Turns turns = new Turns(counter(), counter(), (conn, kind, ordinal, order) -> {
            synchronized (log) {
                log.add(new long[] {conn, order});
            }
        });
        AtomicInteger inside = new AtomicInteger();
        AtomicInteger overlaps = new AtomicInteger();
        int threads = 8;
        int each = 500;
        CountDownLatch done = new CountDownLatch(threads);
        for (int t = 0; t < threads; t++) {
            final int id = t;
            new Thread(() -> {
                for (int i = 0; i < each; i++) {
                    turns.begin(id, 1, i);
                    if (inside.incrementAndGet() > 1) {
                        overlaps.incrementAndGet();
                    }
                    Thread.onSpinWait();
                    inside.decrementAndGet();
                    turns.end();
                }
                done.countDown();
            }).start();
        }
        assertTrue(done.await(60, TimeUnit.SECONDS));
        assertEquals(0, overlaps.get(), "two turns ran at once");
        assertEquals(threads * each, log.size());
        for (int i = 0; i < log.size(); i++) {
            assertEquals(i, log.get(i)[1], "turn orders are 0, 1, 2... in log order");
        }
    }

    @Test
    void shouldKeyValuesByTurnAndIndexAndNotOutsideTurns() {
        Turns turns = new Turns(counter(), counter(), (conn, kind, ordinal, order) -> { });
        assertNull(turns.slot(), "outside a turn");
        turns.begin(7, 1, 0);
        long[] first = turns.slot();
        assertEquals(0, first[0]);
        assertEquals(1, first[1]);
        assertEquals(2, turns.slot()[1]);
        turns.end();
        assertNull(turns.slot());
        turns.begin(7, 1, 1);
        long[] next = turns.slot();
        assertEquals(1, next[0]);
        assertEquals(1, next[1], "the index starts again in each turn");
        turns.end();
    }
}
