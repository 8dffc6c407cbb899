package dev.understudy.agent.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class EpochHistoryTest {
    /** (1, 1..3), (2, 4..6), (4, 7..9). */
    private static EpochHistory sample() {
        EpochHistory h = new EpochHistory();
        h.append(1, 3);
        h.append(2, 5);
        h.append(2, 6);
        h.append(4, 9);
        return h;
    }

    @Test
    void shouldTellWhereEachEpochBeginsAndEnds() {
        EpochHistory h = sample();
        assertEquals(4, h.lastEpoch());
        assertEquals(9, h.lastPosition());
        assertEquals(0, h.epochAt(0));
        assertEquals(1, h.epochAt(3));
        assertEquals(2, h.epochAt(4));
        assertEquals(4, h.epochAt(9));
        assertEquals(-1, h.epochAt(10));
        assertEquals(0, h.endOf(0), "the empty prefix ends before the first record");
        assertEquals(3, h.endOf(1));
        assertEquals(6, h.endOf(2));
        assertEquals(6, h.endOf(3), "an epoch with no records here ends where the next one begins");
        assertEquals(9, h.endOf(4));
        assertEquals(2, h.floorEpoch(3));
        assertEquals(0, h.floorEpoch(0));
        assertEquals(4, h.floorEpoch(7));
        assertTrue(h.contains(2));
        assertFalse(h.contains(3));
    }

    @Test
    void shouldDropWholeEpochsAndPartsOfThemOnTruncation() {
        EpochHistory h = sample();
        h.truncate(5);
        assertEquals(2, h.lastEpoch());
        assertEquals(5, h.lastPosition());
        assertFalse(h.contains(4));
        h.truncate(9);
        assertEquals(5, h.lastPosition(), "not longer: nothing to drop");
        h.append(5, 7);
        assertEquals(6, h.startAfter(2), "epoch 5 begins right after the cut");
        h.truncate(0);
        assertEquals(0, h.lastEpoch());
        assertEquals(0, h.lastPosition());
    }

    @Test
    void shouldGrowPastItsInitialCapacity() {
        EpochHistory h = new EpochHistory();
        for (int e = 1; e <= 100; e++) {
            h.append(e, e * 2L);
        }
        assertEquals(100, h.lastEpoch());
        assertEquals(2 * 50 - 1, h.startAfter(49));
        EpochHistory copy = h.copy();
        h.truncate(10);
        assertEquals(200, copy.lastPosition(), "copies are independent");
    }

    @Test
    void shouldRejectAJournalThatGoesBack() {
        EpochHistory h = sample();
        assertThrows(IllegalArgumentException.class, () -> h.append(3, 10), "older epoch");
        assertThrows(IllegalArgumentException.class, () -> h.append(4, 9), "same position");
        assertThrows(IllegalArgumentException.class, () -> h.append(0, 10), "epoch 0 holds no records");
        assertThrows(IllegalArgumentException.class, () -> h.truncate(-1));
    }
}
