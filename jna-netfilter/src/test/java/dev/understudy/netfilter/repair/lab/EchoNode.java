package dev.understudy.netfilter.repair.lab;

import dev.understudy.netfilter.address.GratuitousArp;
import dev.understudy.netfilter.address.InterfaceAddresses;
import dev.understudy.netfilter.fd.FileDescriptors;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.LinuxIn;
import dev.understudy.netfilter.repair.TcpRepair;
import dev.understudy.netfilter.repair.TcpState;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.LinkedBlockingQueue;

/**
 * A plain Java NIO echo server used as a lab "node" by the migration tests (one JVM per node,
 * run inside the node's namespace). One selector thread echoes every connection through a
 * 64 KiB application buffer per connection; when the client reads slowly the buffer and the
 * kernel queues fill, so snapshots catch unread input, unacknowledged output and application
 * bytes read but not yet written.
 *
 * <p>Args: {@code vip port interface}. It listens on VIP:port (IP_FREEBIND: the VIP need not be
 * local) and prints {@code READY}. Commands on stdin, run on the selector thread:
 * <ul>
 * <li>{@code snapshot FILE}: for every connection {@link TcpRepair#snapshotAndRetire} (no FIN/RST
 *     leaves), writes {state bytes, application bytes not yet echoed} to FILE, removes the VIP
 *     with rtnetlink, prints {@code SNAPSHOT n sendq=.. recvq=.. app=.. ts=.. ms=..} and listens again
 *     (so one JVM per node serves the back-and-forth migrations).</li>
 * <li>{@code restore FILE}: {@link TcpRepair#prepare} every state (repair mode), adds the VIP
 *     with rtnetlink, sends 3 gratuitous ARPs, {@link TcpRepair#activate} every socket (repair off,
 *     unacked output written), and adopts each rebuilt socket into a {@link SocketChannel}: a
 *     loopback channel is opened and the rebuilt socket is {@code dup2}ed under its fd — the
 *     way the agent puts a rebuilt socket under the application's own fd. Then echoes on it,
 *     starting with the application bytes shipped in FILE. Prints {@code RESTORED n ms=..}.</li>
 * <li>Failover without the old node (derived state): {@code capture QUEUE FILE} on the primary
 *     (NFQUEUE capture into a {@link SegmentLog}, prints {@code CAPTURING}), {@code capturestats}
 *     ({@code CAPTURE ...} counters), {@code tcpinfo FILE} (ships TCP_INFO, {@code TCPINFO n});
 *     {@code derive TCPINFO_FILE LOG_FILE} on the new node ({@code DERIVED ...}, then as restore).</li>
 * </ul>
 */
public final class EchoNode {
    private static final int APP_BUFFER = 64 * 1024;

    private final int vip;
    private final int port;
    private final String ifname;
    private final Selector selector;
    private ServerSocketChannel listener;
    private final LinkedBlockingQueue<String> commands = new LinkedBlockingQueue<>();
    private final List<Conn> conns = new ArrayList<>();
    private final TcpRepair repair = new TcpRepair();
    private dev.understudy.netfilter.nfqueue.NfQueue holdQueue;
    private dev.understudy.netfilter.nfqueue.NfQueue captureQueue;
    private SegmentLog.Recorder recorder;
    private volatile boolean holding;

    private static final class Conn {
        final SocketChannel ch;
        final ByteBuffer buf; // write mode: [0, position) pending output
        SelectionKey key;

        Conn(SocketChannel ch, int capacity) {
            this.ch = ch;
            this.buf = ByteBuffer.allocate(Math.max(APP_BUFFER, capacity));
        }
    }

    private EchoNode(String vip, int port, String ifname) throws IOException {
        this.vip = LinuxIn.parse(vip);
        this.port = port;
        this.ifname = ifname;
        this.selector = Selector.open();
        listen();
    }

