package dev.understudy.agent.clone;

import dev.understudy.interceptors.hook.SocketHook;
import dev.understudy.netfilter.fd.FileDescriptors;
import java.net.InetSocketAddress;
import java.util.concurrent.ConcurrentHashMap;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * What the interceptors tell a clone's agent, on the application's own threads.
 * <ul>
 *   <li>A service listener, just bound: its file is swapped for a private loopback listener
 *       ({@link Replayer#swapListener}), so the application's own {@code accept()} returns the
 *       connections the replayer re-creates, and clients reaching the clone's service port are
 *       refused (nothing listens there any more).</li>
 *   <li>An accept from that listener: the fd is bound to its connection by the loopback port, and
 *       the application sees the real client's address (channel accept path).</li>
 *   <li>A read: the recorded chunk is completed if loopback delivered it in parts, so the read
 *       returns exactly what the primary's read returned; the grant is then taken, and the
 *       replayer may hand out the next input.</li>
 *   <li>In serial mode, the thread that took a grant holds the turn until its next wait (read,
 *       accept, select, end of a pool task, thread exit): only then is the next input given out.</li>
 * </ul>
 * Writes are not hooked here: the replayer reads them from its end of the loopback connection.
 *
 * <p>Thread-safety: called concurrently by any application thread; never throws.
 */
final class ReplayHook implements SocketHook {
    private static final int TOP_UP_TIMEOUT_MS = 10_000;
    private static final long EAGAIN = -11;
    private static final long EINTR = -4;

    private final Replayer replayer;
    private final boolean serial;
    private final boolean[] servicePort = new boolean[65536];
    private final ConcurrentHashMap<Integer, ReplayConnection> byFd = new ConcurrentHashMap<>();
    private final AtomicCounter errors;
    private final AtomicCounter shortReads;
    private volatile Thread holder;
    /** Per thread: {order of the turn it holds, values read in it}; order -1 when it holds none. */
    private final ThreadLocal<long[]> turnOf = ThreadLocal.withInitial(() -> new long[] {-1, 0});

    ReplayHook(Replayer replayer, int[] ports, boolean serial, AtomicCounter errors, AtomicCounter shortReads) {
        this.replayer = replayer;
        this.serial = serial;
        for (int p : ports) {
            servicePort[p] = true;
        }
        this.errors = errors;
        this.shortReads = shortReads;
    }

    @Override
    public void beforeBind(int fd) {
        // The application may bind the VIP, which a clone does not hold: let the bind succeed.
        try {
            FileDescriptors.setFreeBind(fd);
        } catch (Throwable t) {
            // not an IP socket (e.g. UNIX domain): nothing to do
        }
    }

    @Override
    public void onListen(int fd) {
        try {
            int port = FileDescriptors.localPort(fd);
            if (servicePort[port]) {
                replayer.swapListener(fd, port);
            }
        } catch (Throwable t) {
            errors.increment();
            replayer.fault("the service listener on fd " + fd + " could not be taken over", t);
        }
    }

    @Override
    public void beforeAccept(int listenFd) {
        endTurn();
    }

    @Override
    public void onAccept(int listenFd, int fd, InetSocketAddress remote) {
        if (remote == null || !replayer.isReplayListener(listenFd)) {
            return;
        }
        ReplayConnection c = replayer.byLoopbackPort(remote.getPort());
        if (c == null) {
            // Only the replayer connects to the private listener; anything else is refused.
            replayer.strayAccept(fd);
            return;
        }
        c.appFd = fd;
        byFd.put(fd, c);
        if (serial) {
            hold(c);
        }
        c.accepted = true;
        replayer.wake();
    }

    @Override
    public InetSocketAddress acceptedRemote(int fd, InetSocketAddress remote) {
        ReplayConnection c = byFd.get(fd);
        return c == null ? remote : c.client;
    }

    @Override
    public void onAcceptedImpl(int fd, java.net.SocketImpl impl) {
        ReplayConnection c = byFd.get(fd);
        if (c == null || IMPL_ADDRESS == null) {
            return;
        }
        IMPL_ADDRESS.set(impl, c.client.getAddress());
        IMPL_PORT.set(impl, c.client.getPort());
    }

    /** {@code java.net.SocketImpl.address} and {@code .port}: what {@code Socket.getInetAddress()/getPort()} report. */
    private static final java.lang.invoke.VarHandle IMPL_ADDRESS;
    private static final java.lang.invoke.VarHandle IMPL_PORT;

    static {
        java.lang.invoke.VarHandle a = null;
        java.lang.invoke.VarHandle p = null;
        try {
            java.lang.invoke.MethodHandles.Lookup l = java.lang.invoke.MethodHandles.privateLookupIn(java.net.SocketImpl.class,
                java.lang.invoke.MethodHandles.lookup());
            a = l.findVarHandle(java.net.SocketImpl.class, "address", java.net.InetAddress.class);
            p = l.findVarHandle(java.net.SocketImpl.class, "port", int.class);
        } catch (ReflectiveOperationException | RuntimeException e) {
            // java.net not opened to the agent: the classic Socket path reports the loopback peer
        }
        IMPL_ADDRESS = a;
        IMPL_PORT = p;
    }

    @Override
    public void beforeRead(int fd) {
        endTurn();
    }

    @Override
    public long completeRead(int fd, long address, int length, long result) {
        ReplayConnection c = byFd.get(fd);
        if (c == null) {
            return result;
        }
        if (result > 0) {
            long granted = c.grantRemaining;
            if (granted <= 0) {
                errors.increment(); // bytes nobody granted: the replayer only writes grants
                return result;
            }
            long want = Math.min(granted, length);
            long got = result;
            if (got < want) {
                shortReads.increment();
                got = topUp(fd, address, got, want);
            }
            if (granted - got == 0) {
                // the turn is this thread's before the replayer can see the grant taken: else it could
                // grant the next input while this thread's turn has not begun, and two turns overlap
                taken(c);
            }
            c.grantRemaining = granted - got;
            if (c.grantRemaining == 0) {
                replayer.wake();
            }
            return got;
        }
        if (result == -1 && c.grantEof) {
            taken(c);
            c.grantEof = false;
            replayer.wake();
        }
        return result;
    }

    /** Reads the rest of a chunk that loopback delivered in parts (the replayer wrote all of it). */
    private long topUp(int fd, long address, long got, long want) {
        long deadline = System.nanoTime() + TOP_UP_TIMEOUT_MS * 1_000_000L;
        while (got < want && System.nanoTime() < deadline) {
            long n = FileDescriptors.readInto(fd, address + got, (int) (want - got));
            if (n > 0) {
                got += n;
            } else if (n == EAGAIN) {
                FileDescriptors.awaitReadable(fd, 10);
            } else if (n != EINTR) {
                break; // EOF or error: the application gets what there is
            }
        }
        return got;
    }

    @Override
    public void onReadFailed(int fd, Throwable t) {
        ReplayConnection c = byFd.get(fd);
        if (c != null && c.grantReset) {
            taken(c);
            c.grantReset = false;
            replayer.wake();
        }
    }

    /** The calling thread takes {@code c}'s grant: in serial mode its turn begins (call before publishing the grant as taken). */
    private void taken(ReplayConnection c) {
        if (serial) {
            hold(c);
        }
    }

    /** The calling thread starts the turn of {@code c}'s grant. */
    private void hold(ReplayConnection c) {
        long[] t = turnOf.get();
        t[0] = c.grantTurn;
        t[1] = 0;
        holder = Thread.currentThread();
    }

    /**
     * For a clock or random value the calling thread reads: {turn order, index} with the index
     * advanced, or null when the thread holds no turn (the value is real, as on the primary).
     */
    /** Takes back the index {@link #slot()} just advanced. */
    void unslot() {
        turnOf.get()[1]--;
    }

    long[] slot() {
        if (holder != Thread.currentThread()) {
            return null;
        }
        long[] t = turnOf.get();
        if (t[0] < 0) {
            return null;
        }
        t[1]++;
        return t;
    }

    @Override
    public void beforeSelect() {
        endTurn();
    }

    @Override
    public void onTaskEnd() {
        endTurn();
    }

    @Override
    public void onThreadExit() {
        endTurn();
    }

    /** The calling thread reached a wait: if it holds the turn, the turn ends. */
    private void endTurn() {
        if (holder == Thread.currentThread()) {
            turnOf.get()[0] = -1;
            holder = null;
            replayer.wake();
        }
    }

    /** Whether an application thread still holds the turn it was given (serial mode). */
    boolean turnHeld() {
        return holder != null;
    }

    @Override
    public void onClose(int fd) {
        ReplayConnection c = byFd.remove(fd);
        if (c != null) {
            c.appClosed = true;
            replayer.wake();
        }
    }

    @Override
    public void onRead(int fd, long address, int length, long result) {
    }

    @Override
    public void onReadv(int fd, long iovAddress, int iovCount, long result) {
        // scattering reads are not completed to the recorded chunk (no application here uses them)
        ReplayConnection c = byFd.get(fd);
        if (c != null && result > 0) {
            long granted = c.grantRemaining;
            if (granted - result <= 0) {
                taken(c);
            }
            c.grantRemaining = Math.max(0, granted - result);
            replayer.wake();
        }
    }

    @Override
    public void onWrite(int fd, long address, int length, long result) {
    }

    @Override
    public void onWritev(int fd, long iovAddress, int iovCount, long result) {
    }

    @Override
    public void onWriteFailed(int fd, Throwable t) {
    }

    @Override
    public void onShutdown(int fd, int how) {
    }
}
