package dev.understudy.netfilter.repair;

/**
 * Derives a {@link TcpState} for the failover case, when the node that owned the connection
 * is gone and cannot be snapshotted: everything comes from the client's inbound segments
 * (captured before the old node's kernel saw them) plus what the old node shipped while it
 * was alive. Consumes plain values only, so it depends on no capture class.
 *
 * <h2>Inputs</h2>
 * <ul>
 * <li>{@link #endpoints}: server (VIP) and client address/port.</li>
 * <li>{@link #clientSyn}: the client's SYN — its ISN and options: MSS, window shift (-1 when
 *     absent), SACK-permitted, timestamps (and its TSval).</li>
 * <li>{@link #serverInfo}: from the old node's {@code TCP_INFO} (shipped while alive): its
 *     receive window shift ({@code tcpi_rcv_wscale}) and which options it agreed to
 *     ({@code tcpi_options}). An option is restored only when both sides have it.</li>
 * <li>{@link #serverIsn} (optional): the server's ISN from the SYN-ACK / connection record.
 *     Without it the ISN is taken as the first acknowledgement number seen minus one, which
 *     is exact when the capture holds the handshake's final ACK.</li>
 * <li>{@link #serverClock} (optional): a {@code TCP_TIMESTAMP} reading shipped by the old node.</li>
 * <li>{@link #segment}: every later inbound segment, in arrival order: seq, ack, raw window
 *     field, TCP flags, timestamp option (TSval/TSecr), payload length, arrival time.</li>
 * </ul>
 *
 * <h2>What comes out</h2>
 * {@code rcv_nxt} = end of the contiguous byte stream from the client (a segment past a gap is
 * counted in {@link #outOfOrderSegments()} and ignored: the client will retransmit it);
 * {@code snd_una} = highest ACK; the peer's window = latest window field shifted by the
 * client's scale; {@code snd_wl1} = seq of the segment that carried it; the timestamp clock =
 * the highest TSecr (the server's own TSval echoed by the client) at its arrival time, plus
 * {@link #tsMarginMillis} for server segments the client received after its last capture
 * (a clock ahead is harmless, one behind is silently dropped by the client's PAWS check).
 * The receive queue is empty and the send queue is not included ({@link TcpState#FLAG_DERIVED}):
 * the caller regenerates the output from {@code snd_una} on — the new node's application
 * replays the input — and writes it after {@link TcpRepair#activate}. {@link #outputAcked()}
 * and {@link #inputLength()} give the stream offsets it needs.
 *
 * <p>A connection that saw FIN or RST is not restorable ({@link #status()}).
 *
 * <p>Thread-safety: none. Reusable via {@link #reset()}; nothing allocated per segment.
 */
public final class DerivedStateBuilder {
    /** TCP header flag bits (RFC 9293). */
    public static final int FIN = 0x01;
    public static final int SYN = 0x02;
    public static final int RST = 0x04;
    public static final int PSH = 0x08;
    public static final int ACK = 0x10;

    /** Default receive window advertised by the restored socket when none is given. */
    public static final int DEFAULT_RCV_WND = 65535;
    /** Default margin added to the derived timestamp clock. */
    public static final int DEFAULT_TS_MARGIN_MILLIS = 1000;

    /** Whether {@link #build} can run. */
    public enum Status { READY, NO_SYN, NO_SERVER_INFO, CLOSED }

    private int localAddress;
    private int localPort;
    private int remoteAddress;
    private int remotePort;

    private boolean synSeen;
    private int clientIsn;
    private int clientMss;
    private int clientWscale;
    private boolean clientSack;
    private boolean clientTs;
    private int lastTsval;

    private boolean serverInfoSeen;
    private int serverRcvWscale;
    private boolean serverTs;
    private boolean serverSack;
    private boolean serverWscale;
    private boolean serverIsnKnown;
    private int serverIsn;
    private boolean serverClockKnown;
    private int serverClock;
    private long serverClockAt;

    private int rcvNxt;
    private boolean ackSeen;
    private boolean windowSeen;
    private int sndUna;
    private int window;
    private int sndWl1;
    private int maxWindow;
    private boolean tsecrSeen;
    private int tsecr;
    private long tsecrAt;
    private boolean closed;
    private long segments;
    private long outOfOrder;
    private int rcvWnd = DEFAULT_RCV_WND;
    private int tsMarginMillis = DEFAULT_TS_MARGIN_MILLIS;