    /** Listens on VIP:port; IP_FREEBIND so that the VIP need not be local yet. */
    private void listen() throws IOException {
        this.listener = ServerSocketChannel.open(StandardProtocolFamily.INET);
        int lfd = FileDescriptors.of(listener);
        try (com.sun.jna.Memory one = new com.sun.jna.Memory(4)) {
            one.setInt(0, 1);
            LibC.check(LibC.setsockopt(lfd, LibC.IPPROTO_IP, LibC.IP_FREEBIND, one, 4), "setsockopt(IP_FREEBIND)");
        }
        listener.bind(new InetSocketAddress(InetAddress.getByAddress(new byte[] {
            (byte) (vip >>> 24), (byte) (vip >>> 16), (byte) (vip >>> 8), (byte) vip}), port), 128);
        listener.configureBlocking(false);
        listener.register(selector, SelectionKey.OP_ACCEPT);
    }

    public static void main(String[] args) throws Exception {
        EchoNode node = new EchoNode(args[0], Integer.parseInt(args[1]), args[2]);
        Thread control = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    node.commands.add(line.trim());
                    node.selector.wakeup();
                }
            } catch (IOException e) {
                // parent gone
            }
            node.commands.add("exit");
            node.selector.wakeup();
        }, "control");
        control.setDaemon(true);
        control.start();
        System.out.println("READY");
        System.out.flush();
        node.loop();
    }

    private void loop() throws Exception {
        while (true) {
            selector.select(100);
            String cmd;
            while ((cmd = commands.poll()) != null) {
                if (cmd.startsWith("snapshot ")) {
                    snapshot(Path.of(cmd.substring(9)));
                } else if (cmd.startsWith("restore ")) {
                    restore(Path.of(cmd.substring(8)));
                } else if (cmd.startsWith("tcpinfo ")) {
                    shipTcpInfo(Path.of(cmd.substring(8)));
                } else if (cmd.startsWith("derive ")) {
                    String[] a = cmd.split(" ");
                    derive(Path.of(a[1]), Path.of(a[2]));
                } else if (cmd.startsWith("capture ")) {
                    String[] a = cmd.split(" ");
                    capture(Integer.parseInt(a[1]), Path.of(a[2]));
                } else if (cmd.equals("capturestats")) {
                    captureStats();
                } else if (cmd.startsWith("hold ")) {
                    hold(Integer.parseInt(cmd.substring(5)));
                } else if (cmd.equals("release")) {
                    release();
                } else if (cmd.equals("unhold")) {
                    holdQueue.close();
                    holdQueue = null;
                    System.out.println("UNHELD");
                    System.out.flush();
                } else if (cmd.equals("unvip")) {
                    try (InterfaceAddresses addrs = new InterfaceAddresses()) {
                        System.out.println("UNVIP " + addrs.remove(ifname, vip, 32));
                    }
                    System.out.flush();
                } else if (cmd.equals("vip")) {
                    try (InterfaceAddresses addrs = new InterfaceAddresses(); GratuitousArp arp = new GratuitousArp(ifname)) {
                        boolean added = addrs.add(ifname, vip, 32);
                        arp.announce(vip, 3);
                        System.out.println("VIP " + added);
                    }
                    System.out.flush();
                } else if (cmd.equals("stats")) {
                    TcpState st = new TcpState();
                    for (Conn c : conns) {
                        try {
                            repair.snapshot(FileDescriptors.of(c.ch), st);
                            System.out.println("STATS app=" + c.buf.position() + " " + st);
                        } catch (IOException e) {
                            System.out.println("STATS " + e);
                        }
                    }
                    System.out.flush();
                } else if (cmd.equals("exit")) {
                    System.exit(0);
                }
            }
            for (SelectionKey k : selector.selectedKeys()) {
                if (!k.isValid()) {
                    continue;
                }
                if (k.isAcceptable()) {
                    SocketChannel ch;
                    while ((ch = listener.accept()) != null) {
                        ch.configureBlocking(false);
                        Conn c = new Conn(ch, 0);
                        c.key = ch.register(selector, SelectionKey.OP_READ, c);
                        conns.add(c);
                    }
                    continue;
                }
                Conn c = (Conn) k.attachment();
                try {
                    echo(c);
                } catch (IOException e) {
                    System.out.println("ERROR conn " + c.ch + ": " + e);
                    System.out.flush();
                    k.cancel();
                    c.ch.close();
                    conns.remove(c);
                }
            }
            selector.selectedKeys().clear();
        }
    }

    /**
     * What the primary ships while alive for the derived-state failover: per connection the
     * client port, tcpi_rcv_wscale, tcpi_options and a TCP_TIMESTAMP reading with its wall time.
     */
    private void shipTcpInfo(Path file) throws IOException {
        dev.understudy.netfilter.tcp.TcpInfo info = new dev.understudy.netfilter.tcp.TcpInfo();
        try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(file));
             com.sun.jna.Memory v = new com.sun.jna.Memory(8)) {
            out.writeInt(conns.size());
            for (Conn c : conns) {
                int fd = FileDescriptors.of(c.ch);
                info.read(fd);
                v.setInt(4, 4);
                LibC.check(LibC.getsockopt(fd, LibC.IPPROTO_TCP, dev.understudy.netfilter.internal.LinuxTcp.TCP_TIMESTAMP, v, v.share(4)),
                    "getsockopt(TCP_TIMESTAMP)");
                out.writeInt(((InetSocketAddress) c.ch.getRemoteAddress()).getPort());
                out.writeInt(info.rcvWscale());
                out.writeInt(info.options());
                out.writeInt(v.getInt(0));
                out.writeLong(System.currentTimeMillis());
            }
        }
        System.out.println("TCPINFO " + conns.size());
        System.out.flush();
    }

    /**
     * The primary's capture, as the agent runs it inside the primary's JVM: binds NFQUEUE
     * {@code queue} with a {@link SegmentLog.Recorder} that writes every segment to VIP:port
     * into {@code file} (the replication stream) and only then accepts it. The test installs
     * the capture rule ({@code IptablesRule.capture}) in this namespace. Dies with this JVM: the
     * kernel then drops whatever is queued (no fail-open), so nothing unrecorded is ever ACKed.
     */
    private void capture(int queue, Path file) throws IOException {
        recorder = new SegmentLog.Recorder(file, vip, port);
        captureQueue = dev.understudy.netfilter.nfqueue.NfQueue.open(dev.understudy.netfilter.nfqueue.NfQueueConfig.forQueue(queue)
            .withReceiveBufferBytes(16 << 20), recorder);
        captureQueue.start();
        System.out.println("CAPTURING " + queue);
        System.out.flush();
    }

    /**
     * {@code CAPTURE records=.. payload=.. foreign=.. queue_dropped=.. user_dropped=.. id_sequence=..
     * <counter>=..}: the recorder's counts, the kernel's view of the queue
     * ({@code /proc/net/netfilter/nfnetlink_queue} of this namespace) and every {@code NfQueue}
     * counter, read in that order (the kernel's numbers are the older ones).
     */
    private void captureStats() throws IOException {
        dev.understudy.netfilter.nfqueue.KernelQueueStats ks = captureQueue.kernelStats();
        StringBuilder sb = new StringBuilder("CAPTURE records=").append(recorder.records())
            .append(" payload=").append(recorder.payloadBytes()).append(" foreign=").append(recorder.foreign())
            .append(" queue_dropped=").append(ks == null ? -1 : ks.queueDropped())
            .append(" user_dropped=").append(ks == null ? -1 : ks.userDropped())
            .append(" id_sequence=").append(ks == null ? -1 : ks.idSequence());
        for (java.util.Map.Entry<String, Long> e : captureQueue.counters().entrySet()) {
            sb.append(' ').append(e.getKey()).append('=').append(e.getValue());
        }
        System.out.println(sb);
        System.out.flush();
    }

    /**
     * Failover without the old node: derive every connection's state from the captured inbound
     * segments ({@link SegmentLog}, written by the old primary's NFQUEUE handler) and the shipped
     * TCP_INFO; the output the client has not acknowledged is regenerated — for an echo server
     * it is the input from the client's ACK on — and goes into the repair SEND queue as already
     * sent (the client may hold part of it; the kernel retransmits what it lacks).
     *
     * <p>Prints {@code DERIVED n segments=.. firstId=.. lastId=.. gaps=.. truncated=.. orphans=..
     * outOfOrder=.. ts=.. regenerated=..}: packet ids must run 1.. without a gap (the capture saw
     * every packet the kernel queued), no segment may belong to a connection whose SYN was not
     * captured, {@code ts} counts states restored with timestamps.
     */
    private void derive(Path tcpInfoFile, Path captureFile) throws IOException {
        java.util.Map<Integer, int[]> infos = new java.util.HashMap<>();
        try (DataInputStream in = new DataInputStream(Files.newInputStream(tcpInfoFile))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                int clientPort = in.readInt();
                int rcvWscale = in.readInt();
                int options = in.readInt();
                int clock = in.readInt();
                long at = in.readLong();
                infos.put(clientPort, new int[] {rcvWscale, options, clock, (int) (at >>> 32), (int) at});
            }
        }
        java.util.Map<Integer, dev.understudy.netfilter.repair.DerivedStateBuilder> builders = new java.util.LinkedHashMap<>();
        java.util.Map<Integer, java.io.ByteArrayOutputStream> inputs = new java.util.HashMap<>();
        long segments = 0;
        long gaps = 0;
        long orphans = 0;
        int firstId = 0;
        int lastId = 0;
        boolean truncated;
        try (SegmentLog.Reader r = new SegmentLog.Reader(captureFile)) {
            while (r.next()) {
                if (segments == 0) {
                    firstId = r.packetId;
                } else if (r.packetId != lastId + 1) {
                    gaps++;
                }
                lastId = r.packetId;
                segments++;
                int clientPort = r.clientPort;
                dev.understudy.netfilter.repair.DerivedStateBuilder b = builders.get(clientPort);
                if ((r.flags & dev.understudy.netfilter.repair.DerivedStateBuilder.SYN) != 0) {
                    if (b == null) {
                        b = new dev.understudy.netfilter.repair.DerivedStateBuilder().endpoints(vip, port, r.clientAddress, clientPort)
                            .clientSyn(r.seq, r.mss == 0 ? 536 : r.mss, r.wscale, r.sackOk, r.hasTs, r.tsval);
                        builders.put(clientPort, b);
                        inputs.put(clientPort, new java.io.ByteArrayOutputStream());
                    }
                    continue;
                }
                if (b == null) {
                    orphans++; // a connection whose SYN the capture did not see
                    continue;
                }
                // append the in-order part of the payload to the input stream, exactly as the builder counts it
                java.io.ByteArrayOutputStream input = inputs.get(clientPort);
                int plen = r.payloadLength;
                long off = Integer.toUnsignedLong(r.seq - b.clientIsn() - 1);
                if (off <= input.size() && off + plen > input.size() && off < (1L << 31)) {
                    int skip = (int) (input.size() - off);
                    input.write(r.payload, skip, plen - skip);
                }
                b.segment(r.seq, r.ack, r.window, r.flags, r.hasTs, r.tsval, r.tsecr, plen, r.atMillis);
            }
            truncated = r.truncatedTail();
        }
        List<TcpState> states = new ArrayList<>();
        List<byte[]> pending = new ArrayList<>();
        int regenerated = 0;
        int timestamps = 0;
        long outOfOrder = 0;
        for (java.util.Map.Entry<Integer, dev.understudy.netfilter.repair.DerivedStateBuilder> e : builders.entrySet()) {
            int[] info = infos.get(e.getKey());
            dev.understudy.netfilter.repair.DerivedStateBuilder b = e.getValue();
            if (info == null) {
                throw new IOException("no TCP_INFO shipped for client port " + e.getKey());
            }
            b.serverInfo(info[0], info[1]).serverClock(info[2], ((long) info[3] << 32) | (info[4] & 0xffffffffL));
            TcpState st = b.build(new TcpState());
            byte[] input = inputs.get(e.getKey()).toByteArray();
            if (input.length != b.inputLength()) {
                throw new IOException("input assembled " + input.length + " != derived " + b.inputLength());
            }
            int from = (int) b.outputAcked();
            // echo: output == input, so the output from the client's ACK on is input[from, end)
            st.sendQueue(input, from, input.length - from).sendQueueUnsent(0);
            regenerated += input.length - from > 0 ? 1 : 0;
            timestamps += st.hasOption(TcpState.OPT_TIMESTAMPS) ? 1 : 0;
            outOfOrder += b.outOfOrderSegments();
            states.add(st);
            pending.add(new byte[0]);
        }
        System.out.println("DERIVED " + states.size() + " segments=" + segments + " firstId=" + firstId + " lastId=" + lastId
            + " gaps=" + gaps + " truncated=" + truncated + " orphans=" + orphans + " outOfOrder=" + outOfOrder
            + " ts=" + timestamps + " regenerated=" + regenerated);
        System.out.flush();
        restoreAll(states, pending);
    }

    /**
     * Binds NFQUEUE {@code queue} with a handler that HOLDs every packet (the capture package's
     * {@link dev.understudy.netfilter.nfqueue.NfQueue}); the test then installs the hold-all
     * rule in this namespace. Held packets reach TCP only at {@link #release()}.
     */
    private void hold(int queue) throws IOException {
        holding = true;
        holdQueue = dev.understudy.netfilter.nfqueue.NfQueue.open(dev.understudy.netfilter.nfqueue.NfQueueConfig.forQueue(queue),
            (id, segment) -> holding ? dev.understudy.netfilter.nfqueue.Verdict.HOLD : dev.understudy.netfilter.nfqueue.Verdict.ACCEPT);
        holdQueue.start();
        System.out.println("HOLDING " + queue);
        System.out.flush();
    }

    /** Lets every held packet through (the restored sockets take them) and accepts any later one. */
    private void release() throws IOException {
        holding = false;
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (!holdQueue.releaseAll() && System.nanoTime() < deadline) {
            Thread.onSpinWait();
        }
        while (holdQueue.heldCount() > 0 && System.nanoTime() < deadline) {
            try {
                Thread.sleep(1);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        System.out.println("RELEASED held=" + holdQueue.counter(dev.understudy.netfilter.nfqueue.NfQueueCounter.HELD)
            + " still=" + holdQueue.heldCount());
        System.out.flush();
    }

    private void echo(Conn c) throws IOException {
        if (c.buf.hasRemaining()) {
            int n = c.ch.read(c.buf);
            if (n < 0) {
                throw new IOException("EOF from client");
            }
        }
        if (c.buf.position() > 0) {
            c.buf.flip();
            c.ch.write(c.buf);
            c.buf.compact();
        }
        int ops = (c.buf.hasRemaining() ? SelectionKey.OP_READ : 0) | (c.buf.position() > 0 ? SelectionKey.OP_WRITE : 0);
        c.key.interestOps(ops);
    }

    private void snapshot(Path file) throws IOException {
        long t0 = System.nanoTime();
        TcpState state = new TcpState();
        int sendq = 0;
        int recvq = 0;
        int app = 0;
        int timestamps = 0;
        try (DataOutputStream out = new DataOutputStream(new java.io.BufferedOutputStream(Files.newOutputStream(file)))) {
            out.writeInt(conns.size());
            for (Conn c : conns) {
                repair.snapshotAndRetire(FileDescriptors.of(c.ch), state);
                byte[] bytes = state.toBytes();
                out.writeInt(bytes.length);
                out.write(bytes);
                out.writeInt(c.buf.position());
                out.write(c.buf.array(), 0, c.buf.position());
                sendq += state.sendQueueLength() > 0 ? 1 : 0;
                recvq += state.recvQueueLength() > 0 ? 1 : 0;
                app += c.buf.position() > 0 ? 1 : 0;
                timestamps += state.hasOption(TcpState.OPT_TIMESTAMPS) ? 1 : 0;
            }
        }
        long snapMs = (System.nanoTime() - t0) / 1_000_000;
        int count = conns.size();
        try (InterfaceAddresses addrs = new InterfaceAddresses()) {
            addrs.remove(ifname, vip, 32);
        }
        listener.close();
        for (Conn c : conns) {
            c.key.cancel();
            c.ch.close(); // closes the placeholder that snapshotAndRetire put under the fd
        }
        conns.clear();
        selector.selectNow();
        listen(); // ready to take connections back later
        System.out.println("SNAPSHOT " + count + " sendq=" + sendq + " recvq=" + recvq + " app=" + app + " ts=" + timestamps + " ms=" + snapMs);
        System.out.flush();
    }

    private void restore(Path file) throws IOException {
        List<TcpState> states = new ArrayList<>();
        List<byte[]> pending = new ArrayList<>();
        try (DataInputStream in = new DataInputStream(new java.io.BufferedInputStream(Files.newInputStream(file)))) {
            int n = in.readInt();
            for (int i = 0; i < n; i++) {
                byte[] b = new byte[in.readInt()];
                in.readFully(b);
                states.add(TcpState.fromBytes(b));
                byte[] p = new byte[in.readInt()];
                in.readFully(p);
                pending.add(p);
            }
        }
        restoreAll(states, pending);
    }

    private void restoreAll(List<TcpState> states, List<byte[]> pending) throws IOException {
        long t0 = System.nanoTime();
        int[] fds = new int[states.size()];
        for (int i = 0; i < fds.length; i++) {
            fds[i] = repair.prepare(states.get(i));
        }
        long prepared = System.nanoTime();
        try (InterfaceAddresses addrs = new InterfaceAddresses(); GratuitousArp arp = new GratuitousArp(ifname)) {
            addrs.add(ifname, vip, 32);
            arp.announce(vip, 3);
        }
        long vipDone = System.nanoTime();
        int[] written = new int[fds.length];
        for (int i = 0; i < fds.length; i++) {
            written[i] = repair.activate(fds[i], states.get(i));
        }
        long activated = System.nanoTime();
        try (ServerSocketChannel loop = ServerSocketChannel.open(StandardProtocolFamily.INET)) {
            loop.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
            for (int i = 0; i < fds.length; i++) {
                SocketChannel ch = SocketChannel.open(StandardProtocolFamily.INET);
                ch.connect(loop.getLocalAddress());
                loop.accept().close();
                ch.configureBlocking(false);
                FileDescriptors.setNonBlocking(fds[i], true);
                FileDescriptors.dup2(fds[i], FileDescriptors.of(ch));
                LibC.close(fds[i]);
                TcpState st = states.get(i);
                int rest = st.sendQueueLength() - written[i]; // output that did not fit: written first
                Conn c = new Conn(ch, rest + pending.get(i).length);
                c.buf.put(st.sendQueue(), written[i], rest);
                c.buf.put(pending.get(i));
                c.key = ch.register(selector, SelectionKey.OP_READ | SelectionKey.OP_WRITE, c);
                conns.add(c);
            }
        }
        System.out.println("RESTORED " + fds.length + " ms=" + (System.nanoTime() - t0) / 1_000_000
            + " prepareMs=" + (prepared - t0) / 1_000_000 + " vipMs=" + (vipDone - prepared) / 1_000_000
            + " activateMs=" + (activated - vipDone) / 1_000_000);
        System.out.flush();
    }
}
