package dev.understudy.netfilter.repair;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.LinuxIn;
import dev.understudy.netfilter.internal.LinuxIn6;
import dev.understudy.netfilter.internal.LinuxTcp;
import dev.understudy.netfilter.internal.SysIoctl;
import dev.understudy.netfilter.tcp.TcpInfo;
import java.io.IOException;

/**
 * Saves and rebuilds established IPv4 TCP connections with {@code TCP_REPAIR} (linux/tcp.h;
 * the kernel side is net/ipv4/tcp.c {@code do_tcp_setsockopt}). Needs CAP_NET_ADMIN in the
 * socket's network namespace; without it every call fails with EPERM.
 *
 * <h2>Restore order</h2>
 * {@link #prepare} + {@link #activate} follow the order measured in shared/KERNEL.md:
 * <ol>
 * <li>new socket, {@code SO_REUSEADDR}, {@code TCP_REPAIR=1} (in this order: SO_REUSEADDR
 *     after repair would replace the kernel's SK_FORCE_REUSE), {@code IP_TRANSPARENT} +
 *     {@code IP_FREEBIND} (so the VIP need not be local yet), {@code bind(local)} — repair
 *     mode forces address reuse, so this works while a listener owns the port;</li>
 * <li>{@code TCP_REPAIR_QUEUE=RECV}, {@code TCP_QUEUE_SEQ = rcv_nxt - unread};
 *     {@code TCP_REPAIR_QUEUE=SEND}, {@code TCP_QUEUE_SEQ = snd_una};</li>
 * <li>{@code connect(remote)}: no SYN leaves, the socket is ESTABLISHED;</li>
 * <li>{@code TCP_REPAIR_OPTIONS}: SACK_PERM, WINDOW (snd | rcv &lt;&lt; 16), TIMESTAMP, MSS;</li>
 * <li>{@code TCP_TIMESTAMP} = captured clock + elapsed ms, low bit cleared (an odd value
 *     switches Linux 6.7+ to µs timestamps);</li>
 * <li>unread input into the RECV queue; output the old socket had transmitted into the SEND
 *     queue (it counts as sent: the peer's ACKs for it must not exceed snd_nxt, else the kernel
 *     drops them and the connection stalls); {@code TCP_REPAIR_WINDOW}; {@code TCP_REPAIR_QUEUE=NO_QUEUE};
 *     read the sequence numbers, window, clock and options (TCP_INFO) back and compare;</li>
 * <li>— the caller now makes the address local and sends gratuitous ARP —</li>
 * <li>{@link #activate}: {@code TCP_REPAIR=0} (the kernel sends a window probe) and the
 *     output never transmitted is written as ordinary data: it leaves at once with the right
 *     sequence numbers.</li>
 *     The write never blocks; {@link #activate} returns how much was written.
 * </ol>
 * Inbound traffic for the connection must be held (not delivered to either kernel) from the
 * snapshot until {@link #activate}: a socket in repair mode still receives and ACKs.
 *
 * <h2>Failure</h2>
 * Every failure throws {@link ErrnoException} naming the call and option (e.g.
 * {@code setsockopt(TCP_REPAIR_WINDOW)}). {@link #prepare} closes the new socket (in repair mode:
 * silently) before throwing; {@link #snapshot} turns repair off again (without a window
 * probe) before returning or throwing. {@link #activate} closes the socket silently if repair
 * cannot be switched off.
 *
 * <p>Thread-safety: an instance owns native scratch memory and is not thread-safe; use one per
 * thread. Nothing is allocated per call after the scratch buffers have grown to the largest queue.
 */
public final class TcpRepair {
    private static final int OPTLEN = 0;
    private static final int VAL = 8;
    private static final int VAL_SIZE = 64;
    private static final int ADDR = 80;
    private static final int ADDRLEN = 112;
    private static final int OPTS = 120;
    private static final int SCRATCH_SIZE = 176;
    /** Largest single write into the repair RECV queue; the kernel may refuse larger skbs with ENOMEM. */
    private static final int RECV_QUEUE_CHUNK = 64 * 1024;
    /** asm-generic/socket.h: SO_SNDBUF ignoring wmem_max (CAP_NET_ADMIN). */
    private static final int SO_SNDBUFFORCE = 32;
    /** Largest TCP_MAXSEG the kernel accepts (MAX_TCP_WINDOW); loopback's 65483 is clamped to it. */
    private static final int MAX_USER_MSS = 32767;
    /** Extra send buffer beyond the restored output (the kernel doubles the value for overhead). */
    private static final int SNDBUF_HEADROOM = 64 * 1024;

