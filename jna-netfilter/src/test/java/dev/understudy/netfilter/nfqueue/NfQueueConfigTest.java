package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NfQueueConfigTest {
    @Test
    void shouldLeaveTheCoalescingDelayOffByDefault() {
        assertEquals(0, NfQueueConfig.forQueue(1).gatherMicros());
        assertEquals(NfQueueConfig.DEFAULT_GATHER_MICROS, NfQueueConfig.forQueue(1).gatherMicros());
    }

    @Test
    void shouldKeepEveryOtherSettingWhenTheCoalescingDelayIsSet() {
        NfQueueConfig c = NfQueueConfig.forQueue(7).withBatchSize(32).withReceiveThreadNice(-3).withGso(false).withGatherMicros(150);
        assertEquals(150, c.gatherMicros());
        assertEquals(32, c.batchSize());
        assertEquals(-3, c.receiveThreadNice());
        assertEquals(false, c.gso());
        assertEquals(150, c.withMaxLength(100).withPollTimeoutMillis(5).gatherMicros(), "kept by other with* copies");
    }

    @Test
    void shouldRejectACoalescingDelayOutOfRangeNamingTheSettingAndValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> NfQueueConfig.forQueue(1).withGatherMicros(10_001));
        assertTrue(e.getMessage().contains("gatherMicros") && e.getMessage().contains("10001"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> NfQueueConfig.forQueue(1).withGatherMicros(-1));
    }
}
