package dev.understudy.agent.clone;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.netfilter.address.GratuitousArp;
import dev.understudy.netfilter.address.InterfaceAddresses;
import dev.understudy.netfilter.fd.FileDescriptors;
import dev.understudy.netfilter.nfqueue.NfQueue;
import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.netfilter.nfqueue.Verdict;
import dev.understudy.netfilter.packet.TcpSegment;
import dev.understudy.netfilter.repair.DerivedStateBuilder;
import dev.understudy.netfilter.repair.TcpRepair;
import dev.understudy.netfilter.repair.TcpState;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * A clone taking over as primary (DESIGN.md, "Failure, election, switchover"), on the replayer
 * thread, in this order:
 * <ol>
 * <li><b>hold</b>: an NFQUEUE reader on this node, then a capture rule for the VIP's service
 *     ports; every inbound segment is held (no verdict), nothing reaches TCP yet;</li>
 * <li><b>re-inject</b>: the replayer applies the whole journal and the application takes it
 *     (the caller waits for that: {@link Replayer});</li>
 * <li><b>restore</b>: per live connection a socket in repair mode, bound to VIP:port and
 *     connected to the client, at the sequence numbers the journal's segments give (the
 *     client's newest ACK, window and timestamp from the held segments too), with what the
 *     application has not read yet in its receive queue and the application's output the
 *     client has not acknowledged in its send queue — the part the primary had written counted
 *     as sent (the client may hold it), the rest sent as new data; a real listener per service
 *     port (IP_FREEBIND);</li>
 * <li><b>VIP</b>: the address on the interface, three gratuitous ARPs;</li>
 * <li><b>activate</b>: repair off (the kernel probes the client, which answers with its ACK);</li>
 * <li><b>swap</b>: each new socket goes under the application's own fd with {@code dup2}
 *     (O_NONBLOCK and TCP_NODELAY copied, every epoll registration of the fd re-added), then
 *     the threads blocked in a read or accept on those fds are signalled and retry on the new
 *     socket; the replay hook passes everything through from now on;</li>
 * <li><b>release</b>: the held segments go to TCP, the capture rule is removed; or, with a
 *     {@link Recorder} (the new primary records and replicates), the queue and its rules become
 *     the new primary's capture, which records the held segments and lets its input commit
 *     release them.</li>
 * </ol>
 * A connection whose output diverged from the primary's, or whose state cannot be rebuilt, is
 * reset (invariant 4: never continued with bytes that differ from what the client has).
 */
final class Switchover {
    private static final String LOG = "switchover";

    /** Where and how: the VIP, its interface, the service ports, the NFQUEUE of the hold. */
    record Plan(int nodeId, long epoch, int vip, String vipText, String interfaceName, int[] ports, NfQueueConfig queue,
                long lastHeardNs, long suspectedAtNs, Recorder recorder, String takeoverCommand) {
    }

    /**
     * Makes the primary this node becomes ({@link dev.understudy.agent.primary.PrimaryNode#prepare}),
     * whose recording takes over the application's events at the swap and the hold's queue after it.
     */
    interface Recorder {
        dev.understudy.agent.primary.PrimaryNode prepare() throws Exception;
    }

    /**
     * What a switchover did, for status and the log; with a recorder, the new primary and what it
     * takes over ({@link dev.understudy.agent.primary.PrimaryNode#go}), else nulls.
     */
    record Outcome(long epoch, int restored, int reset, int skipped, int signalled, long[] phaseNs, String phases,
                   dev.understudy.agent.primary.PrimaryNode primary,
                   dev.understudy.agent.primary.PrimaryNode.HandOver handOver) {
    }

    private final Plan plan;
    private NfQueue queue;
    private final List<InstalledRule> rules = new ArrayList<>();
    private Iptables iptables;
    private volatile boolean holding = true;
    /** Newest held segment per client endpoint: {ack, window, flags, hasTs, tsval, tsecr, at ms}. */
    private final Map<Long, long[]> held = new HashMap<>();
    /** Copies of the held segments, in arrival order, when a recorder will record them. */
    private final List<dev.understudy.agent.primary.PrimaryNode.HeldPacket> heldPackets = new ArrayList<>();
    /** The new primary's capture once it took the queue over: every segment goes there. */
    private volatile dev.understudy.netfilter.nfqueue.SegmentHandler capture;
    private long heldSegments;
    private long heldSyns;
    final long startedNs = System.nanoTime();
    long drainedNs;

