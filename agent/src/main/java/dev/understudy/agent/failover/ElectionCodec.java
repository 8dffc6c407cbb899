package dev.understudy.agent.failover;

import dev.understudy.agent.election.ElectionRole;
import dev.understudy.agent.election.Follow;
import dev.understudy.agent.election.Heartbeat;
import dev.understudy.agent.election.Message;
import dev.understudy.agent.election.Promote;
import dev.understudy.agent.election.Vote;
import dev.understudy.agent.election.VoteRequest;
import dev.understudy.transport.membership.ElectionFrame;

/**
 * The election's {@link Message}s to and from {@link ElectionFrame}s (the layout, the kinds and the
 * role codes are drawn there). {@link ElectionRole} has no wire code of its own: this class is the
 * one mapping ({@link #roleCode}, {@link #role}).
 *
 * <p>Stateless; decoding allocates the message (the election allocates one per message anyway).
 */
public final class ElectionCodec {
    private ElectionCodec() {
    }

    /**
     * Writes {@code m} into {@code f} (already {@link ElectionFrame#wrapForEncode wrapped} for
     * {@link #kind(Message) its kind}, with {@code m.from()} as sender). A {@link Vote} or
     * {@link Follow} is addressed ({@link ElectionFrame#to()}) to its own {@code to}; the other
     * kinds are for every node.
     */
    public static void encode(Message m, ElectionFrame f) {
        f.epoch(m.epoch());
        if (m instanceof Heartbeat h) {
            f.roleCode(roleCode(h.role())).primaryId(h.primaryId()).lastEpoch(h.lastEpoch()).lastPosition(h.lastPosition())
                .applied(h.applied()).flags(h.synced() ? ElectionFrame.FLAG_SYNCED : 0);
        } else if (m instanceof VoteRequest r) {
            f.lastEpoch(r.lastEpoch()).lastPosition(r.lastPosition()).flags(r.preVote() ? ElectionFrame.FLAG_PRE_VOTE : 0);
        } else if (m instanceof Vote v) {
            f.to(v.to()).flags((v.granted() ? ElectionFrame.FLAG_GRANTED : 0) | (v.preVote() ? ElectionFrame.FLAG_PRE_VOTE : 0));
        } else if (m instanceof Promote p) {
            f.lastEpoch(p.lastEpoch()).lastPosition(p.lastPosition());
        } else if (m instanceof Follow fo) {
            f.to(fo.to()).forEpoch(fo.forEpoch()).matchEpoch(fo.matchEpoch()).matchEnd(fo.matchEnd());
        }
    }

    /** The frame kind of {@code m}. */
    public static int kind(Message m) {
        if (m instanceof Heartbeat) {
            return ElectionFrame.KIND_HEARTBEAT;
        } else if (m instanceof VoteRequest) {
            return ElectionFrame.KIND_VOTE_REQUEST;
        } else if (m instanceof Vote) {
            return ElectionFrame.KIND_VOTE;
        } else if (m instanceof Promote) {
            return ElectionFrame.KIND_PROMOTE;
        }
        return ElectionFrame.KIND_FOLLOW;
    }

    /**
     * The message in a frame that {@link ElectionFrame#validate validated}.
     *
     * @throws IllegalArgumentException for a frame that did not (a bug: the channel validates)
     */
    public static Message decode(ElectionFrame f) {
        int from = f.sender();
        long epoch = f.epoch();
        switch (f.kind()) {
            case ElectionFrame.KIND_HEARTBEAT:
                return new Heartbeat(from, epoch, role(f.roleCode()), f.primaryId(), f.lastEpoch(), f.lastPosition(),
                    f.applied(), f.flag(ElectionFrame.FLAG_SYNCED));
            case ElectionFrame.KIND_VOTE_REQUEST:
                return new VoteRequest(from, epoch, f.lastEpoch(), f.lastPosition(), f.flag(ElectionFrame.FLAG_PRE_VOTE));
            case ElectionFrame.KIND_VOTE:
                return new Vote(from, epoch, f.flag(ElectionFrame.FLAG_GRANTED), f.to(), f.flag(ElectionFrame.FLAG_PRE_VOTE));
            case ElectionFrame.KIND_PROMOTE:
                return new Promote(from, epoch, f.lastEpoch(), f.lastPosition());
            case ElectionFrame.KIND_FOLLOW:
                return new Follow(from, epoch, f.to(), f.forEpoch(), f.matchEpoch(), f.matchEnd());
            default:
                throw new IllegalArgumentException("invalid election frame kind: value=" + f.kind() + ", expected 1..5");
        }
    }

    /** The wire code of an election role ({@code ElectionFrame.ROLE_*}). */
    public static int roleCode(ElectionRole role) {
        switch (role) {
            case PRIMARY:
                return ElectionFrame.ROLE_PRIMARY;
            case CLONE:
                return ElectionFrame.ROLE_CLONE;
            case CANDIDATE:
                return ElectionFrame.ROLE_CANDIDATE;
            case FENCED:
                return ElectionFrame.ROLE_FENCED;
            default:
                throw new IllegalArgumentException("invalid election role: value=" + role);
        }
    }

    /**
     * @throws IllegalArgumentException for a code that is not an election role's
     */
    public static ElectionRole role(int code) {
        switch (code) {
            case ElectionFrame.ROLE_PRIMARY:
                return ElectionRole.PRIMARY;
            case ElectionFrame.ROLE_CLONE:
                return ElectionRole.CLONE;
            case ElectionFrame.ROLE_CANDIDATE:
                return ElectionRole.CANDIDATE;
            case ElectionFrame.ROLE_FENCED:
                return ElectionRole.FENCED;
            default:
                throw new IllegalArgumentException("invalid election role code: value=" + code + ", expected 1, 2, 4 or 5");
        }
    }
}
