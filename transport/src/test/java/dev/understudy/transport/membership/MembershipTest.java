package dev.understudy.transport.membership;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class MembershipTest {
    private static final long MS = 1_000_000L;
    private final List<String> events = new ArrayList<>();
    private final Membership membership = new Membership(1, 8, 500 * MS, new MemberListener() {
        @Override
        public void onJoined(int nodeId, Role role, long epoch) {
            events.add("joined " + nodeId + " " + role);
        }

        @Override
        public void onLost(int nodeId, long lastSeenNs) {
            events.add("lost " + nodeId + " @" + lastSeenNs / MS);
        }

        @Override
        public void onRejoined(int nodeId, Role role, long epoch) {
            events.add("rejoined " + nodeId + " " + role);
        }
    });

    @Test
    void shouldReportAMemberLostOnlyAfterTheTimeout() {
        long t = 1_000 * MS;
        membership.onHeartbeat(2, Role.CLONE, 1, 10, 10, true, t);
        assertEquals(0, membership.poll(t + 500 * MS));
        assertTrue(membership.isAlive(2));
        assertEquals(1, membership.poll(t + 501 * MS));
        assertFalse(membership.isAlive(2));
        assertEquals(0, membership.poll(t + 2_000 * MS), "lost is reported once");
        assertEquals(List.of("joined 2 CLONE", "lost 2 @1000"), events);
    }

    @Test
    void shouldKeepAMemberThatHeartbeatsInTime() {
        long t = 0;
        for (int i = 0; i < 20; i++) {
            membership.onHeartbeat(3, Role.PRIMARY, 4, i, i, true, t);
            t += 400 * MS;
            assertEquals(0, membership.poll(t));
        }
        assertTrue(membership.isAlive(3));
        assertEquals(Role.PRIMARY, membership.role(3));
        assertEquals(4, membership.epoch(3));
        assertEquals(19, membership.journalPosition(3));
    }

    @Test
    void shouldReportRejoinAfterLoss() {
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 0);
        membership.poll(600 * MS);
        membership.onHeartbeat(2, Role.CATCHING_UP, 1, 0, 0, false, 700 * MS);
        assertTrue(membership.isAlive(2));
        assertFalse(membership.isHealthy(2));
        assertEquals(List.of("joined 2 CLONE", "lost 2 @0", "rejoined 2 CATCHING_UP"), events);
    }

    /** Mutation check (done once): with the gap counted for every known member, lost or not, the last assertion fails (700 ms). */
    @Test
    void shouldKeepTheLongestGapBetweenHeartbeatsButNotOneAcrossALoss() {
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 0);
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 100 * MS);
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 420 * MS);
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 450 * MS);
        membership.onHeartbeat(3, Role.CLONE, 1, 0, 0, true, 450 * MS);
        assertEquals(320 * MS, membership.longestGapNs(2));
        assertEquals(0, membership.longestGapNs(3), "one heartbeat is no gap");
        assertEquals(0, membership.longestGapNs(7), "never heard");
        membership.poll(1_000 * MS);
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 1_150 * MS);
        assertEquals(320 * MS, membership.longestGapNs(), "the silence that made node 2 lost is not a gap");
    }

    @Test
    void shouldIgnoreItsOwnAndInvalidHeartbeats() {
        assertFalse(membership.onHeartbeat(1, Role.CLONE, 1, 0, 0, true, 0));
        assertFalse(membership.onHeartbeat(0, Role.CLONE, 1, 0, 0, true, 0));
        assertFalse(membership.onHeartbeat(9, Role.CLONE, 1, 0, 0, true, 0));
        assertFalse(membership.onHeartbeat(2, null, 1, 0, 0, true, 0));
        assertEquals(0, membership.aliveCount());
        assertNull(membership.role(2));
        assertTrue(events.isEmpty());
    }

    @Test
    void shouldTrackSeveralMembersIndependently() {
        membership.onHeartbeat(2, Role.CLONE, 1, 0, 0, true, 0);
        membership.onHeartbeat(3, Role.CLONE, 1, 0, 0, true, 300 * MS);
        assertEquals(1, membership.poll(700 * MS));
        assertFalse(membership.isAlive(2));
        assertTrue(membership.isAlive(3));
        assertEquals(1, membership.aliveCount());
    }
}
