package dev.understudy.transport.node;

import dev.understudy.lab.junit.Privileged;
import dev.understudy.transport.journal.JournalDigest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static dev.understudy.transport.node.ReplicationLab.num;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The replication channel on a network that carries no multicast: the lab's multicast route is
 * removed and netfilter drops 239.255.0.0/16 in every node ({@link ReplicationLab#blockMulticast()}).
 * The default (multicast) configuration then replicates nothing, which is asserted first as the
 * control; with {@code understudy.transport.destinations=unicast} (Aeron multi-destination-cast,
 * data stream and heartbeats) the same lab replicates to two clones with durability, a late clone
 * and a SIGKILLed, restarted clone catch up, and every journal ends identical to the primary's.
 */
@Privileged
class ReplicationUnicastIT {
    private static final long CONTROL_RECORDS = 1_000;
    private static final long BLOCKED_RECORDS = 10_000;
    private static final long HALF = 250_000;
    private static final long N = 2 * HALF;
    /** Ten heartbeat intervals and three member timeouts at the defaults (100 ms, 1 s): anything that could arrive has. */
    private static final long BLOCKED_WAIT_MS = 3_000;

    private static void assertJournalHoldsExactly(Map<String, String> status, long n, String who) {
        assertEquals(n, num(status, "last"), who + " last sequence");
        assertEquals(n, num(status, "verified"), who + " records verified (sequence, CRC, payload)");
        assertEquals(0, num(status, "verifyErrors"), who + " bad records; first at " + status.get("firstError"));
    }

    @Test
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shouldReplicateByUnicastWhereMulticastIsBlockedAndMulticastShouldNot() throws Exception {
        try (ReplicationLab r = new ReplicationLab(null, List.of())) {
            // control, part 1: multicast replicates in this lab while the network carries multicast ...
            r.start(2);
            r.start(3);
            r.start(1);
            r.await(1, Duration.ofSeconds(30), "two clones alive and connected (multicast)",
                s -> num(s, "alive") == 2 && "true".equals(s.get("connected")));
            r.command(1, "publish " + CONTROL_RECORDS);
            r.await(1, Duration.ofSeconds(30), "control records durable on both (multicast)",
                s -> num(s, "durable2") == CONTROL_RECORDS);

            // ... part 2: and, in the same processes, replicates nothing once it does not
            r.blockMulticast();
            r.command(1, "publish " + BLOCKED_RECORDS);
            r.await(1, Duration.ofSeconds(30), "blocked records in the primary's journal",
                s -> num(s, "last") == CONTROL_RECORDS + BLOCKED_RECORDS);
            Thread.sleep(BLOCKED_WAIT_MS);
            Map<String, String> p = r.status(1, true);
            Map<String, String> c2 = r.status(2, true);
            Map<String, String> c3 = r.status(3, true);
            long dropped = r.multicastDropped(1) + r.multicastDropped(2) + r.multicastDropped(3);
            System.out.printf("SUMMARY no multicast, multicast config: primary last=%s durable1=%s durable2=%s alive=%s;"
                    + " node2 last=%s alive=%s; node3 last=%s alive=%s; multicast packets dropped by the lab's rules: %,d%n",
                p.get("last"), p.get("durable1"), p.get("durable2"), p.get("alive"), c2.get("last"), c2.get("alive"),
                c3.get("last"), c3.get("alive"), dropped);
            assertEquals(CONTROL_RECORDS, num(p, "durable1"), "nothing published after the block is durable anywhere");
            assertEquals(CONTROL_RECORDS, num(c2, "last"), "node2 received nothing after the block");
            assertEquals(CONTROL_RECORDS, num(c3, "last"), "node3 received nothing after the block");
            assertEquals(0, num(p, "alive"), "the primary lost both clones' heartbeats");
            assertEquals(0, num(c2, "alive"), "node2 lost every heartbeat");
            assertTrue(dropped > 0, "the lab's rules, not something else, stopped the multicast datagrams");
            for (int n = 1; n <= 3; n++) {
                r.stop(n);
                r.deleteJournal(n);
            }
            // counted after the multicast nodes are gone: their last heartbeats and status messages are in it
            long droppedBefore = r.multicastDropped(1) + r.multicastDropped(2) + r.multicastDropped(3);

            // unicast (MDC) in the same lab, still without multicast: node2 first, node3 late, node2 killed and restarted
            List<String> unicast = r.unicastJvmArgs();
            r.start(2, unicast);
            r.start(1, unicast);
            r.await(1, Duration.ofSeconds(30), "node2 alive and connected (unicast)",
                s -> num(s, "alive") == 1 && "true".equals(s.get("connected")));
            r.command(1, "publish " + HALF);
            r.await(1, Duration.ofSeconds(60), "first half durable on node2", s -> num(s, "durable1") == HALF);
            r.start(3, unicast); // late: misses the first half
            r.await(1, Duration.ofSeconds(30), "node3 alive (unicast heartbeats)", s -> num(s, "alive") == 2);
            r.command(1, "publish " + HALF);
            r.await(2, Duration.ofSeconds(60), "node2 into the second half", s -> num(s, "last") >= HALF + HALF / 4);
            r.kill(2); // SIGKILL
            long killedAt = r.journalLast(2);
            r.await(1, Duration.ofSeconds(60), "primary still going with node3", s -> num(s, "durable1") > killedAt + 10_000);
            r.start(2, unicast); // restarts from its journal
            r.await(1, Duration.ofSeconds(90), "every record durable on both clones", s -> num(s, "durable2") == N);
            long droppedMeanwhile = r.multicastDropped(1) + r.multicastDropped(2) + r.multicastDropped(3) - droppedBefore;
            Map<String, String> u2 = r.stop(2);
            Map<String, String> u3 = r.stop(3);
            Map<String, String> u1 = r.stop(1);
            assertJournalHoldsExactly(u2, N, "node2");
            assertJournalHoldsExactly(u3, N, "node3");
            assertJournalHoldsExactly(u1, N, "node1");
            assertTrue(num(u3, "appendedCatchup") >= HALF - 1, "late node3 got the first half by catch-up: " + u3);
            assertTrue(num(u2, "appendedCatchup") > 0, "restarted node2 caught up: " + u2);
            assertEquals(0, droppedMeanwhile, "unicast sent nothing to the multicast range");
            JournalDigest d1 = r.digest(1);
            assertEquals(d1, r.digest(2), "node2 journal identical to the primary's");
            assertEquals(d1, r.digest(3), "node3 journal identical to the primary's");
            // every durability notification rises, and both k end at N
            long[] lastPerK = new long[3];
            for (String line : Files.readAllLines(r.durableLog())) {
                String[] f = line.split(" ");
                int k = Integer.parseInt(f[0]);
                long seq = Long.parseLong(f[1]);
                assertTrue(seq > lastPerK[k], "durable notifications rise: " + line);
                lastPerK[k] = seq;
            }
            assertEquals(N, lastPerK[1]);
            assertEquals(N, lastPerK[2]);
            System.out.printf("SUMMARY no multicast, unicast config (MDC): %,d records durable on k=2; node2 SIGKILLed at %,d"
                    + " and restarted: caught up %s; node3 started after %,d: caught up %s (served by node1: %s, node2: %s,"
                    + " node3: %s); digests equal %s; lab wall %.1f s%n",
                N, killedAt, u2.get("appendedCatchup"), HALF, u3.get("appendedCatchup"), u1.get("catchupServed"),
                u2.get("catchupServed"), u3.get("catchupServed"), d1, r.seconds());
        }
    }
}
