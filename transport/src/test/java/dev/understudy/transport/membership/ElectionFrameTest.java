package dev.understudy.transport.membership;

import dev.understudy.transport.internal.net.Wire;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link ElectionFrame}: the layout byte for byte, and every rule of {@link ElectionFrame#validate}. */
class ElectionFrameTest {
    private final UnsafeBuffer b = new UnsafeBuffer(new byte[128]);
    private final ElectionFrame f = new ElectionFrame();

    private ElectionFrame heartbeat() {
        return f.wrapForEncode(b, 0, 3, ElectionFrame.KIND_HEARTBEAT).roleCode(ElectionFrame.ROLE_CLONE).primaryId(1)
            .epoch(7).lastEpoch(6).lastPosition(1234).applied(1200).flags(ElectionFrame.FLAG_SYNCED);
    }

    private int validate() {
        return new ElectionFrame().wrap(b, 0).validate(ElectionFrame.LENGTH);
    }

    @Test
    void shouldLayOutAHeartbeatLittleEndianAtTheDocumentedOffsets() {
        heartbeat();
        assertEquals(72, ElectionFrame.LENGTH);
        assertEquals(ElectionFrame.LENGTH, b.getInt(0, ByteOrder.LITTLE_ENDIAN), "frame length");
        assertEquals(0x81, b.getByte(4) & 0xFF, "control version");
        assertEquals(0, b.getByte(5), "flags (signing sets them)");
        assertEquals(7, b.getByte(6), "type");
        assertEquals(Wire.TYPE_ELECTION, ElectionFrame.TYPE);
        assertEquals(3, b.getShort(8, ByteOrder.LITTLE_ENDIAN), "sender");
        assertEquals(1, b.getByte(32), "kind");
        assertEquals(4, b.getByte(33), "flags: synced");
        assertEquals(2, b.getByte(34), "role: clone");
        assertEquals(0, b.getByte(35));
        assertEquals(0, b.getShort(36, ByteOrder.LITTLE_ENDIAN), "to: all");
        assertEquals(1, b.getShort(38, ByteOrder.LITTLE_ENDIAN), "primary id");
        assertEquals(7, b.getLong(40, ByteOrder.LITTLE_ENDIAN), "epoch");
        assertEquals(6, b.getLong(48, ByteOrder.LITTLE_ENDIAN), "last epoch");
        assertEquals(1234, b.getLong(56, ByteOrder.LITTLE_ENDIAN), "last position");
        assertEquals(1200, b.getLong(64, ByteOrder.LITTLE_ENDIAN), "applied");
        assertEquals(ElectionFrame.OK, validate());
    }

    @Test
    void shouldReadBackEveryFieldOfAFollowIncludingSixtyFourBitEpochs() {
        long big = (1L << 40) + 5;
        f.wrapForEncode(b, 0, 64, ElectionFrame.KIND_FOLLOW).to(2).epoch(big).forEpoch(big - 1).matchEpoch(big - 3)
            .matchEnd(Long.MAX_VALUE);
        ElectionFrame r = new ElectionFrame().wrap(b, 0);
        assertEquals(ElectionFrame.OK, r.validate(ElectionFrame.LENGTH));
        assertEquals(64, r.sender());
        assertEquals(ElectionFrame.KIND_FOLLOW, r.kind());
        assertEquals(2, r.to());
        assertEquals(big, r.epoch());
        assertEquals(big - 1, r.forEpoch());
        assertEquals(big - 3, r.matchEpoch());
        assertEquals(Long.MAX_VALUE, r.matchEnd());
        assertEquals(Long.MAX_VALUE, b.getLong(64, ByteOrder.LITTLE_ENDIAN), "match end at 64");
    }

    @Test
    void shouldUseTheMembershipRoleCodesWhereTheRolesAreTheSame() {
        assertEquals(Role.PRIMARY.code(), ElectionFrame.ROLE_PRIMARY);
        assertEquals(Role.CLONE.code(), ElectionFrame.ROLE_CLONE);
        for (Role r : Role.values()) {
            assertTrue(r.code() != ElectionFrame.ROLE_CANDIDATE && r.code() != ElectionFrame.ROLE_FENCED,
                "candidate and fenced codes are free in Role: " + r);
        }
    }

    @Test
    void shouldAcceptEachKindWithItsFields() {
        f.wrapForEncode(b, 0, 2, ElectionFrame.KIND_VOTE_REQUEST).epoch(2).lastEpoch(1).lastPosition(9)
            .flags(ElectionFrame.FLAG_PRE_VOTE);
        assertEquals(ElectionFrame.OK, validate());
        f.wrapForEncode(b, 0, 2, ElectionFrame.KIND_VOTE).to(3).epoch(2)
            .flags(ElectionFrame.FLAG_GRANTED | ElectionFrame.FLAG_PRE_VOTE);
        assertEquals(ElectionFrame.OK, validate());
        f.wrapForEncode(b, 0, 2, ElectionFrame.KIND_PROMOTE).epoch(2).lastEpoch(1).lastPosition(9);
        assertEquals(ElectionFrame.OK, validate());
        for (int role : new int[] {ElectionFrame.ROLE_PRIMARY, ElectionFrame.ROLE_CANDIDATE, ElectionFrame.ROLE_FENCED}) {
            heartbeat().roleCode(role);
            assertEquals(ElectionFrame.OK, validate(), "role " + role);
        }
    }

    @Test
    void shouldRejectEveryMalformedFrame() {
        heartbeat();
        assertEquals(ElectionFrame.TOO_SHORT, new ElectionFrame().wrap(b, 0).validate(ElectionFrame.LENGTH - 1));

        heartbeat();
        b.putByte(4, (byte) 0x01); // a record frame's version, not a control frame
        assertEquals(ElectionFrame.NOT_ELECTION, validate());
        heartbeat();
        b.putByte(6, (byte) Wire.TYPE_HEARTBEAT);
        assertEquals(ElectionFrame.NOT_ELECTION, validate());

        f.wrapForEncode(b, 0, 0, ElectionFrame.KIND_PROMOTE).epoch(1);
        assertEquals(ElectionFrame.BAD_SENDER, validate(), "sender 0");
        f.wrapForEncode(b, 0, 65, ElectionFrame.KIND_PROMOTE).epoch(1);
        assertEquals(ElectionFrame.BAD_SENDER, validate(), "sender beyond the node ids");

        for (int kind : new int[] {0, 6, 255}) {
            f.wrapForEncode(b, 0, 1, kind).epoch(1);
            assertEquals(ElectionFrame.BAD_KIND, validate(), "kind " + kind);
        }

        heartbeat().flags(ElectionFrame.FLAG_GRANTED);
        assertEquals(ElectionFrame.BAD_FLAGS, validate(), "granted on a heartbeat");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_PROMOTE).epoch(1).flags(ElectionFrame.FLAG_PRE_VOTE);
        assertEquals(ElectionFrame.BAD_FLAGS, validate(), "pre-vote on a promote");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_VOTE).to(2).epoch(1).flags(0x80);
        assertEquals(ElectionFrame.BAD_FLAGS, validate(), "unknown flag");

        for (int role : new int[] {0, 3, 6, 200}) {
            heartbeat().roleCode(role);
            assertEquals(ElectionFrame.BAD_ROLE, validate(), "heartbeat role " + role);
        }
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_VOTE).to(2).epoch(1).roleCode(ElectionFrame.ROLE_CLONE);
        assertEquals(ElectionFrame.BAD_ROLE, validate(), "role on a vote");

        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_VOTE).epoch(1);
        assertEquals(ElectionFrame.BAD_NODE_ID, validate(), "vote to nobody");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_FOLLOW).to(65).epoch(1);
        assertEquals(ElectionFrame.BAD_NODE_ID, validate(), "follow to no node");
        heartbeat().to(2);
        assertEquals(ElectionFrame.BAD_NODE_ID, validate(), "a heartbeat is for everybody");
        heartbeat().primaryId(65);
        assertEquals(ElectionFrame.BAD_NODE_ID, validate(), "primary beyond the node ids");

        heartbeat().epoch(-1);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "negative epoch");
        heartbeat().lastPosition(Long.MIN_VALUE);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "negative position");
        heartbeat().applied(1235);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "applied beyond the journal");
        heartbeat().applied(1234);
        assertEquals(ElectionFrame.OK, validate(), "applied all of the journal");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_VOTE_REQUEST).epoch(0);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "vote asked for epoch 0");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_PROMOTE).epoch(0);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "promoted to epoch 0");
        f.wrapForEncode(b, 0, 1, ElectionFrame.KIND_VOTE).to(2).epoch(1).lastPosition(3);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "position on a vote");
        heartbeat();
        b.putByte(35, (byte) 1);
        assertEquals(ElectionFrame.BAD_VALUE, validate(), "reserved byte");
    }

    @Test
    void shouldReadFlagsIndividually() {
        heartbeat();
        ElectionFrame r = new ElectionFrame().wrap(b, 0);
        assertTrue(r.flag(ElectionFrame.FLAG_SYNCED));
        assertFalse(r.flag(ElectionFrame.FLAG_GRANTED));
        assertFalse(r.flag(ElectionFrame.FLAG_PRE_VOTE));
    }
}
