package dev.understudy.netfilter.nfqueue;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import com.sun.jna.Pointer;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.Netlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import dev.understudy.netfilter.internal.Poll;
import dev.understudy.netfilter.internal.SysResource;
import dev.understudy.netfilter.internal.SysSocket;
import dev.understudy.netfilter.packet.TcpSegment;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * One NFQUEUE, read over a raw {@code NETLINK_NETFILTER} socket (no libnetfilter_queue): every
 * IPv4/TCP packet the iptables {@code NFQUEUE --queue-num N} rule sends here is parsed in place
 * ({@link TcpSegment} flyweight over the receive buffer) and handed to a {@link SegmentHandler},
 * whose {@link Verdict} is sent back to the kernel: ACCEPT now, DROP, or HOLD until
 * {@link #release}/{@link #releaseUpTo}/{@link #releaseAll}/{@link #drop}.
 *
 * <h2>Kernel protocol</h2>
 * Copy-packet mode with the full packet (copy range 0xFFFF), {@code NFQA_CFG_QUEUE_MAXLEN},
 * never fail-open ({@code NFQA_CFG_F_FAIL_OPEN} is explicitly cleared: a packet that cannot be
 * queued is dropped and TCP retransmits it, so the kernel never ACKs a byte the handler has
 * not seen). With {@link NfQueueConfig#gso() gso} (the default) {@code NFQA_CFG_F_GSO} is set:
 * a GSO/GRO packet (up to 64 KiB of payload: a TSO burst crossing a veth, or GRO'd frames)
 * arrives as one packet whose IPv4 total length covers it all, instead of being segmented by
 * the kernel into MSS-sized copies — the difference between ~10k and ~400k messages per second
 * for 600 MB/s. Its TCP checksum may not be computed yet (CHECKSUM_PARTIAL); nothing here
 * relies on it. IPv4 BIG TCP ({@code gro_ipv4_max_size} &gt; 65536, total length 0) cannot be
 * captured (copy range is at most 64 KiB): such packets fail to parse and are dropped.
 * Receive is {@code recvmmsg} of up to {@code batchSize} datagrams (one packet each) per call;
 * the verdicts of a batch go out in one {@code send}: a run of ACCEPTs with no held packet
 * below it becomes one {@code NFQNL_MSG_VERDICT_BATCH}, everything else a single-id
 * {@code NFQNL_MSG_VERDICT}, in an order that never lets a batch verdict cover a held packet.
 *
 * <h2>Threads</h2>
 * The <em>receive thread</em> is whichever thread runs {@link #poll(int)} (one at a time), or
 * the thread {@link #start()} creates; it alone reads the socket, runs the handler and writes
 * verdicts. {@link #release}, {@link #releaseUpTo}, {@link #releaseAll} and {@link #drop} may
 * be called from any thread: they post a request into a bounded queue and wake the receive
 * thread through an eventfd; they return false when that queue is full (try again). Counters
 * may be read from any thread. {@link #close()} may be called from any thread.
 *
 * <h2>Failures</h2>
 * Parse failures, malformed netlink messages, handler exceptions, queue-full drops (see
 * {@link #kernelStats()}) and ENOBUFS are counted ({@link NfQueueCounter}), never thrown;
 * every packet that cannot be handled is dropped. Syscall failures that leave the queue
 * unusable throw {@link ErrnoException}.
 *
 * <p>Per packet nothing is allocated: buffers are JNA {@link Memory} allocated at open, seen
 * through one direct {@link ByteBuffer} with absolute gets.
 */
public final class NfQueue implements AutoCloseable {
    private static final VarHandle COUNTERS = MethodHandles.arrayElementVarHandle(long[].class);
    private static final int CONFIG_SEQ = 1;
    private static final int TX_BYTES = 64 << 10;
    private static final long REQ_ACCEPT_ONE = 1;
    private static final long REQ_DROP_ONE = 2;
    private static final long REQ_ACCEPT_UP_TO = 3;
    private static final long REQ_ACCEPT_ALL = 4;
    private static final int OPEN_TIMEOUT_MILLIS = 5000;

    private final NfQueueConfig config;
    private final SegmentHandler handler;
    private final int queue;
    private final int fd;
    private final int eventFd;

    // Receive side: batchSize slots of slotBytes, the mmsghdr vector and its iovecs.
    private final Memory rxMemory;
    private final ByteBuffer rx;
    private final Memory mmsg;
    /** Native-order view of {@link #mmsg}: msg_len and msg_flags are read through it (no JNI call per datagram). */
    private final ByteBuffer mmsgView;
    /** The last recvmmsg returned less than a full batch: wait in poll before trying again. */
    private boolean drained;
    /** {@link NfQueueConfig#gatherMicros()} in nanoseconds; 0 = off. */
    private final long gatherNanos;
    private final Memory pollFds;
    private final Memory eventValue;
    private final Memory eventRead;
    // Verdicts of one batch.
    private final Memory txMemory;
    private final ByteBuffer tx;

    private final VerdictBatcher verdicts;
    private volatile int liveHeldPublished;

    // Requests from other threads.
    private final Object requestLock = new Object();
    private final long[] requests;
    private final long[] drainedRequests;
    private long requestHead;
    private long requestTail;
    private volatile int requestCount;

    private final long[] counters = new long[NfQueueCounter.values().length];
    private final long[] parseFailures = new long[TcpSegment.PARSE_RESULTS];
    private final long[] malformed = new long[NfqMessageReader.MALFORMED_REASONS];
    private final TcpSegment segment = new TcpSegment();
    private final Sink sink = new Sink();

    private final Object ioLock = new Object();
    private volatile boolean closed;
    private volatile boolean fdClosed;
    private volatile Thread receiveThread;
    private Thread currentPoller;
    private volatile boolean configAcked;
    private final java.util.concurrent.CountDownLatch niceApplied = new java.util.concurrent.CountDownLatch(1);
    private volatile int appliedNice;
    private volatile int configErrno;

    private NfQueue(NfQueueConfig config, SegmentHandler handler, int fd, int eventFd) {
        this.config = config;
        this.handler = handler;
        this.queue = config.queueNumber();
        this.fd = fd;
        this.eventFd = eventFd;
        this.gatherNanos = config.gatherMicros() * 1000L;
        int batch = config.batchSize();
        int slot = config.slotBytes();
        this.rxMemory = new Memory((long) batch * slot);
        this.rx = rxMemory.getByteBuffer(0, rxMemory.size()).order(ByteOrder.BIG_ENDIAN);
        this.mmsg = new Memory((long) batch * (SysSocket.MMSGHDR_SIZE + SysSocket.IOVEC_SIZE));
        mmsg.clear();
        long iovBase = (long) batch * SysSocket.MMSGHDR_SIZE;
        for (int i = 0; i < batch; i++) {
            long h = (long) i * SysSocket.MMSGHDR_SIZE;
            long iov = iovBase + (long) i * SysSocket.IOVEC_SIZE;
            mmsg.setPointer(iov + SysSocket.IOV_BASE_OFFSET, rxMemory.share((long) i * slot));
            mmsg.setLong(iov + SysSocket.IOV_LEN_OFFSET, slot);
            mmsg.setPointer(h + SysSocket.MSG_IOV_OFFSET, mmsg.share(iov));
            mmsg.setLong(h + SysSocket.MSG_IOVLEN_OFFSET, 1);
        }
        this.mmsgView = mmsg.getByteBuffer(0, mmsg.size()).order(ByteOrder.nativeOrder());
        this.pollFds = new Memory(2L * Poll.POLLFD_SIZE);
        pollFds.clear();
        pollFds.setInt(Poll.POLLFD_FD_OFFSET, fd);
        pollFds.setShort(Poll.POLLFD_EVENTS_OFFSET, Poll.POLLIN);
        pollFds.setInt(Poll.POLLFD_SIZE + Poll.POLLFD_FD_OFFSET, eventFd);
        pollFds.setShort(Poll.POLLFD_SIZE + Poll.POLLFD_EVENTS_OFFSET, Poll.POLLIN);
        this.eventValue = new Memory(8);
        eventValue.setLong(0, 1);
        this.eventRead = new Memory(8);
        this.txMemory = new Memory(TX_BYTES);
        this.tx = txMemory.getByteBuffer(0, TX_BYTES).order(ByteOrder.BIG_ENDIAN);
        this.verdicts = new VerdictBatcher(queue, tx, TX_BYTES, config.maxLength(), counters,
            len -> sendTx("send(NFQNL_MSG_VERDICT)", len));
        this.requests = new long[Integer.highestOneBit(config.requestQueueCapacity() - 1) << 1];
        this.drainedRequests = new long[requests.length];
    }

    /**
     * Opens a netlink socket, binds queue {@code config.queueNumber()} for AF_INET in copy-packet
     * mode and waits (at most 5 s) for the kernel's ack. Packets that arrive meanwhile are
     * handed to {@code handler} on the calling thread.
     *
     * @throws ErrnoException naming the failing call, e.g. {@code NFQNL_CFG_CMD_BIND(queue 3)}
     *                        with EPERM when another socket has bound the queue or without CAP_NET_ADMIN
     */
    public static NfQueue open(NfQueueConfig config, SegmentHandler handler) throws ErrnoException {
        if (handler == null) {
            throw new IllegalArgumentException("invalid nfqueue handler: value=null, expected a SegmentHandler");
        }
        int fd = LibC.check(LibC.socket(LibC.AF_NETLINK, LibC.SOCK_RAW | LibC.SOCK_CLOEXEC | LibC.SOCK_NONBLOCK,
            Netlink.NETLINK_NETFILTER), "socket(AF_NETLINK, NETLINK_NETFILTER)");
        int efd = -1;
        NfQueue q = null;
        try {
            efd = LibC.check(Poll.eventfd(0, Poll.EFD_NONBLOCK | Poll.EFD_CLOEXEC), "eventfd");
            try (Memory opt = new Memory(4)) {
                opt.setInt(0, config.receiveBufferBytes());
                if (LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUFFORCE, opt, 4) == -1) {
                    // Without CAP_NET_ADMIN only SO_RCVBUF (capped by rmem_max) is allowed.
                    LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_RCVBUF, opt, 4), "setsockopt(SO_RCVBUF)");
                }
                opt.setInt(0, 1);
                LibC.check(LibC.setsockopt(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_NO_ENOBUFS, opt, 4),
                    "setsockopt(NETLINK_NO_ENOBUFS)");
                // Acks without the echoed request: smaller, and nothing to parse. Best effort.
                LibC.setsockopt(fd, Netlink.SOL_NETLINK, Netlink.NETLINK_CAP_ACK, opt, 4);
            }
            try (Memory addr = new Memory(Netlink.SOCKADDR_NL_SIZE)) {
                addr.clear();
                addr.setShort(0, (short) LibC.AF_NETLINK);
                LibC.check(LibC.bind(fd, addr, Netlink.SOCKADDR_NL_SIZE), "bind(AF_NETLINK)");
            }
            q = new NfQueue(config, handler, fd, efd);
            q.configure();
            return q;
        } catch (ErrnoException | RuntimeException | Error e) {
            if (q != null) {
                q.closeDescriptors();
            } else {
                LibC.close(fd);
                if (efd >= 0) {
                    LibC.close(efd);
                }
            }
            throw e;
        }
    }

    private void configure() throws ErrnoException {
        synchronized (ioLock) {
            currentPoller = Thread.currentThread();
            int len = NfqMessages.putBindConfig(tx, 0, queue, LibC.AF_INET, NfnetlinkQueue.NFQNL_COPY_PACKET,
                NfnetlinkQueue.NFQNL_MAX_COPY_RANGE, config.maxLength(), config.gso(), CONFIG_SEQ);
            sendTx("NFQNL_MSG_CONFIG(queue " + queue + ")", len);
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OPEN_TIMEOUT_MILLIS);
            while (!configAcked) {
                if (System.nanoTime() - deadline > 0) {
                    throw new ErrnoException("NFQNL_CFG_CMD_BIND(queue " + queue + "): no ack within " + OPEN_TIMEOUT_MILLIS + " ms",
                        Errno.ETIMEDOUT);
                }
                pollOnce(50);
            }
            if (configErrno != 0) {
                // nfqnl_recv_config: EPERM when another netlink socket owns the queue (or no CAP_NET_ADMIN).
                throw new ErrnoException("NFQNL_CFG_CMD_BIND(queue " + queue + ")"
                    + (configErrno == Errno.EPERM ? " [queue bound by another socket, or no CAP_NET_ADMIN]" : ""), configErrno);
            }
        }
    }

    /** The queue number this reader is bound to. */
    public int queueNumber() {
        return queue;
    }

    public NfQueueConfig config() {
        return config;
    }

    /**
     * Runs the receive loop on a new daemon thread named {@code nfqueue-<n>} until
     * {@link #close()}. An ErrnoException ends the loop; it is printed to stderr and the
     * queue closes (fail closed: the kernel drops what is queued).
     *
     * @return the thread
     * @throws IllegalStateException when already started or closed
     */
    public synchronized Thread start() {
        if (closed) {
            throw new IllegalStateException("nfqueue " + queue + " is closed");
        }
        if (receiveThread != null) {
            throw new IllegalStateException("nfqueue " + queue + " already started");
        }
        Thread t = new Thread(this::runLoop, "nfqueue-" + queue);
        t.setDaemon(true);
        receiveThread = t;
        t.start();
        try {
            niceApplied.await(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return t;
    }

    private void runLoop() {
        if (config.receiveThreadNice() != 0) {
            // PRIO_PROCESS with a thread id: only this thread (Linux). A refusal (EACCES without CAP_SYS_NICE)
            // leaves the default priority; it is reported by receiveThreadNice().
            int tid = SysResource.gettid();
            if (SysResource.setpriority(SysResource.PRIO_PROCESS, tid, config.receiveThreadNice()) == 0) {
                appliedNice = config.receiveThreadNice();
            } else {
                dev.understudy.netfilter.NetfilterLog.warn("nfqueue " + queue, new ErrnoException("setpriority(receive thread, nice "
                    + config.receiveThreadNice() + ")", Native.getLastError()).getMessage());
            }
        }
        niceApplied.countDown();
        try {
            while (!closed) {
                poll(config.pollTimeoutMillis());
            }
        } catch (ErrnoException | RuntimeException e) {
            if (!closed) {
                dev.understudy.netfilter.NetfilterLog.warn("nfqueue " + queue, "receive loop failed, closing: " + e.getMessage());
                closeDescriptors();
            }
        }
    }

    /**
     * One duty cycle of the receive loop: applies pending release requests, receives up to
     * {@code batchSize} packets (waiting at most {@code timeoutMillis} when none are there),
     * runs the handler on each and sends the verdicts.
     *
     * <p>Called by one thread at a time (see the class comment). Returns 0 at once after close.
     *
     * @return the number of datagrams handled
     * @throws ErrnoException when recvmmsg/poll/send fail with anything but EAGAIN/EINTR/ENOBUFS
     */
    public int poll(int timeoutMillis) throws ErrnoException {
        synchronized (ioLock) {
            if (fdClosed) {
                return 0;
            }
            currentPoller = Thread.currentThread();
            return pollOnce(timeoutMillis);
        }
    }

    private int pollOnce(int timeoutMillis) throws ErrnoException {
        if (requestCount != 0) {
            applyRequests();
        }
        if (drained) {
            // The socket was empty at the last look: wait here instead of a recvmmsg that would say EAGAIN.
            drained = false;
            verdicts.flush();
            if (closed || timeoutMillis <= 0 || waitReadable(timeoutMillis) == 0) {
                publish();
                return 0;
            }
            if (gatherNanos != 0) {
                // Coalescing delay (NfQueueConfig.withGatherMicros): the first packet of a burst woke us; let the rest
                // of the burst queue up so it costs one recvmmsg + one verdict send instead of one wake-up each.
                // parkNanos is a futex wait: the CPU goes to the sender meanwhile; nothing is allocated.
                counters[NfQueueCounter.GATHER_WAITS.ordinal()]++;
                LockSupport.parkNanos(gatherNanos);
            }
            if (requestCount != 0) {
                applyRequests();
            }
        }
        int n = SysSocket.recvmmsg(fd, mmsg, config.batchSize(), SysSocket.MSG_DONTWAIT, null);
        if (n > 0) {
            handleBatch(n);
            if (requestCount != 0) {
                applyRequests();
            }
            verdicts.flush();
            publish();
            drained = n < config.batchSize();
            return n;
        }
        if (n == -1) {
            int errno = Native.getLastError();
            if (errno == Errno.ENOBUFS) {
                counters[NfQueueCounter.ENOBUFS.ordinal()]++;
                publish();
                return 0;
            }
            if (errno != Errno.EAGAIN && errno != Errno.EINTR) {
                throw new ErrnoException("recvmmsg(NETLINK_NETFILTER queue " + queue + ")", errno);
            }
        }
        verdicts.flush();
        if (closed || timeoutMillis <= 0) {
            publish();
            return 0;
        }
        waitReadable(timeoutMillis);
        publish();
        return 0;
    }

    /**
     * Waits until the socket or the eventfd is readable, at most {@code timeoutMillis}.
     *
     * @return 1 when the netlink socket is readable, else 0
     */
    private int waitReadable(int timeoutMillis) throws ErrnoException {
        counters[NfQueueCounter.POLL_CALLS.ordinal()]++;
        int rc = Poll.poll(pollFds, 2, timeoutMillis);
        if (rc == -1) {
            int errno = Native.getLastError();
            if (errno != Errno.EINTR) {
                throw new ErrnoException("poll(NETLINK_NETFILTER queue " + queue + ")", errno);
            }
            return 0;
        }
        if (rc > 0 && (pollFds.getShort(Poll.POLLFD_SIZE + Poll.POLLFD_REVENTS_OFFSET) & Poll.POLLIN) != 0) {
            LibC.read(eventFd, eventRead, 8); // reset the eventfd counter; EAGAIN is harmless
        }
        // POLLERR/POLLHUP on the socket also count as readable: recvmmsg then reports the error.
        return rc > 0 && pollFds.getShort(Poll.POLLFD_REVENTS_OFFSET) != 0 ? 1 : 0;
    }

    private void handleBatch(int n) {
        long[] c = counters;
        c[NfQueueCounter.RECV_CALLS.ordinal()]++;
        c[NfQueueCounter.RECV_DATAGRAMS.ordinal()] += n;
        int slot = config.slotBytes();
        for (int i = 0; i < n; i++) {
            long h = (long) i * SysSocket.MMSGHDR_SIZE;
            int len = mmsgView.getInt((int) h + SysSocket.MMSG_LEN_OFFSET);
            int flags = mmsgView.getInt((int) h + SysSocket.MSG_FLAGS_OFFSET);
            boolean truncated = (flags & SysSocket.MSG_TRUNC) != 0;
            if (len > slot) {
                len = slot;
                truncated = true;
            }
            NfqMessageReader.read(rx, i * slot, len, truncated, sink);
        }
    }

    /** Callbacks from the message reader, on the receive thread. */
    private final class Sink implements NfqMessageReader.Sink {
        @Override
        public void onPacket(int packetId, int hook, ByteBuffer buf, int offset, int length) {
            int rc = segment.wrap(buf, offset, length);
            if (rc != TcpSegment.PARSE_OK) {
                parseFailures[rc]++;
                counters[NfQueueCounter.PARSE_FAILURES.ordinal()]++;
                verdicts.verdict(packetId, Verdict.DROP);
                return;
            }
            counters[NfQueueCounter.PACKETS.ordinal()]++;
            counters[NfQueueCounter.PAYLOAD_BYTES.ordinal()] += segment.payloadLength();
            Verdict v;
            try {
                v = handler.onSegment(packetId, segment);
            } catch (RuntimeException | Error e) {
                counters[NfQueueCounter.HANDLER_ERRORS.ordinal()]++;
                v = Verdict.DROP;
            }
            verdicts.verdict(packetId, v == null ? Verdict.DROP : v);
        }

        @Override
        public void onMalformed(int reason, boolean hasId, int packetId) {
            malformed[reason]++;
            counters[NfQueueCounter.MALFORMED_MESSAGES.ordinal()]++;
            if (hasId) {
                verdicts.verdict(packetId, Verdict.DROP);
            }
        }

        @Override
        public void onError(int seq, int errno) {
            if (seq == CONFIG_SEQ && !configAcked) {
                configErrno = errno;
                configAcked = true;
            } else if (errno != 0) {
                counters[NfQueueCounter.VERDICT_ERRORS.ordinal()]++;
            }
        }
    }

    /** Sends {@code tx[0, length)}; retries EINTR/EAGAIN/ENOBUFS a little, then throws (the caller keeps the bytes). */
    private void sendTx(String call, int txLength) throws ErrnoException {
        if (fdClosed) {
            // close() ran inside the handler: the descriptor number may already belong to someone else.
            return;
        }
        int attempts = 0;
        while (true) {
            long rc = LibC.send(fd, txMemory, txLength, 0);
            if (rc >= 0) {
                counters[NfQueueCounter.SEND_CALLS.ordinal()]++;
                return;
            }
            int errno = Native.getLastError();
            if ((errno == Errno.EINTR || errno == Errno.EAGAIN || errno == Errno.ENOBUFS) && ++attempts < 100) {
                Thread.onSpinWait();
                continue;
            }
            throw new ErrnoException(call + " queue " + queue, errno);
        }
    }

    // --- held packets --------------------------------------------------------------------

    private void applyRequests() {
        int n;
        synchronized (requestLock) {
            n = (int) (requestTail - requestHead);
            int mask = requests.length - 1;
            for (int i = 0; i < n; i++) {
                drainedRequests[i] = requests[(int) (requestHead + i) & mask];
            }
            requestHead = requestTail;
            requestCount = 0;
        }
        for (int i = 0; i < n; i++) {
            long r = drainedRequests[i];
            long kind = r >>> 32;
            int id = (int) r;
            if (kind == REQ_ACCEPT_ONE || kind == REQ_DROP_ONE) {
                verdicts.release(id, kind == REQ_ACCEPT_ONE);
            } else if (kind == REQ_ACCEPT_UP_TO) {
                verdicts.releaseUpTo(id);
            } else if (kind == REQ_ACCEPT_ALL) {
                verdicts.releaseAll();
            }
        }
    }

    private boolean post(long kind, int id) {
        if (closed) {
            return false;
        }
        synchronized (requestLock) {
            if (requestTail - requestHead >= requests.length) {
                COUNTERS.getAndAdd(counters, NfQueueCounter.REQUEST_QUEUE_FULL.ordinal(), 1L);
                return false;
            }
            requests[(int) requestTail & (requests.length - 1)] = (kind << 32) | (id & 0xFFFFFFFFL);
            requestTail++;
            requestCount = (int) (requestTail - requestHead);
            // Under requestLock so the eventfd cannot be closed (and its number reused) meanwhile.
            if (Thread.currentThread() != currentPoller && !fdClosed) {
                LibC.write(eventFd, eventValue, 8);
            }
        }
        return true;
    }

    /**
     * Accepts one held packet. Any thread; applied by the receive thread at its next cycle
     * (woken at once). An id that is not held is counted ({@link NfQueueCounter#UNKNOWN_RELEASES}) and ignored.
     *
     * @return false when the request queue is full or the queue is closed (nothing was posted)
     */
    public boolean release(int packetId) {
        return post(REQ_ACCEPT_ONE, packetId);
    }

    /** Drops one held packet (TCP will retransmit it). Same contract as {@link #release(int)}. */
    public boolean drop(int packetId) {
        return post(REQ_DROP_ONE, packetId);
    }

    /**
     * Accepts every held packet whose id is at or below {@code packetId} (wrap-aware, as the
     * kernel compares ids) with one batch verdict. Same contract as {@link #release(int)}.
     */
    public boolean releaseUpTo(int packetId) {
        return post(REQ_ACCEPT_UP_TO, packetId);
    }

    /** Accepts every packet held at the time the request is applied. Same contract as {@link #release(int)}. */
    public boolean releaseAll() {
        return post(REQ_ACCEPT_ALL, 0);
    }

    /**
     * The nice value the {@link #start() receive thread} runs at: {@link NfQueueConfig#receiveThreadNice()} when the
     * kernel accepted it, else 0 (also before start).
     */
    public int receiveThreadNice() {
        return appliedNice;
    }

    /** Packets held now (as of the receive thread's last cycle). Any thread. */
    public int heldCount() {
        return liveHeldPublished;
    }

    // --- counters ------------------------------------------------------------------------

    private void publish() {
        liveHeldPublished = verdicts.liveHeld();
        VarHandle.releaseFence();
    }

    /** A counter's value. Any thread; updated by the receive thread, visible after its cycle. */
    public long counter(NfQueueCounter c) {
        return (long) COUNTERS.getOpaque(counters, c.ordinal());
    }

    /** Parse failures of one {@code TcpSegment.PARSE_*} reason. */
    public long parseFailures(int reason) {
        return (long) COUNTERS.getOpaque(parseFailures, reason);
    }

    /** All counters by name (plus per-reason parse failures), for reports; allocates. */
    public Map<String, Long> counters() {
        Map<String, Long> m = new LinkedHashMap<>();
        for (NfQueueCounter c : NfQueueCounter.values()) {
            m.put(c.name().toLowerCase(java.util.Locale.ROOT), counter(c));
        }
        for (int r = 1; r < TcpSegment.PARSE_RESULTS; r++) {
            long v = parseFailures(r);
            if (v != 0) {
                m.put("parse_" + TcpSegment.resultName(r).toLowerCase(java.util.Locale.ROOT), v);
            }
        }
        for (int r = 0; r < malformed.length; r++) {
            long v = (long) COUNTERS.getOpaque(malformed, r);
            if (v != 0) {
                m.put("malformed_" + r, v);
            }
        }
        m.put("held_now", (long) heldCount());
        return m;
    }

    /**
     * The kernel's view of this queue (queue_total, queue_dropped, user_dropped, id_sequence)
     * from {@code /proc/net/netfilter/nfnetlink_queue} of this process's network namespace.
     *
     * @return the stats, or null when the kernel does not list the queue
     */
    public KernelQueueStats kernelStats() throws IOException {
        return KernelQueueStats.read(queue);
    }

    // --- close ---------------------------------------------------------------------------

    /**
     * Stops the receive thread (waits up to 5 s), sends the verdicts already decided, unbinds
     * the queue and closes the socket. Packets still held are dropped by the kernel (fail
     * closed; TCP retransmits them) — call {@link #releaseAll()} first to let them through.
     * Idempotent; any thread.
     */
    @Override
    public void close() {
        closed = true;
        synchronized (requestLock) {
            if (!fdClosed) {
                LibC.write(eventFd, eventValue, 8);
            }
        }
        Thread t = receiveThread;
        if (t != null && t != Thread.currentThread()) {
            try {
                t.join(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        synchronized (ioLock) {
            if (fdClosed) {
                return;
            }
            try {
                if (requestCount != 0) {
                    applyRequests();
                }
                verdicts.flush();
                int len = NfqMessages.putConfigCommand(tx, 0, queue, NfnetlinkQueue.NFQNL_CFG_CMD_UNBIND, LibC.AF_INET,
                    verdicts.nextSeq(), false);
                sendTx("NFQNL_CFG_CMD_UNBIND", len);
            } catch (ErrnoException | RuntimeException e) {
                // Closing the socket unbinds the queue as well (NETLINK_URELEASE).
            }
            closeDescriptors();
        }
    }

    private void closeDescriptors() {
        synchronized (ioLock) {
            if (fdClosed) {
                return;
            }
            closed = true;
            synchronized (requestLock) {
                fdClosed = true;
                LibC.close(fd);
                LibC.close(eventFd);
            }
            publish();
        }
    }

    /** True after {@link #close()} (or a fatal receive error). */
    public boolean isClosed() {
        return fdClosed;
    }

    @Override
    public String toString() {
        return "NfQueue{queue=" + queue + ", held=" + heldCount() + ", packets=" + counter(NfQueueCounter.PACKETS) + '}';
    }

    /** Pointer to the receive buffer, for tests of the layout. */
    Pointer receiveBuffer() {
        return rxMemory;
    }
}