    private final Memory scratch = new Memory(SCRATCH_SIZE);
    private final TcpInfo info = new TcpInfo();
    private Memory queue = new Memory(64 * 1024);
    private boolean verify = true;

    /** Whether {@link #prepare} reads sequence numbers, window, clock and options (TCP_INFO) back (default on). */
    public TcpRepair verify(boolean verify) {
        this.verify = verify;
        return this;
    }

    /**
     * Captures the state of an established connection into {@code into}. The socket goes
     * through repair mode and comes back out of it (without a window probe); the application
     * may keep using it afterwards. Its traffic must be quiet (held) while this runs if the
     * state is to be exact.
     *
     * @return {@code into}
     * @throws ErrnoException a call failed (EPERM without CAP_NET_ADMIN or on a listener)
     * @throws IOException    the socket is not ESTABLISHED (the state names it)
     */
    public TcpState snapshot(int fd, TcpState into) throws IOException {
        capture(fd, into, KEEP);
        return into;
    }

    /**
     * Captures the state like {@link #snapshot} and then retires the socket silently: it is
     * closed in repair mode so that neither FIN nor RST leaves. On failure the socket is taken
     * out of repair mode and left open.
     *
     * @return {@code into}
     */
    public TcpState snapshotAndClose(int fd, TcpState into) throws IOException {
        capture(fd, into, CLOSE);
        return into;
    }

    /**
     * Like {@link #snapshotAndClose} for an fd owned by a JDK object (Socket, SocketChannel):
     * the connection is retired silently with {@link #retireSilently} so the fd number stays
     * valid for the JDK object, which may be closed later as usual.
     *
     * @return {@code into}
     */
    public TcpState snapshotAndRetire(int fd, TcpState into) throws IOException {
        capture(fd, into, RETIRE);
        return into;
    }

    private static final int KEEP = 0;
    private static final int CLOSE = 1;
    private static final int RETIRE = 2;

