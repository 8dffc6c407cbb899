package dev.understudy.transport.aeron;

import dev.understudy.transport.record.RecordHeader;
import io.aeron.driver.ThreadingMode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * Every setting of the replication channel in one place: one {@code *_PROP}/{@code *_DEFAULT}
 * pair per key, read from system properties by {@link #fromSystemProperties(int, String)} and
 * validated once by {@link #conclude()}.
 *
 * <h2>Channels</h2>
 * {@link #destinations(Destinations) Destinations} {@link Destinations#MULTICAST MULTICAST} (the default):
 * <pre>
 *   data (primary → clones)       aeron:udp?endpoint=GROUP:PORT|interface=IFACE|fc=min,t:FC_TIMEOUT|mtu=MTU|term-length=TERM   stream 1001
 *   heartbeats (every node)       aeron:udp?endpoint=GROUP:PORT|interface=IFACE                                                 stream 1002
 *   control (to node N)           aeron:udp?endpoint=ADDRESS_N:CONTROL_PORT                                                     streams
 *                                 1003 acks (to the primary), 1100+N catch-up requests, 1200+N catch-up data
 * </pre>
 * {@link Destinations#UNICAST UNICAST}, for networks without multicast: no datagram goes to a group,
 * every one goes to a node address from {@link #nodes(List) the node list}:
 * <pre>
 *   data, publication (primary)   aeron:udp?control=ADDRESS:MDC_PORT|control-mode=dynamic|fc=min,t:FC_TIMEOUT|mtu=MTU|term-length=TERM
 *   data, subscription (clone)    aeron:udp?endpoint=ADDRESS:PORT|control=PRIMARY:MDC_PORT|control-mode=dynamic          stream 1001
 *   heartbeats, publication       aeron:udp?control-mode=manual|term-length=64K
 *                                 + one destination aeron:udp?endpoint=ADDRESS_M:CONTROL_PORT per other node M          stream 1002
 *   heartbeats, subscription      aeron:udp?endpoint=ADDRESS:CONTROL_PORT (the node's control endpoint, shared)
 *   control (to node N)           unchanged (it was unicast already)
 * </pre>
 * {@code MDC_PORT} = data port + {@value #MDC_CONTROL_PORT_OFFSET} ({@link #mdcControlPort()}): data port + 1 is
 * the control port already. The data stream is dynamic multi-destination-cast: each clone's
 * subscription sends its status messages to the primary's MDC control endpoint, and the primary's
 * driver adds (and, after the destination timeout without them, removes) that clone as a destination,
 * so a clone that starts late or restarts needs no configuration on the primary, and {@code fc=min}
 * holds the publication to the slowest live clone exactly as on multicast. Heartbeats use manual
 * MDC with every other node of the list as a destination: they must reach clones before any
 * status message exists (a clone learns its catch-up peers' addresses from them), and every node
 * already listens on its control endpoint, so no port is added for them. Aeron's default flow
 * control for MDC is {@code max}: a dead node never holds heartbeats back.
 *
 * <p>With {@link #ipc(boolean) ipc} set, every channel is {@code aeron:ipc} (one process, no
 * network: tests and the benchmark baseline).
 *
 * <h2>Driver defaults for a 2-core machine running three JVMs</h2>
 * The embedded driver defaults to {@link ThreadingMode#SHARED} (one driver thread instead of
 * three) with a {@code backoff} idle strategy (spin 10, yield 10, then park 1 µs..100 µs).
 * Measured round trips publish→durable-ack, 64 B, node1→node2 (numbers in {@code package-info}):
 * DEDICATED mode puts four busy threads (conductor, sender, receiver + the app) on two cores
 * per JVM and three JVMs fight for them; {@code sleeping} (Aeron's default, 1 ms park) adds
 * milliseconds per hop; {@code backoff} keeps the wake-up latency in tens of microseconds while
 * leaving the cores to the other JVMs when idle. {@code busy} (pure spin) is available for a
 * dedicated machine.
 *
 * <p>Thread-safety: build and conclude on one thread, then share read-only.
 */
public final class ReplicationConfig {
    public static final String PREFIX = "understudy.transport.";

    public static final String NODE_ID_PROP = PREFIX + "nodeId";
    public static final String ADDRESS_PROP = PREFIX + "address";
    public static final String INTERFACE_PROP = PREFIX + "interface";
    public static final String INTERFACE_DEFAULT = "198.18.0.0/24";
    public static final String GROUP_PROP = PREFIX + "group";
    public static final String GROUP_DEFAULT = "239.255.4.1";
    public static final String DATA_PORT_PROP = PREFIX + "dataPort";
    public static final int DATA_PORT_DEFAULT = 40456;
    public static final String CONTROL_PORT_PROP = PREFIX + "controlPort";
    public static final int CONTROL_PORT_DEFAULT = 40457;
    public static final String PRIMARY_ADDRESS_PROP = PREFIX + "primaryAddress";
    /** {@code multicast} | {@code unicast}: see {@link Destinations}. */
    public static final String DESTINATIONS_PROP = PREFIX + "destinations";
    public static final Destinations DESTINATIONS_DEFAULT = Destinations.MULTICAST;
    /** Comma-separated IPv4 addresses, node i is the i-th: every node's address (required for {@code unicast}). */
    public static final String NODES_PROP = PREFIX + "nodes";
    /**
     * The primary's MDC control port (unicast data stream) is the data port plus this: the data port
     * is where clones receive, data port + 1 is {@link #CONTROL_PORT_DEFAULT the control port} by default.
     */
    public static final int MDC_CONTROL_PORT_OFFSET = 2;
    public static final String MTU_PROP = PREFIX + "mtu";
    /** Fits one Ethernet frame (1500) with IP+UDP headers: no IP fragmentation. */
    public static final int MTU_DEFAULT = 1408;
    public static final String TERM_LENGTH_PROP = PREFIX + "termLength";
    /** 16 MiB: 3 terms = 48 MiB per publication, enough window to ride out a 100 ms stall at 500k×96 B/s. */
    public static final int TERM_LENGTH_DEFAULT = 16 * 1024 * 1024;
    public static final String FC_TIMEOUT_MS_PROP = PREFIX + "fcTimeoutMs";
    /** After this long without a status message a receiver no longer holds the publication back (fc=min,t:). */
    public static final long FC_TIMEOUT_MS_DEFAULT = 2_000;
    public static final String THREADING_PROP = PREFIX + "threading";
    public static final ThreadingMode THREADING_DEFAULT = ThreadingMode.SHARED;
    public static final String IDLE_PROP = PREFIX + "idle";
    public static final String IDLE_DEFAULT = "backoff";
    public static final String AERON_DIR_PROP = PREFIX + "aeronDir";
    public static final String AERON_DIR_BASE_DEFAULT = "/dev/shm";
    public static final String HEARTBEAT_INTERVAL_MS_PROP = PREFIX + "heartbeatIntervalMs";
    public static final long HEARTBEAT_INTERVAL_MS_DEFAULT = 100;
    public static final String MEMBER_TIMEOUT_MS_PROP = PREFIX + "memberTimeoutMs";
    public static final long MEMBER_TIMEOUT_MS_DEFAULT = 1_000;
    public static final String CATCHUP_TIMEOUT_MS_PROP = PREFIX + "catchupTimeoutMs";
    public static final long CATCHUP_TIMEOUT_MS_DEFAULT = 2_000;
    public static final String IPC_PROP = PREFIX + "ipc";
    public static final String CATCHUP_BUFFER_PROP = PREFIX + "catchupBufferBytes";
    /** Live records a catching-up clone keeps while it fetches the history before them (allocated on first catch-up). */
    public static final int CATCHUP_BUFFER_DEFAULT = 32 * 1024 * 1024;

    public static final int DATA_STREAM = 1001;
    public static final int HEARTBEAT_STREAM = 1002;
    public static final int ACK_STREAM = 1003;
    public static final int CATCHUP_REQUEST_STREAM_BASE = 1100;
    public static final int CATCHUP_DATA_STREAM_BASE = 1200;
    public static final int MAX_NODE_ID = 64;
    private static final int MAX_PORT = 65535;
    private static final int HEARTBEAT_TERM_LENGTH = 64 * 1024;
    private static final String IPV4 = "\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}\\.\\d{1,3}";

    /** Where the primary's data stream and every node's heartbeats are sent. */
    public enum Destinations {
        /** To the multicast {@link #group(String) group} on the {@link #interfaceCidr(String) interface}. */
        MULTICAST,
        /**
         * To each node's own address ({@link #nodes(List)}), by Aeron multi-destination-cast: for
         * networks that do not carry multicast (clouds, routed segments, filtered switches).
         */
        UNICAST;

        /**
         * @param value {@code multicast} or {@code unicast}, any case
         * @throws IllegalArgumentException naming {@link #DESTINATIONS_PROP} and the value otherwise
         */
        public static Destinations parse(String value) {
            String v = value == null ? "" : value.trim().toLowerCase(Locale.ROOT);
            switch (v) {
                case "multicast":
                    return MULTICAST;
                case "unicast":
                    return UNICAST;
                default:
                    throw new IllegalArgumentException("invalid " + DESTINATIONS_PROP + ": value=" + value
                        + ", expected multicast|unicast");
            }
        }
    }

    private int nodeId;
    private String address;
    private String interfaceCidr = INTERFACE_DEFAULT;
    private String group = GROUP_DEFAULT;
    private int dataPort = DATA_PORT_DEFAULT;
    private int controlPort = CONTROL_PORT_DEFAULT;
    private String primaryAddress;
    private int primaryNodeId;
    private Destinations destinations = DESTINATIONS_DEFAULT;
    private List<String> nodes = List.of();
    private int mtu = MTU_DEFAULT;
    private int termLength = TERM_LENGTH_DEFAULT;
    private long fcTimeoutMs = FC_TIMEOUT_MS_DEFAULT;
    private ThreadingMode threading = THREADING_DEFAULT;
    private String idle = IDLE_DEFAULT;
    private String aeronDir;
    private long heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(HEARTBEAT_INTERVAL_MS_DEFAULT);
    private long memberTimeoutNs = TimeUnit.MILLISECONDS.toNanos(MEMBER_TIMEOUT_MS_DEFAULT);
    private long catchupTimeoutNs = TimeUnit.MILLISECONDS.toNanos(CATCHUP_TIMEOUT_MS_DEFAULT);
    private boolean ipc;
    private int catchupBufferBytes = CATCHUP_BUFFER_DEFAULT;
    private byte[] secret;
    private boolean concluded;

    /** Reads every {@code understudy.transport.*} system property over the defaults. */
    public static ReplicationConfig fromSystemProperties(int nodeId, String runName) {
        ReplicationConfig c = new ReplicationConfig().nodeId(nodeId);
        c.address = System.getProperty(ADDRESS_PROP);
        c.interfaceCidr = System.getProperty(INTERFACE_PROP, INTERFACE_DEFAULT);
        c.group = System.getProperty(GROUP_PROP, GROUP_DEFAULT);
        c.dataPort = Integer.getInteger(DATA_PORT_PROP, DATA_PORT_DEFAULT);
        c.controlPort = Integer.getInteger(CONTROL_PORT_PROP, CONTROL_PORT_DEFAULT);
        c.primaryAddress = System.getProperty(PRIMARY_ADDRESS_PROP);
        c.destinations = Destinations.parse(System.getProperty(DESTINATIONS_PROP, DESTINATIONS_DEFAULT.name()));
        c.nodes = splitNodes(System.getProperty(NODES_PROP, ""));
        c.mtu = Integer.getInteger(MTU_PROP, MTU_DEFAULT);
        c.termLength = Integer.getInteger(TERM_LENGTH_PROP, TERM_LENGTH_DEFAULT);
        c.fcTimeoutMs = Long.getLong(FC_TIMEOUT_MS_PROP, FC_TIMEOUT_MS_DEFAULT);
        c.threading = ThreadingMode.valueOf(System.getProperty(THREADING_PROP, THREADING_DEFAULT.name()).toUpperCase(Locale.ROOT));
        c.idle = System.getProperty(IDLE_PROP, IDLE_DEFAULT);
        c.aeronDir = System.getProperty(AERON_DIR_PROP,
            AERON_DIR_BASE_DEFAULT + "/understudy-" + runName + "-node" + nodeId);
        c.heartbeatIntervalNs = TimeUnit.MILLISECONDS.toNanos(Long.getLong(HEARTBEAT_INTERVAL_MS_PROP, HEARTBEAT_INTERVAL_MS_DEFAULT));
        c.memberTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Long.getLong(MEMBER_TIMEOUT_MS_PROP, MEMBER_TIMEOUT_MS_DEFAULT));
        c.catchupTimeoutNs = TimeUnit.MILLISECONDS.toNanos(Long.getLong(CATCHUP_TIMEOUT_MS_PROP, CATCHUP_TIMEOUT_MS_DEFAULT));
        c.ipc = Boolean.getBoolean(IPC_PROP);
        c.catchupBufferBytes = Integer.getInteger(CATCHUP_BUFFER_PROP, CATCHUP_BUFFER_DEFAULT);
        return c;
    }

    public ReplicationConfig nodeId(int v) { nodeId = v; return this; }
    public ReplicationConfig address(String v) { address = v; return this; }
    public ReplicationConfig interfaceCidr(String v) { interfaceCidr = v; return this; }
    public ReplicationConfig group(String v) { group = v; return this; }
    public ReplicationConfig dataPort(int v) { dataPort = v; return this; }
    public ReplicationConfig controlPort(int v) { controlPort = v; return this; }
    public ReplicationConfig primaryAddress(String v) { primaryAddress = v; return this; }
    /** The primary's node id: clones take data frames from this sender only; 0 (default): from any sender. */
    public ReplicationConfig primaryNodeId(int v) { primaryNodeId = v; return this; }
    /** {@link Destinations#MULTICAST} (default) or {@link Destinations#UNICAST} (then {@link #nodes(List)} is required). */
    public ReplicationConfig destinations(Destinations v) { destinations = v; return this; }
    /**
     * Every node's IPv4 address, node i at index i-1 (this node's and the primary's included).
     * Required for {@link Destinations#UNICAST}; with it, an unset {@link #address(String) address}
     * defaults to this node's entry.
     */
    public ReplicationConfig nodes(List<String> v) { nodes = List.copyOf(v); return this; }
    public ReplicationConfig mtu(int v) { mtu = v; return this; }
    public ReplicationConfig termLength(int v) { termLength = v; return this; }
    public ReplicationConfig fcTimeoutMs(long v) { fcTimeoutMs = v; return this; }
    public ReplicationConfig threading(ThreadingMode v) { threading = v; return this; }
    /** {@code backoff} | {@code sleeping} | {@code yielding} | {@code busy}. */
    public ReplicationConfig idle(String v) { idle = v; return this; }
    public ReplicationConfig aeronDir(String v) { aeronDir = v; return this; }
    public ReplicationConfig heartbeatInterval(long v, TimeUnit unit) { heartbeatIntervalNs = unit.toNanos(v); return this; }
    public ReplicationConfig memberTimeout(long v, TimeUnit unit) { memberTimeoutNs = unit.toNanos(v); return this; }
    public ReplicationConfig catchupTimeout(long v, TimeUnit unit) { catchupTimeoutNs = unit.toNanos(v); return this; }
    public ReplicationConfig ipc(boolean v) { ipc = v; return this; }
    /** 0 disables buffering: the clone then relies on catch-up overtaking live. */
    public ReplicationConfig catchupBufferBytes(int v) { catchupBufferBytes = v; return this; }
    /** Shared secret for frame MACs; {@code null} or empty: frames are not signed. */
    public ReplicationConfig secret(byte[] v) { secret = v == null || v.length == 0 ? null : v.clone(); return this; }

    /**
     * Validates every setting.
     *
     * @throws IllegalArgumentException naming the property and the value
     */
    public ReplicationConfig conclude() {
        require(nodeId >= 1 && nodeId <= MAX_NODE_ID, NODE_ID_PROP, nodeId, "1.." + MAX_NODE_ID);
        require(primaryNodeId >= 0 && primaryNodeId <= MAX_NODE_ID, PREFIX + "primaryNodeId", primaryNodeId, "0.." + MAX_NODE_ID);
        require(destinations != null, DESTINATIONS_PROP, destinations, "multicast|unicast");
        boolean unicast = destinations == Destinations.UNICAST;
        if (!ipc) {
            concludeNodes(unicast);
            require(address != null && address.matches(IPV4), ADDRESS_PROP, address, "IPv4 address");
            require(primaryAddress != null && primaryAddress.matches(IPV4), PRIMARY_ADDRESS_PROP, primaryAddress, "IPv4 address");
            if (unicast) {
                require(address.equals(nodes.get(nodeId - 1)), ADDRESS_PROP, address,
                    "node " + nodeId + "'s entry in " + NODES_PROP + " (" + nodes.get(nodeId - 1) + ")");
                require(nodes.contains(primaryAddress), PRIMARY_ADDRESS_PROP, primaryAddress, "one of " + NODES_PROP + " " + nodes);
            } else {
                // unicast sends nothing to the group and binds no socket on the interface: checked for multicast only
                require(group.startsWith("239.255."), GROUP_PROP, group, "239.255.x.y");
                require(interfaceCidr != null && interfaceCidr.matches("[0-9./]+"), INTERFACE_PROP, interfaceCidr, "IPv4/prefix");
            }
        }
        if (unicast && !ipc) {
            require(dataPort > 0 && dataPort <= MAX_PORT - MDC_CONTROL_PORT_OFFSET, DATA_PORT_PROP, dataPort,
                "1.." + (MAX_PORT - MDC_CONTROL_PORT_OFFSET) + " with " + DESTINATIONS_PROP + "=unicast (data port + "
                    + MDC_CONTROL_PORT_OFFSET + " is the primary's MDC control port)");
            require(controlPort > 0 && controlPort <= MAX_PORT && controlPort != dataPort && controlPort != mdcControlPort(),
                CONTROL_PORT_PROP, controlPort, "1..65535, neither the data port nor the MDC control port (data port + "
                    + MDC_CONTROL_PORT_OFFSET + ")");
        } else {
            require(dataPort > 0 && dataPort <= MAX_PORT, DATA_PORT_PROP, dataPort, "1..65535");
            require(controlPort > 0 && controlPort <= MAX_PORT && controlPort != dataPort, CONTROL_PORT_PROP, controlPort,
                "1..65535, not the data port");
        }
        require(mtu >= 576 && mtu <= 65504 && mtu % 32 == 0, MTU_PROP, mtu, "576..65504, multiple of 32");
        require(Integer.bitCount(termLength) == 1 && termLength >= 64 * 1024, TERM_LENGTH_PROP, termLength, "power of two >= 64 KiB");
        require(fcTimeoutMs >= 10, FC_TIMEOUT_MS_PROP, fcTimeoutMs, ">= 10");
        require(Objects.requireNonNull(threading) != null, THREADING_PROP, threading, "SHARED|SHARED_NETWORK|DEDICATED");
        require(idle.matches("backoff|sleeping|yielding|busy"), IDLE_PROP, idle, "backoff|sleeping|yielding|busy");
        require(aeronDir != null && !aeronDir.isBlank(), AERON_DIR_PROP, aeronDir, "a directory");
        require(heartbeatIntervalNs > 0, HEARTBEAT_INTERVAL_MS_PROP, heartbeatIntervalNs, "> 0");
        require(memberTimeoutNs > heartbeatIntervalNs, MEMBER_TIMEOUT_MS_PROP, memberTimeoutNs, "> heartbeat interval");
        require(catchupTimeoutNs > 0, CATCHUP_TIMEOUT_MS_PROP, catchupTimeoutNs, "> 0");
        require(catchupBufferBytes == 0 || catchupBufferBytes >= 2 * (RecordHeader.MAX_RECORD_LENGTH + 8), CATCHUP_BUFFER_PROP,
            catchupBufferBytes, "0 or >= " + 2 * (RecordHeader.MAX_RECORD_LENGTH + 8));
        concluded = true;
        return this;
    }

    /**
     * Checks the node list (required for unicast, checked when given for multicast too) and, for
     * unicast, defaults an unset address to this node's entry.
     */
    private void concludeNodes(boolean unicast) {
        if (nodes.isEmpty()) {
            require(!unicast, NODES_PROP, "", "every node's IPv4 address, node i the i-th, with " + DESTINATIONS_PROP + "=unicast");
            return;
        }
        String list = String.join(",", nodes);
        require(nodes.size() <= MAX_NODE_ID, NODES_PROP, list, "at most " + MAX_NODE_ID + " addresses");
        for (String a : nodes) {
            require(a.matches(IPV4), NODES_PROP, list, "comma-separated IPv4 addresses (" + a + " is not one)");
        }
        require(new HashSet<>(nodes).size() == nodes.size(), NODES_PROP, list, "distinct addresses");
        require(nodeId <= nodes.size(), NODE_ID_PROP, nodeId, "1.." + nodes.size() + " (" + NODES_PROP + " has " + nodes.size() + ")");
        if (unicast && address == null) {
            address = nodes.get(nodeId - 1);
        }
    }

    /** {@code "a, b,c"} → {@code [a, b, c]}; empty or blank → empty. */
    private static List<String> splitNodes(String v) {
        List<String> out = new ArrayList<>();
        for (String a : v.split(",")) {
            if (!a.isBlank()) {
                out.add(a.trim());
            }
        }
        return Collections.unmodifiableList(out);
    }

    private static void require(boolean ok, String prop, Object value, String expected) {
        if (!ok) {
            throw new IllegalArgumentException("invalid " + prop + ": value=" + value + ", expected " + expected);
        }
    }

    private void requireConcluded() {
        if (!concluded) {
            throw new IllegalStateException("ReplicationConfig.conclude() not called");
        }
    }

    public int nodeId() { return nodeId; }
    public String address() { return address; }
    public String primaryAddress() { return primaryAddress; }
    public int primaryNodeId() { return primaryNodeId; }
    public Destinations destinations() { return destinations; }
    /** Every node's address, node i at index i-1 (empty if none was given). */
    public List<String> nodes() { return nodes; }

    /** The primary's MDC control port of the unicast data stream: data port + {@value #MDC_CONTROL_PORT_OFFSET}. */
    public int mdcControlPort() {
        return dataPort + MDC_CONTROL_PORT_OFFSET;
    }

    private boolean unicast() {
        return destinations == Destinations.UNICAST;
    }
    public ThreadingMode threading() { return threading; }
    public String idle() { return idle; }
    public String aeronDir() { return aeronDir; }
    public int mtu() { return mtu; }
    public int termLength() { return termLength; }
    public long heartbeatIntervalNs() { return heartbeatIntervalNs; }
    public long memberTimeoutNs() { return memberTimeoutNs; }
    public long catchupTimeoutNs() { return catchupTimeoutNs; }
    public int catchupBufferBytes() { return catchupBufferBytes; }
    public boolean ipc() { return ipc; }
    public int controlPort() { return controlPort; }
    /** The secret, or {@code null} when frames are not signed. */
    public byte[] secret() { return secret == null ? null : secret.clone(); }

    /** Largest frame that fits one datagram: MTU minus the 32-byte Aeron data header. */
    public int maxFramePayload() {
        return mtu - 32;
    }

    /**
     * The primary's data publication channel: multicast to the group, or (unicast) dynamic MDC whose
     * control endpoint is this node's {@link #address()} on {@link #mdcControlPort()} (the publishing
     * node binds it, so it must be the primary); IPC with {@code ipc}.
     */
    public String dataChannel() {
        requireConcluded();
        if (ipc) {
            return "aeron:ipc?term-length=" + termLength;
        }
        String flow = "|fc=min,t:" + fcTimeoutMs + "ms|mtu=" + mtu + "|term-length=" + termLength;
        if (unicast()) {
            return "aeron:udp?control=" + address + ":" + mdcControlPort() + "|control-mode=dynamic" + flow;
        }
        return "aeron:udp?endpoint=" + group + ":" + dataPort + "|interface=" + interfaceCidr + flow;
    }

    /**
     * The clones' subscription channel for the data stream (no publication-only parameters): the
     * group, or (unicast) this node's own address on the data port, registered with the
     * {@link #primaryAddress() primary}'s MDC control endpoint; IPC with {@code ipc}.
     */
    public String dataSubscriptionChannel() {
        requireConcluded();
        if (ipc) {
            return "aeron:ipc";
        }
        if (unicast()) {
            return "aeron:udp?endpoint=" + address + ":" + dataPort + "|control=" + primaryAddress + ":" + mdcControlPort()
                + "|control-mode=dynamic";
        }
        return "aeron:udp?endpoint=" + group + ":" + dataPort + "|interface=" + interfaceCidr;
    }

    /** Subscription channel for this node's own control endpoint. */
    public String controlSubscriptionChannel() {
        requireConcluded();
        return ipc ? "aeron:ipc" : "aeron:udp?endpoint=" + address + ":" + controlPort;
    }

    /**
     * Subscription channel for heartbeats: the group, or (unicast) this node's control endpoint
     * ({@link #controlSubscriptionChannel()}, the same receive endpoint, another stream); IPC with {@code ipc}.
     */
    public String heartbeatSubscriptionChannel() {
        requireConcluded();
        if (ipc) {
            return "aeron:ipc";
        }
        return unicast() ? controlSubscriptionChannel() : "aeron:udp?endpoint=" + group + ":" + dataPort + "|interface=" + interfaceCidr;
    }

    /**
     * The heartbeat publication channel: the group, or (unicast) a manual MDC publication that
     * needs {@link #heartbeatDestinations()} added; IPC with {@code ipc}.
     */
    public String heartbeatChannel() {
        requireConcluded();
        if (ipc) {
            return "aeron:ipc?term-length=" + HEARTBEAT_TERM_LENGTH;
        }
        if (unicast()) {
            return "aeron:udp?control-mode=manual|term-length=" + HEARTBEAT_TERM_LENGTH;
        }
        return "aeron:udp?endpoint=" + group + ":" + dataPort + "|interface=" + interfaceCidr + "|term-length=" + HEARTBEAT_TERM_LENGTH;
    }

    /**
     * The destinations to add to the {@link #heartbeatChannel() heartbeat publication}: with unicast,
     * every other node's control endpoint ({@code aeron:udp?endpoint=ADDRESS_M:CONTROL_PORT}), in node
     * order; empty for multicast and IPC (the channel reaches everybody by itself).
     */
    public List<String> heartbeatDestinations() {
        requireConcluded();
        if (ipc || !unicast()) {
            return List.of();
        }
        List<String> out = new ArrayList<>(nodes.size() - 1);
        for (int i = 0; i < nodes.size(); i++) {
            if (i + 1 != nodeId) {
                out.add("aeron:udp?endpoint=" + nodes.get(i) + ":" + controlPort);
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Unicast control channel of the node at {@code nodeAddress} (acks, catch-up), or IPC. */
    public String controlChannel(String nodeAddress, boolean bigTerm) {
        requireConcluded();
        String term = "|term-length=" + (bigTerm ? termLength : 1024 * 1024);
        if (ipc) {
            return "aeron:ipc?" + term.substring(1);
        }
        return "aeron:udp?endpoint=" + nodeAddress + ":" + controlPort + "|mtu=" + mtu + term;
    }

    @Override
    public String toString() {
        return "ReplicationConfig{nodeId=" + nodeId + ", address=" + address + ", primary=" + primaryAddress
            + ", destinations=" + destinations + ", nodes=" + nodes
            + ", group=" + group + ":" + dataPort + ", interface=" + interfaceCidr + ", mtu=" + mtu
            + ", termLength=" + termLength + ", threading=" + threading + ", idle=" + idle
            + ", aeronDir=" + aeronDir + ", ipc=" + ipc + ", signed=" + (secret != null) + "}";
    }
}
