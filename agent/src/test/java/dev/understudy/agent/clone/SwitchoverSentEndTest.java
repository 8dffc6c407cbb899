package dev.understudy.agent.clone;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Which part of a rebuilt connection's unacknowledged output counts as sent. Mutation check: with
 * the last-byte trigger removed ({@code sentEnd} returning what the primary wrote), the first
 * assertion failed (1000, not 999); with the trigger applied whatever the size, the large-output
 * assertion failed; restored.
 */
class SwitchoverSentEndTest {
    @Test
    void shouldSendTheLastByteAsNewDataWhenWhatCountsAsSentIsSmall() {
        // the primary wrote all 1000 bytes, the client acknowledged 400: 600 may be at the client
        assertEquals(999, Switchover.sentEnd(400, 1000, 1000, 1460), "the last byte leaves as new data");
        // this clone wrote 200 bytes more than the primary: they were never sent
        assertEquals(999, Switchover.sentEnd(400, 999, 1200, 1460), "what only the clone wrote stays unsent");
        assertEquals(1000, Switchover.sentEnd(400, 1000, 1200, 1460));
        assertEquals(400, Switchover.sentEnd(400, 400, 401, 1460), "nothing counted as sent");
    }

    @Test
    void shouldCountEverythingThePrimaryWroteAsSentWhenItExceedsTheTriggerWindow() {
        long big = 400 + Switchover.SENT_BYTE_TRIGGER_SEGMENTS * 1460L + 1;
        assertEquals(big, Switchover.sentEnd(400, big, big, 1460), "more than 8 segments: as the primary left it");
    }
}