    private void capture(int fd, TcpState s, int after) throws IOException {
        s.reset();
        info.read(fd);
        if (info.state() != LinuxTcp.TCP_ESTABLISHED) {
            throw new IOException("snapshot(fd=" + fd + "): state=" + info.state() + ", expected ESTABLISHED ("
                + LinuxTcp.TCP_ESTABLISHED + ")");
        }
        name(fd, true, s);
        name(fd, false, s);
        int opts = (info.timestamps() ? TcpState.OPT_TIMESTAMPS : 0) | (info.sack() ? TcpState.OPT_SACK : 0)
            | (info.windowScaling() ? TcpState.OPT_WSCALE : 0);

        setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, LinuxTcp.TCP_REPAIR_ON);
        boolean done = false;
        try {
            // in repair mode TCP_MAXSEG reports rx_opt.mss_clamp (the peer's MSS), outside it mss_cache
            int mss = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_MAXSEG);
            s.options(mss, info.windowScaling() ? info.sndWscale() : 0, info.windowScaling() ? info.rcvWscale() : 0, opts);
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_RECV_QUEUE);
            int rcvNxt = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ);
            int inq = ioctlInt(fd, SysIoctl.SIOCINQ, "ioctl(SIOCINQ)");
            int got = peek(fd, inq, "recv(MSG_PEEK, TCP_RECV_QUEUE)");
            queue.read(0, s.recvQueueBuffer(got), 0, got);
            s.recvQueueLength(got);

            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_SEND_QUEUE);
            int writeSeq = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ);
            int outq = ioctlInt(fd, SysIoctl.SIOCOUTQ, "ioctl(SIOCOUTQ)");
            int sent = peek(fd, outq, "recv(MSG_PEEK, TCP_SEND_QUEUE)");
            if (sent != outq) {
                throw new IOException("snapshot(fd=" + fd + "): send queue peek returned " + sent + " bytes, SIOCOUTQ=" + outq);
            }
            queue.read(0, s.sendQueueBuffer(sent), 0, sent);
            s.sendQueueLength(sent);
            int unsent = ioctlInt(fd, SysIoctl.SIOCOUTQNSD, "ioctl(SIOCOUTQNSD)");
            s.sendQueueUnsent(Math.max(0, Math.min(unsent, sent)));
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_NO_QUEUE);
            // The RECV queue seq is rcv_nxt; the unread bytes end there. SEND: write_seq - outq = snd_una.
            s.sequence(writeSeq - outq, rcvNxt);

            getStruct(fd, LinuxTcp.TCP_REPAIR_WINDOW, LinuxTcp.TCP_REPAIR_WINDOW_SIZE);
            s.window(scratch.getInt(VAL + LinuxTcp.TRW_SND_WL1), scratch.getInt(VAL + LinuxTcp.TRW_SND_WND),
                scratch.getInt(VAL + LinuxTcp.TRW_MAX_WINDOW), scratch.getInt(VAL + LinuxTcp.TRW_RCV_WND),
                scratch.getInt(VAL + LinuxTcp.TRW_RCV_WUP));
            int ts = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_TIMESTAMP);
            s.timestamp(ts, System.currentTimeMillis());
            done = true;
        } finally {
            if (done && after == CLOSE) {
                // close() in repair mode: tcp_close -> tcp_disconnect sends neither FIN nor RST.
                LibC.check(LibC.close(fd), "close");
            } else if (done && after == RETIRE) {
                try {
                    replaceWithPlaceholder(fd);
                } catch (ErrnoException e) {
                    repairOffQuietly(fd); // not retired: leave a working socket to the caller
                    throw e;
                }
            } else {
                scratch.setInt(VAL, LinuxTcp.TCP_REPAIR_OFF_NO_WP);
                int rc = LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, scratch.share(VAL), 4);
                if (rc == -1 && done) {
                    throw new ErrnoException("setsockopt(TCP_REPAIR=OFF_NO_WP)", Native.getLastError());
                }
            }
        }
    }

    /**
     * Closes {@code fd} without FIN or RST: {@code TCP_REPAIR=1} then {@code close}. The peer
     * sees nothing. If repair mode cannot be entered the socket is left open and the error
     * thrown (closing it then would send a FIN or RST).
     *
     * @throws ErrnoException {@code setsockopt(TCP_REPAIR)} (EPERM: no CAP_NET_ADMIN or a listener) or {@code close}
     */
    public static void closeSilently(int fd) throws ErrnoException {
        try (Memory m = new Memory(4)) {
            m.setInt(0, LinuxTcp.TCP_REPAIR_ON);
            LibC.check(LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, m, 4), "setsockopt(TCP_REPAIR)");
        }
        LibC.check(LibC.close(fd), "close");
    }

    /**
     * Retires the connection behind an fd that a JDK object owns, silently: {@code TCP_REPAIR=1},
     * then {@code dup2} an unconnected placeholder socket over the fd. The connection's last
     * reference goes away in repair mode (no FIN, no RST); the JDK object keeps a valid fd
     * whose later {@code shutdown}/{@code close} touch only the placeholder. (Closing the
     * JDK object directly could {@code shutdown(SHUT_WR)} first, which sends a FIN even in
     * repair mode.)
     *
     * @throws ErrnoException {@code setsockopt(TCP_REPAIR)}, {@code socket} or {@code dup2}
     */
    public static void retireSilently(int fd) throws ErrnoException {
        try (Memory m = new Memory(4)) {
            m.setInt(0, LinuxTcp.TCP_REPAIR_ON);
            LibC.check(LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, m, 4), "setsockopt(TCP_REPAIR)");
        }
        try {
            replaceWithPlaceholder(fd);
        } catch (ErrnoException e) {
            repairOffQuietly(fd);
            throw e;
        }
    }

    /** Best effort on a failure path: take the socket out of repair mode without a window probe. */
    private static void repairOffQuietly(int fd) {
        try (Memory m = new Memory(4)) {
            m.setInt(0, LinuxTcp.TCP_REPAIR_OFF_NO_WP);
            LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, m, 4);
        }
    }

    private static void replaceWithPlaceholder(int fd) throws ErrnoException {
        int placeholder = LibC.check(LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0),
            "socket(placeholder)");
        try {
            LibC.check(LibC.dup2(placeholder, fd), "dup2(placeholder, " + fd + ")");
        } finally {
            LibC.close(placeholder);
        }
    }

    /**
     * Rebuilds the connection: {@link #prepare} then {@link #activate}. Use the two steps when
     * the local address must be made reachable (VIP + ARP) in between.
     *
     * @return the connected socket, blocking, out of repair mode, owned by the caller
     */
    public int restore(TcpState s) throws IOException {
        int fd = prepare(s);
        int written = activate(fd, s);
        if (written < s.sendQueueLength()) {
            LibC.close(fd);
            throw new IOException("restore(" + s + "): only " + written + " bytes of the send queue fit in the socket");
        }
        return fd;
    }

    /**
     * Steps 1–6 of the restore order: a new socket bound to the state's local address and
     * connected to its remote address, still in repair mode (it sends nothing yet, and
     * inbound segments for it must still be held). Works when the local address is not yet
     * configured on this host (IP_TRANSPARENT) and while a listener holds the port.
     *
     * @return the new socket's fd (blocking, close-on-exec), owned by the caller
     * @throws ErrnoException a call failed; the new socket has been closed silently
     * @throws IOException    a value read back differs from the one set
     */
    public int prepare(TcpState s) throws IOException {
        boolean inet6 = (s.flags() & TcpState.FLAG_INET6_SOCKET) != 0;
        int fd = LibC.check(LibC.socket(inet6 ? LinuxIn6.AF_INET6 : LibC.AF_INET, LibC.SOCK_STREAM | LibC.SOCK_CLOEXEC, 0),
            inet6 ? "socket(AF_INET6, SOCK_STREAM)" : "socket(AF_INET, SOCK_STREAM)");
        boolean ok = false;
        try {
            // SO_REUSEADDR first: it sets sk_reuse = SK_CAN_REUSE and would overwrite the
            // SK_FORCE_REUSE that TCP_REPAIR=1 sets, and only the latter binds beside a LISTEN socket.
            setInt(fd, LibC.SOL_SOCKET, LibC.SO_REUSEADDR, 1);
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, LinuxTcp.TCP_REPAIR_ON);
            setInt(fd, LibC.IPPROTO_IP, LibC.IP_TRANSPARENT, 1);
            setInt(fd, LibC.IPPROTO_IP, LibC.IP_FREEBIND, 1);
            if (s.sendQueueLength() > 0) {
                // room for the whole send queue: the repair SEND queue and the later write must not block
                setInt(fd, LibC.SOL_SOCKET, SO_SNDBUFFORCE, s.sendQueueLength() + SNDBUF_HEADROOM);
            }
            if (s.recvQueueLength() > RECV_QUEUE_CHUNK) {
                // the repair RECV queue is charged to sk_rcvbuf: make room for what we put in it
                setInt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, s.recvQueueLength() * 2);
            }
            int len = putAddress(s, true);
            LibC.check(LibC.bind(fd, scratch.share(ADDR), len), "bind");

            // user_mss before connect: tcp_connect_init copies it into mss_clamp before it sizes
            // mss_cache; TCPOPT_MSS set after connect alone would leave mss_cache at 536.
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_MAXSEG, Math.min(s.mss(), MAX_USER_MSS));
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_RECV_QUEUE);
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ, s.rcvNxt() - s.recvQueueLength());
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_SEND_QUEUE);
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ, s.sndUna());

            len = putAddress(s, false);
            LibC.check(LibC.connect(fd, scratch.share(ADDR), len), "connect");

            int n = 0;
            if (s.hasOption(TcpState.OPT_SACK)) {
                putOpt(n++, LinuxTcp.TCPOPT_SACK_PERM, 0);
            }
            if (s.hasOption(TcpState.OPT_WSCALE)) {
                putOpt(n++, LinuxTcp.TCPOPT_WINDOW, s.sndWscale() | (s.rcvWscale() << 16));
            }
            if (s.hasOption(TcpState.OPT_TIMESTAMPS)) {
                putOpt(n++, LinuxTcp.TCPOPT_TIMESTAMP, 0);
            }
            putOpt(n++, LinuxTcp.TCPOPT_MSS, s.mss());
            LibC.check(LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_OPTIONS, scratch.share(OPTS),
                n * LinuxTcp.TCP_REPAIR_OPT_SIZE), "setsockopt(TCP_REPAIR_OPTIONS)");

            int ts = 0;
            if (s.hasOption(TcpState.OPT_TIMESTAMPS)) {
                ts = restoredClock(s, System.currentTimeMillis());
                setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_TIMESTAMP, ts);
            }

            if (s.recvQueueLength() > 0) {
                setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_RECV_QUEUE);
                fillQueue(fd, s.recvQueue(), s.recvQueueLength(), "send(TCP_RECV_QUEUE)");
            }
            int inFlight = s.sendQueueLength() - s.sendQueueUnsent();
            if (inFlight > 0) {
                // Output the old socket had transmitted: queued in repair mode it counts as sent
                // (snd_nxt moves past it, nothing leaves). The peer may hold all of it; its ACKs
                // then fall within snd_nxt and are accepted. Written as new data instead, an ACK
                // beyond the new snd_nxt would be dropped and the connection would stall.
                setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_SEND_QUEUE);
                fillQueue(fd, s.sendQueue(), inFlight, "send(TCP_SEND_QUEUE)");
            }
            scratch.setInt(VAL + LinuxTcp.TRW_SND_WL1, s.sndWl1());
            scratch.setInt(VAL + LinuxTcp.TRW_SND_WND, s.sndWnd());
            scratch.setInt(VAL + LinuxTcp.TRW_MAX_WINDOW, s.maxWindow());
            scratch.setInt(VAL + LinuxTcp.TRW_RCV_WND, s.rcvWnd());
            scratch.setInt(VAL + LinuxTcp.TRW_RCV_WUP, s.rcvWup());
            LibC.check(LibC.setsockopt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_WINDOW, scratch.share(VAL),
                LinuxTcp.TCP_REPAIR_WINDOW_SIZE), "setsockopt(TCP_REPAIR_WINDOW)");

            if (verify) {
                verifyRestored(fd, s, ts);
            }
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_NO_QUEUE);
            ok = true;
            return fd;
        } finally {
            if (!ok) {
                LibC.close(fd); // still in repair mode (or never connected): silent
            }
        }
    }

    /**
     * Step 8 of the restore order: switches repair off (the kernel sends a window probe, the
     * peer answers) and writes the part of the send queue the old socket never transmitted
     * ({@link TcpState#sendQueueUnsent()}) as ordinary data: it leaves at once. The part it had
     * transmitted was put in the repair SEND queue by {@link #prepare} (as CRIU does): it counts
     * as sent, and is retransmitted by the kernel only if the peer lacks it (SACK / timer).
     * The send buffer was sized to hold the whole queue ({@code SO_SNDBUFFORCE}; this fixes the
     * buffer size for the connection's life) and the write does not block
     * ({@code MSG_DONTWAIT}): a slow reader cannot stall a restore of many connections.
     *
     * @return bytes of the send queue now in the socket; the caller must write the rest
     *         ({@code sendQueueLength() - returned}, normally 0) before any new output
     * @throws ErrnoException {@code setsockopt(TCP_REPAIR)} failed (the socket has been closed
     *                        silently) or {@code send} failed (the socket is left to the caller)
     */
    public int activate(int fd, TcpState s) throws IOException {
        int len = s.sendQueueLength();
        int off = len - s.sendQueueUnsent(); // the in-flight part is already in the repair SEND queue
        boolean ok = false;
        try {
            setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR, LinuxTcp.TCP_REPAIR_OFF);
            ok = true;
        } finally {
            if (!ok) {
                LibC.close(fd);
            }
        }
        if (off == len) {
            return len;
        }
        ensureQueue(len);
        queue.write(0, s.sendQueue(), 0, len);
        while (off < len) {
            long rc = LibC.send(fd, queue.share(off), len - off, LibC.MSG_DONTWAIT);
            if (rc == -1) {
                int errno = Native.getLastError();
                if (errno == Errno.EINTR) {
                    continue;
                }
                if (errno == Errno.EAGAIN) {
                    break;
                }
                throw new ErrnoException("send(unsent output)", errno);
            }
            off += (int) rc;
        }
        return off;
    }

    /** The TCP_TIMESTAMP value to restore: captured clock + elapsed ms (never negative), low bit cleared. */
    static int restoredClock(TcpState s, long nowMillis) {
        long elapsed = Math.max(0L, nowMillis - s.capturedAtMillis());
        if (elapsed > Integer.MAX_VALUE) {
            elapsed = Integer.MAX_VALUE;
        }
        return (s.tsClock() + (int) elapsed) & ~1;
    }

    private void verifyRestored(int fd, TcpState s, int ts) throws IOException {
        setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_RECV_QUEUE);
        int rcvNxt = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ);
        setInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_REPAIR_QUEUE, LinuxTcp.TCP_SEND_QUEUE);
        int writeSeq = getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_QUEUE_SEQ);
        getStruct(fd, LinuxTcp.TCP_REPAIR_WINDOW, LinuxTcp.TCP_REPAIR_WINDOW_SIZE);
        int sndWnd = scratch.getInt(VAL + LinuxTcp.TRW_SND_WND);
        int rcvWnd = scratch.getInt(VAL + LinuxTcp.TRW_RCV_WND);
        int rcvWup = scratch.getInt(VAL + LinuxTcp.TRW_RCV_WUP);
        int clock = s.hasOption(TcpState.OPT_TIMESTAMPS) ? getInt(fd, LibC.IPPROTO_TCP, LinuxTcp.TCP_TIMESTAMP) : ts;
        // the clock ticks on between set and get: accept a few ms ahead, never behind
        int clockAhead = clock - ts;
        int expectedWriteSeq = s.sndUna() + s.sendQueueLength() - s.sendQueueUnsent();
        info.read(fd);
        int opts = (info.timestamps() ? TcpState.OPT_TIMESTAMPS : 0) | (info.sack() ? TcpState.OPT_SACK : 0)
            | (info.windowScaling() ? TcpState.OPT_WSCALE : 0);
        boolean optionsOk = opts == s.options()
            && (!s.hasOption(TcpState.OPT_WSCALE) || (info.sndWscale() == s.sndWscale() && info.rcvWscale() == s.rcvWscale()));
        if (!optionsOk) {
            throw new IOException("restore(fd=" + fd + "): TCP_INFO read back options=" + opts + ", wscale="
                + info.sndWscale() + "/" + info.rcvWscale() + "; expected options=" + s.options() + ", wscale="
                + s.sndWscale() + "/" + s.rcvWscale());
        }
        if (rcvNxt != s.rcvNxt() || writeSeq != expectedWriteSeq || sndWnd != s.sndWnd() || rcvWnd != s.rcvWnd()
            || rcvWup != s.rcvWup() || clockAhead < 0 || clockAhead > 1000) {
            throw new IOException("restore(fd=" + fd + "): read back rcv_nxt=" + Integer.toUnsignedString(rcvNxt)
                + ", write_seq=" + Integer.toUnsignedString(writeSeq) + ", snd_wnd=" + sndWnd + ", rcv_wnd=" + rcvWnd
                + ", rcv_wup=" + Integer.toUnsignedString(rcvWup) + ", ts=" + Integer.toUnsignedString(clock)
                + "; expected " + s + " with ts=" + Integer.toUnsignedString(ts));
        }
    }

    private void fillQueue(int fd, byte[] data, int len, String call) throws ErrnoException {
        ensureQueue(len);
        queue.write(0, data, 0, len);
        int off = 0;
        int chunk = RECV_QUEUE_CHUNK;
        while (off < len) {
            int n = Math.min(chunk, len - off);
            long rc = LibC.send(fd, queue.share(off), n, LibC.MSG_DONTWAIT);
            if (rc == -1) {
                int errno = Native.getLastError();
                if (errno == Errno.ENOMEM && chunk > 1024) {
                    chunk /= 2; // tcp_send_rcvq could not charge an skb this large
                    continue;
                }
                if (errno == Errno.EINTR) {
                    continue;
                }
                throw new ErrnoException(call, errno);
            }
            off += (int) rc;
        }
    }

    private int peek(int fd, int len, String call) throws ErrnoException {
        if (len <= 0) {
            return 0;
        }
        ensureQueue(len);
        long rc;
        do {
            rc = LibC.recv(fd, queue, len, LibC.MSG_PEEK | LibC.MSG_DONTWAIT);
        } while (rc == -1 && Native.getLastError() == Errno.EINTR);
        if (rc == -1) {
            int errno = Native.getLastError();
            if (errno == Errno.EAGAIN) {
                return 0;
            }
            throw new ErrnoException(call, errno);
        }
        return (int) rc;
    }

    private void name(int fd, boolean local, TcpState s) throws ErrnoException {
        scratch.setInt(ADDRLEN, LinuxIn6.SOCKADDR_IN6_SIZE);
        if (local) {
            LibC.check(LibC.getsockname(fd, scratch.share(ADDR), scratch.share(ADDRLEN)), "getsockname");
        } else {
            LibC.check(LibC.getpeername(fd, scratch.share(ADDR), scratch.share(ADDRLEN)), "getpeername");
        }
        int family = scratch.getShort(ADDR) & 0xffff;
        int address;
        int port;
        if (family == LibC.AF_INET) {
            address = LinuxIn.address(scratch, ADDR);
            port = LinuxIn.port(scratch, ADDR);
        } else if (family == LinuxIn6.AF_INET6 && LinuxIn6.isMapped(scratch, ADDR)) {
            // a JDK dual-stack socket carrying IPv4: restore it as AF_INET6 too, so that it can
            // be put under the application's fd (dup2) with the family the JDK expects
            address = LinuxIn6.mappedAddress(scratch, ADDR);
            port = LinuxIn6.port(scratch, ADDR);
            s.flags(s.flags() | TcpState.FLAG_INET6_SOCKET);
        } else {
            throw new ErrnoException((local ? "getsockname" : "getpeername") + "(IPv4 or IPv4-mapped only, family="
                + family + ")", Errno.EAFNOSUPPORT);
        }
        if (local) {
            s.local(address, port);
        } else {
            s.remote(address, port);
        }
    }

    private int putAddress(TcpState s, boolean local) {
        int address = local ? s.localAddress() : s.remoteAddress();
        int port = local ? s.localPort() : s.remotePort();
        if ((s.flags() & TcpState.FLAG_INET6_SOCKET) != 0) {
            LinuxIn6.putMapped(scratch, ADDR, address, port);
            return LinuxIn6.SOCKADDR_IN6_SIZE;
        }
        LinuxIn.putSockaddrIn(scratch, ADDR, address, port);
        return LinuxIn.SOCKADDR_IN_SIZE;
    }

    private void putOpt(int i, int code, int val) {
        scratch.setInt(OPTS + i * LinuxTcp.TCP_REPAIR_OPT_SIZE + LinuxTcp.TCP_REPAIR_OPT_CODE, code);
        scratch.setInt(OPTS + i * LinuxTcp.TCP_REPAIR_OPT_SIZE + LinuxTcp.TCP_REPAIR_OPT_VAL, val);
    }

    private void setInt(int fd, int level, int option, int value) throws ErrnoException {
        scratch.setInt(VAL, value);
        if (LibC.setsockopt(fd, level, option, scratch.share(VAL), 4) == -1) {
            throw new ErrnoException("setsockopt(" + LinuxTcp.optionName(level, option) + ")", Native.getLastError());
        }
    }

    private int getInt(int fd, int level, int option) throws ErrnoException {
        scratch.setInt(OPTLEN, 4);
        if (LibC.getsockopt(fd, level, option, scratch.share(VAL), scratch.share(OPTLEN)) == -1) {
            throw new ErrnoException("getsockopt(" + LinuxTcp.optionName(level, option) + ")", Native.getLastError());
        }
        return scratch.getInt(VAL);
    }

    private void getStruct(int fd, int option, int size) throws ErrnoException {
        scratch.setInt(OPTLEN, size);
        if (LibC.getsockopt(fd, LibC.IPPROTO_TCP, option, scratch.share(VAL), scratch.share(OPTLEN)) == -1) {
            throw new ErrnoException("getsockopt(" + LinuxTcp.optionName(LibC.IPPROTO_TCP, option) + ")", Native.getLastError());
        }
        if (scratch.getInt(OPTLEN) != size) {
            throw new ErrnoException("getsockopt(" + LinuxTcp.optionName(LibC.IPPROTO_TCP, option) + ") length "
                + scratch.getInt(OPTLEN) + " != " + size, Errno.EINVAL);
        }
    }

    private int ioctlInt(int fd, long request, String call) throws ErrnoException {
        scratch.setInt(VAL, 0);
        LibC.check(SysIoctl.ioctl(fd, request, scratch.share(VAL)), call);
        return scratch.getInt(VAL);
    }

    private void ensureQueue(int len) {
        if (queue.size() < len) {
            long size = Math.max(len, queue.size() * 2);
            queue.close();
            queue = new Memory(size);
        }
    }
}
