package dev.understudy.agent.election;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ElectionConfigTest {
    private static ElectionConfig config(int members, int ackQuorum) {
        return new ElectionConfig(members, ackQuorum, ElectionConfig.HEARTBEAT_INTERVAL_DEFAULT_NS,
            ElectionConfig.FAILURE_TIMEOUT_DEFAULT_NS);
    }

    @Test
    void shouldMeetEveryCommitSetWithEveryVoteQuorum() {
        for (int members = 1; members <= 9; members++) {
            for (int ack = 0; ack < members; ack++) {
                ElectionConfig c = config(members, ack);
                assertTrue(c.voteQuorum() + (ack + 1) > members, "votes meet commits: " + c);
                assertTrue(2 * c.voteQuorum() > members, "two elections meet: " + c);
                assertTrue(c.leaseQuorum() + c.voteQuorum() > members, "an election meets the primary's lease: " + c);
            }
        }
        assertEquals(2, config(3, 1).voteQuorum());
        assertEquals(2, config(3, 1).leaseQuorum());
        assertEquals(4, config(5, 1).voteQuorum(), "a majority (3) could miss both holders of a committed record");
        assertEquals(3, config(5, 2).voteQuorum());
        assertEquals(1, config(1, 0).voteQuorum());
    }

    @Test
    void shouldNameTheBadValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> config(3, 3));
        assertEquals("invalid election ack quorum: value=3, expected 0..2 for 3 members", e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> config(0, 0));
        assertThrows(IllegalArgumentException.class, () -> new ElectionConfig(3, 1, 20, 39));
    }
}
