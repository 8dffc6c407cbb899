package dev.understudy.agent.clone;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.interceptors.hook.Hooks;
import dev.understudy.netfilter.fd.FileDescriptors;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalTailer;
import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.AppWriteFlyweight;
import dev.understudy.transport.record.ConnOpenFlyweight;
import dev.understudy.transport.record.ConnectionEventFlyweight;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.RecordType;
import dev.understudy.transport.record.SegmentFlyweight;
import dev.understudy.transport.record.TcpInfoFlyweight;
import dev.understudy.transport.record.TcpOptions;
import java.io.IOException;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * Re-injects a clone's journal into the clone's own copy of the application (DESIGN.md, "Clone:
 * updating on the flow"), on one thread ({@value #THREAD_NAME}).
 *
 * <p>Each connection of the primary becomes a real loopback TCP connection whose other end the
 * replayer owns; the application accepts it from its own listener, whose file was swapped for a
 * private loopback listener ({@link #swapListener}). Input is granted one recorded read at a time,
 * in the primary's global read order: the replayer writes exactly that read's bytes (or shuts its
 * end for an EOF, or resets it) and waits until the application has read them — and, in serial
 * mode, until the thread that read them reaches its next wait, which ends the turn. The
 * application's output is read back continuously, checked range by range against the primary's
 * APP_WRITE CRC-32C, and kept until it is both checked and acknowledged by the client (the ACK
 * numbers of the SEGMENT records), which is what a switchover must be able to re-send.
 *
 * <p>Apply policy {@code periodic}: records are applied only up to the journal position of the
 * last period tick or characteristic event (a new connection, a close); {@link #applyAll()} lifts
 * the limit (the re-injection a switchover does).
 */
final class Replayer implements AutoCloseable {
    static final String THREAD_NAME = "understudy-replay";
    private static final String LOG = "replay";
    private static final long STALL_REPORT_NS = TimeUnit.SECONDS.toNanos(10);

    /** What the replayer reports, as counters of the node. */
    record Counters(AtomicCounter applied, AtomicCounter journal, AtomicCounter lagRecords, AtomicCounter lagMillis,
                    AtomicCounter connections, AtomicCounter grants, AtomicCounter waiting, AtomicCounter keptBytes,
                    AtomicCounter verifiedBytes, AtomicCounter divergences, AtomicCounter divergedConnections,
                    AtomicCounter errors, AtomicCounter strayAccepts, AtomicCounter shortReads, AtomicCounter valuesUnclaimed,
                    AtomicCounter pipelined, AtomicCounter gateTimeouts, AtomicCounter timerRuns, AtomicCounter reinjected) {
    }

    private final Journal journal;
    private final int[] ports;
    private final boolean serial;
    private final boolean periodic;
    private final long periodNs;
    private final Counters counters;
    private final Path report;
    private final ReplayHook hook;
    private final Thread thread;
    private volatile boolean closed;

    private final ConcurrentHashMap<Integer, ReplayConnection> byLoopbackPort = new ConcurrentHashMap<>();
    private final Map<Long, ReplayConnection> byId = new HashMap<>();
    /** Service port → the private loopback listener now under the application's listening fd. */
    private final ConcurrentHashMap<Integer, InetSocketAddress> privateByPort = new ConcurrentHashMap<>();
    /** The private listeners, kept open: each holds its file too, and closing one would run the JDK's close on it. */
    private final java.util.List<ServerSocketChannel> privateListeners = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.Set<Integer> appListenFds = ConcurrentHashMap.newKeySet();
    /** Service port → the application's listening fd. */
    private final ConcurrentHashMap<Integer, Integer> listenFdByPort = new ConcurrentHashMap<>();
    /** A switchover asked for ({@link #promote}), run on this thread once the application has taken the whole journal. */
    private volatile Switchover switchover;
    private volatile Switchover.Outcome outcome;
    private long lastOutputNs;

    private Selector selector;
    private JournalTailer tailer;
    private final ByteBuffer readBuffer = ByteBuffer.allocateDirect(64 * 1024);
    private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final AppWriteFlyweight appWrite = new AppWriteFlyweight();
    private final ConnectionEventFlyweight event = new ConnectionEventFlyweight();
    private final TcpInfoFlyweight tcpInfo = new TcpInfoFlyweight();
    private final dev.understudy.transport.record.TurnFlyweight turn = new dev.understudy.transport.record.TurnFlyweight();
    private final dev.understudy.transport.record.ClockFlyweight clock = new dev.understudy.transport.record.ClockFlyweight();
    private final dev.understudy.transport.record.RandomFlyweight random = new dev.understudy.transport.record.RandomFlyweight();
    private long pendingTurnConnection = -2;
    private long pendingTurnOrder = -1;

    /** Clock and random values of the primary's turns, read ahead: key (turn order, index) → {source, value, nanos or length}. */
    private final ConcurrentHashMap<Long, long[]> values = new ConcurrentHashMap<>();
    private JournalTailer valuesTailer;
    private long valuesSequence;

    /**
     * Most grants of bytes given out ahead of the application ({@link #issueDeferred}): each one
     * can hold one reader thread at the gate, so this stays well under any pool of reader
     * threads (the HTTP test app's has 16), or the thread that must take the first could be missing.
     */
    static final int WINDOW = 8;
    private static final int NONE = 0;
    private static final int BYTES = 1;
    private static final int EOF = 2;
    private static final int RESET = 3;
    private static final int ACCEPT = 4;
    private static final int TIMER = 5;
    /** Stands for a timer's run where a connection is expected (what is waited for). */
    private static final ReplayConnection TIMER_RUN =
        new ReplayConnection(-1, new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0, 0);
    private long deferredTimer;
    private long deferredOrdinal;
    /** Index of the next grant of bytes (the gate's order, {@link ReplayHook#nextGrant()}). */
    private long grantCounter;
    /** A record applied whose input is not given out yet, because earlier grants must be taken first. */
    private int deferred = NONE;
    private ReplayConnection deferredConn;
    private long deferredOffset;
    private int deferredLength;
    private long deferredTurn;

    /** The accept, EOF or reset the application has not taken yet (given out alone), or null. */
    private ReplayConnection waitingFor;
    private String waitingWhat;
    private long waitingSince;
    private boolean stallSaid;
    private long appliedSequence;
    private long applyLimit = Long.MAX_VALUE;
    private long lastTick;
    private volatile boolean applyAllRequested;
    private long lastArrivalNanos;
    private boolean firstDivergenceSaid;
    private long firstDivergenceConnection = -1;
    private long firstDivergenceOffset = -1;
    private volatile String fault;

    Replayer(Journal journal, int[] ports, boolean serial, boolean periodic, long periodNs, Counters counters, Path report) {
        this.journal = journal;
        this.ports = ports.clone();
        this.serial = serial;
        this.periodic = periodic;
        this.periodNs = periodNs;
        this.counters = counters;
        this.report = report;
        this.hook = new ReplayHook(this, ports, serial, counters.errors(), counters.shortReads(), counters.gateTimeouts());
        this.thread = new Thread(() -> Hooks.suppressed(this::run), THREAD_NAME);
        thread.setDaemon(true);
        if (periodic) {
            applyLimit = 0;
        }
    }

    ReplayHook hook() {
        return hook;
    }

    void start() {
        thread.start();
    }

    // ---- called from application threads (through ReplayHook) --------------------------------

    /**
     * Puts a private loopback listener under the application's listening fd (dup2), so that its
     * own accept returns the replayer's connections and nothing listens on the service port any
     * more. Runs on the application's thread, right after its bind, before any accept.
     */
    synchronized void swapListener(int fd, int port) throws IOException {
        if (privateByPort.containsKey(port)) {
            AgentLog.log(LogLevel.WARN, LOG, "a second listener on service port " + port + " (fd " + fd
                + ") is not replayed: one listener per service port", null);
            return;
        }
        ServerSocketChannel ch = ServerSocketChannel.open();
        ch.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        InetSocketAddress at = (InetSocketAddress) ch.getLocalAddress();
        int ours = FileDescriptors.of(ch);
        FileDescriptors.dup2(ours, fd);
        privateListeners.add(ch);
        appListenFds.add(fd);
        listenFdByPort.put(port, fd);
        privateByPort.put(port, at);
        AgentLog.log(LogLevel.INFO, LOG, "service port " + port + " taken over (fd " + fd + "): the application accepts"
            + " replayed connections from " + at + "; clients reaching this clone's port are refused", null);
        wake();
    }

    boolean isReplayListener(int fd) {
        return fd >= 0 && appListenFds.contains(fd);
    }

    ReplayConnection byLoopbackPort(int port) {
        return byLoopbackPort.get(port);
    }

    /** Something else connected to the private loopback listener (from inside the clone): counted; the primary never saw it. */
    void strayAccept(int fd) {
        counters.strayAccepts().increment();
    }

    /**
     * The journal (filled by catch-up from a peer whose journal no longer starts at the beginning)
     * lacks the start of the record: the application cannot be brought to the primary's state. The
     * clone stops rather than follow with a state that is not the primary's.
     */
    private void cannotRebuild(long first) {
        AgentLog.log(LogLevel.ERROR, LOG, "this clone cannot be rebuilt: its journal starts at sequence " + first
            + ", the records before it were deleted (journal retention) on every node it caught up from; stopping the JVM"
            + " (exit " + EXIT_CANNOT_REBUILD + "). Keep understudy.journal.retention longer than a clone may be away.", null);
        Runtime.getRuntime().halt(EXIT_CANNOT_REBUILD);
    }

    /** Exit status of a clone that cannot rebuild the primary's state (EX_SOFTWARE, as a failed start). */
    static final int EXIT_CANNOT_REBUILD = 70;

    void fault(String what, Throwable t) {
        fault = what + ": " + t;
        AgentLog.log(LogLevel.ERROR, LOG, fault, null);
    }

    /** Wakes the replayer thread: a grant was taken or a turn ended. */
    void wake() {
        LockSupport.unpark(thread);
    }

    /**
     * Takes over as primary ({@link Switchover}): holds inbound traffic at once, applies the whole
     * journal, and once the application has taken it rebuilds every connection under the
     * application's fds. The replayer stops replaying afterwards.
     */
    void promote(Switchover.Plan plan) {
        if (switchover == null) {
            switchover = new Switchover(plan);
            applyAll();
        }
    }

    /** What the switchover did, or null while none has finished. */
    Switchover.Outcome outcome() {
        return outcome;
    }

    /** Applies everything in the journal, whatever the policy (the re-injection at switchover). */
    void applyAll() {
        applyAllRequested = true;
        wake();
    }

    /** Every diverged connection so far, one line each ("id client offset"), for JMX. */
    String describeDivergences() {
        synchronized (diverged) {
            return diverged.isEmpty() ? "none" : String.join("\n", diverged);
        }
    }

    private final java.util.List<String> diverged = new java.util.ArrayList<>();

    /** The first divergence: connection id and offset, or -1. */
    long[] firstDivergence() {
        return new long[] {firstDivergenceConnection, firstDivergenceOffset};
    }

    // ---- the replayer thread -----------------------------------------------------------------

    private void run() {
        try {
            selector = Selector.open();
            while (!closed && privateByPort.isEmpty()) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            }
            if (closed) {
                return;
            }
            tailer = journal.tailer(1);
            lastTick = System.nanoTime();
            boolean holding = false;
            while (!closed) {
                int output = drainOutput();
                long now = System.nanoTime();
                if (output > 0) {
                    lastOutputNs = now;
                }
                int work = output;
                if (serial) {
                    work += readValuesAhead();
                }
                work += step();
                Switchover sw = switchover;
                if (sw != null) {
                    if (!holding) {
                        holding = true;
                        sw.hold();
                    }
                    work += sw.poll();
                    if (drained(now)) {
                        sw.drainedNs = now;
                        hook.holdWrites(); // until the swap: a write after the output is taken goes to the new socket
                        try {
                            takeWrittenOutput();
                            outcome = sw.run(byId.values(), listenFdByPort, hook, tailReads, lastReadOrder, lastTurnOrder);
                        } finally {
                            hook.releaseWrites();
                        }
                        return;
                    }
                }
                if (work == 0) {
                    LockSupport.parkNanos(sw != null ? 20_000 : waitingFor != null || deferred != NONE ? 20_000 : 200_000);
                }
            }
        } catch (Throwable t) {
            if (!closed) {
                counters.errors().increment();
                fault("the replayer stopped; this clone's application no longer follows the primary", t);
            }
        } finally {
            closeQuietly();
        }
    }

    /** Applies records until input cannot be given out yet or the limit is reached. */
    private int step() throws IOException {
        long now = System.nanoTime();
        if (periodic) {
            if (applyAllRequested) {
                applyLimit = Long.MAX_VALUE;
            } else {
                if (now - lastTick >= periodNs) {
                    lastTick = now;
                    applyLimit = Math.max(applyLimit, journal.lastSequence());
                }
                scoutCharacteristicEvents();
            }
        }
        status(now);
        if (waitingFor != null) {
            if (!granted()) {
                if (!stallSaid && now - waitingSince > STALL_REPORT_NS) {
                    stallSaid = true;
                    AgentLog.log(LogLevel.WARN, LOG, "waiting " + TimeUnit.NANOSECONDS.toSeconds(now - waitingSince)
                        + " s for the application to take " + waitingWhat + " of connection " + waitingFor.id, null);
                }
                return 0;
            }
            waitingFor = null;
        }
        int work = 0;
        while (waitingFor == null && work < 256) {
            if (deferred != NONE) {
                if (!issueDeferred()) {
                    stalled(now, deferredConn, "input at " + deferredOffset);
                    break;
                }
                work++;
                continue;
            }
            if (appliedSequence >= applyLimit || tailer.poll(this::apply, 1) == 0) {
                if (switchover != null && appliedSequence >= journal.lastSequence() && reinjectTail()) {
                    work++;
                    continue;
                }
                break;
            }
            work++;
        }
        return work;
    }

    private long deferredSince;
    private boolean deferredSaid;

    private void stalled(long now, ReplayConnection c, String what) {
        if (deferredSince == 0) {
            deferredSince = now;
        } else if (!deferredSaid && now - deferredSince > STALL_REPORT_NS) {
            deferredSaid = true;
            AgentLog.log(LogLevel.WARN, LOG, "waiting " + TimeUnit.NANOSECONDS.toSeconds(now - deferredSince)
                + " s for the application to take the input before " + what + " of connection " + c.id, null);
        }
    }

    /** Connections whose input the primary's application had not read as far as the journal has it (switchover only). */
    private java.util.ArrayDeque<ReplayConnection> tail;
    /** The reads of the re-injected input, {connection, offset, count, turn order or -1}: the new primary records them first. */
    private final java.util.List<long[]> tailReads = new java.util.ArrayList<>();
    /** The read order of the last APP_READ applied. */
    private long lastReadOrder;
    /** The highest turn order of the TURN records applied, -1 before any. */
    private long lastTurnOrder = -1;

    /**
     * Switchover, once every recorded read is given out: the input the journal holds beyond the
     * primary's last recorded read of each connection — bytes the client sent and the primary's
     * kernel acknowledged, whose reads the primary made (or would have made) without their
     * APP_READ reaching this clone — is given to the application too, one grant per connection,
     * in the order the connections' first such bytes arrived. Its answers are what the client is
     * owed (it may already have some of them from the primary: those it acknowledged are not
     * sent again). Without this, a request the primary answered just before it died would be
     * answered twice, or its connection reset.
     *
     * @return whether a grant was deferred
     */
    private boolean reinjectTail() {
        if (tail == null) {
            hook.recordValuesFrom(lastTurnOrder + 1);
            tail = new java.util.ArrayDeque<>();
            byId.values().stream()
                .filter(c -> c.peer != null && c.accepted && !c.appClosed && !c.peerEof && c.inboundEnd > c.readOffset)
                .sorted(java.util.Comparator.comparingLong(c -> c.unreadSince))
                .forEach(tail::add);
            if (!tail.isEmpty()) {
                AgentLog.log(LogLevel.INFO, LOG, "re-injecting the input of " + tail.size() + " connections that the primary's"
                    + " application read after its last recorded read (or had not read yet)", null);
            }
        }
        if (deferred != NONE || tail.isEmpty()) {
            return false;
        }
        ReplayConnection c = tail.poll();
        reinjected.add(new long[] {c.id, c.outputEnd});
        long offset = c.readOffset;
        int n = (int) Math.min(Integer.MAX_VALUE, c.inboundEnd - offset);
        c.readOffset = offset + n;
        counters.reinjected().getAndAdd(n);
        defer(BYTES, c, offset, n);
        if (serial) {
            // a turn of its own, after every turn of the log: the values the application reads in it are
            // real and recorded, and the new primary logs it first, so that the other clones replay it alike
            deferredTurn = ++lastTurnOrder;
        }
        tailReads.add(new long[] {c.id, offset, n, deferredTurn});
        return true;
    }

    /**
     * The application has taken everything in the journal and gone quiet: every record applied,
     * every grant taken, no turn running, no output for a moment (serial mode: 1 ms, since a turn
     * ends only at the thread's next wait; otherwise 5 ms).
     */
    private boolean drained(long now) {
        boolean quiet = appliedSequence >= journal.lastSequence() && tail != null && tail.isEmpty() && deferred == NONE
            && waitingFor == null && allTaken()
            && now - lastOutputNs > (serial ? 1_000_000L : 5_000_000L);
        if (!quiet) {
            quietSinceNs = 0;
            return false;
        }
        if (quietSinceNs == 0) {
            quietSinceNs = now;
        }
        return answered() || now - quietSinceNs > REINJECT_ANSWER_WAIT_NS;
    }

    /**
     * With writes held ({@link ReplayHook#holdWrites}): waits until the writes under way have ended
     * and everything they wrote has come out of the replay sockets into the connections' output,
     * which the switchover then takes whole. Bounded by {@link #WRITERS_OUT_WAIT_NS}: a write that
     * outlasts it (none should: the replay sockets are drained meanwhile) is counted as an error,
     * and what it wrote may miss the send queue.
     */
    private void takeWrittenOutput() throws IOException {
        long deadline = System.nanoTime() + WRITERS_OUT_WAIT_NS;
        while (true) {
            drainOutput();
            boolean caughtUp = hook.writersInside() == 0;
            for (ReplayConnection c : byId.values()) {
                if (caughtUp && c.peer != null && !c.peerEof && c.outputEnd < c.appWritten.get()) {
                    caughtUp = false;
                }
            }
            if (caughtUp) {
                return;
            }
            if (System.nanoTime() - deadline >= 0) {
                counters.errors().increment();
                AgentLog.log(LogLevel.WARN, LOG, "switchover: " + hook.writersInside() + " application writes did not end, or"
                    + " did not reach the replay sockets, within " + TimeUnit.NANOSECONDS.toMillis(WRITERS_OUT_WAIT_NS)
                    + " ms: what they wrote may be missing from the rebuilt connections", null);
                return;
            }
            LockSupport.parkNanos(20_000);
        }
    }

    /** How long {@link #takeWrittenOutput} waits for writes under way. */
    static final long WRITERS_OUT_WAIT_NS = TimeUnit.SECONDS.toNanos(1);

    /**
     * How long a quiet application may still owe the answer to re-injected input, waited for so
     * that the answer is in the rebuilt socket's send queue. A reply written later is held until
     * the swap and then goes to the new socket ({@link ReplayHook#holdWrites}; before that hold it
     * landed in the replay socket and was lost, seen with HttpCounterServer, whose handler thread
     * writes after the dispatcher's turn ended, and with BlockingKvServer). Input that is answered
     * with nothing costs this wait.
     */
    static final long REINJECT_ANSWER_WAIT_NS = TimeUnit.MILLISECONDS.toNanos(250);

    /** Re-injected connections, {id, output end when the grant was given}. */
    private final java.util.List<long[]> reinjected = new java.util.ArrayList<>();
    private long quietSinceNs;

    /** Every connection given re-injected input has written something since. */
    private boolean answered() {
        for (long[] r : reinjected) {
            ReplayConnection c = byId.get(r[0]);
            if (c != null && !c.appClosed && c.outputEnd <= r[1]) {
                return false;
            }
        }
        return true;
    }

    /** Every grant given out has been taken and, in serial mode, no turn is running. */
    private boolean allTaken() {
        return hook.nextGrant() == grantCounter && !(serial && hook.turnHeld());
    }

    /**
     * Gives out the deferred input if it may go now. An accept, EOF or reset goes alone, once
     * every earlier grant is taken, and is waited for. Bytes go once the connection's previous
     * grant is taken, and — when the application reads on threads that block on one connection
     * each ({@link ReplayHook#pipelining()}) — ahead of earlier grants on other connections, up
     * to {@link #WINDOW}: the reading thread then waits at the gate in its read until every
     * earlier grant is taken (and its turn over), so the application takes input in the
     * primary's order while the wake-ups of its threads overlap. Otherwise bytes too go alone.
     */
    private boolean issueDeferred() throws IOException {
        ReplayConnection c = deferredConn;
        if (deferred == BYTES) {
            if (!c.grantTaken()) {
                return false;
            }
            boolean ahead = !allTaken();
            if (ahead && !(hook.pipelining() && grantCounter - hook.nextGrant() < WINDOW)) {
                return false;
            }
            c.grantTurn = deferredTurn;
            c.grantIndex = grantCounter;
            hook.publish(c);
            grantCounter++;
            c.grantRemaining = deferredLength;
            writeFully(c, c.inbound(deferredOffset, deferredLength));
            counters.grants().increment();
            if (ahead) {
                counters.pipelined().increment();
            }
        } else {
            if (!allTaken()) {
                return false;
            }
            c.grantTurn = deferredTurn;
            if (deferred == TIMER) {
                hook.grantTimer(deferredTimer, deferredOrdinal, deferredTurn);
                counters.timerRuns().increment();
                waitFor(TIMER_RUN, "run " + deferredOrdinal + " of timer " + deferredTimer);
            } else if (deferred == ACCEPT) {
                openLoopback(c);
            } else if (deferred == EOF) {
                c.grantEof = true;
                c.peer.shutdownOutput();
                waitFor(c, "EOF");
            } else {
                c.grantReset = true;
                c.peer.setOption(StandardSocketOptions.SO_LINGER, 0);
                c.peer.close();
                c.peerEof = true;
                waitFor(c, "reset");
            }
        }
        deferred = NONE;
        deferredConn = null;
        deferredSince = 0;
        deferredSaid = false;
        return true;
    }

    private void defer(int kind, ReplayConnection c, long offset, int length) {
        deferred = kind;
        deferredConn = c;
        deferredOffset = offset;
        deferredLength = length;
        deferredTurn = takeTurn(c);
    }

    /**
     * Periodic policy: reads ahead of the applied position for characteristic events (a new
     * connection, a close, a checkpoint) and lets the replayer apply up to each.
     */
    private void scoutCharacteristicEvents() {
        if (scout == null) {
            scout = journal.tailer(1);
        }
        for (int i = 0; i < 4096 && scout.poll(scoutHandler, 1) > 0; i++) {
            // scoutHandler moves applyLimit
        }
    }

    private JournalTailer scout;
    private final dev.understudy.transport.record.RecordHandler scoutHandler = (b, at, length) -> {
        int type = RecordHeader.type(b, at);
        if (type == RecordType.CONN_OPEN || type == RecordType.APP_CLOSE || type == RecordType.CHECKPOINT) {
            applyLimit = Math.max(applyLimit, RecordHeader.sequence(b, at));
        }
    };

    /** Whether the outstanding grant was taken (and, in serial mode, its turn ended). */
    private boolean granted() {
        ReplayConnection c = waitingFor;
        boolean taken = c == TIMER_RUN ? hook.timerTaken() : "accept".equals(waitingWhat) ? c.accepted : c.grantTaken();
        return taken && !(serial && hook.turnHeld());
    }

    private void waitFor(ReplayConnection c, String what) {
        waitingFor = c;
        waitingWhat = what;
        waitingSince = System.nanoTime();
        stallSaid = false;
        counters.grants().increment();
    }

    private void apply(DirectBuffer b, int at, int length) {
        long sequence = RecordHeader.sequence(b, at);
        if (appliedSequence == 0 && sequence > 1) {
            cannotRebuild(sequence);
        }
        appliedSequence = sequence;
        try {
            switch (RecordHeader.type(b, at)) {
                case RecordType.CONN_OPEN:
                    connOpen(b, at);
                    break;
                case RecordType.SEGMENT:
                    segment(b, at);
                    break;
                case RecordType.TCP_INFO:
                    accept(b, at);
                    break;
                case RecordType.APP_READ:
                    read(b, at);
                    break;
                case RecordType.APP_WRITE:
                    write(b, at);
                    break;
                case RecordType.TURN:
                    turn.wrap(b, at);
                    lastTurnOrder = Math.max(lastTurnOrder, turn.turnOrder());
                    if (turn.kind() == dev.understudy.transport.record.TurnFlyweight.TIMER) {
                        if (serial) {
                            // a run of the application's timer: granted alone, in its place
                            deferred = TIMER;
                            deferredConn = TIMER_RUN;
                            deferredTimer = turn.sourceId();
                            deferredOrdinal = turn.ordinal();
                            deferredTurn = turn.turnOrder();
                        }
                        break;
                    }
                    pendingTurnConnection = turn.connectionId();
                    pendingTurnOrder = turn.turnOrder();
                    break;
                case RecordType.APP_CLOSE:
                    event.wrap(b, at);
                    primaryClosed(byId.get(event.connectionId()));
                    break;
                default:
                    break;
            }
        } catch (IOException e) {
            counters.errors().increment();
            AgentLog.log(LogLevel.WARN, LOG, "record " + appliedSequence + " (" + RecordType.name(RecordHeader.type(b, at))
                + ") could not be applied: " + e, null);
        }
    }

    private void connOpen(DirectBuffer b, int at) throws IOException {
        connOpen.wrap(b, at);
        byte[] addr = new byte[connOpen.addressFamily() == 10 ? 16 : 4];
        connOpen.getClientAddress(addr);
        InetSocketAddress client = new InetSocketAddress(InetAddress.getByAddress(addr), connOpen.clientPort());
        ReplayConnection c = new ReplayConnection(connOpen.connectionId(), client, connOpen.clientIsn(),
            connOpen.servicePort());
        if (connOpen.addressFamily() == 4) {
            int opts = connOpen.tcpOptions();
            c.tcp.endpoints(connOpen.serviceIpv4(), connOpen.servicePort(), connOpen.clientIpv4(), connOpen.clientPort())
                .clientSyn((int) connOpen.clientIsn(), connOpen.mss() == 0 ? 536 : connOpen.mss(),
                    (opts & TcpOptions.TCPI_OPT_WSCALE) != 0 ? connOpen.clientWindowScale() : -1,
                    (opts & TcpOptions.TCPI_OPT_SACK) != 0, (opts & TcpOptions.TCPI_OPT_TIMESTAMPS) != 0, 0);
        }
        byId.put(c.id, c);
        counters.connections().increment();
    }

    private void segment(DirectBuffer b, int at) {
        segment.wrap(b, at);
        ReplayConnection c = byId.get(segment.connectionId());
        if (c == null) {
            return;
        }
        lastArrivalNanos = segment.arrivalNanos();
        c.tcp.segment((int) segment.seq(), (int) segment.ack(), segment.window(), segment.tcpFlags(), segment.hasTimestamp(),
            (int) segment.tsVal(), (int) segment.tsEcr(), segment.payloadLength(), TimeUnit.NANOSECONDS.toMillis(lastArrivalNanos));
        if ((segment.tcpFlags() & 0x10) != 0) {
            c.clientAck(segment.ack());
        }
        int n = segment.payloadLength();
        if (n > 0) {
            if (c.inboundEnd == c.readOffset) {
                c.unreadSince = appliedSequence; // the oldest input not read yet arrives now
            }
            c.payload(segment.seq(), b, segment.payloadOffset(), n);
        }
    }

    /** The primary's application accepted the connection (its TCP_INFO is written at accept). */
    private void accept(DirectBuffer b, int at) throws IOException {
        tcpInfo.wrap(b, at);
        ReplayConnection c = byId.get(tcpInfo.connectionId());
        if (c == null || c.peer != null) {
            return;
        }
        c.tcp.serverInfo(tcpInfo.rcvWscale(), tcpInfo.tcpiOptions());
        InetSocketAddress privateAddress = privateByPort.get(c.servicePort);
        long since = System.nanoTime();
        while (privateAddress == null && !closed) {
            // the application has not listened on this service port yet (it does, or the replay stalls here)
            if (System.nanoTime() - since > STALL_REPORT_NS && !stallSaid) {
                stallSaid = true;
                AgentLog.log(LogLevel.WARN, LOG, "waiting for the application to listen on service port " + c.servicePort
                    + " (connection " + c.id + ")", null);
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
            privateAddress = privateByPort.get(c.servicePort);
        }
        if (privateAddress == null) {
            return;
        }
        defer(ACCEPT, c, 0, 0);
    }

    /** Connects the replayer's end to the private listener: the application's accept returns the other end. */
    private void openLoopback(ReplayConnection c) throws IOException {
        InetSocketAddress privateAddress = privateByPort.get(c.servicePort);
        SocketChannel ch = SocketChannel.open();
        ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
        ch.bind(new InetSocketAddress(privateAddress.getAddress(), 0));
        c.loopbackPort = ((InetSocketAddress) ch.getLocalAddress()).getPort();
        byLoopbackPort.put(c.loopbackPort, c);
        ch.connect(privateAddress);
        ch.configureBlocking(false);
        ch.register(selector, SelectionKey.OP_READ, c);
        c.peer = ch;
        if (serial) {
            waitFor(c, "accept");
        }
    }

    private void read(DirectBuffer b, int at) throws IOException {
        appRead.wrap(b, at);
        lastReadOrder = appRead.readOrder();
        ReplayConnection c = byId.get(appRead.connectionId());
        if (c == null || c.peer == null) {
            return;
        }
        int n = appRead.byteCount();
        if (n > 0) {
            long offset = appRead.streamOffset();
            if (offset != c.readOffset || offset + n > c.inboundEnd) {
                counters.errors().increment();
                AgentLog.log(LogLevel.WARN, LOG, "connection " + c.id + ": read of " + n + " bytes at " + offset
                    + " but " + c.readOffset + " given and " + c.inboundEnd + " received: skipped", null);
                return;
            }
            c.readOffset = offset + n;
            defer(BYTES, c, offset, n);
        } else if (n == AppReadFlyweight.EOF) {
            defer(EOF, c, c.readOffset, 0);
        } else if (n == AppReadFlyweight.RESET) {
            defer(RESET, c, c.readOffset, 0);
        }
        // TIMEOUT: nothing to give; the application's own timeout runs on the clone
    }

    /** The order of the turn the primary logged for {@code c}'s next event (its TURN record precedes it), or -1. */
    private long takeTurn(ReplayConnection c) {
        long order = pendingTurnConnection == c.id ? pendingTurnOrder : -1;
        pendingTurnConnection = -2;
        pendingTurnOrder = -1;
        return order;
    }

    /** Serial mode: reads CLOCK and RANDOM records ahead of the applied position, for the application threads. */
    private int readValuesAhead() {
        if (valuesTailer == null) {
            valuesTailer = journal.tailer(1);
        }
        int n = valuesTailer.poll(valuesHandler, 1024);
        if (values.size() > 1_000_000) {
            values.clear(); // values of turns the application never asked for; bounded, counted as missing if asked
        }
        return n;
    }

    private final dev.understudy.transport.record.RecordHandler valuesHandler = (b, at, length) -> {
        int type = RecordHeader.type(b, at);
        if (type == RecordType.CLOCK) {
            clock.wrap(b, at);
            values.put(key(clock.turnOrder(), clock.index()), new long[] {clock.source(), clock.value(), clock.nanos()});
        } else if (type == RecordType.RANDOM) {
            random.wrap(b, at);
            long v = 0;
            int len = random.payloadLength();
            for (int i = 0; i < Math.min(8, len); i++) {
                v |= (random.payloadByte(i) & 0xffL) << (8 * i);
            }
            values.put(key(random.turnOrder(), random.index()), new long[] {random.source(), v, len});
        }
    };

    static long key(long turnOrder, long index) {
        return (turnOrder << 20) | (index & 0xFFFFF);
    }

    /**
     * The value the primary read at (turn order, index), waiting for its record at most {@code timeoutNs};
     * null if it never comes (the clone's application asks for a value the primary's did not read).
     */
    long[] awaitValue(long turnOrder, long index, long timeoutNs) {
        long k = key(turnOrder, index);
        long[] v = values.remove(k);
        if (v != null) {
            return v;
        }
        long deadline = System.nanoTime() + timeoutNs;
        while (System.nanoTime() < deadline) {
            wake();
            LockSupport.parkNanos(20_000);
            v = values.remove(k);
            if (v != null) {
                return v;
            }
        }
        return null;
    }

    private void writeFully(ReplayConnection c, ByteBuffer data) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (data.hasRemaining()) {
            if (c.peer.write(data) == 0) {
                if (System.nanoTime() > deadline) {
                    throw new IOException("connection " + c.id + ": the application read nothing for 30 s");
                }
                drainOutput();
                LockSupport.parkNanos(50_000);
            }
        }
    }

    private void write(DirectBuffer b, int at) {
        appWrite.wrap(b, at);
        ReplayConnection c = byId.get(appWrite.connectionId());
        if (c == null) {
            return;
        }
        c.expected.addLast(new long[] {appWrite.streamOffset(), appWrite.byteCount(), appWrite.bytesCrc32c()});
        c.primaryOutputEnd = appWrite.streamOffset() + appWrite.byteCount();
        verify(c);
    }

    private void primaryClosed(ReplayConnection c) {
        if (c == null) {
            return;
        }
        c.primaryClosed = true;
        maybeFinish(c);
    }

    /** Reads whatever the application wrote on every connection. */
    private int drainOutput() throws IOException {
        if (selector.selectNow() == 0) {
            return 0;
        }
        int work = 0;
        Iterator<SelectionKey> it = selector.selectedKeys().iterator();
        while (it.hasNext()) {
            SelectionKey k = it.next();
            it.remove();
            ReplayConnection c = (ReplayConnection) k.attachment();
            if (!k.isValid()) {
                continue;
            }
            for (int i = 0; i < 16; i++) {
                readBuffer.clear();
                int n;
                try {
                    n = c.peer.read(readBuffer);
                } catch (IOException e) {
                    n = -1;
                }
                if (n > 0) {
                    readBuffer.flip();
                    c.output(readBuffer);
                    work++;
                } else {
                    if (n < 0) {
                        c.peerEof = true;
                        k.cancel();
                    }
                    break;
                }
            }
            verify(c);
            maybeFinish(c);
        }
        return work;
    }

    private void verify(ReplayConnection c) {
        long before = c.verifiedUpTo;
        boolean was = c.divergedAt >= 0;
        int differ = c.verify();
        counters.verifiedBytes().getAndAdd(c.verifiedUpTo - before);
        if (differ > 0) {
            divergence(c, was, c.divergedAt, differ, "bytes differ from the primary's");
        }
    }

    /** Counts {@code ranges} differing ranges of {@code c}; the connection's first divergence is marked and logged once per clone. */
    private void divergence(ReplayConnection c, boolean already, long offset, int ranges, String how) {
        counters.divergences().getAndAdd(ranges);
        if (already) {
            return;
        }
        counters.divergedConnections().increment();
        synchronized (diverged) {
            if (diverged.size() < 10_000) {
                diverged.add(c.id + " " + c.client + " " + offset);
            }
        }
        dev.understudy.agent.status.AgentEvents.Divergence e = new dev.understudy.agent.status.AgentEvents.Divergence();
        if (e.isEnabled()) {
            e.connectionId = c.id;
            e.offset = offset;
            e.commit();
        }
        if (!firstDivergenceSaid) {
            firstDivergenceSaid = true;
            firstDivergenceConnection = c.id;
            firstDivergenceOffset = offset;
            AgentLog.log(LogLevel.WARN, LOG, "divergence: connection " + c.id + " (client " + c.client + ") at output offset "
                + offset + ": " + how + "; the clone wrote \"" + c.excerpt(offset, 160) + "\" (further divergences are"
                + " counted, not logged); a switchover resets this connection instead of continuing it", null);
        }
    }

    /** When both the primary and the clone's application are done with a connection, check its length and report it. */
    private void maybeFinish(ReplayConnection c) {
        if (c.reported || !c.primaryClosed || !(c.peerEof || c.appClosed)) {
            return;
        }
        if (!c.peerEof) {
            return; // the application closed: its last bytes and the EOF are still on the way
        }
        if (c.outputEnd != c.primaryOutputEnd) {
            boolean was = c.divergedAt >= 0;
            if (!was) {
                c.divergedAt = Math.min(c.outputEnd, c.primaryOutputEnd);
            }
            divergence(c, was, c.divergedAt, 1, "the clone wrote " + c.outputEnd + " bytes, the primary " + c.primaryOutputEnd);
        }
        c.reported = true;
        writeReport(c);
        try {
            c.peer.close();
        } catch (IOException ignored) {
            // closing
        }
        byLoopbackPort.remove(c.loopbackPort);
        byId.remove(c.id);
    }

    private void writeReport(ReplayConnection c) {
        if (report == null) {
            return;
        }
        String line = c.id + "\t" + c.client.getAddress().getHostAddress() + ":" + c.client.getPort() + "\t" + c.outputEnd
            + "\t" + c.outputDigest() + "\t" + (c.divergedAt < 0 ? "same" : "diverged@" + c.divergedAt) + "\n";
        try (Writer w = Files.newBufferedWriter(report, StandardCharsets.UTF_8, StandardOpenOption.CREATE,
            StandardOpenOption.APPEND)) {
            w.write(line);
        } catch (IOException e) {
            counters.errors().increment();
        }
    }

    private long lastStatus;

    private void status(long now) {
        if (now - lastStatus < TimeUnit.MILLISECONDS.toNanos(50)) {
            return;
        }
        lastStatus = now;
        long last = journal.lastSequence();
        counters.applied().setOrdered(appliedSequence);
        counters.journal().setOrdered(last);
        counters.lagRecords().setOrdered(Math.max(0, last - appliedSequence));
        // arrival times are the primary's wall clock (CLOCK_REALTIME): lag is the age of the input being applied
        long lagMs = last > appliedSequence && lastArrivalNanos > 0
            ? Math.max(0, System.currentTimeMillis() - TimeUnit.NANOSECONDS.toMillis(lastArrivalNanos)) : 0;
        counters.lagMillis().setOrdered(lagMs);
        counters.waiting().setOrdered(waitingFor != null || deferred != NONE ? 1 : 0);
        long kept = 0;
        for (ReplayConnection c : byId.values()) {
            kept += c.keptBytes();
        }
        counters.keptBytes().setOrdered(kept);
        counters.valuesUnclaimed().setOrdered(values.size());
        if (now - lastLagEvent >= TimeUnit.SECONDS.toNanos(1)) {
            lastLagEvent = now;
            dev.understudy.agent.status.AgentEvents.ReplayLag e = new dev.understudy.agent.status.AgentEvents.ReplayLag();
            if (e.isEnabled()) {
                e.records = Math.max(0, last - appliedSequence);
                e.millis = lagMs;
                e.applied = appliedSequence;
                e.keptBytes = kept;
                e.commit();
            }
        }
    }

    private long lastLagEvent;

    private void closeQuietly() {
        try {
            if (tailer != null) {
                tailer.close();
            }
            if (scout != null) {
                scout.close();
            }
            if (valuesTailer != null) {
                valuesTailer.close();
            }
        } catch (Throwable ignored) {
            // closing
        }
        for (ReplayConnection c : byId.values()) {
            if (c.peer != null && !c.reported) {
                writeReport(c);
            }
        }
        try {
            if (selector != null) {
                selector.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        hook.close();
        wake();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(5));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    String fault() {
        return fault;
    }
}
