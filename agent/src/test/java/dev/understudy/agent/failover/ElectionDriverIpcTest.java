package dev.understudy.agent.failover;

import dev.understudy.agent.election.DurableState;
import dev.understudy.agent.election.ElectionConfig;
import dev.understudy.agent.election.ElectionRole;
import dev.understudy.agent.election.EpochHistory;
import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.membership.ElectionFrame;
import dev.understudy.transport.membership.Heartbeater;
import dev.understudy.transport.membership.Role;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Three {@link ElectionDriver}s elect, fail over and fence over real Aeron: one embedded media
 * driver, the heartbeat stream on IPC, every frame signed, each node its own {@link Heartbeater}
 * (the object {@code ReplicationPrimary.control()} and {@code ReplicationClone.control()} hand out)
 * and its own {@link DurableStateFile}, each on its own clock (different origins: nodes never
 * compare each other's times). The journals are modelled by the test: a synced clone appends what
 * its primary's journal holds.
 *
 * <ol>
 *   <li>Node 1 stands first and becomes primary of epoch 1; nodes 2 and 3 follow and sync; the
 *       journals fill (node 1 and 2 to position 10, node 3 to 9).</li>
 *   <li>Node 1 stops being driven (its process is dead or frozen: no duty cycle, nothing received). Exactly
 *       one of 2 and 3 is promoted in epoch 2 (node 2, the more up to date; node 3 cannot win
 *       without node 2's vote), and at that moment the voter's state file already holds its vote
 *       (persisted before it was sent). The other follows it and syncs.</li>
 *   <li>An unsigned node forges a promote to epoch 50 in node 3's name: rejected and counted, nobody
 *       moves.</li>
 *   <li>Node 1 is driven again (the SIGCONT after a long GC pause): it reports {@code onFenced}, ends
 *       up in epoch 2 without ever acting as its primary, and the new primary keeps serving.</li>
 * </ol>
 *
 * <p>Mutation checks, each made in a working copy and reverted:
 * <ul>
 *   <li>{@code ElectionDriver.Adapter.onDurableStateChanged} skipping the write of a vote for another
 *       node ({@code state.votedFor() != nodeId}): failed at "the voter persisted its vote before
 *       sending it" (node 3's file held epoch 2 and no vote when node 2 won).</li>
 *   <li>{@code Heartbeater.onFragment} handing election frames to the channel without checking their
 *       MAC: failed at step 3 (node 2, primary of epoch 2, saw the forged promote of epoch 50 and was
 *       fenced).</li>
 * </ul>
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ElectionDriverIpcTest {
    private static final byte[] SECRET = "election-test-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final long MS = 1_000_000L;
    /** Generous for a 2-core machine shared with other JVMs: a 300 ms failure timeout, 20 ms heartbeats. */
    private static final ElectionConfig ELECTION = new ElectionConfig(3, 1, 20 * MS, 300 * MS);
    /** Each node's clock origin: far apart, so a comparison of two nodes' times would show. */
    private static final long[] CLOCK_OFFSET = {0, 0, 7_000_000_000_000L, -3_000_000_000_000L};

    @TempDir
    Path dir;
    private EmbeddedMediaDriver media;
    private final Heartbeater[] heartbeaters = new Heartbeater[4];
    private final ElectionDriver[] drivers = new ElectionDriver[4];
    private final EpochHistory[] journals = new EpochHistory[4];
    private final DurableStateFile[] files = new DurableStateFile[4];
    private final boolean[] running = new boolean[4];
    /** How far each clone copies its primary's journal (phase 1: node 3 stays one record behind). */
    private final long[] limit = {0, Long.MAX_VALUE, 10, 9};
    private final List<String> events = new ArrayList<>();
    /** Epoch → nodes promoted in it. */
    private final TreeMap<Long, List<Integer>> promotions = new TreeMap<>();
    private final List<Long> fencedAt = new ArrayList<>();
    private final List<String> problems = new ArrayList<>();

    @BeforeEach
    void launch() {
        media = EmbeddedMediaDriver.launch(config(1, SECRET));
    }

    @AfterEach
    void close() {
        for (int n = 1; n <= 3; n++) {
            if (drivers[n] != null) {
                drivers[n].close();
            }
            if (heartbeaters[n] != null) {
                heartbeaters[n].close();
            }
        }
        media.close();
    }

    private ReplicationConfig config(int node, byte[] secret) {
        return new ReplicationConfig().nodeId(node).ipc(true)
            .aeronDir("/dev/shm/understudy-test-" + ProcessHandle.current().pid() + "-election")
            .termLength(1 << 20)
            .heartbeatInterval(20, TimeUnit.MILLISECONDS).memberTimeout(300, TimeUnit.MILLISECONDS)
            .secret(secret).conclude();
    }

    private static long clock(int n) {
        return System.nanoTime() + CLOCK_OFFSET[n];
    }

    private final class Node implements ElectionDriver.Listener {
        final int id;

        Node(int id) {
            this.id = id;
        }

        @Override
        public void onPromoted(long epoch) {
            events.add("n" + id + " promoted in epoch " + epoch);
            promotions.computeIfAbsent(epoch, e -> new ArrayList<>()).add(id);
            // invariant 6 on the wire: a quorum voted, so the voters that are alive already hold their
            // vote on disk (a vote is persisted before it is sent)
            for (int v = 1; v <= 3; v++) {
                if (v != id && running[v] && epoch > 1) {
                    DurableState onDisk = files[v].read();
                    if (!onDisk.equals(new DurableState(epoch, id))) {
                        problems.add("the voter persisted its vote before sending it: n" + v + "'s file holds " + onDisk
                            + " when n" + id + " won epoch " + epoch);
                    }
                }
            }
            // the epoch's first record (PROMOTE), reported as soon as it is in the journal
            drivers[id].onAppended(epoch, journals[id].lastPosition() + 1);
        }

        @Override
        public void onFenced(long epoch) {
            events.add("n" + id + " fenced in epoch " + epoch);
            if (id == 1) {
                fencedAt.add(epoch);
            } else {
                problems.add("n" + id + " fenced in epoch " + epoch);
            }
        }

        @Override
        public void onFollow(int primaryId, long epoch) {
            events.add("n" + id + " follows n" + primaryId + " in epoch " + epoch);
        }

        @Override
        public void onTruncate(long position) {
            events.add("n" + id + " truncates after " + position);
        }

        @Override
        public void onSynced(int primaryId, long epoch, long position) {
            events.add("n" + id + " synced to n" + primaryId + " in epoch " + epoch + " at " + position);
        }
    }

    /** One duty cycle of every running node: its transport (which receives frames), its election, its journal. */
    private void duty() {
        for (int n = 1; n <= 3; n++) {
            if (!running[n]) {
                continue;
            }
            long now = clock(n);
            ElectionDriver d = drivers[n];
            Role role = d.role() == ElectionRole.PRIMARY ? Role.PRIMARY : Role.CLONE;
            heartbeaters[n].doWork(now, role, d.epoch(), d.lastPosition(), d.lastPosition(), true);
            d.doWork(now);
            replicate(n);
        }
    }

    /** The journal model: a primary writes up to its limit; a synced clone copies its primary's records. */
    private void replicate(int n) {
        ElectionDriver d = drivers[n];
        if (d.role() == ElectionRole.PRIMARY) {
            // the primary of epoch e writes up to position 10 e (epoch 1: the PROMOTE record and 9 more)
            if (d.lastEpoch() == d.epoch() && d.lastPosition() < 10 * d.epoch()) {
                d.onAppended(d.epoch(), 10 * d.epoch());
            }
            return;
        }
        int p = d.primaryId();
        if (d.role() != ElectionRole.CLONE || !d.synced() || p == 0 || !running[p] || drivers[p].role() != ElectionRole.PRIMARY
            || drivers[p].epoch() != d.epoch()) {
            return;
        }
        long upTo = Math.min(limit[n], journals[p].lastPosition());
        for (long pos = d.lastPosition() + 1; pos <= upTo; pos++) {
            d.onAppended(journals[p].epochAt(pos), pos);
        }
    }

    private void runUntil(BooleanSupplier done, long timeoutMs, String what) {
        long deadline = System.nanoTime() + timeoutMs * MS;
        while (!done.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                fail("timed out after " + timeoutMs + " ms waiting for " + what + "\n" + state());
            }
            duty();
            LockSupport.parkNanos(MS / 2);
        }
        assertTrue(problems.isEmpty(), problems + "\n" + state());
    }

    private void runFor(long ms) {
        long until = System.nanoTime() + ms * MS;
        while (System.nanoTime() - until < 0) {
            duty();
            LockSupport.parkNanos(MS / 2);
        }
        assertTrue(problems.isEmpty(), problems + "\n" + state());
    }

    private String state() {
        StringBuilder b = new StringBuilder();
        for (int n = 1; n <= 3; n++) {
            b.append(drivers[n]).append(running[n] ? "" : " (not driven)").append(", frames rejected ")
                .append(heartbeaters[n].rejected()).append('\n');
        }
        return b.append("events: ").append(events).toString();
    }

    private boolean stable(int primary, long epoch, int... clones) {
        if (drivers[primary].role() != ElectionRole.PRIMARY || drivers[primary].epoch() != epoch) {
            return false;
        }
        for (int c : clones) {
            ElectionDriver d = drivers[c];
            if (d.role() != ElectionRole.CLONE || d.primaryId() != primary || d.epoch() != epoch || !d.synced()) {
                return false;
            }
        }
        return true;
    }

    @Test
    void shouldElectExactlyOneCloneWhenThePrimaryDiesAndFenceTheOldPrimaryWhenItWakes() {
        long start = System.nanoTime();
        for (int n = 1; n <= 3; n++) {
            heartbeaters[n] = new Heartbeater(media.aeron(), config(n, SECRET), null);
            journals[n] = new EpochHistory();
            files[n] = DurableStateFile.nextTo(dir.resolve("node" + n).resolve("journal"));
            dir.resolve("node" + n).toFile().mkdirs();
            // node 1 started a failure timeout earlier than the others: it stands first
            long born = clock(n) - (n == 1 ? 2 * ELECTION.failureTimeoutNs() : 0);
            drivers[n] = new ElectionDriver(ELECTION, n, files[n], journals[n], new SplittableRandom(n), new Node(n), born);
            drivers[n].attach(heartbeaters[n].control());
            running[n] = true;
        }

        // 1. node 1 primary of epoch 1, nodes 2 and 3 synced clones, journals filled
        runUntil(() -> stable(1, 1, 2, 3) && drivers[2].lastPosition() == 10 && drivers[3].lastPosition() == 9,
            10_000, "node 1 primary of epoch 1 with two synced clones");
        assertEquals(List.of(1), promotions.get(1L));
        assertEquals(new DurableState(1, 1), files[1].read());
        assertEquals(1, files[2].read().epoch());
        runFor(200); // a steady state: heartbeats only, nobody moves
        assertTrue(stable(1, 1, 2, 3), state());
        assertEquals(1, promotions.size(), "no election while the primary is heard: " + promotions);

        // 2. node 1 dies: no duty cycle, no heartbeat, and nothing it would have received reaches it.
        // Its heartbeater is closed: in one shared media driver a subscription nobody polls would hold
        // every IPC publisher back after a term window; a frozen node's own driver is frozen with it and
        // the others' heartbeat publications do not wait for it (fc=max), its socket buffers just drop.
        // The election state (the driver) is kept, as a paused process keeps it.
        running[1] = false;
        drivers[1].detach();
        heartbeaters[1].close();
        limit[2] = Long.MAX_VALUE;
        limit[3] = Long.MAX_VALUE;
        long killed = System.nanoTime();
        runUntil(() -> promotions.containsKey(2L) && (stable(2, 2, 3) || stable(3, 2, 2)), 20_000,
            "a new primary of epoch 2 followed by the other clone");
        long failoverMs = (System.nanoTime() - killed) / MS;
        assertEquals(List.of(2), promotions.get(2L), "exactly one primary of epoch 2, the more up-to-date clone");
        assertTrue(stable(2, 2, 3), state());
        assertTrue(events.contains("n3 synced to n2 in epoch 2 at 9"), "node 3 in step where its journal ends: " + events);
        assertEquals(new DurableState(2, 2), files[2].read(), "the winner's own vote is on disk");
        assertEquals(new DurableState(2, 2), files[3].read(), "the voter's vote is on disk");
        runUntil(() -> drivers[3].lastPosition() == drivers[2].lastPosition(), 5_000, "node 3 replicates epoch 2");
        assertEquals(2, journals[3].epochAt(11), "node 3 holds the new primary's PROMOTE record");

        // 3. an unsigned node forges a promotion in node 3's name: nobody moves
        long rejectedBefore = heartbeaters[2].rejected() + heartbeaters[3].rejected();
        try (Heartbeater forger = new Heartbeater(media.aeron(), config(3, null), null)) {
            for (int i = 0; i < 500 && forger.control().sent() < 5; i++) {
                forger.control().encoder(ElectionFrame.KIND_PROMOTE).epoch(50).lastEpoch(2).lastPosition(1_000);
                forger.control().offer();
                forger.doWork(System.nanoTime(), Role.PRIMARY, 50, 1_000, 1_000, true);
                runFor(20);
            }
            assertEquals(5, forger.control().sent(), "the forger's promotes were sent");
            runFor(100);
        }
        assertTrue(heartbeaters[2].rejected() + heartbeaters[3].rejected() >= rejectedBefore + 10,
            "the forged frames were rejected and counted");
        assertTrue(stable(2, 2, 3), "nobody followed the forger:\n" + state());

        // 4. node 1 wakes up (SIGCONT): it sees epoch 2 or misses its quorum, and stops
        heartbeaters[1] = new Heartbeater(media.aeron(), config(1, SECRET), null);
        drivers[1].attach(heartbeaters[1].control());
        running[1] = true;
        runUntil(() -> drivers[1].role() == ElectionRole.FENCED && drivers[1].epoch() == 2, 10_000,
            "node 1 fenced, in epoch 2");
        runFor(300);
        assertEquals(1, fencedAt.size(), "node 1 reported onFenced once: " + fencedAt);
        assertTrue(fencedAt.get(0) == 1 || fencedAt.get(0) == 2, "fenced in epoch 1 (check-quorum) or 2: " + fencedAt);
        assertEquals(ElectionRole.FENCED, drivers[1].role(), "node 1 never serves again in this run");
        assertEquals(List.of(2), promotions.get(2L), "node 1 never became primary of epoch 2: " + promotions);
        assertEquals(2, promotions.size(), "no election after node 1 returned: " + promotions);
        assertTrue(stable(2, 2, 3), "the new primary keeps serving:\n" + state());
        assertEquals(2, files[1].read().epoch(), "node 1 persisted the epoch it saw");

        // a restarted node 1 (the agent rebuilds a fenced node) rejoins as a clone of node 2
        drivers[1].close();
        drivers[1] = new ElectionDriver(ELECTION, 1, files[1], journals[1], new SplittableRandom(11), new Node(1), clock(1));
        drivers[1].attach(heartbeaters[1].control());
        runUntil(() -> stable(2, 2, 1, 3) && drivers[1].lastPosition() == drivers[2].lastPosition(), 10_000,
            "node 1 rebuilt, following node 2");
        assertEquals(List.of(2), promotions.get(2L));
        System.out.printf("election over IPC: failover in %d ms, whole test %d ms, sent %d/%d/%d, send failures %d/%d/%d%n",
            failoverMs, (System.nanoTime() - start) / MS, drivers[1].sent(), drivers[2].sent(), drivers[3].sent(),
            drivers[1].sendFailures(), drivers[2].sendFailures(), drivers[3].sendFailures());
        System.out.println("events: " + events);
    }
}
