package dev.understudy.agent.failover;

import dev.understudy.agent.election.ElectionRole;
import dev.understudy.agent.election.Follow;
import dev.understudy.agent.election.Heartbeat;
import dev.understudy.agent.election.Message;
import dev.understudy.agent.election.Promote;
import dev.understudy.agent.election.Vote;
import dev.understudy.agent.election.VoteRequest;
import dev.understudy.transport.membership.ElectionFrame;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** {@link ElectionCodec}: every message survives the wire unchanged, and the role codes are fixed. */
class ElectionCodecTest {
    private final UnsafeBuffer buffer = new UnsafeBuffer(new byte[256]);

    private Message roundTrip(Message m) {
        ElectionFrame f = new ElectionFrame().wrapForEncode(buffer, 0, m.from(), ElectionCodec.kind(m));
        ElectionCodec.encode(m, f);
        ElectionFrame r = new ElectionFrame().wrap(buffer, 0);
        assertEquals(ElectionFrame.OK, r.validate(ElectionFrame.LENGTH), "a valid frame for " + m);
        return ElectionCodec.decode(r);
    }

    @Test
    void shouldDecodeEveryKindOfMessageToWhatWasEncoded() {
        List<Message> messages = new ArrayList<>();
        for (ElectionRole role : ElectionRole.values()) {
            messages.add(new Heartbeat(3, 7, role, 1, 6, 1234, 1200, role == ElectionRole.CLONE));
        }
        messages.add(new Heartbeat(1, 0, ElectionRole.CLONE, 0, 0, 0, 0, false)); // a node that never ran
        messages.add(new VoteRequest(2, 8, 7, 99, true));
        messages.add(new VoteRequest(2, 8, 7, 99, false));
        for (boolean granted : new boolean[] {false, true}) {
            for (boolean pre : new boolean[] {false, true}) {
                messages.add(new Vote(3, 8, granted, 2, pre));
            }
        }
        messages.add(new Promote(2, 8, 7, 99));
        messages.add(new Follow(2, 8, 3, 6, 5, 77));
        for (Message m : messages) {
            assertEquals(m, roundTrip(m));
        }
    }

    @Test
    void shouldCarrySixtyFourBitEpochsAndPositionsAcrossTheirRange() {
        SplittableRandom rnd = new SplittableRandom(42);
        for (int i = 0; i < 10_000; i++) {
            long e = 1 + rnd.nextLong(Long.MAX_VALUE - 1);
            long p = rnd.nextLong(Long.MAX_VALUE);
            int from = 1 + rnd.nextInt(64);
            int to = 1 + rnd.nextInt(64);
            ElectionRole role = ElectionRole.values()[rnd.nextInt(ElectionRole.values().length)];
            for (Message m : List.of(
                new Heartbeat(from, e, role, rnd.nextInt(65), e - 1, p, rnd.nextLong(p + 1), rnd.nextBoolean()),
                new VoteRequest(from, e, e - 1, p, rnd.nextBoolean()),
                new Vote(from, e, rnd.nextBoolean(), to, rnd.nextBoolean()),
                new Promote(from, e, e - 1, p),
                new Follow(from, e, to, e - 1, rnd.nextLong(e), p))) {
                assertEquals(m, roundTrip(m));
            }
        }
    }

    @Test
    void shouldAddressVotesAndFollowsToTheirCandidateOrCloneAndEverythingElseToAll() {
        roundTrip(new Vote(3, 8, true, 2, false));
        assertEquals(2, new ElectionFrame().wrap(buffer, 0).to());
        roundTrip(new Follow(2, 8, 3, 6, 5, 77));
        assertEquals(3, new ElectionFrame().wrap(buffer, 0).to());
        roundTrip(new Promote(2, 8, 7, 99));
        assertEquals(0, new ElectionFrame().wrap(buffer, 0).to());
    }

    @Test
    void shouldMapRolesToFixedWireCodes() {
        assertEquals(1, ElectionCodec.roleCode(ElectionRole.PRIMARY));
        assertEquals(2, ElectionCodec.roleCode(ElectionRole.CLONE));
        assertEquals(4, ElectionCodec.roleCode(ElectionRole.CANDIDATE));
        assertEquals(5, ElectionCodec.roleCode(ElectionRole.FENCED));
        for (ElectionRole r : ElectionRole.values()) {
            assertEquals(r, ElectionCodec.role(ElectionCodec.roleCode(r)));
        }
        assertThrows(IllegalArgumentException.class, () -> ElectionCodec.role(3));
        assertThrows(IllegalArgumentException.class, () -> ElectionCodec.role(0));
    }
}