    Switchover(Plan plan) {
        this.plan = plan;
    }

    /** Step 1: reader first, then the rule (a rule without a reader drops). */
    void hold() throws IOException {
        if (plan.recorder() != null) {
            // the new primary (about 35 Aeron counters, each a round trip to the driver, and its 16 MiB ring) is made
            // beside the re-inject and the restore: made in the swap it took 109-281 ms of it, with writes held
            CompletableFuture<dev.understudy.agent.primary.PrimaryNode> f = new CompletableFuture<>();
            Thread t = new Thread(() -> dev.understudy.interceptors.hook.Hooks.suppressed(() -> {
                try {
                    f.complete(plan.recorder().prepare());
                } catch (Throwable e) {
                    f.completeExceptionally(e);
                }
            }), "understudy-switchover-prepare");
            t.setDaemon(true);
            t.start();
            preparing = f;
        }
        queue = NfQueue.open(plan.queue(), this::onSegment);
        iptables = Iptables.local();
        for (int port : plan.ports()) {
            rules.add(iptables.install(IptablesRule.capture(plan.vipText(), port, plan.queue().queueNumber())));
        }
        AgentLog.log(LogLevel.INFO, LOG, "holding inbound traffic for " + plan.vipText() + " ports "
            + java.util.Arrays.toString(plan.ports()) + " (NFQUEUE " + plan.queue().queueNumber() + ")", null);
    }

    /** The new primary being made since {@link #hold} (null without a recorder). */
    private CompletableFuture<dev.understudy.agent.primary.PrimaryNode> preparing;

    /** Reads what arrived on the hold queue. */
    int poll() {
        if (queue == null) {
            return 0;
        }
        try {
            return queue.poll(0);
        } catch (IOException e) {
            return 0;
        }
    }

    private Verdict onSegment(int packetId, TcpSegment s) {
        dev.understudy.netfilter.nfqueue.SegmentHandler c = capture;
        if (c != null) {
            return c.onSegment(packetId, s);
        }
        if (!holding) {
            return Verdict.ACCEPT;
        }
        heldSegments++;
        if (plan.recorder() != null) {
            byte[] copy = new byte[s.totalLength()];
            s.buffer().get(s.ipOffset(), copy);
            heldPackets.add(new dev.understudy.agent.primary.PrimaryNode.HeldPacket(packetId, copy));
        }
        if (s.hasFlag(DerivedStateBuilder.SYN)) {
            heldSyns++;
            return Verdict.HOLD;
        }
        long key = endpoint(s.sourceAddress(), s.sourcePort());
        long[] v = held.get(key);
        if (v == null || (int) s.ack() - (int) v[0] >= 0) {
            held.put(key, new long[] {s.ack(), s.window(), s.flags(), s.hasTimestamps() ? 1 : 0, s.tsVal(), s.tsEcr(),
                System.currentTimeMillis()});
        }
        return Verdict.HOLD;
    }

    static long endpoint(int address, int port) {
        return ((address & 0xFFFF_FFFFL) << 16) | (port & 0xFFFF);
    }