    /** Clears everything for reuse. */
    public DerivedStateBuilder reset() {
        localAddress = localPort = remoteAddress = remotePort = 0;
        synSeen = clientSack = clientTs = false;
        clientIsn = clientMss = lastTsval = 0;
        clientWscale = -1;
        serverInfoSeen = serverTs = serverSack = serverWscale = serverIsnKnown = serverClockKnown = false;
        serverRcvWscale = serverIsn = serverClock = 0;
        serverClockAt = 0;
        rcvNxt = sndUna = window = sndWl1 = maxWindow = tsecr = 0;
        ackSeen = windowSeen = tsecrSeen = closed = false;
        tsecrAt = segments = outOfOrder = 0;
        rcvWnd = DEFAULT_RCV_WND;
        tsMarginMillis = DEFAULT_TS_MARGIN_MILLIS;
        return this;
    }

    public DerivedStateBuilder() {
        reset();
    }

    /** Server (VIP) and client endpoints; addresses as big-endian ints. */
    public DerivedStateBuilder endpoints(int serverAddress, int serverPort, int clientAddress, int clientPort) {
        this.localAddress = serverAddress;
        this.localPort = serverPort;
        this.remoteAddress = clientAddress;
        this.remotePort = clientPort;
        return this;
    }

    /**
     * The client's SYN.
     *
     * @param isn         its sequence number
     * @param mss         its MSS option (536 when absent, RFC 9293 3.7.1)
     * @param wscale      its window shift, or -1 when it sent no window-scale option
     * @param sackPermitted whether it sent SACK-permitted
     * @param timestamps  whether it sent a timestamp option
     * @param tsval       its TSval (ignored without timestamps)
     */
    public DerivedStateBuilder clientSyn(int isn, int mss, int wscale, boolean sackPermitted, boolean timestamps, int tsval) {
        synSeen = true;
        clientIsn = isn;
        clientMss = mss;
        clientWscale = wscale;
        clientSack = sackPermitted;
        clientTs = timestamps;
        lastTsval = tsval;
        rcvNxt = isn + 1;
        return this;
    }

    /**
     * What the old node's {@code TCP_INFO} said about the connection.
     *
     * @param rcvWscale  tcpi_rcv_wscale: the shift the server announced
     * @param tcpiOptions tcpi_options bits (1 timestamps, 2 SACK, 4 window scaling)
     */
    public DerivedStateBuilder serverInfo(int rcvWscale, int tcpiOptions) {
        serverInfoSeen = true;
        serverRcvWscale = rcvWscale;
        serverTs = (tcpiOptions & 1) != 0;
        serverSack = (tcpiOptions & 2) != 0;
        serverWscale = (tcpiOptions & 4) != 0;
        return this;
    }

    /** The server's ISN, when known from the SYN-ACK or the connection record. */
    public DerivedStateBuilder serverIsn(int isn) {
        serverIsnKnown = true;
        serverIsn = isn;
        return this;
    }

    /** A {@code TCP_TIMESTAMP} reading of the old socket taken at {@code atMillis} (epoch ms). */
    public DerivedStateBuilder serverClock(int tsClock, long atMillis) {
        serverClockKnown = true;
        serverClock = tsClock;
        serverClockAt = atMillis;
        return this;
    }

    /** Receive window (bytes) the restored socket starts with; default {@value #DEFAULT_RCV_WND}. */
    public DerivedStateBuilder rcvWnd(int rcvWnd) {
        this.rcvWnd = rcvWnd;
        return this;
    }

    /** Margin added to the derived clock; default {@value #DEFAULT_TS_MARGIN_MILLIS} ms. */
    public DerivedStateBuilder tsMarginMillis(int margin) {
        this.tsMarginMillis = margin;
        return this;
    }

