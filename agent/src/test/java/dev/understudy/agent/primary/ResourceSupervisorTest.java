package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The supervisor's faults one at a time, with the time passed in. Mutation check: with the capture
 * check comparing the kernel's queue to 0 instead of to the held packets,
 * {@link #shouldFindACaptureThatStoppedReadingButNotOneThatHoldsInput} failed (a primary holding
 * input for its clones counted as stalled); restored.
 */
class ResourceSupervisorTest {
    private static final long S = TimeUnit.SECONDS.toNanos(1);
    private static final long MB = 1 << 20;

    private static ResourceSupervisor.Probe healthy(boolean listening, long packets, long queued, long held) {
        return new ResourceSupervisor.Probe(true, null, 100 * MB, 1000 * MB, listening, packets, queued, held);
    }

    @Test
    void shouldReportAFullJournalAndANearlyExhaustedHeapAtOnce() {
        ResourceSupervisor s = new ResourceSupervisor();
        assertNull(s.check(0, healthy(true, 1, 0, 0)));
        String journal = s.check(S, new ResourceSupervisor.Probe(false, "append failed: No space left on device", 0, 0, true,
            1, 0, 0));
        assertTrue(journal.startsWith("journal: append failed: No space left"), journal);
        String heap = s.check(2 * S, new ResourceSupervisor.Probe(true, null, 960 * MB, 1000 * MB, true, 1, 0, 0));
        assertTrue(heap.startsWith("heap nearly exhausted: 960 of 1000 MB"), heap);
        assertNull(s.check(3 * S, new ResourceSupervisor.Probe(true, null, 940 * MB, 1000 * MB, true, 1, 0, 0)), "94 %");
        assertNull(s.check(4 * S, new ResourceSupervisor.Probe(true, null, 960 * MB, 0, true, 1, 0, 0)), "max unknown");
    }

    @Test
    void shouldReportAListenerGoneForASecondButNotOneNotYetOpened() {
        ResourceSupervisor s = new ResourceSupervisor();
        assertNull(s.check(0, healthy(false, 0, 0, 0)), "the application has not listened yet");
        assertNull(s.check(5 * S, healthy(false, 0, 0, 0)));
        assertNull(s.check(6 * S, healthy(true, 0, 0, 0)));
        assertNull(s.check(7 * S, healthy(false, 0, 0, 0)), "gone just now");
        assertNull(s.check(7 * S + S / 2, healthy(true, 0, 0, 0)), "back: a restart of the listener");
        assertNull(s.check(8 * S, healthy(false, 0, 0, 0)));
        String gone = s.check(9 * S, healthy(false, 0, 0, 0));
        assertTrue(gone != null && gone.startsWith("listener gone"), String.valueOf(gone));
    }

    @Test
    void shouldFindACaptureThatStoppedReadingButNotOneThatHoldsInput() {
        ResourceSupervisor s = new ResourceSupervisor();
        for (int i = 0; i < 5; i++) {
            assertNull(s.check(i * S, healthy(true, 10, 40, 40)), "40 queued, all read and held for the input commit");
        }
        assertNull(s.check(5 * S, healthy(true, 10, 45, 40)), "5 unread: just now");
        assertNull(s.check(5 * S + S / 2, healthy(true, 12, 45, 40)), "read on");
        assertNull(s.check(6 * S, healthy(true, 12, 47, 40)));
        String stalled = s.check(7 * S + 1, healthy(true, 12, 47, 40));
        assertTrue(stalled != null && stalled.startsWith("capture stalled: 7 packets wait unread"), String.valueOf(stalled));
        assertFalse(new ResourceSupervisor().check(0, healthy(true, 0, 0, 0)) != null);
    }

    @Test
    void shouldReadListenersOffProcNetTcp() {
        int[] ports = {7000};
        // 7000 = 0x1B58; state 0A = LISTEN, 01 = ESTABLISHED
        assertTrue(PrimaryNode.listensOn("   0: 00000000:1B58 00000000:0000 0A 00000000:00000000 00:00000000 00000000", ports));
        assertTrue(PrimaryNode.listensOn("   1: 00000000000000000000000000000000:1B58 00000000000000000000000000000000:0000 0A"
            + " 00000000:00000000 00:00000000 00000000", ports), "tcp6");
        assertFalse(PrimaryNode.listensOn("   2: 641200C6:1B58 0B1200C6:9C40 01 00000000:00000000 00:00000000 00000000", ports),
            "an established connection");
        assertFalse(PrimaryNode.listensOn("   3: 00000000:1B59 00000000:0000 0A 00000000:00000000 00:00000000 00000000", ports),
            "another port");
    }
}
