package dev.understudy.agent.primary;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpSegment;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.AtomicCounter;
import org.junit.jupiter.api.Test;

class OutputCommitTest {
    private static final int ACK = 0x10;
    private static final int FIN = 0x01;
    private static final byte[] REPLY = "VALUE 7\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    private final UnsafeBuffer values = new UnsafeBuffer(ByteBuffer.allocateDirect(1024));
    private final AtomicCounter held = new AtomicCounter(values, 0);
    private final AtomicCounter released = new AtomicCounter(values, 1);
    private final List<Integer> releases = new ArrayList<>();

    private OutputCommit commit(int quorum) {
        OutputCommit c = new OutputCommit(quorum, 16, held, released);
        c.releaser(id -> releases.add(id));
        return c;
    }

    private static TcpSegment data() {
        return Packets.segment(40000, 7000, 1, 1, ACK, REPLY);
    }

    /**
     * A reply waits for the records that may have shaped it: first for the ring to be drained past
     * the position it was tagged with (its sequence is then the journal position of that moment),
     * then for that sequence to be durable on the quorum.
     * Mutation check: with {@code resolve} tagging every held segment (not only those at or below the
     * consumed ring position), id 2 was released at durable 10 although its ring events were not yet
     * recorded, and the test failed; restored.
     */
    @Test
    void shouldReleaseAReplyOnlyOnceTheRecordsBeforeItAreDurable() {
        OutputCommit c = commit(1);
        assertEquals(Verdict.HOLD, c.onSegment(1, data(), 100));
        assertEquals(Verdict.HOLD, c.onSegment(2, data(), 200));
        c.onDurable(1, 50);
        assertEquals(List.of(), releases, "durable, but no held segment has a sequence yet");
        c.resolve(150, 10); // ring drained to 150: segment 1's events are records <= 10; segment 2's not yet
        assertEquals(List.of(1), releases, "10 is durable at 50");
        c.resolve(250, 60);
        assertEquals(List.of(1), releases, "segment 2 needs 60, durable is 50");
        c.onDurable(1, 59);
        assertEquals(List.of(1), releases);
        c.onDurable(1, 60);
        assertEquals(List.of(1, 2), releases);
        assertEquals(0, c.held());
        assertEquals(2, released.get());
    }

    /**
     * Segments that carry nothing for the stream leave at once, and so does everything with quorum 0;
     * a FIN waits like data.
     * Mutation check: treating a FIN like a pure ACK (not held) failed the FIN assertion; restored.
     */
    @Test
    void shouldHoldPayloadAndFinButNotPureAcks() {
        OutputCommit c = commit(1);
        assertEquals(Verdict.ACCEPT, c.onSegment(1, Packets.segment(40000, 7000, 1, 1, ACK, new byte[0]), 10));
        assertEquals(Verdict.HOLD, c.onSegment(2, Packets.segment(40000, 7000, 1, 1, ACK | FIN, new byte[0]), 10));
        assertEquals(Verdict.ACCEPT, commit(0).onSegment(3, data(), 10), "quorum 0: nothing to wait for");
    }

    /**
     * Degraded with the serve policy everything held goes, and later replies leave at once; a stopped
     * commit (fenced, handed over) releases nothing, durable or not, and drops what comes.
     * Mutation check: with {@code onDurable} still flushing after {@code stop}, id 1 was released and
     * the test failed; restored.
     */
    @Test
    void shouldServeWhenDegradedAndReleaseNothingOnceStopped() {
        OutputCommit c = commit(1);
        assertEquals(Verdict.HOLD, c.onSegment(1, data(), 10));
        c.resolve(10, 5);
        c.stop();
        c.onDurable(1, 5);
        c.doWork(true);
        assertEquals(List.of(), releases, "stopped: nothing leaves");
        assertEquals(Verdict.DROP, c.onSegment(2, data(), 10));

        OutputCommit d = commit(1);
        assertEquals(Verdict.HOLD, d.onSegment(7, data(), 10));
        long now = System.nanoTime();
        assertEquals(false, d.stalled(now, 1_000_000_000L), "held for less than the timeout");
        assertEquals(true, d.stalled(now + 2_000_000_000L, 1_000_000_000L), "held for longer: the clones do not acknowledge");
        d.doWork(true);
        assertEquals(List.of(7), releases, "degraded, serve: released unresolved");
        assertEquals(Verdict.ACCEPT, d.onSegment(8, data(), 20));
        d.doWork(false);
        assertEquals(Verdict.HOLD, d.onSegment(9, data(), 30), "protected again: held");
    }
}
