package dev.understudy.agent.primary;

import dev.understudy.interceptors.hook.SocketHook;
import dev.understudy.netfilter.fd.FileDescriptors;
import org.agrona.concurrent.status.AtomicCounter;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import org.agrona.checksum.Crc32c;
import org.agrona.concurrent.AtomicBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

/**
 * What the interceptors tell the primary's agent, on the application's own threads: for every
 * fd bound to a service connection, each read (count, EOF or reset), each write (count and
 * CRC-32C of the bytes), shutdown of output and close, as {@link AppEvents} in a
 * {@link ManyToOneRingBuffer} that the duty cycle drains. Nothing here blocks or does I/O but
 * the accept path (one {@code getsockname}); fds that are not service connections cost one array
 * read. A full ring is counted ({@code ring full}) and said once in the log; the record is lost,
 * which the clones will see as a gap in that connection's stream offsets.
 *
 * <p>With the close guard ({@link CloseGuard}) the hook also marks a service connection's socket
 * ({@code SO_MARK}, one {@code setsockopt}) right before the application ends its output or closes
 * it, so that the FIN or RST of the application's own close passes the guard.
 *
 * <p>Thread-safety: called concurrently by any application thread; never throws (the
 * interceptors' {@code Hooks} also catch, this is the second line).
 */
final class RecordingHook implements SocketHook {
    private static final int SHUT_WR = 1;
    private static final int SHUT_RDWR = 2;
    private static final Crc32c CRC = crc32cOrNull();

    private final ConnectionTable table;
    private final ManyToOneRingBuffer ring;
    private final boolean[] servicePort = new boolean[65536];
    private final AtomicCounter ringFull;
    private final AtomicCounter acceptsUnknown;
    private final AtomicCounter errors;
    private final ThreadLocal<UnsafeBuffer> iov = ThreadLocal.withInitial(UnsafeBuffer::new);
    private final ThreadLocal<CRC32C> crcs = ThreadLocal.withInitial(CRC32C::new);
    private volatile boolean ringFullSaid;
    private final Runnable onFirstRingFull;
    /** Serial turns, or null in input-order mode. */
    private final Turns turns;
    /** The close guard's mark ({@link CloseGuard#MARK}), or 0: no guard, no marking. */
    private final int closeMark;
    private final AtomicCounter markFailures;
    private final java.util.function.Consumer<String> onFirstMarkFailure;
    private volatile boolean markFailureSaid;

    RecordingHook(ConnectionTable table, ManyToOneRingBuffer ring, int[] ports, AtomicCounter ringFull, AtomicCounter acceptsUnknown,
                  AtomicCounter errors, Runnable onFirstRingFull, Turns turns) {
        this(table, ring, ports, ringFull, acceptsUnknown, errors, onFirstRingFull, turns, 0, null, null);
    }

    /**
     * @param closeMark          the mark to put on a service socket right before the application
     *                           ends its output or closes it ({@link CloseGuard}), or 0 for none
     * @param markFailures       counts marks that could not be set (that close's FIN or RST stays in)
     * @param onFirstMarkFailure told once, with the reason, when a mark first fails
     */
    RecordingHook(ConnectionTable table, ManyToOneRingBuffer ring, int[] ports, AtomicCounter ringFull, AtomicCounter acceptsUnknown,
                  AtomicCounter errors, Runnable onFirstRingFull, Turns turns, int closeMark, AtomicCounter markFailures,
                  java.util.function.Consumer<String> onFirstMarkFailure) {
        this.closeMark = closeMark;
        this.markFailures = markFailures;
        this.onFirstMarkFailure = onFirstMarkFailure;
        this.turns = turns;
        this.table = table;
        this.ring = ring;
        for (int p : ports) {
            servicePort[p] = true;
        }
        this.ringFull = ringFull;
        this.acceptsUnknown = acceptsUnknown;
        this.errors = errors;
        this.onFirstRingFull = onFirstRingFull;
    }

    @Override
    public void onAccept(int listenFd, int fd, InetSocketAddress remote) {
        try {
            if (remote == null || fd < 0) {
                return;
            }
            int clientAddress = dev.understudy.agent.node.Addresses.ipv4(remote.getAddress());
            if (clientAddress == 0) {
                return; // IPv6 clients are not served through the VIP
            }
            int port = FileDescriptors.localPort(fd);
            if (!servicePort[port]) {
                return;
            }
            Connection c = table.byTuple(clientAddress, remote.getPort(), port);
            if (c == null) {
                // Not seen by the capture: connected before the agent started, or to another address.
                acceptsUnknown.increment();
                return;
            }
            table.bind(c, fd);
            if (turns != null) {
                turns.begin(c.id, dev.understudy.transport.record.TurnFlyweight.ACCEPT, 0);
            }
            emit(AppEvents.ACCEPT, c.id, 0, 0, 0, fd);
        } catch (Throwable t) {
            errors.increment();
        }
    }