    /**
     * One inbound segment from the client, in arrival order (retransmissions included).
     *
     * @param seq           sequence number
     * @param ack           acknowledgement number (used when {@code flags} has {@link #ACK})
     * @param window        the raw 16-bit window field
     * @param flags         TCP flags ({@link #SYN}, {@link #ACK}, {@link #FIN}, {@link #RST}, ...)
     * @param hasTimestamp  whether the segment carried a timestamp option
     * @param tsval         its TSval
     * @param tsecr         its TSecr (the server's TSval it echoes)
     * @param payloadLength TCP payload bytes
     * @param atMillis      arrival time, epoch ms
     */
    public void segment(int seq, int ack, int window, int flags, boolean hasTimestamp, int tsval, int tsecr,
                        int payloadLength, long atMillis) {
        segments++;
        if ((flags & RST) != 0) {
            closed = true;
            return;
        }
        if ((flags & SYN) != 0) {
            if (!synSeen) {
                clientSyn(seq, 536, -1, false, hasTimestamp, tsval); // caller should have used clientSyn
            }
            return;
        }
        if (!synSeen) {
            outOfOrder++;
            return;
        }
        if ((flags & ACK) != 0) {
            if (!serverIsnKnown) {
                serverIsnKnown = true;
                serverIsn = ack - 1;
            }
            if (!ackSeen || ack - sndUna > 0) {
                sndUna = ack;
                ackSeen = true;
            }
            // RFC 9293 3.10.7.4: update the window from the newest segment (snd_wl1 = its seq)
            if (!windowSeen || seq - sndWl1 >= 0) {
                windowSeen = true;
                this.window = (window & 0xffff) << (clientWscale > 0 ? clientWscale : 0);
                sndWl1 = seq;
                if (this.window - maxWindow > 0) {
                    maxWindow = this.window;
                }
            }
        }
        if (hasTimestamp) {
            lastTsval = tsval;
            // keep the earliest arrival of the newest TSecr: the larger elapsed time keeps the clock ahead
            if (!tsecrSeen || tsecr - this.tsecr > 0) {
                this.tsecr = tsecr;
                tsecrAt = atMillis;
                tsecrSeen = true;
            }
        }
        int end = seq + payloadLength;
        if (seq - rcvNxt > 0) {
            outOfOrder++; // a gap: the client retransmits what is missing, then this again
        } else if (end - rcvNxt > 0) {
            rcvNxt = end;
        }
        if ((flags & FIN) != 0 && seq + payloadLength - rcvNxt <= 0) {
            closed = true;
        }
    }

    /** Whether {@link #build} can run, and if not why. */
    public Status status() {
        if (closed) {
            return Status.CLOSED;
        }
        if (!synSeen || !ackSeen) {
            return Status.NO_SYN;
        }
        if (!serverInfoSeen) {
            return Status.NO_SERVER_INFO;
        }
        return Status.READY;
    }

    /**
     * Writes the derived state into {@code into} (queues empty, {@link TcpState#FLAG_DERIVED}).
     *
     * @return {@code into}
     * @throws IllegalStateException when {@link #status()} is not READY (the message says why)
     */
    public TcpState build(TcpState into) {
        Status st = status();
        if (st != Status.READY) {
            throw new IllegalStateException("cannot derive TCP state for client port " + remotePort + ": status=" + st);
        }
        boolean ts = clientTs && serverTs;
        boolean ws = clientWscale >= 0 && serverWscale;
        int opts = (ts ? TcpState.OPT_TIMESTAMPS : 0) | (clientSack && serverSack ? TcpState.OPT_SACK : 0)
            | (ws ? TcpState.OPT_WSCALE : 0);
        into.reset();
        into.local(localAddress, localPort).remote(remoteAddress, remotePort)
            .sequence(sndUna, rcvNxt)
            .window(sndWl1, window, Math.max(maxWindow, window), rcvWnd, rcvNxt)
            .options(clientMss, ws ? clientWscale : 0, ws ? serverRcvWscale : 0, opts)
            .flags(TcpState.FLAG_DERIVED);
        if (ts) {
            int clock = tsecr;
            long at = tsecrAt;
            if (serverClockKnown && (!tsecrSeen || (serverClock + (int) (tsecrAt - serverClockAt)) - clock > 0)) {
                clock = serverClock;
                at = serverClockAt;
            }
            into.timestamp(clock + tsMarginMillis, at);
        }
        return into;
    }

    public int clientIsn() { return clientIsn; }
    public int serverIsn() { return serverIsn; }
    public int rcvNxt() { return rcvNxt; }
    public int sndUna() { return sndUna; }
    /** Client bytes received in order: stream offset of {@code rcv_nxt}. */
    public long inputLength() { return Integer.toUnsignedLong(rcvNxt - clientIsn - 1); }
    /** Server bytes the client has acknowledged: the stream offset where regenerated output starts. */
    public long outputAcked() { return Integer.toUnsignedLong(sndUna - serverIsn - 1); }
    /** The client's most recent TSval (what the restored socket will echo once it hears from it). */
    public int lastTsval() { return lastTsval; }
    public long segments() { return segments; }
    public long outOfOrderSegments() { return outOfOrder; }
}