    /**
     * Steps 3–7, once the application has taken everything in the journal.
     *
     * @param connections every connection the replayer knows
     * @param listenFds   the application's listening fds, by service port
     */
    Outcome run(Collection<ReplayConnection> connections, Map<Integer, Integer> listenFds, ReplayHook hook,
                List<long[]> tailReads, long lastReadOrder, long lastTurnOrder) {
        long[] at = new long[9];
        at[0] = plan.lastHeardNs();
        at[1] = plan.suspectedAtNs();
        at[2] = startedNs;
        at[3] = drainedNs == 0 ? System.nanoTime() : drainedNs;
        TcpRepair repair = new TcpRepair();
        List<ReplayConnection> live = new ArrayList<>();
        List<TcpState> states = new ArrayList<>();
        List<ReplayConnection> doomed = new ArrayList<>();
        int skipped = 0;
        for (ReplayConnection c : connections) {
            if (c.peer == null || !c.accepted || c.appFd < 0 || c.appClosed || c.primaryClosed || c.peerEof) {
                skipped++;
                continue;
            }
            long[] h = held.get(endpoint(dev.understudy.agent.node.Addresses.ipv4(c.client.getAddress()), c.client.getPort()));
            if (h != null) {
                // the client's newest ACK, window and clock: no payload (what it carries reaches TCP at release)
                c.tcp.segment((int) c.tcp.rcvNxt(), (int) h[0], (int) h[1], (int) h[2] & DerivedStateBuilder.ACK, h[3] != 0,
                    (int) h[4], (int) h[5], 0, h[6]);
            }
            String why = restorable(c);
            TcpState st = null;
            if (why == null) {
                try {
                    st = state(c);
                } catch (RuntimeException e) {
                    why = e.getMessage();
                }
            }
            if (why != null) {
                AgentLog.log(LogLevel.WARN, LOG, "connection " + c.id + " (client " + c.client + ") is reset: " + why, null);
                doomed.add(c);
                if (st == null && c.tcp.status() == DerivedStateBuilder.Status.READY) {
                    st = c.tcp.build(new TcpState()); // rebuilt only to reset it at the right sequence numbers
                }
                if (st == null) {
                    continue;
                }
            }
            live.add(c);
            states.add(st);
        }
        // listeners first (a repair socket binds beside a listener; SYNs stay held until release)
        Map<Integer, ServerSocketChannel> listeners = new HashMap<>();
        int[] fds = new int[live.size()];
        int restored = 0;
        int reset = 0;
        try (InterfaceAddresses addrs = new InterfaceAddresses(); GratuitousArp arp = new GratuitousArp(plan.interfaceName())) {
            for (Map.Entry<Integer, Integer> e : listenFds.entrySet()) {
                listeners.put(e.getKey(), listener(e.getKey()));
            }
            for (int i = 0; i < fds.length; i++) {
                try {
                    fds[i] = repair.prepare(states.get(i));
                } catch (IOException e) {
                    fds[i] = -1;
                    AgentLog.log(LogLevel.WARN, LOG, "connection " + live.get(i).id + " could not be rebuilt: " + e, null);
                }
            }
            at[4] = System.nanoTime();
            addrs.add(plan.interfaceName(), plan.vip(), 32);
            arp.announce(plan.vip(), 3);
            at[5] = System.nanoTime();
            dev.understudy.agent.node.TakeoverCommand.start(plan.takeoverCommand(), dev.understudy.agent.node.TakeoverCommand.PRIMARY,
                plan.vipText(), plan.interfaceName(), plan.nodeId(), plan.epoch());
            for (int i = 0; i < fds.length; i++) {
                if (fds[i] < 0) {
                    continue;
                }
                try {
                    int written = repair.activate(fds[i], states.get(i));
                    if (written < states.get(i).sendQueueLength()) {
                        throw new IOException("only " + written + " of " + states.get(i).sendQueueLength()
                            + " bytes of output fit in the socket");
                    }
                } catch (IOException e) {
                    AgentLog.log(LogLevel.WARN, LOG, "connection " + live.get(i).id + " could not be activated: " + e, null);
                    FileDescriptors.close(fds[i]);
                    fds[i] = -1;
                }
            }
            at[6] = System.nanoTime();
            // swap: real sockets under the application's fds
            Set<Integer> appFds = new HashSet<>();
            for (ReplayConnection c : live) {
                appFds.add(c.appFd);
            }
            appFds.addAll(listenFds.values());
            Map<Integer, List<EpollRegistrations.Registration>> epoll = EpollRegistrations.of(appFds);
            long epollNs = System.nanoTime();
            dev.understudy.agent.primary.PrimaryNode primary = prepare(live, fds, doomed);
            long preparedNs = System.nanoTime();
            if (primary != null) {
                primary.continueTurns(lastTurnOrder + 1, hook.timers());
                hook.recordInto(primary.hook(), primary.valueHook()); // every application event from the swap on is recorded
            }
            hook.goLive(Set.of()); // pass-through before any new socket is visible
            for (int i = 0; i < fds.length; i++) {
                ReplayConnection c = live.get(i);
                if (fds[i] < 0 || doomed.contains(c)) {
                    if (fds[i] >= 0) {
                        FileDescriptors.resetOnClose(fds[i]);
                        FileDescriptors.close(fds[i]);
                    }
                    resetApp(c);
                    reset++;
                    continue;
                }
                adopt(fds[i], c.appFd, epoll.get(c.appFd));
                restored++;
            }
            for (ReplayConnection c : doomed) {
                if (!live.contains(c)) {
                    resetApp(c);
                    reset++;
                }
            }
            for (Map.Entry<Integer, Integer> e : listenFds.entrySet()) {
                ServerSocketChannel l = listeners.get(e.getKey());
                adopt(FileDescriptors.of(l), e.getValue(), epoll.get(e.getValue()));
            }
            int signalled = hook.goLive(appFds);
            closeLater(live);
            at[7] = System.nanoTime();
            dev.understudy.agent.primary.PrimaryNode.HandOver handOver = null;
            if (primary != null) {
                // the hold becomes the capture: its queue and rules stay, its segments are recorded first
                handOver = new dev.understudy.agent.primary.PrimaryNode.HandOver(queue, List.copyOf(rules),
                    List.copyOf(heldPackets), h -> capture = h, lastReadOrder, List.copyOf(tailReads), owedOutput(live, fds, doomed),
                    hook.owedValues());
                queue = null;
                rules.clear();
            } else {
                release();
            }
            at[8] = System.nanoTime();
            String phases = phases(at) + String.format(" (swap: epoll registrations %.1f ms, new primary %.1f ms, dup2 and"
                + " signals %.1f ms)", (epollNs - at[6]) / 1e6, (preparedNs - epollNs) / 1e6, (at[7] - preparedNs) / 1e6);
            AgentLog.log(LogLevel.INFO, LOG, "node " + plan.nodeId() + " is primary of epoch " + plan.epoch() + ": "
                + restored + " connections rebuilt under the application's fds, " + reset + " reset, " + skipped
                + " closed or not accepted; " + signalled + " blocked threads woken; held " + heldSegments + " segments ("
                + heldSyns + " SYNs); " + phases, null);
            return new Outcome(plan.epoch(), restored, reset, skipped, signalled, at, phases, primary, handOver);
        } catch (IOException | RuntimeException e) {
            AgentLog.log(LogLevel.ERROR, LOG, "the switchover failed: " + e, null);
            release();
            throw new IllegalStateException("switchover failed", e);
        }
    }