    @Override
    public void onRead(int fd, long address, int length, long result) {
        Connection c = table.byFd(fd);
        if (c != null) {
            read(c, result);
        }
    }

    @Override
    public void onReadv(int fd, long iovAddress, int iovCount, long result) {
        Connection c = table.byFd(fd);
        if (c != null) {
            read(c, result);
        }
    }

    private void read(Connection c, long result) {
        if (turns != null && (result > 0 || result == -1)) {
            turns.begin(c.id, dev.understudy.transport.record.TurnFlyweight.READ, c.readTurns++);
        }
        if (result > 0) {
            emit(AppEvents.READ, c.id, c.readOffset, (int) result, 0, c.fd);
            c.readOffset += result;
        } else if (result == -1) {
            emit(AppEvents.READ, c.id, c.readOffset, AppEvents.STATUS_EOF, 0, c.fd);
        }
        // 0, IOStatus.UNAVAILABLE (-2), INTERRUPTED (-3): the application got nothing
    }

    @Override
    public void onReadFailed(int fd, Throwable t) {
        Connection c = table.byFd(fd);
        if (c != null && t instanceof IOException) {
            if (turns != null) {
                turns.begin(c.id, dev.understudy.transport.record.TurnFlyweight.READ, c.readTurns++);
            }
            emit(AppEvents.READ, c.id, c.readOffset, AppEvents.STATUS_RESET, 0, fd);
        }
    }

    @Override
    public void onWrite(int fd, long address, int length, long result) {
        Connection c = table.byFd(fd);
        if (c == null || result <= 0) {
            return;
        }
        int n = (int) result;
        int crc;
        if (CRC != null) {
            crc = CRC.compute(address, 0, n);
        } else {
            UnsafeBuffer b = iov.get();
            b.wrap(address, n);
            CRC32C cs = crcs.get();
            cs.reset();
            cs.update(viewOf(b, n));
            crc = (int) cs.getValue();
        }
        emit(AppEvents.WRITE, c.id, c.writeOffset, n, crc, fd);
        c.writeOffset += n;
    }

    @Override
    public void onWritev(int fd, long iovAddress, int iovCount, long result) {
        Connection c = table.byFd(fd);
        if (c == null || result <= 0) {
            return;
        }
        // struct iovec { void *iov_base; size_t iov_len; } (16 bytes each on x86_64/aarch64)
        UnsafeBuffer v = iov.get();
        v.wrap(iovAddress, iovCount * 16);
        CRC32C cs = crcs.get();
        cs.reset();
        long left = result;
        for (int i = 0; i < iovCount && left > 0; i++) {
            long base = v.getLong(i * 16);
            long len = Math.min(v.getLong(i * 16 + 8), left);
            UnsafeBuffer part = new UnsafeBuffer(base, (int) len);
            cs.update(viewOf(part, (int) len));
            left -= len;
        }
        emit(AppEvents.WRITE, c.id, c.writeOffset, (int) result, (int) cs.getValue(), fd);
        c.writeOffset += result;
    }

    @Override
    public void onWriteFailed(int fd, Throwable t) {
        // nothing was written: nothing to record
    }

    /**
     * The application is about to shut down the output of {@code fd} or close it: a service
     * connection gets the close guard's mark now, before the syscall that sends its FIN (or RST),
     * so that the guard lets it pass.
     */
    @Override
    public void beforeOutputEnds(int fd) {
        Connection c = table.byFd(fd);
        if (c != null) {
            markAppClose(c, fd);
        }
    }

    /**
     * Sets {@code SO_MARK} once per connection; never throws. A failure (EPERM without
     * CAP_NET_ADMIN, EBADF for an fd closed meanwhile) is counted and said once: that close's FIN
     * stays behind the guard, the client sees the end of the stream only when the connection
     * fails over or times out.
     */
    private void markAppClose(Connection c, int fd) {
        if (closeMark == 0 || c.marked) {
            return;
        }
        c.marked = true;
        try {
            FileDescriptors.setMark(fd, closeMark);
        } catch (Throwable t) {
            markFailures.increment();
            if (!markFailureSaid) {
                markFailureSaid = true;
                onFirstMarkFailure.accept(String.valueOf(t.getMessage()));
            }
        }
    }

    @Override
    public void onShutdown(int fd, int how) {
        Connection c = table.byFd(fd);
        if (c != null && (how == SHUT_WR || how == SHUT_RDWR)) {
            emit(AppEvents.SHUTDOWN_OUTPUT, c.id, c.writeOffset, 0, 0, fd);
        }
    }

