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
 *       accept, select, end of a pool task, thread exit): only then may the next input be taken.</li>
 *   <li>The gate: grants of bytes are numbered, and a read that returns bytes of grant g waits
 *       (in the read, before it returns) until grants 0..g-1 are taken and no turn runs. The
 *       replayer may then write input for several connections ahead ({@link #pipelining()}):
 *       the order in which the application takes it is still the primary's, and the thread
 *       that ends a turn wakes the reader of the next grant itself.</li>
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
    /** Ring of the grants of bytes given out (index modulo its size), for the hand-off at a turn's end. */
    private final java.util.concurrent.atomic.AtomicReferenceArray<ReplayConnection> window =
        new java.util.concurrent.atomic.AtomicReferenceArray<>(64);
    /** Index of the grant of bytes that may be taken next: all before it are taken. */
    private volatile long nextGrant;
    /** A thread that selects has read service input: it may read several connections per wait, so no input goes ahead. */
    private volatile boolean selectorReads;
    /** Grants taken by threads that never selected (counted up to {@link #EVIDENCE}). */
    private final java.util.concurrent.atomic.AtomicInteger blockingReads = new java.util.concurrent.atomic.AtomicInteger();
    private static final int EVIDENCE = 16;
    /** Per thread: whether it ever entered a select. */
    private final ThreadLocal<boolean[]> selects = ThreadLocal.withInitial(() -> new boolean[1]);
    private static final long GATE_TIMEOUT_NS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
    private final AtomicCounter gateTimeouts;
    /** Per thread: {order of the turn it holds, values read in it}; order -1 when it holds none. */
    private final ThreadLocal<long[]> turnOf = ThreadLocal.withInitial(() -> new long[] {-1, 0});
    /**
     * After a switchover the application's sockets are real (the rebuilt client connections and a
     * real listener): every method passes through, values are real, timers run on their own.
     */
    private volatile boolean live;
    /** After a switchover that replicates: the new primary's recording hook, which every live event goes to. */
    private volatile SocketHook recorder;
    /** With {@link #recorder}: the new primary's clock and randomness recording (serial mode), or null. */
    private volatile dev.understudy.interceptors.hook.ValueHook valueRecorder;
    /**
     * Switchover: from the moment it takes the application's output (the send queues of the new
     * sockets) to the swap, a write on a replayed connection waits in {@link #beforeWrite}; once the
     * new socket is under the fd it goes there (and to the new primary's recording). Without this a
     * reply written in between landed in the replay socket and was lost: the client waited for it
     * for ever (FailoverIT, BlockingKvServer after a pause, 31 of 64 connections).
     */
    private volatile boolean writesHeld;
    private final Object writeGate = new Object();
    /** Application threads inside a write on a replayed connection (past {@link #beforeWrite}, before its exit). */
    private final java.util.concurrent.atomic.AtomicInteger writersInside = new java.util.concurrent.atomic.AtomicInteger();
    /** Per thread: {inside a counted write, connection's fd}. */
    private final ThreadLocal<int[]> writing = ThreadLocal.withInitial(() -> new int[] {0, -1});
    /** Longest a write waits for a switchover that does not end (it then goes to whatever the fd holds). */
    static final long WRITE_HOLD_MAX_NS = java.util.concurrent.TimeUnit.SECONDS.toNanos(10);

    /** fd → native thread id ({@link NativeThreads}) of an application thread that entered a read or accept on it. */
    private final ConcurrentHashMap<Integer, Long> blocked = new ConcurrentHashMap<>();

    ReplayHook(Replayer replayer, int[] ports, boolean serial, AtomicCounter errors, AtomicCounter shortReads,
               AtomicCounter gateTimeouts) {
        this.replayer = replayer;
        this.gateTimeouts = gateTimeouts;
        this.serial = serial;
        for (int p : ports) {
            servicePort[p] = true;
        }
        this.errors = errors;
        this.shortReads = shortReads;
    }

    @Override
    public void beforeBind(int fd) {
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.beforeBind(fd);
            }
            return;
        }
        // The application may bind the VIP, which a clone does not hold: let the bind succeed.
        try {
            FileDescriptors.setFreeBind(fd);
        } catch (Throwable t) {
            // not an IP socket (e.g. UNIX domain): nothing to do
        }
    }

    @Override
    public void onListen(int fd) {
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.onListen(fd);
            }
            return;
        }
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
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.beforeAccept(listenFd);
            }
            return;
        }
        if (replayer.isReplayListener(listenFd)) {
            blocked.put(listenFd, NativeThreads.current());
        }
        endTurn();
    }

    @Override
    public void onAccept(int listenFd, int fd, InetSocketAddress remote) {
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.onAccept(listenFd, fd, remote);
            }
            return;
        }
        blocked.remove(listenFd);
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
        ReplayConnection c = live ? null : byFd.get(fd);
        return c == null ? remote : c.client;
    }

    @Override
    public void onAcceptedImpl(int fd, java.net.SocketImpl impl) {
        ReplayConnection c = live ? null : byFd.get(fd);
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
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.beforeRead(fd);
            }
            return;
        }
        if (byFd.containsKey(fd)) {
            blocked.put(fd, NativeThreads.current());
        }
        endTurn();
    }

    @Override
    public long completeRead(int fd, long address, int length, long result) {
        if (live) {
            SocketHook r = recorder;
            return r == null ? result : r.completeRead(fd, address, length, result);
        }
        ReplayConnection c = byFd.get(fd);
        if (c == null) {
            return result;
        }
        blocked.remove(fd);
        if (result > 0) {
            long granted = c.grantRemaining;
            if (granted <= 0) {
                errors.increment(); // bytes nobody granted: the replayer only writes grants
                return result;
            }
            gate(c);
            long want = Math.min(granted, length);
            long got = result;
            if (got < want) {
                shortReads.increment();
                got = topUp(fd, address, got, want);
            }
            if (granted - got == 0) {
                // the turn is this thread's before the grant shows as taken: else the next grant's
                // reader could pass the gate while this thread's turn has not begun, and two turns overlap
                takenBytes(c);
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
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.onReadFailed(fd, t);
            }
            return;
        }
        blocked.remove(fd);
        ReplayConnection c = byFd.get(fd);
        if (c != null && c.grantReset) {
            taken(c);
            c.grantReset = false;
            replayer.wake();
        }
    }

    /**
     * The read of {@code c}'s grant of bytes waits here until it is that grant's turn: every
     * earlier grant taken and, in serial mode, no turn running. Woken by {@link #wakeNext()}; a
     * wait of {@link #GATE_TIMEOUT_NS} (the application does not read what must come first) is
     * counted and let through, so that the application never hangs on the agent.
     */
    private void gate(ReplayConnection c) {
        long g = c.grantIndex;
        if (open(g)) {
            return;
        }
        c.gateWaiter = Thread.currentThread();
        long deadline = System.nanoTime() + GATE_TIMEOUT_NS;
        while (!open(g)) {
            if (System.nanoTime() > deadline) {
                gateTimeouts.increment();
                errors.increment();
                break;
            }
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        c.gateWaiter = null;
    }

    private boolean open(long g) {
        return nextGrant >= g && (!serial || holder == null);
    }

    /** Wakes the thread waiting at the gate for the grant that may be taken now, if any. */
    private void wakeNext() {
        long g = nextGrant;
        ReplayConnection n = window.get((int) (g & (window.length() - 1)));
        if (n != null && n.grantIndex == g) {
            Thread w = n.gateWaiter;
            if (w != null) {
                java.util.concurrent.locks.LockSupport.unpark(w);
            }
        }
    }

    /** The replayer gives out {@code c}'s grant of bytes (its index set): the gate's hand-off finds it. */
    void publish(ReplayConnection c) {
        window.set((int) (c.grantIndex & (window.length() - 1)), c);
    }

    long nextGrant() {
        return nextGrant;
    }

    /**
     * Whether input may be given out ahead of earlier grants: the application has taken
     * {@value #EVIDENCE} grants, all on threads that never select. Such a thread reads one
     * connection and blocks on it (thread per connection, or a pool task), so a thread held at
     * the gate never holds up a grant that comes before its own. A thread that selects may
     * read a later connection first in one pass, and wait at the gate for input that only it
     * would read: once one has read service input, input goes one grant at a time.
     */
    boolean pipelining() {
        return !selectorReads && blockingReads.get() >= EVIDENCE;
    }

    /** The calling thread has read all of {@code c}'s grant of bytes: its turn begins, and the next grant may be taken. */
    private void takenBytes(ReplayConnection c) {
        if (selects.get()[0]) {
            selectorReads = true;
        } else if (blockingReads.get() < EVIDENCE) {
            blockingReads.incrementAndGet();
        }
        if (serial) {
            hold(c);
        }
        nextGrant = c.grantIndex + 1; // after hold(): the next reader must see the turn held
        if (!serial) {
            wakeNext();
        }
    }

    /** The calling thread takes {@code c}'s accept, EOF or reset: in serial mode its turn begins (call before publishing it as taken). */
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
        if (live || holder != Thread.currentThread()) {
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
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.beforeSelect();
            }
            return;
        }
        selects.get()[0] = true;
        endTurn();
    }

    @Override
    public void onTaskEnd() {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onTaskEnd();
        }
        endTurn();
    }

    @Override
    public void onThreadExit() {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onThreadExit();
        }
        endTurn();
    }

    /** The calling thread reached a wait: if it holds the turn, the turn ends. */
    private void endTurn() {
        if (holder == Thread.currentThread()) {
            turnOf.get()[0] = -1;
            holder = null;
            wakeNext();
            replayer.wake();
        }
    }

    // ---- timer turns (serial mode) -----------------------------------------------------------

    /** The application's scheduled tasks, named as on the primary. */
    private final dev.understudy.agent.node.TimerNames timers = new dev.understudy.agent.node.TimerNames();
    /** The timer run granted and not taken yet: id, ordinal, turn order (id -1: none). */
    private volatile long timerGrantId = -1;
    private volatile long timerGrantOrdinal;
    private volatile long timerGrantTurn;
    private volatile boolean timerTaken;
    private volatile boolean closed;

    @Override
    public void onTimerScheduled(Object task) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onTimerScheduled(task);
        }
        if (serial && !live) {
            timers.scheduled(task);
        }
    }

    /**
     * The clone's own timer fired: the run waits here until the replayer grants this timer's
     * n-th run (the primary's run, in the primary's turn order), and takes its turn. A run the
     * primary has not made yet waits (the clone's own firings are held, never run on their own).
     */
    @Override
    public void beforeTimerRun(Object task) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.beforeTimerRun(task);
        }
        if (!serial || live) {
            return;
        }
        long[] t = timers.of(task);
        if (t == null) {
            return;
        }
        endTurn();
        // ordinal >= this run's: a run the primary made without its turn (forced) has no TURN, and
        // the clone's run takes the next one granted
        while (!closed && !(timerGrantId == t[0] && timerGrantOrdinal >= t[1])) {
            java.util.concurrent.locks.LockSupport.parkNanos(200_000);
        }
        if (closed) {
            SocketHook rec = live ? recorder : null;
            if (rec != null) {
                rec.beforeTimerRun(task); // held until the swap: this run is the new primary's, and recorded
            }
            return;
        }
        t[1] = timerGrantOrdinal + 1;
        long[] turn = turnOf.get();
        turn[0] = timerGrantTurn;
        turn[1] = 0;
        holder = Thread.currentThread();
        timerGrantId = -1;
        timerTaken = true;
        replayer.wake();
    }

    @Override
    public void afterTimerRun(Object task) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.afterTimerRun(task);
        }
        endTurn();
    }

    /** The replayer grants timer {@code id}'s run {@code ordinal} as turn {@code turnOrder} (every earlier turn is over). */
    void grantTimer(long id, long ordinal, long turnOrder) {
        timerTaken = false;
        timerGrantOrdinal = ordinal;
        timerGrantTurn = turnOrder;
        timerGrantId = id; // last: the run waiting for it reads the others after this
    }

    boolean timerTaken() {
        return timerTaken;
    }

    /** The replayer stops: held timer runs go on (the application is no longer replayed). */
    void close() {
        closed = true;
    }

    /**
     * The switchover put real sockets under the application's fds: from now on nothing is
     * replayed (reads, accepts, values and timers are the application's own), and the threads
     * that were blocked in a read or accept on one of {@code fds} are signalled (the JDK's own
     * signal, as its asynchronous close uses): the system call fails with EINTR and the JDK
     * retries it on the same fd number, which now holds the new socket.
     *
     * @return threads signalled
     */
    int goLive(java.util.Set<Integer> fds) {
        live = true;
        closed = true;
        holder = null;
        int n = 0;
        for (Integer fd : fds) {
            Long tid = blocked.remove(fd);
            if (tid != null && NativeThreads.signal(tid)) {
                n++;
            }
        }
        byFd.clear();
        return n;
    }

    /** From the swap on, live events go to {@code r} (the new primary's recording), or nowhere with null. */
    void recordInto(SocketHook r, dev.understudy.interceptors.hook.ValueHook values) {
        valueRecorder = values;
        recorder = r;
    }

    /** Turns from this order on are the switchover's own (the re-injected input): their values are real, and kept. */
    private volatile long recordValuesFrom = Long.MAX_VALUE;
    /** Values read in those turns: {turn order, index, source, value, nanos or length, 1 clock / 0 random}. */
    private final java.util.List<long[]> owedValues = java.util.Collections.synchronizedList(new java.util.ArrayList<>());

    void recordValuesFrom(long order) {
        recordValuesFrom = order;
    }

    /** Whether the turn of {@code order} is one of the switchover's own. */
    boolean owesValues(long order) {
        return order >= recordValuesFrom;
    }

    void oweValue(long order, long index, int source, long value, long extra, boolean clock) {
        owedValues.add(new long[] {order, index, source, value, extra, clock ? 1 : 0});
    }

    /** The values read in the switchover's own turns, in the order they were read. */
    java.util.List<long[]> owedValues() {
        synchronized (owedValues) {
            return java.util.List.copyOf(owedValues);
        }
    }

    /** The new primary's value recording once live, or null: values go there. */
    dev.understudy.interceptors.hook.ValueHook valueRecorder() {
        return live ? valueRecorder : null;
    }

    /** The application's timers as named during the replay (a new primary goes on naming them so). */
    dev.understudy.agent.node.TimerNames timers() {
        return timers;
    }

    boolean isLive() {
        return live;
    }

    /** Whether an application thread still holds the turn it was given (serial mode). */
    boolean turnHeld() {
        return holder != null;
    }

    @Override
    public void onClose(int fd) {
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.onClose(fd);
            }
            return;
        }
        blocked.remove(fd);
        ReplayConnection c = byFd.remove(fd);
        if (c != null) {
            c.appClosed = true;
            replayer.wake();
        }
    }

    @Override
    public void onRead(int fd, long address, int length, long result) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onRead(fd, address, length, result);
        }
    }

    @Override
    public void onReadv(int fd, long iovAddress, int iovCount, long result) {
        // scattering reads are not completed to the recorded chunk (no application here uses them)
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onReadv(fd, iovAddress, iovCount, result);
            return;
        }
        ReplayConnection c = live ? null : byFd.get(fd);
        if (c != null && result > 0) {
            gate(c);
            long granted = c.grantRemaining;
            if (granted - result <= 0) {
                takenBytes(c);
            }
            c.grantRemaining = Math.max(0, granted - result);
            replayer.wake();
        }
    }

    @Override
    public void beforeWrite(int fd) {
        if (live) {
            SocketHook r = recorder;
            if (r != null) {
                r.beforeWrite(fd);
            }
            return;
        }
        if (!byFd.containsKey(fd)) {
            return;
        }
        long deadline = System.nanoTime() + WRITE_HOLD_MAX_NS;
        while (true) {
            if (writesHeld) {
                awaitWritesReleased(deadline);
                if (live || System.nanoTime() - deadline >= 0) {
                    return; // the fd holds the new socket now (or the switchover never ended): not a replay write
                }
            }
            writersInside.incrementAndGet();
            if (!writesHeld) {
                int[] w = writing.get();
                w[0] = 1;
                w[1] = fd;
                return;
            }
            writersInside.decrementAndGet(); // held between the check and the count: wait with the others
        }
    }

    private void awaitWritesReleased(long deadline) {
        boolean interrupted = false;
        synchronized (writeGate) {
            long left;
            while (writesHeld && (left = deadline - System.nanoTime()) > 0) {
                try {
                    writeGate.wait(Math.max(1, java.util.concurrent.TimeUnit.NANOSECONDS.toMillis(left)));
                } catch (InterruptedException e) {
                    interrupted = true; // the application's interrupt: it waits on as in a blocked write, and keeps the flag
                }
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** The write that {@link #beforeWrite} counted ended: {@code written} bytes went to the replay socket. */
    private void writeEnded(long written) {
        int[] w = writing.get();
        if (w[0] == 0) {
            return;
        }
        w[0] = 0;
        if (written > 0) {
            ReplayConnection c = byFd.get(w[1]);
            if (c != null) {
                c.appWritten.addAndGet(written);
            }
        }
        writersInside.decrementAndGet();
    }

    /**
     * The switchover is about to take the application's output: writes on replayed connections
     * wait from now on. {@link #writersInside()} tells when the ones already under way ended, and
     * each connection's {@link ReplayConnection#appWritten} what they wrote.
     */
    void holdWrites() {
        writesHeld = true;
    }

    /** Application writes on replayed connections under way (see {@link #holdWrites}). */
    int writersInside() {
        return writersInside.get();
    }

    /** The swap is done (or the switchover failed): held writes go on, to whatever the fds hold now. */
    void releaseWrites() {
        synchronized (writeGate) {
            writesHeld = false;
            writeGate.notifyAll();
        }
    }

    @Override
    public void onWrite(int fd, long address, int length, long result) {
        writeEnded(result);
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onWrite(fd, address, length, result);
        }
    }

    @Override
    public void onWritev(int fd, long iovAddress, int iovCount, long result) {
        writeEnded(result);
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onWritev(fd, iovAddress, iovCount, result);
        }
    }

    @Override
    public void onWriteFailed(int fd, Throwable t) {
        writeEnded(0);
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onWriteFailed(fd, t);
        }
    }

    @Override
    public void beforeOutputEnds(int fd) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.beforeOutputEnds(fd);
        }
    }

    @Override
    public void onShutdown(int fd, int how) {
        SocketHook r = live ? recorder : null;
        if (r != null) {
            r.onShutdown(fd, how);
        }
    }
}