    /**
     * The primary this node becomes, its connection table seeded with every connection about to be
     * continued; null without a recorder, or when it cannot be made (then the switchover goes on
     * without replication, as a primary of its own).
     */
    private dev.understudy.agent.primary.PrimaryNode prepare(List<ReplayConnection> live, int[] fds, List<ReplayConnection> doomed) {
        if (plan.recorder() == null) {
            return null;
        }
        try {
            dev.understudy.agent.primary.PrimaryNode p;
            try {
                p = preparing != null ? preparing.get(PREPARE_WAIT_S, TimeUnit.SECONDS) : plan.recorder().prepare();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception ? (Exception) e.getCause() : new IllegalStateException(e.getCause());
            }
            for (int i = 0; i < fds.length; i++) {
                ReplayConnection c = live.get(i);
                if (fds[i] >= 0 && !doomed.contains(c)) {
                    p.seed(c.id, dev.understudy.agent.node.Addresses.ipv4(c.client.getAddress()), c.client.getPort(),
                        c.servicePort, c.clientIsn, c.appFd, c.readOffset, c.outputEnd);
                }
            }
            return p;
        } catch (Exception | Error e) {
            AgentLog.log(LogLevel.ERROR, LOG, "the new primary's recording could not be prepared; this node serves without"
                + " replicating: " + e, null);
            return null;
        }
    }

    /** Longest the swap waits for the new primary made since the hold. */
    private static final long PREPARE_WAIT_S = 30;

