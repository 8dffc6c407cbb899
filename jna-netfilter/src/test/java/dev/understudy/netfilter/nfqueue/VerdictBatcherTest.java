package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.understudy.netfilter.internal.Netfilter;
import dev.understudy.netfilter.internal.Netlink;
import dev.understudy.netfilter.internal.Nfnetlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * The verdict batching rules checked against a model of the kernel queue
 * (net/netfilter/nfnetlink_queue.c: a verdict for an id not queued is ENOENT; a batch verdict
 * dequeues every id up to the given one, wrap-aware, and is ENOENT when that is none).
 */
class VerdictBatcherTest {
    /** The kernel side: queued ids in arrival order and the verdict each one got. */
    static final class KernelModel implements VerdictBatcher.Sender {
        final ByteBuffer tx;
        final TreeMap<Long, Integer> queued = new TreeMap<>(); // arrival index -> id
        final Map<Integer, Integer> verdictOf = new HashMap<>();
        final List<String> messages = new ArrayList<>();
        long arrivals;
        int sends;

        KernelModel(ByteBuffer tx) {
            this.tx = tx;
        }

        void enqueue(int id) {
            queued.put(arrivals++, id);
        }

        @Override
        public void send(int length) {
            sends++;
            int pos = 0;
            while (pos < length) {
                int len = NfqMessages.hostInt(tx, pos);
                int type = NfqMessages.hostShort(tx, pos + Netlink.NLMSG_TYPE_OFFSET);
                assertEquals(NfqMessages.VERDICT_MESSAGE_SIZE, len);
                int attr = pos + Netlink.NLMSG_HDRLEN + Nfnetlink.NFGENMSG_SIZE + Netlink.NLA_HDRLEN;
                int verdict = tx.getInt(attr + NfnetlinkQueue.VERDICT_HDR_VERDICT_OFFSET);
                int id = tx.getInt(attr + NfnetlinkQueue.VERDICT_HDR_ID_OFFSET);
                if (type == Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_VERDICT)) {
                    messages.add("v" + verdict + ":" + Integer.toUnsignedString(id));
                    Long key = null;
                    for (Map.Entry<Long, Integer> e : queued.entrySet()) {
                        if (e.getValue() == id) {
                            key = e.getKey();
                            break;
                        }
                    }
                    if (key == null) {
                        fail("ENOENT: verdict for id " + Integer.toUnsignedString(id) + " not queued; messages " + messages);
                    }
                    queued.remove(key);
                    verdictOf.put(id, verdict);
                } else if (type == Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_VERDICT_BATCH)) {
                    messages.add("b" + verdict + ":" + Integer.toUnsignedString(id));
                    boolean any = false;
                    for (Iterator<Map.Entry<Long, Integer>> it = queued.entrySet().iterator(); it.hasNext(); ) {
                        int qid = it.next().getValue();
                        if (qid - id > 0) { // nfq_id_after: the queue is in id order, stop at the first later id
                            break;
                        }
                        verdictOf.put(qid, verdict);
                        it.remove();
                        any = true;
                    }
                    if (!any) {
                        fail("ENOENT: batch verdict up to " + Integer.toUnsignedString(id) + " found nothing; messages " + messages);
                    }
                } else {
                    fail("unexpected message type " + type);
                }
                pos += len;
            }
        }
    }

    private static final class Fixture {
        final ByteBuffer tx = ByteBuffer.allocate(4096);
        final KernelModel kernel = new KernelModel(tx);
        final long[] counters = new long[NfQueueCounter.values().length];
        final VerdictBatcher batcher = new VerdictBatcher(1, tx, 4096, 64, counters, kernel);

        long c(NfQueueCounter counter) {
            return counters[counter.ordinal()];
        }
    }

    @Test
    void shouldAcceptARunOfPacketsWithOneBatchVerdict() throws Exception {
        Fixture f = new Fixture();
        for (int id = 1; id <= 50; id++) {
            f.kernel.enqueue(id);
            f.batcher.verdict(id, Verdict.ACCEPT);
        }
        f.batcher.flush();
        assertEquals(List.of("b1:50"), f.kernel.messages);
        assertTrue(f.kernel.queued.isEmpty());
        assertEquals(1, f.kernel.sends);
    }

    @Test
    void shouldNeverLetABatchCoverAHeldPacket() throws Exception {
        Fixture f = new Fixture();
        int[] decisions = {1, 1, 2, 1, 0, 1, 2, 1}; // 0 drop, 1 accept, 2 hold
        for (int i = 0; i < decisions.length; i++) {
            int id = i + 1;
            f.kernel.enqueue(id);
            f.batcher.verdict(id, decisions[i] == 0 ? Verdict.DROP : decisions[i] == 1 ? Verdict.ACCEPT : Verdict.HOLD);
        }
        f.batcher.flush();
        // 1,2 batched; 4, 6, 8 single (something is held); 5 dropped; 3 and 7 still queued.
        assertEquals(List.of("v1:4", "v0:5", "v1:6", "v1:8", "b1:2"), f.kernel.messages);
        assertEquals(List.of(3, 7), new ArrayList<>(f.kernel.queued.values()));
        assertEquals(2, f.batcher.liveHeld());
        f.batcher.release(7, true);
        f.batcher.flush();
        assertEquals(List.of(3), new ArrayList<>(f.kernel.queued.values()));
        f.kernel.enqueue(9);
        f.batcher.verdict(9, Verdict.ACCEPT);
        f.batcher.releaseUpTo(3);
        f.batcher.flush();
        assertTrue(f.kernel.queued.isEmpty(), "all verdicted: " + f.kernel.messages);
        assertEquals(0, f.batcher.liveHeld());
        f.batcher.release(3, true);
        assertEquals(1, f.c(NfQueueCounter.UNKNOWN_RELEASES), "a second release of the same id is counted, not sent");
    }

    @Test
    void shouldMatchTheKernelModelOnRandomDecisionsAndReleasesAcrossIdWrap() throws Exception {
        SplittableRandom r = new SplittableRandom(20261126);
        for (int run = 0; run < 300; run++) {
            Fixture f = new Fixture();
            int id = run % 3 == 0 ? -40 : r.nextInt(); // -40: ids cross 0xFFFFFFFF -> 0 during the run
            Map<Integer, Integer> expected = new HashMap<>();
            List<Integer> held = new ArrayList<>();
            for (int step = 0; step < 400; step++) {
                int op = r.nextInt(10);
                if (op < 6 || held.size() >= 60) {
                    if (held.size() >= 60) {
                        f.batcher.releaseAll();
                        for (int h : held) {
                            expected.put(h, Netfilter.NF_ACCEPT);
                        }
                        held.clear();
                    } else {
                        id++;
                        f.kernel.enqueue(id);
                        int d = r.nextInt(10);
                        Verdict v = d < 6 ? Verdict.ACCEPT : d < 8 ? Verdict.HOLD : Verdict.DROP;
                        f.batcher.verdict(id, v);
                        if (v == Verdict.HOLD) {
                            held.add(id);
                        } else {
                            expected.put(id, v == Verdict.ACCEPT ? Netfilter.NF_ACCEPT : Netfilter.NF_DROP);
                        }
                    }
                } else if (op == 6 && !held.isEmpty()) {
                    int h = held.remove(r.nextInt(held.size()));
                    boolean accept = r.nextBoolean();
                    f.batcher.release(h, accept);
                    expected.put(h, accept ? Netfilter.NF_ACCEPT : Netfilter.NF_DROP);
                } else if (op == 7 && !held.isEmpty()) {
                    int upTo = held.get(r.nextInt(held.size()));
                    f.batcher.releaseUpTo(upTo);
                    for (Iterator<Integer> it = held.iterator(); it.hasNext(); ) {
                        int h = it.next();
                        if (h - upTo <= 0) {
                            expected.put(h, Netfilter.NF_ACCEPT);
                            it.remove();
                        }
                    }
                } else {
                    f.batcher.flush();
                    // Held packets are still queued, nothing else is.
                    assertEquals(held.size(), f.kernel.queued.size(), "only held packets remain queued");
                    assertTrue(f.kernel.queued.values().containsAll(held), "every held packet is still queued");
                }
            }
            f.batcher.releaseAll();
            for (int h : held) {
                expected.put(h, Netfilter.NF_ACCEPT);
            }
            f.batcher.flush();
            assertTrue(f.kernel.queued.isEmpty(), "nothing left queued");
            assertEquals(expected, f.kernel.verdictOf, "every packet got exactly the decided verdict");
        }
    }
}
