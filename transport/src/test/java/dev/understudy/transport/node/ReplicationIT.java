package dev.understudy.transport.node;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.transport.journal.JournalDigest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
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
 * The replication channel across lab namespaces: node1 (primary) → node2, node3 (clones), each a
 * separate JVM with its own embedded media driver and Chronicle journal, over UDP multicast.
 */
@Privileged
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ReplicationIT {
    private static final int MILLION = 1_000_000;
    private static final String SECRET = "7365637265742d666f722d756e6465727374756479"; // "secret-for-understudy"

    private static void startAll(ReplicationLab r) throws Exception {
        r.start(2);
        r.start(3);
        r.start(1);
        r.await(1, Duration.ofSeconds(30), "two clones alive and connected",
            s -> num(s, "alive") == 2 && "true".equals(s.get("connected")));
    }

    private static void assertJournalHoldsExactly(Map<String, String> status, long n, String who) {
        assertEquals(n, num(status, "last"), who + " last sequence");
        assertEquals(n, num(status, "verified"), who + " records verified (sequence, CRC, payload)");
        assertEquals(0, num(status, "verifyErrors"), who + " bad records; first at " + status.get("firstError"));
    }

    private void millionRecords(boolean loss) throws Exception {
        try (ReplicationLab r = new ReplicationLab(null, List.of())) {
            if (loss) {
                for (int n = 2; n <= 3; n++) {
                    r.lab.exec(Lab.node(n), Duration.ofSeconds(10), "iptables", "-A", "INPUT", "-p", "udp",
                        "-m", "statistic", "--mode", "random", "--probability", "0.03", "-j", "DROP").check();
                }
            }
            startAll(r);
            long t0 = System.nanoTime();
            r.command(1, "publish " + MILLION);
            Map<String, String> p = r.await(1, Duration.ofSeconds(150), "1M durable on both clones",
                s -> num(s, "durable2") == MILLION);
            double secs = (System.nanoTime() - t0) / 1e9;
            String drops = loss ? r.lab.exec(Lab.node(2), Duration.ofSeconds(10), "iptables", "-L", "INPUT", "-v", "-n", "-x").output() : "";
            Map<String, String> c2 = r.stop(2);
            Map<String, String> c3 = r.stop(3);
            Map<String, String> p1 = r.stop(1);
            assertJournalHoldsExactly(c2, MILLION, "node2");
            assertJournalHoldsExactly(c3, MILLION, "node3");
            assertJournalHoldsExactly(p1, MILLION, "node1");
            JournalDigest d1 = r.digest(1);
            assertEquals(d1, r.digest(2));
            assertEquals(d1, r.digest(3));
            System.out.printf("SUMMARY replication%s: %,d records node1→node2,node3 durable on k=2 in %.2f s (%,.0f rec/s);"
                    + " node2 dups=%s catchup=%s, node3 dups=%s catchup=%s; digests equal %s; lab wall %.1f s%n",
                loss ? " with 3% loss" : "", MILLION, secs, MILLION / secs, c2.get("duplicates"), c2.get("appendedCatchup"),
                c3.get("duplicates"), c3.get("appendedCatchup"), d1, r.seconds());
            if (loss) {
                System.out.println("SUMMARY node2 iptables INPUT counters:\n" + drops);
                assertTrue(drops.matches("(?s).*\\n\\s*[1-9]\\d*\\s+\\d+\\s+DROP.*"), "the loss rule dropped packets:\n" + drops);
            }
            assertTrue(p.containsKey("durable1"));
        }
    }

    @Test
    @Order(1)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldDeliverAMillionRecordsInOrderToBothClones() throws Exception {
        millionRecords(false);
    }

    @Test
    @Order(2)
    @Timeout(value = 4, unit = TimeUnit.MINUTES)
    void shouldDeliverAMillionRecordsInOrderToBothClonesWithThreePercentLoss() throws Exception {
        millionRecords(true);
    }

    @Test
    @Order(3)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldLearnDurabilityOnOneAndTwoClonesNeverBeforeTheirJournalsHoldTheRecord() throws Exception {
        // the stopped clone stays a member (long member timeout) so that k=2 is computed from its last ack;
        // fc=min drops it from flow control after 500 ms so that the primary keeps going with node2
        try (ReplicationLab r = new ReplicationLab(null, List.of("-Dunderstudy.transport.fcTimeoutMs=500",
            "-Dunderstudy.transport.memberTimeoutMs=20000"))) {
            startAll(r);
            r.command(1, "publish 300000 30000"); // 10 s at 30,000 records/s
            r.await(1, Duration.ofSeconds(30), "some progress", s -> num(s, "durable2") > 20_000);
            r.signal(3, "STOP");
            Thread.sleep(1500); // in-flight acks land; fc=min drops the stopped receiver after 500 ms
            long j3 = r.journalLast(3);
            Map<String, String> a = r.status(1, true);
            Thread.sleep(1500);
            Map<String, String> b = r.status(1, true);
            long j3b = r.journalLast(3);
            r.signal(3, "CONT");
            System.out.printf("SUMMARY durability: node3 SIGSTOPped with journal at %,d; primary durable k=2 %,d → %,d,"
                + " k=1 %,d → %,d over 1.5 s%n", j3, num(a, "durable2"), num(b, "durable2"), num(a, "durable1"), num(b, "durable1"));
            assertEquals(j3, j3b, "a stopped clone's journal does not move");
            assertTrue(num(a, "durable2") > 0 && num(a, "durable2") <= j3, "k=2 durable beyond the stopped clone's journal");
            assertEquals(num(a, "durable2"), num(b, "durable2"), "k=2 must stall while node3 is stopped");
            assertTrue(num(b, "durable1") > num(a, "durable1"), "k=1 must keep advancing on node2");
            r.await(1, Duration.ofSeconds(60), "300k durable on both after SIGCONT", s -> num(s, "durable2") == 300_000);
            Map<String, String> c2 = r.stop(2);
            Map<String, String> c3 = r.stop(3);
            r.stop(1);
            assertJournalHoldsExactly(c2, 300_000, "node2");
            assertJournalHoldsExactly(c3, 300_000, "node3");
            // every durability notification the primary made is backed by the clones' final journals and is monotonic
            long[] lastPerK = new long[3];
            for (String line : Files.readAllLines(r.durableLog())) {
                String[] f = line.split(" ");
                int k = Integer.parseInt(f[0]);
                long seq = Long.parseLong(f[1]);
                assertTrue(seq > lastPerK[k], "durable notifications rise: " + line);
                lastPerK[k] = seq;
            }
            assertEquals(300_000, lastPerK[1]);
            assertEquals(300_000, lastPerK[2]);
            System.out.printf("SUMMARY durability: lab wall %.1f s%n", r.seconds());
        }
    }

    @Test
    @Order(4)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldResumeAKilledCloneAndCatchUpALateCloneToIdenticalJournals() throws Exception {
        try (ReplicationLab r = new ReplicationLab(null, List.of())) {
            r.start(2);
            r.start(1);
            r.await(1, Duration.ofSeconds(30), "node2 connected", s -> num(s, "alive") == 1 && "true".equals(s.get("connected")));
            r.command(1, "publish 500000");
            r.await(1, Duration.ofSeconds(60), "500k durable on node2", s -> num(s, "durable1") == 500_000);
            r.start(3); // late: misses the first 500,000 records
            r.command(1, "publish 500000");
            r.await(2, Duration.ofSeconds(60), "node2 past 650k", s -> num(s, "last") >= 650_000);
            r.kill(2); // SIGKILL
            long killedAt = r.journalLast(2);
            r.await(1, Duration.ofSeconds(60), "primary still going with node3", s -> num(s, "durable1") > killedAt + 10_000);
            r.start(2); // restarts from its journal
            r.await(1, Duration.ofSeconds(90), "1M durable on both clones", s -> num(s, "durable2") == MILLION);
            Map<String, String> c2 = r.stop(2);
            Map<String, String> c3 = r.stop(3);
            Map<String, String> p1 = r.stop(1);
            assertJournalHoldsExactly(c2, MILLION, "node2");
            assertJournalHoldsExactly(c3, MILLION, "node3");
            assertJournalHoldsExactly(p1, MILLION, "node1");
            assertTrue(num(c3, "appendedCatchup") >= 500_000 - 1, "late node3 got the first half by catch-up: " + c3);
            assertTrue(num(c2, "appendedCatchup") > 0, "restarted node2 caught up: " + c2);
            JournalDigest d1 = r.digest(1);
            assertEquals(d1, r.digest(2), "node2 journal identical to the primary's");
            assertEquals(d1, r.digest(3), "node3 journal identical to the primary's");
            System.out.printf("SUMMARY catch-up: node2 SIGKILLed at journal %,d and restarted: caught up %s records;"
                    + " node3 started after 500,000: caught up %s records (served by node1: %s, node2: %s, node3: %s); digests equal %s; lab wall %.1f s%n",
                killedAt, c2.get("appendedCatchup"), c3.get("appendedCatchup"), p1.get("catchupServed"), c2.get("catchupServed"),
                c3.get("catchupServed"), d1, r.seconds());
        }
    }

    @Test
    @Order(5)
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldRejectAndCountForgedFramesFromTheClientNamespace() throws Exception {
        try (ReplicationLab r = new ReplicationLab(SECRET, List.of())) {
            startAll(r);
            r.command(1, "publish 100000");
            List<String> forger = Lab.java(ReplicationLab.JVM_ARGS, FrameForger.class.getName(),
                "run=" + r.lab.name(), "address=" + r.lab.address(Lab.CLIENT), "frames=1000", "garbage=1000");
            var result = r.lab.exec(Lab.CLIENT, Duration.ofSeconds(60), forger.toArray(new String[0]));
            assertEquals(0, result.exitCode(), result.output());
            assertTrue(result.output().contains("forged=1000"), result.output());
            r.await(1, Duration.ofSeconds(60), "100k durable on both", s -> num(s, "durable2") == 100_000);
            r.await(2, Duration.ofSeconds(20), "forged frames counted on node2", s -> num(s, "rejectedAuth") >= 1000);
            r.await(3, Duration.ofSeconds(20), "forged frames counted on node3", s -> num(s, "rejectedAuth") >= 1000);
            Map<String, String> c2Running = r.await(2, Duration.ofSeconds(20), "garbage counted by node2's driver",
                s -> num(s, "invalidPackets") > 0);
            Map<String, String> c2 = r.stop(2);
            Map<String, String> c3 = r.stop(3);
            r.stop(1);
            assertJournalHoldsExactly(c2, 100_000, "node2");
            assertJournalHoldsExactly(c3, 100_000, "node3");
            assertEquals(r.digest(1), r.digest(2));
            System.out.printf("SUMMARY auth: forger (%s) in client ns; node2 rejected %s frames, node3 rejected %s;"
                    + " node2's driver discarded %s invalid packets (raw garbage); journals hold only the primary's 100,000 records;"
                    + " lab wall %.1f s%n",
                result.output().trim(), c2.get("rejectedAuth"), c3.get("rejectedAuth"), c2Running.get("invalidPackets"), r.seconds());
        }
    }
}