    /**
     * The output this node's application produced beyond the old primary's last APP_WRITE of each
     * continued connection ({connection, offset, count, CRC-32C}): recorded first under the new
     * epoch, so that the remaining clones check their own against it as they check the rest.
     */
    private static List<long[]> owedOutput(List<ReplayConnection> live, int[] fds, List<ReplayConnection> doomed) {
        List<long[]> out = new ArrayList<>();
        for (int i = 0; i < fds.length; i++) {
            ReplayConnection c = live.get(i);
            long from = Math.max(c.primaryOutputEnd, c.keepFrom());
            if (fds[i] < 0 || doomed.contains(c) || c.outputEnd <= from) {
                continue;
            }
            byte[] bytes = c.outputRange(from, c.outputEnd);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(bytes);
            out.add(new long[] {c.id, from, bytes.length, (int) crc.getValue()});
        }
        return out;
    }

    /** Why {@code c} cannot be continued, or null. */
    private static String restorable(ReplayConnection c) {
        DerivedStateBuilder.Status st = c.tcp.status();
        if (st != DerivedStateBuilder.Status.READY) {
            return "its TCP state cannot be rebuilt (" + st + ")";
        }
        if (c.divergedAt >= 0) {
            return "its output diverged from the primary's at offset " + c.divergedAt;
        }
        if (c.outputEnd < c.primaryOutputEnd) {
            return "this clone's application wrote " + c.outputEnd + " bytes, the primary's " + c.primaryOutputEnd;
        }
        long acked = c.tcp.outputAcked();
        if (acked > c.outputEnd) {
            return "the client acknowledged " + acked + " bytes of output, this clone's application wrote " + c.outputEnd;
        }
        if (acked < c.keepFrom()) {
            return "output from " + acked + " is no longer kept";
        }
        return null;
    }

    /**
     * Up to this many segments counted as sent, the last byte of the output is sent as new data
     * at activation (see {@link #state}); the initial congestion window is 10 (TCP_INIT_CWND).
     */
    static final int SENT_BYTE_TRIGGER_SEGMENTS = 8;

    /**
     * Where the part of the unacknowledged output {@code [acked, outputEnd)} counted as sent ends:
     * what the primary wrote, the client may hold (counted as sent, retransmitted if it lacks it);
     * what only this clone wrote was never sent (new data at activation). And, when what is counted
     * as sent fits in {@link #SENT_BYTE_TRIGGER_SEGMENTS} segments (so that the byte leaves at once,
     * before the client's answer to the window probe: an ACK beyond snd_nxt would be dropped), the
     * last byte at least leaves as new data: a client that lacks the part counted as sent answers
     * it with a SACK, and the kernel retransmits the hole at once (RACK, or a tail loss probe)
     * instead of after the rebuilt socket's first RTO (1 s: it has no RTT sample); a client that
     * holds it all gets one duplicate byte.
     */
    static long sentEnd(long acked, long primaryOutputEnd, long outputEnd, int mss) {
        long sentEnd = Math.max(acked, Math.min(primaryOutputEnd, outputEnd));
        if (outputEnd > acked && outputEnd - acked <= SENT_BYTE_TRIGGER_SEGMENTS * (long) Math.max(536, mss)) {
            sentEnd = Math.min(sentEnd, outputEnd - 1);
        }
        return sentEnd;
    }

    /** The kernel state to rebuild: the segments' state, the unread input, the unacknowledged output. */
    private static TcpState state(ReplayConnection c) {
        TcpState st = c.tcp.build(new TcpState());
        // the input stream's end from the journal: segments past a gap count once the gap is filled
        // (the builder alone stops at the first gap, which reordering in the capture can leave)
        int rcvNxt = (int) (c.clientIsn + 1 + c.inboundEnd);
        st.sequence(st.sndUna(), rcvNxt).window(st.sndWl1(), st.sndWnd(), st.maxWindow(), st.rcvWnd(), rcvNxt);
        byte[] unread = c.unreadInbound(c.readOffset);
        if (unread.length > 0) {
            st.recvQueue(unread, 0, unread.length);
        }
        long acked = c.tcp.outputAcked();
        byte[] out = c.outputRange(acked, c.outputEnd);
        if (out.length > 0) {
            // what the primary wrote, the client may hold: counted as sent (retransmitted if it lacks it);
            // what only this clone wrote was never sent: it leaves as new data at activation
            long sentEnd = sentEnd(acked, c.primaryOutputEnd, c.outputEnd, st.mss());
            st.sendQueue(out, 0, out.length).sendQueueUnsent((int) (c.outputEnd - sentEnd));
        }
        return st;
    }

