package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;

class InputCommitTest {
    private final UnsafeBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
    private final AtomicCounter held = new AtomicCounter(values, 0);
    private final AtomicCounter released = new AtomicCounter(values, 1);
    private final List<Integer> releases = new ArrayList<>();

    private InputCommit commit(int quorum, boolean serve) {
        InputCommit c = new InputCommit(quorum, serve, 16, held, released);
        c.releaser(id -> releases.add(id));
        return c;
    }

    // Mutation check: releasing on any k (not only k == quorum) made
    // shouldReleaseOnlyWhatIsDurableOnTheQuorum fail (ids 10..12 released at k=1).
    @Test
    void shouldReleaseOnlyWhatIsDurableOnTheQuorum() {
        InputCommit c = commit(2, false);
        c.doWork(2);
        assertTrue(c.hold(5, 10));
        assertTrue(c.hold(6, 11));
        assertTrue(c.hold(8, 12));
        c.onDurable(1, 8);
        assertEquals(List.of(), releases, "durable on one clone is not enough for k=2");
        c.onDurable(2, 6);
        assertEquals(List.of(11), releases, "one range release up to the last durable packet");
        assertEquals(1, c.held());
        c.onDurable(2, 7);
        assertEquals(List.of(11), releases, "sequence 8 is not durable at 7");
        c.onDurable(2, 8);
        assertEquals(List.of(11, 12), releases);
        assertEquals(0, c.held());
        assertEquals(3, released.get());
    }

    /**
     * A planned switchover's hold: while paused nothing is released (durable or not, degraded with
     * the serve policy or not, quorum 0 or not); after it, what became durable goes at once.
     * Mutation check: with {@code onDurable} flushing while paused, ids 10 and 11 were released
     * during the pause and the test failed; restored.
     */
    @Test
    void shouldReleaseNothingWhilePausedAndTheDurableAfter() {
        InputCommit c = commit(1, true);
        c.doWork(1);
        assertTrue(c.hold(5, 10));
        c.pause(true);
        assertTrue(c.hold(6, 11));
        c.onDurable(1, 6);
        c.doWork(0); // no clone left: degraded, and the policy serves
        assertTrue(c.hold(7, 12), "held though degraded with serve");
        assertEquals(List.of(), releases, "nothing while paused");
        InputCommit none = commit(0, false);
        none.pause(true);
        assertTrue(none.hold(1, 1), "quorum 0 holds too while paused");
        c.pause(false);
        c.doWork(1);
        assertEquals(List.of(11), releases, "the durable ones, at the next cycle");
        c.onDurable(1, 7);
        assertEquals(List.of(11, 12), releases);
    }

    @Test
    void shouldAcceptAtOnceWhatIsAlreadyDurableOrNeedsNoQuorum() {
        InputCommit c = commit(1, false);
        c.doWork(1);
        c.onDurable(1, 10);
        assertFalse(c.hold(9, 1), "a record already durable");
        assertTrue(c.hold(11, 2));
        InputCommit none = commit(0, false);
        assertFalse(none.hold(1, 1), "quorum 0 never waits");
    }

    // Mutation check: with the degraded branch of doWork removed, the held packet was never
    // released and this test failed.
    @Test
    void shouldReleaseEverythingAndServeWhenDegradedWithTheServePolicy() {
        InputCommit c = commit(1, true);
        c.doWork(1);
        assertTrue(c.hold(3, 7));
        c.doWork(0);
        assertTrue(c.degraded());
        assertEquals(List.of(7), releases);
        assertFalse(c.hold(4, 8), "degraded + serve accepts at once");
        c.doWork(1);
        assertFalse(c.degraded());
        assertTrue(c.hold(5, 9), "protected again: held");
    }

    @Test
    void shouldKeepHoldingWhenDegradedWithTheHoldPolicy() {
        InputCommit c = commit(1, false);
        c.doWork(0);
        assertTrue(c.degraded());
        assertTrue(c.hold(3, 7));
        c.doWork(0);
        assertEquals(List.of(), releases);
        c.doWork(1);
        c.onDurable(1, 3);
        assertEquals(List.of(7), releases, "released once a clone is back and has it");
    }

    @Test
    void shouldRetryAReleaseTheQueueCouldNotTake() {
        InputCommit c = new InputCommit(1, false, 16, held, released);
        boolean[] accept = {false};
        c.releaser(id -> {
            if (accept[0]) {
                releases.add(id);
            }
            return accept[0];
        });
        c.doWork(1);
        c.hold(1, 4);
        c.onDurable(1, 1);
        assertEquals(List.of(), releases);
        accept[0] = true;
        c.doWork(1);
        assertEquals(List.of(4), releases);
    }

    // Mutation check: without the stall test in doWork, the packet stayed held and this failed.
    @Test
    void shouldServeWhenLiveClonesDoNotAcknowledgeWithinTheStallTimeout() throws InterruptedException {
        InputCommit c = new InputCommit(1, true, 16, java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(20), held, released);
        c.releaser(id -> releases.add(id));
        c.doWork(2);
        assertTrue(c.hold(1, 5));
        c.doWork(2);
        assertEquals(List.of(), releases, "not stalled yet");
        Thread.sleep(40);
        c.doWork(2);
        assertTrue(c.degraded(), "alive by heartbeat but not acknowledging: degraded");
        assertEquals(List.of(5), releases);
    }
}
