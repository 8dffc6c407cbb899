package dev.understudy.transport.membership;

import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.internal.net.FrameSigner;
import dev.understudy.transport.internal.net.Framing;
import io.aeron.Publication;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Election frames between {@link Heartbeater}s over Aeron IPC with a real embedded media driver:
 * delivered to every other node (or only the addressee), signed, and unsigned, forged or malformed
 * frames rejected and counted without reaching the handler.
 *
 * <p>Mutation check: with {@code Heartbeater.onFragment} handing election frames to the channel
 * whether or not their MAC verified, {@link #shouldRejectAndCountUnsignedForgedAndMalformedFrames}
 * failed (the unsigned and forged promotes reached the handler, so it never saw exactly the one
 * good frame); restored.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class ControlChannelTest {
    private static final byte[] SECRET = "control-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private EmbeddedMediaDriver driver;

    /** What one node's handler saw: (sender, kind, to, epoch). */
    private static final class Seen implements ControlChannel.Handler {
        final List<long[]> frames = new ArrayList<>();

        @Override
        public void onElectionFrame(ElectionFrame f) {
            frames.add(new long[] {f.sender(), f.kind(), f.to(), f.epoch()});
        }
    }

    @BeforeEach
    void launch() {
        driver = EmbeddedMediaDriver.launch(config(1, null));
    }

    @AfterEach
    void close() {
        driver.close();
    }

    private ReplicationConfig config(int node, byte[] secret) {
        return new ReplicationConfig().nodeId(node).ipc(true)
            .aeronDir("/dev/shm/understudy-test-" + ProcessHandle.current().pid() + "-control")
            .termLength(1 << 20)
            .heartbeatInterval(20, TimeUnit.MILLISECONDS).memberTimeout(300, TimeUnit.MILLISECONDS)
            .secret(secret).conclude();
    }

    private static void runUntil(BooleanSupplier done, Runnable duty, String what) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                fail("timed out waiting for " + what);
            }
            duty.run();
            Thread.onSpinWait();
        }
    }

    private static void offer(ControlChannel c, Runnable duty) {
        for (int i = 0; i < 100_000; i++) {
            if (c.offer() > 0) {
                return;
            }
            duty.run();
        }
        fail("offer never taken");
    }

    @Test
    void shouldDeliverBroadcastsToEveryOtherNodeAndAddressedFramesToTheAddresseeOnly() {
        Seen[] seen = {null, new Seen(), new Seen(), new Seen()};
        Heartbeater[] h = new Heartbeater[4];
        try {
            for (int n = 1; n <= 3; n++) {
                h[n] = new Heartbeater(driver.aeron(), config(n, SECRET), null);
                h[n].control().handler(seen[n]);
            }
            Runnable duty = () -> {
                long now = System.nanoTime();
                for (int n = 1; n <= 3; n++) {
                    h[n].doWork(now, Role.CLONE, 1, 0, 0, true);
                }
            };
            runUntil(() -> h[1].membership().isAlive(2) && h[1].membership().isAlive(3)
                && h[2].membership().isAlive(3), duty, "everybody's heartbeats");
            h[1].control().encoder(ElectionFrame.KIND_PROMOTE).epoch(2).lastEpoch(1).lastPosition(10);
            offer(h[1].control(), duty);
            h[2].control().encoder(ElectionFrame.KIND_VOTE).to(3).epoch(2).flags(ElectionFrame.FLAG_GRANTED);
            offer(h[2].control(), duty);
            runUntil(() -> seen[2].frames.size() == 1 && seen[3].frames.size() == 2, duty, "frames");
            for (int i = 0; i < 20; i++) {
                duty.run();
            }
            assertEquals(0, seen[1].frames.size(), "a node does not hear itself");
            assertEquals(1, seen[2].frames.size(), "node 2: the promote only");
            assertEquals(List.of(1L, (long) ElectionFrame.KIND_PROMOTE, 0L, 2L), box(seen[2].frames.get(0)));
            assertEquals(2, seen[3].frames.size(), "node 3: the promote and its vote");
            assertEquals(1, h[1].control().notForUs(), "node 1 skipped the vote to node 3");
            assertEquals(2, h[1].control().sent() + h[2].control().sent());
            for (int n = 1; n <= 3; n++) {
                assertEquals(0, h[n].rejected(), "node " + n + " rejected nothing");
            }
        } finally {
            for (Heartbeater x : h) {
                if (x != null) {
                    x.close();
                }
            }
        }
    }

    /**
     * A primary's planned switchover names its target in its heartbeats, and taking it back clears
     * it. Mutation check: with {@code Heartbeater.doWork} not writing the field, node 2 never saw
     * node 3 named (timed out); restored.
     */
    @Test
    void shouldCarryAPrimarysHandOffTargetInItsHeartbeats() {
        try (Heartbeater primary = new Heartbeater(driver.aeron(), config(1, SECRET), null);
             Heartbeater clone = new Heartbeater(driver.aeron(), config(2, SECRET), null)) {
            Runnable duty = () -> {
                long now = System.nanoTime();
                primary.doWork(now, Role.PRIMARY, 1, 5, 5, true);
                clone.doWork(now, Role.CLONE, 1, 5, 5, true);
            };
            runUntil(() -> clone.membership().isAlive(1), duty, "the primary's heartbeat");
            assertEquals(0, clone.membership().handOffTo(1), "no switchover yet");
            primary.handOffTo(3);
            runUntil(() -> clone.membership().handOffTo(1) == 3, duty, "node 3 named");
            primary.handOffTo(0);
            runUntil(() -> clone.membership().handOffTo(1) == 0, duty, "the switchover called off");
            assertEquals(0, clone.membership().handOffTo(2), "a node names nobody for itself");
        }
    }

    @Test
    void shouldRejectAndCountUnsignedForgedAndMalformedFrames() {
        Seen seen = new Seen();
        try (Heartbeater node = new Heartbeater(driver.aeron(), config(2, SECRET), null);
             Heartbeater unsigned = new Heartbeater(driver.aeron(), config(3, null), null);
             Heartbeater forged = new Heartbeater(driver.aeron(), config(4, "another-secret-0123456789".getBytes(
                 StandardCharsets.US_ASCII)), null);
             Publication raw = driver.aeron().addPublication(config(5, SECRET).heartbeatChannel(),
                 ReplicationConfig.HEARTBEAT_STREAM)) {
            node.control().handler(seen);
            Runnable duty = () -> {
                long now = System.nanoTime();
                node.doWork(now, Role.CLONE, 1, 0, 0, true);
                unsigned.doWork(now, Role.CLONE, 1, 0, 0, true);
                forged.doWork(now, Role.CLONE, 1, 0, 0, true);
            };
            runUntil(() -> node.rejected() >= 2, duty, "the unsigned and forged heartbeats rejected");
            long heartbeatsRejected = node.rejected();
            unsigned.control().encoder(ElectionFrame.KIND_PROMOTE).epoch(99);
            offer(unsigned.control(), duty);
            forged.control().encoder(ElectionFrame.KIND_PROMOTE).epoch(98);
            offer(forged.control(), duty);
            // well signed but malformed: a vote addressed to nobody, a promote to epoch 0
            FrameSigner signer = new Framing(config(5, SECRET)).controlSigner();
            UnsafeBuffer b = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
            ElectionFrame f = new ElectionFrame();
            f.wrapForEncode(b, 0, 5, ElectionFrame.KIND_VOTE).epoch(3).flags(ElectionFrame.FLAG_GRANTED);
            offerRaw(raw, b, signer.sign(b, 0, ElectionFrame.LENGTH), duty);
            f.wrapForEncode(b, 0, 5, ElectionFrame.KIND_PROMOTE).epoch(0);
            offerRaw(raw, b, signer.sign(b, 0, ElectionFrame.LENGTH), duty);
            // and one good frame after them, so the test knows the others were read
            f.wrapForEncode(b, 0, 5, ElectionFrame.KIND_PROMOTE).epoch(4);
            offerRaw(raw, b, signer.sign(b, 0, ElectionFrame.LENGTH), duty);
            runUntil(() -> seen.frames.size() == 1 && node.control().rejected() == 2, duty, "the good frame");
            // frames of different publications are not ordered: give the forgers' the same chance
            long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(200);
            while (System.nanoTime() < until) {
                duty.run();
            }
            assertEquals(1, seen.frames.size(), "the forger's frames reach nobody: " + seen.frames.size() + " delivered");
            assertEquals(4L, seen.frames.get(0)[3], "the good frame's epoch");
            assertEquals(2, node.control().rejected(), "malformed election frames");
            assertTrue(node.rejected() >= heartbeatsRejected + 4, "every rejected frame counted by the heartbeater: "
                + node.rejected() + " after " + heartbeatsRejected);
        }
    }

    private static void offerRaw(Publication p, UnsafeBuffer b, int len, Runnable duty) {
        for (int i = 0; i < 100_000; i++) {
            if (p.offer(b, 0, len) > 0) {
                return;
            }
            duty.run();
        }
        fail("raw offer never taken");
    }

    private static List<Long> box(long[] v) {
        List<Long> l = new ArrayList<>();
        for (long x : v) {
            l.add(x);
        }
        return l;
    }
}