    private ServerSocketChannel listener(int port) throws IOException {
        ServerSocketChannel l = ServerSocketChannel.open();
        FileDescriptors.setFreeBind(FileDescriptors.of(l));
        l.setOption(StandardSocketOptions.SO_REUSEADDR, true);
        l.bind(new InetSocketAddress(InetAddress.getByName(plan.vipText()), port), 4096);
        return l;
    }

    /** Puts {@code fd} under {@code appFd} with the old file's blocking mode, TCP_NODELAY and epoll registrations. */
    private static void adopt(int fd, int appFd, List<EpollRegistrations.Registration> regs) throws IOException {
        boolean nonBlocking = FileDescriptors.isNonBlocking(appFd);
        FileDescriptors.setNonBlocking(fd, nonBlocking);
        try {
            int noDelay = FileDescriptors.getIntOption(appFd, 6, 1);
            FileDescriptors.setIntOption(fd, 6, 1, noDelay);
        } catch (IOException ignored) {
            // a listener: no TCP_NODELAY to copy
        }
        FileDescriptors.dup2(fd, appFd);
        FileDescriptors.close(fd);
        if (regs != null) {
            for (EpollRegistrations.Registration r : regs) {
                FileDescriptors.epollCtl(r.epfd(), 1 /* EPOLL_CTL_ADD */, appFd, r.events(), r.data());
            }
        }
    }

    /**
     * The replayer's ends of the loopback connections, closed a while after the swap: a thread
     * still blocked in a read of the old loopback socket must take the signal (EINTR, and the
     * JDK's retry on the new socket) before the old socket sees an EOF, or the application would
     * read that EOF as the client's.
     */
    private static void closeLater(List<ReplayConnection> connections) {
        Thread t = new Thread(() -> {
            try {
                Thread.sleep(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (ReplayConnection c : connections) {
                try {
                    c.peer.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }, "understudy-switchover-cleanup");
        t.setDaemon(true);
        t.start();
    }

    /** The application's side of a connection that is not continued: its loopback peer resets it. */
    private static void resetApp(ReplayConnection c) {
        try {
            if (c.peer != null && c.peer.isOpen()) {
                c.peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                c.peer.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    /** Step 7: every held segment goes to TCP, later ones pass, the rules go. */
    void release() {
        holding = false;
        if (queue == null) {
            return;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (!queue.releaseAll() && System.nanoTime() < deadline) {
            poll();
        }
        for (InstalledRule r : rules) {
            try {
                r.close();
            } catch (RuntimeException e) {
                AgentLog.log(LogLevel.WARN, LOG, "the hold rule " + r + " could not be removed: " + e, null);
            }
        }
        rules.clear();
        // what was queued before the rules went: accepted by the handler now
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(20);
        while (System.nanoTime() < until) {
            if (poll() == 0 && queue.heldCount() == 0) {
                break;
            }
        }
        queue.close();
        queue = null;
    }

    private static String phases(long[] at) {
        String[] names = {"", "detect", "elect", "re-inject", "restore", "VIP", "activate", "swap", "release"};
        StringBuilder sb = new StringBuilder("phases:");
        for (int i = 1; i < at.length; i++) {
            if (at[i - 1] == 0) {
                continue;
            }
            sb.append(' ').append(names[i]).append(' ').append(String.format(java.util.Locale.ROOT, "%.1f",
                (at[i] - at[i - 1]) / 1e6)).append(" ms");
        }
        return sb.append(", total ").append(String.format(java.util.Locale.ROOT, "%.1f",
            (at[at.length - 1] - (at[0] != 0 ? at[0] : at[1])) / 1e6)).append(" ms").toString();
    }
}
