package dev.understudy.transport.aeron;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DurabilityTrackerTest {
    private final List<long[]> events = new ArrayList<>();
    private final DurabilityTracker tracker = new DurabilityTracker(8, 3, (k, s) -> events.add(new long[] {k, s}));

    @Test
    void shouldReportNothingDurableBeforeEnoughClonesAcked() {
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(1));
        tracker.onAck(2, 10);
        assertEquals(10, tracker.durableSequence(1));
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(2));
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(3));
    }

    @Test
    void shouldAnswerTheKthHighestAcknowledgement() {
        tracker.onAck(2, 100);
        tracker.onAck(3, 40);
        tracker.onAck(4, 70);
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(70, tracker.durableSequence(2));
        assertEquals(40, tracker.durableSequence(3));
    }

    @Test
    void shouldIgnoreAcknowledgementsThatArriveOutOfOrder() {
        assertTrue(tracker.onAck(2, 50));
        assertFalse(tracker.onAck(2, 30));
        assertFalse(tracker.onAck(2, 50));
        assertEquals(50, tracker.acked(2));
        tracker.onAck(3, 20);
        tracker.onAck(3, 60);
        tracker.onAck(3, 55);
        assertEquals(50, tracker.durableSequence(2));
        assertEquals(60, tracker.durableSequence(1));
    }

    @Test
    void shouldStopCountingALostCloneUntilItAcksAgain() {
        tracker.onAck(2, 100);
        tracker.onAck(3, 90);
        assertEquals(90, tracker.durableSequence(2));
        tracker.remove(3);
        assertEquals(DurabilityTracker.NONE, tracker.durableSequence(2));
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(1, tracker.members());
        tracker.onAck(3, 95); // the restarted clone resumes from its journal
        assertEquals(95, tracker.durableSequence(2));
    }

    @Test
    void shouldNotifyMonotonicallyPerK() {
        tracker.onAck(2, 10);
        tracker.poll();
        tracker.onAck(3, 5);
        tracker.poll();
        tracker.remove(2);
        tracker.poll(); // k=1 drops to 5: no notification going down
        tracker.onAck(3, 12);
        tracker.poll();
        assertEquals(List.of("1:10", "2:5", "1:12"), events.stream().map(e -> e[0] + ":" + e[1]).toList());
        assertEquals(12, tracker.reported(1));
        assertEquals(5, tracker.reported(2));
    }

    @Test
    void shouldForgetWhatAPreviousRunOfARestartedCloneAcknowledged() {
        tracker.onAck(2, 7, 100);
        tracker.onAck(3, 9, 100);
        assertEquals(100, tracker.durableSequence(2));
        tracker.onAck(2, 7, 40); // same run, late ack: ignored
        assertEquals(100, tracker.durableSequence(2));
        tracker.onAck(2, 8, 40); // restarted with an older journal
        assertEquals(40, tracker.durableSequence(2));
        assertEquals(100, tracker.durableSequence(1));
        assertEquals(2, tracker.members());
    }

    @Test
    void shouldIgnoreAcksFromInvalidNodeIds() {
        assertFalse(tracker.onAck(0, 10));
        assertFalse(tracker.onAck(9, 10));
        assertFalse(tracker.onAck(-1, 10));
        assertEquals(0, tracker.members());
    }
}