    @Override
    public void onClose(int fd) {
        Connection c = table.byFd(fd);
        if (c != null) {
            // before the close syscall: for the paths that end no output first (an asynchronous
            // channel's close, a close with SO_LINGER 0, the last close after a preClose)
            markAppClose(c, fd);
        }
        c = table.unbind(fd);
        if (c != null) {
            c.closed = true;
            table.removeTuple(c);
            emit(AppEvents.CLOSE, c.id, c.writeOffset, 0, 0, fd);
            dev.understudy.agent.status.AgentEvents.ConnectionClosed e = new dev.understudy.agent.status.AgentEvents.ConnectionClosed();
            if (e.isEnabled()) {
                e.connectionId = c.id;
                e.bytesRead = c.readOffset;
                e.bytesWritten = c.writeOffset;
                e.commit();
            }
        }
    }

    // ---- turn ends (serial mode) -----------------------------------------------------------

    @Override
    public void beforeRead(int fd) {
        if (turns != null) {
            turns.end();
        }
    }

    @Override
    public void beforeAccept(int listenFd) {
        if (turns != null) {
            turns.end();
        }
    }

    @Override
    public void beforeSelect() {
        if (turns != null) {
            turns.end();
        }
    }

    @Override
    public void onTaskEnd() {
        if (turns != null) {
            turns.end();
        }
    }

    @Override
    public void onThreadExit() {
        if (turns != null) {
            turns.end();
        }
    }

    // ---- timer turns (serial mode) -----------------------------------------------------------

    private volatile dev.understudy.agent.node.TimerNames timers = new dev.understudy.agent.node.TimerNames();

    /**
     * A new primary names the application's timers as its replay did (ids and run counts go on),
     * so that the clones that follow grant its runs in their place.
     */
    void adoptTimers(dev.understudy.agent.node.TimerNames names) {
        timers = names;
    }

    @Override
    public void onTimerScheduled(Object task) {
        if (turns != null) {
            timers.scheduled(task);
        }
    }

    /** A run of an application's scheduled task is a turn of its own: "timer t's n-th run". */
    @Override
    public void beforeTimerRun(Object task) {
        if (turns == null) {
            return;
        }
        long[] t = timers.of(task);
        if (t != null) {
            turns.end();
            turns.begin(t[0], dev.understudy.transport.record.TurnFlyweight.TIMER, t[1]++);
        }
    }

    @Override
    public void afterTimerRun(Object task) {
        if (turns != null) {
            turns.end();
        }
    }

    /** Writes a TURN event (called by {@link Turns} under the turn). */
    void emitTurn(long connectionId, int kind, long ordinal, long order) {
        emit(AppEvents.TURN, connectionId, order, kind, 0, (int) Math.min(Integer.MAX_VALUE, ordinal));
    }

    /** Writes a CLOCK event for the value at {@code slot} = {turn order, index}. */
    void emitClock(long[] slot, int source, long value, int nanos) {
        emit(AppEvents.CLOCK, slot[0], value, (int) slot[1] - 1, nanos, source);
    }

    /** Writes RANDOM events (8 bytes each) for {@code length} bytes of randomness starting at {@code slot}'s index. */
    void emitRandom(long[] slot, int source, long bytes, int length) {
        emit(AppEvents.RANDOM, slot[0], bytes, (int) slot[1] - 1, length, source);
    }

    private void emit(int kind, long connectionId, long streamOffset, int count, int crc, int fd) {
        int index = ring.tryClaim(kind, AppEvents.LENGTH);
        if (index <= 0) {
            if (index == RingBuffer.INSUFFICIENT_CAPACITY) {
                ringFull.increment();
                if (!ringFullSaid) {
                    ringFullSaid = true;
                    onFirstRingFull.run();
                }
            }
            return;
        }
        AtomicBuffer b = ring.buffer();
        try {
            AppEvents.encode(b, index, connectionId, streamOffset, count, crc, fd);
        } finally {
            ring.commit(index);
        }
    }

    /** A direct ByteBuffer over the memory an {@link UnsafeBuffer} wraps (allocates one small object). */
    private static ByteBuffer viewOf(UnsafeBuffer b, int n) {
        return new com.sun.jna.Pointer(b.addressOffset()).getByteBuffer(0, n);
    }


    private static Crc32c crc32cOrNull() {
        try {
            Crc32c c = Crc32c.INSTANCE;
            ByteBuffer probe = ByteBuffer.allocateDirect(4).put(new byte[] {1, 2, 3, 4}).flip();
            c.compute(new UnsafeBuffer(probe).addressOffset(), 0, 4);
            return c;
        } catch (Throwable t) {
            return null; // java.util.zip not opened to the agent: the slower path above
        }
    }
}
