package dev.understudy.transport.aeron;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurabilityTrackerTest {
    private final List<long[]> events = new ArrayList<>();
    private static final int EPOCH = 4;
    private final DurabilityTracker tracker = new DurabilityTracker(EPOCH, 8, 3, (k, s) -> events.add(new long[] {k, s}));

    /** An ack of the tracker's own epoch from the clone's first run. */
    private boolean ack(int nodeId, long sequence) {
        return tracker.onAck(nodeId, 0, EPOCH, sequence);
    }

    private boolean ack(int nodeId, int incarnation, long sequence) {
        return tracker.onAck(nodeId, incarnation, EPOCH, sequence);
    }

    @Test
    void shouldReportNothingDurableBeforeEnoughClonesAcked() {
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(1));
        ack(2, 10);
        assertEquals(10, tracker.durableSequence(1));
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(2));
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(3));
    }

    @Test
    void shouldAnswerTheKthHighestAcknowledgement() {
        ack(2, 100);
        ack(3, 40);
        ack(4, 70);
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(70, tracker.durableSequence(2));
        assertEquals(40, tracker.durableSequence(3));
    }

    @Test
    void shouldIgnoreAcknowledgementsThatArriveOutOfOrder() {
        assertTrue(ack(2, 50));
        assertFalse(ack(2, 30));
        assertFalse(ack(2, 50));
        assertEquals(50, tracker.acked(2));
        ack(3, 20);
        ack(3, 60);
        ack(3, 55);
        assertEquals(50, tracker.durableSequence(2));
        assertEquals(60, tracker.durableSequence(1));
    }

    @Test
    void shouldStopCountingALostCloneUntilItAcksAgain() {
        ack(2, 100);
        ack(3, 90);
        assertEquals(90, tracker.durableSequence(2));
        tracker.remove(3);
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(2));
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(1, tracker.members());
        ack(3, 95); // the restarted clone resumes from its journal
        assertEquals(95, tracker.durableSequence(2));
    }

    @Test
    void shouldNotifyMonotonicallyPerK() {
        ack(2, 10);
        tracker.poll();
        ack(3, 5);
        tracker.poll();
        tracker.remove(2);
        tracker.poll(); // k=1 drops to 5: no notification going down
        ack(3, 12);
        tracker.poll();
        assertEquals(List.of("1:10", "2:5", "1:12"), events.stream().map(e -> e[0] + ":" + e[1]).toList());
        assertEquals(12, tracker.reported(1));
        assertEquals(5, tracker.reported(2));
    }

    @Test
    void shouldForgetWhatAPreviousRunOfARestartedCloneAcknowledged() {
        ack(2, 7, 100);
        ack(3, 9, 100);
        assertEquals(100, tracker.durableSequence(2));
        ack(2, 7, 40); // same run, late ack: ignored
        assertEquals(100, tracker.durableSequence(2));
        ack(2, 8, 40); // restarted with an older journal
        assertEquals(40, tracker.durableSequence(2));
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(2, tracker.members());
    }

    /*
     * Invariant 5: only acks of the primary's own epoch count. Without the epoch check in
     * DurabilityTracker.onAck this test fails at its first assertion (the ack of epoch 5 is taken:
     * onAck returns true, and durableSequence(1) would become 50) - run that way once when the check
     * was written, as was ReplicationIpcTest.shouldFenceAStalePrimaryWhoseClonesHaveSeenANewerEpoch,
     * which then times out waiting for staleAcks.
     */
    @Test
    void shouldNotAdvanceDurabilityOnAnAckOfAnotherEpoch() {
        assertFalse(tracker.onAck(2, 0, EPOCH + 1, 50), "an ack under a newer epoch: the clone follows another primary");
        assertFalse(tracker.onAck(3, 0, EPOCH - 1, 90), "an ack under an older epoch");
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(1));
        assertEquals(0, tracker.members(), "a stale ack does not make the clone a member");
        assertEquals(0, tracker.poll(), "nothing to report");
        assertEquals(2, tracker.staleAcks());
        assertTrue(ack(2, 10));
        assertFalse(tracker.onAck(2, 0, EPOCH + 1, 80));
        assertEquals(10, tracker.durableSequence(1), "a stale ack does not move a member's position");
        assertEquals(3, tracker.staleAcks());
    }

    @Test
    void shouldIgnoreAcksFromInvalidNodeIds() {
        assertFalse(ack(0, 10));
        assertFalse(ack(9, 10));
        assertFalse(ack(-1, 10));
        assertEquals(0, tracker.members());
    }
}
