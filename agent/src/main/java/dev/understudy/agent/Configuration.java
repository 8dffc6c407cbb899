package dev.understudy.agent;

import java.io.IOException;
import java.io.Reader;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.journal.JournalConfig;

/**
 * The agent's configuration: one immutable object, resolved and validated once at start-up,
 * that builds every subsystem's settings ({@link #replicationConfig()},
 * {@link #nfQueueConfig()}, {@link #journalDirectory()}).
 *
 * <h2>Keys</h2>
 * One {@code *_PROP} / {@code *_DEFAULT} pair per key (Aeron's {@code Configuration} style),
 * described by one {@link Key} in {@link #KEYS}; the README table is generated from
 * {@link #KEYS} by {@link ConfigurationTable} and checked against it by a test.
 *
 * <h2>Sources and precedence</h2>
 * For each key the first of these that is set wins:
 * <ol>
 *   <li>the agent argument, {@code -javaagent:understudy-agent.jar=role=clone,node.id=2},
 *       keys without the {@code understudy.} prefix;</li>
 *   <li>the system property, {@code -Dunderstudy.role=clone};</li>
 *   <li>the environment variable, {@code UNDERSTUDY_ROLE=clone} (prefix {@code UNDERSTUDY_},
 *       upper case, dots become underscores);</li>
 *   <li>the configuration file named by {@link #CONFIG_PROP} (itself set by one of the three
 *       sources above, never by the file): a Java properties file (read as UTF-8) with the
 *       same keys, the {@code understudy.} prefix optional;</li>
 *   <li>the default.</li>
 * </ol>
 * The most specific source wins: the agent argument belongs to this one JVM's command line,
 * the environment may be shared by every process a script starts, a file by every node.
 * {@link #origin(String)} says per key where its value came from: {@code argument},
 * {@code property}, {@code environment}, {@code file:/path} or {@code default}.
 *
 * <p>Agent argument syntax: {@code key=value} pairs separated by commas. For list keys
 * ({@link #NODES_PROP}, {@link #PORTS_PROP}) an element without {@code =} continues the
 * previous value: {@code ports=8080,8081,role=clone}. An element without {@code =} after a
 * non-list key, an unknown key or a repeated key is an error. Unknown {@code understudy.*}
 * system properties and unknown keys in the file are errors too (they are typos); unknown
 * {@code UNDERSTUDY_*} environment variables are reported as warnings only, since
 * environments are shared.
 *
 * <h2>Nodes and their addresses</h2>
 * Node ids are 1..{@value #MAX_NODE_ID} everywhere (the transport's
 * {@link ReplicationConfig#MAX_NODE_ID}). {@link #NODES_PROP} is either the list of the
 * nodes' IPv4 addresses (node i is the i-th) or a count N, and then node i's address is the
 * lab's {@value #LAB_NODE_NETWORK}(10+i): node1 is 198.18.0.11 ({@code dev.understudy.lab.Lab}).
 *
 * <h2>Validation</h2>
 * {@link #resolve} checks every key, then the relations between keys, then (for roles
 * {@code primary} and {@code clone}) that the subsystem settings built from them are valid,
 * and throws one {@link ConfigurationException} listing every problem, each naming the key,
 * the value, where it came from and what is allowed:
 * {@code invalid understudy.vip: value=300.1.1.1 (from argument), expected IPv4 address}.
 * The {@link #SECRET_PROP secret} is never printed: it shows as {@code ***} in
 * {@link #toString()}, {@link #render()} and error messages.
 *
 * <p>Thread-safety: immutable; safe to share. The builders return a new object per call.
 */
public final class Configuration {
    /** Prefix of every system property key. */
    public static final String PROP_PREFIX = "understudy.";
    /** Prefix of every environment variable. */
    public static final String ENV_PREFIX = "UNDERSTUDY_";
    /** Placeholder replaced by the node id in directory values. */
    public static final String NODE_ID_PLACEHOLDER = "{node.id}";
    /** How a secret is shown. */
    public static final String MASK = "***";
    /** Highest node id, the same range as the transport's. */
    public static final int MAX_NODE_ID = ReplicationConfig.MAX_NODE_ID;
    /** With {@link #NODES_PROP} a count, node i's address is this prefix followed by 10+i (the lab's convention). */
    public static final String LAB_NODE_NETWORK = "198.18.0.";
    /** With {@link #NODES_PROP} a count, node i's address ends in this plus i. */
    public static final int LAB_NODE_HOST_OFFSET = 10;
    /** NFQUEUE number of node i is this plus i ({@link #nfQueueConfig()}): 101..164, clear of queue 0 that other tools default to. */
    public static final int NFQUEUE_BASE = 100;

    /** Role of this JVM: {@code primary}, {@code clone} or {@code standalone}. */
    public static final String ROLE_PROP = "understudy.role";
    /** Default role: standalone (nothing replicated). */
    public static final String ROLE_DEFAULT = "standalone";

    /** This node's id, 1..{@value #MAX_NODE_ID}. */
    public static final String NODE_ID_PROP = "understudy.node.id";
    /** Default node id. */
    public static final String NODE_ID_DEFAULT = "1";

    /** The cluster's nodes: a count N (nodes 1..N at the lab's addresses) or the list of their IPv4 addresses. */
    public static final String NODES_PROP = "understudy.nodes";
    /** Default: three nodes, as in the lab (node1..node3). */
    public static final String NODES_DEFAULT = "3";

    /** Node id of the cluster's initial primary. */
    public static final String PRIMARY_PROP = "understudy.primary";
    /** Default initial primary: node 1. */
    public static final String PRIMARY_DEFAULT = "1";

    /** The service's virtual IPv4 address. */
    public static final String VIP_PROP = "understudy.vip";
    /** Default: the lab's VIP (DESIGN.md). */
    public static final String VIP_DEFAULT = "198.18.0.100";

    /** TCP ports of the service whose connections are replicated. */
    public static final String PORTS_PROP = "understudy.ports";
    /** Default: none (required for primary and clone). */
    public static final String PORTS_DEFAULT = "";

    /** Network interface that carries the VIP and the captured traffic. */
    public static final String INTERFACE_PROP = "understudy.interface";
    /** Default interface name. */
    public static final String INTERFACE_DEFAULT = "eth0";

    /** Aeron multicast group:port of the replication stream; port+1 is every node's control port. */
    public static final String REPLICATION_CHANNEL_PROP = "understudy.replication.channel";
    /** Default replication channel, in the administratively scoped 239.255.0.0/16 (RFC 2365). */
    public static final String REPLICATION_CHANNEL_DEFAULT = "239.255.0.1:40456";

    /** Where the primary sends the stream: empty for multicast, {@code unicast} for each clone's address (Aeron MDC). */
    public static final String REPLICATION_DESTINATIONS_PROP = "understudy.replication.destinations";
    /** Default: multicast on {@link #REPLICATION_CHANNEL_PROP}. */
    public static final String REPLICATION_DESTINATIONS_DEFAULT = "";

    /** k: clones that must hold a record before the primary's kernel may acknowledge the client bytes in it. */
    public static final String ACK_QUORUM_PROP = "understudy.ack.quorum";
    /** Default ack quorum: one clone. */
    public static final String ACK_QUORUM_DEFAULT = "1";

    /** What the primary does with fewer than k clones alive: {@code serve} or {@code hold}. */
    public static final String DEGRADED_PROP = "understudy.degraded";
    /** Default: serve, recording to the local journal only. */
    public static final String DEGRADED_DEFAULT = "serve";

    /** Whether a clone takes over when its primary is lost: {@code on} or {@code off}. */
    public static final String FAILOVER_PROP = "understudy.failover";
    /** Default: on. */
    public static final String FAILOVER_DEFAULT = "on";

    /** Whether the primary holds its output until the records that shaped it are durable: {@code on} or {@code off}. */
    public static final String OUTPUT_COMMIT_PROP = "understudy.output.commit";
    /** Default: on (off trades the pause and crash cases' consistency for one replication round trip per reply). */
    public static final String OUTPUT_COMMIT_DEFAULT = "on";
    /** NFQUEUE number of node i's output commit is this plus i ({@link #outputQueueConfig()}): 201..264. */
    public static final int OUTPUT_NFQUEUE_BASE = 200;

    /** Aeron media driver directory. */
    public static final String AERON_DIR_PROP = "understudy.aeron.dir";
    /** Default Aeron directory: in tmpfs, one per node. */
    public static final String AERON_DIR_DEFAULT = "/dev/shm/understudy-" + NODE_ID_PLACEHOLDER + "/aeron";

    /** Chronicle Queue journal directory. */
    public static final String JOURNAL_DIR_PROP = "understudy.journal.dir";
    /** Default journal directory: on disk (survives a reboot), one per node. */
    public static final String JOURNAL_DIR_DEFAULT = "/var/tmp/understudy-" + NODE_ID_PLACEHOLDER + "/journal";

    /** How long journal files are kept. */
    public static final String JOURNAL_RETENTION_PROP = "understudy.journal.retention";
    /** Default journal retention: one day. */
    public static final String JOURNAL_RETENTION_DEFAULT = "24h";

    /** Most bytes the journal directory may hold. */
    public static final String JOURNAL_RETENTION_SIZE_PROP = "understudy.journal.retention.size";
    /** Default size bound: 8 GiB. At full replication rates the size bound, not the time bound, is the one reached first. */
    public static final String JOURNAL_RETENTION_SIZE_DEFAULT = "8g";

    /** Shared secret authenticating the nodes to each other; optional, never printed. */
    public static final String SECRET_PROP = "understudy.secret";
    /** Default: no secret. */
    public static final String SECRET_DEFAULT = "";

    /** How a clone applies the input: {@code continuous} or {@code periodic}. */
    public static final String APPLY_POLICY_PROP = "understudy.apply.policy";
    /** Default apply policy: continuous (lowest switchover time). */
    public static final String APPLY_POLICY_DEFAULT = "continuous";

    /** How the application's handling of input is made the same on primary and clones: {@code serial} or {@code input-order}. */
    public static final String DETERMINISM_PROP = "understudy.determinism";
    /** Default determinism mode: serial turns. */
    public static final String DETERMINISM_DEFAULT = "serial";

    /** Period of the time-triggered {@code CHECKPOINT} (periodic apply policy). */
    public static final String CHECKPOINT_INTERVAL_PROP = "understudy.checkpoint.interval";
    /** Default checkpoint interval. */
    public static final String CHECKPOINT_INTERVAL_DEFAULT = "1s";

    /** Interval between heartbeats. */
    public static final String HEARTBEAT_INTERVAL_PROP = "understudy.heartbeat.interval";
    /** Default heartbeat interval. */
    public static final String HEARTBEAT_INTERVAL_DEFAULT = "100ms";

    /** Time without heartbeats after which the primary is suspected. */
    public static final String FAILURE_TIMEOUT_PROP = "understudy.failure.timeout";
    /** Default failure timeout. */
    public static final String FAILURE_TIMEOUT_DEFAULT = "1s";

    /** A command run when this node becomes primary and when it stops serving as one (a VIP moved through an API). */
    public static final String TAKEOVER_COMMAND_PROP = "understudy.takeover.command";
    /** Default: none. */
    public static final String TAKEOVER_COMMAND_DEFAULT = "";

    /** Idle strategy of the agent's threads. */
    public static final String IDLE_STRATEGY_PROP = "understudy.idle.strategy";
    /** Default idle strategy: spin, then yield, then park (Aeron's BackoffIdleStrategy). */
    public static final String IDLE_STRATEGY_DEFAULT = "backoff";

    /** Level of the agent's own log lines on stderr. */
    public static final String LOG_LEVEL_PROP = "understudy.log.level";
    /** Default log level. */
    public static final String LOG_LEVEL_DEFAULT = "info";

    /** Java properties file with further keys, below the environment in precedence. */
    public static final String CONFIG_PROP = "understudy.config";
    /** Default: no file. */
    public static final String CONFIG_DEFAULT = "";

    /** Role of a node. */
    public enum Role {
        /** Serves clients; records and streams their input. */
        PRIMARY,
        /** Runs the same application fed from the primary's stream; may be elected. */
        CLONE,
        /** No replication: the agent only observes. */
        STANDALONE
    }

    /** When a clone feeds recorded input into its application. */
    public enum ApplyPolicy {
        /** As it arrives: lowest switchover time. */
        CONTINUOUS,
        /** At checkpoints; the rest is applied at switchover. */
        PERIODIC
    }

    /** How a clone's application is made to compute what the primary's computed (DESIGN.md, Determinism). */
    public enum Determinism {
        /**
         * The application's handling of input runs in turns, one at a time, in an order the primary
         * logs ({@code TURN}) and the clones follow; clock and random values read in turns are logged
         * and handed back. Exact for thread-per-connection and pool servers.
         */
        SERIAL,
        /** Only the global order of input across connections: single event-loop servers, no cost. */
        INPUT_ORDER
    }

    /** What the primary does while fewer than {@link #ackQuorum()} clones are alive. */
    public enum DegradedMode {
        /** Accept client input, recording it to the local journal only, and say so in status and log. */
        SERVE,
        /** Hold client input (no verdict) until enough clones are back. */
        HOLD
    }

    /** Whether clones fail over. */
    public enum Failover {
        /** A clone whose primary is lost takes over: VIP, connections, service. */
        ON,
        /** Clones only follow; a lost primary is reported, nothing else. */
        OFF
    }

    /** Whether the primary's output waits for durability ({@link #OUTPUT_COMMIT_PROP}). */
    public enum OutputCommit {
        /** Output leaves once the records that shaped it are durable on k clones. */
        ON,
        /** Output leaves at once. */
        OFF
    }

    /** Where the primary sends the replication stream. */
    public enum ReplicationDestinations {
        /** To the multicast group of {@link #REPLICATION_CHANNEL_PROP}. */
        MULTICAST,
        /** To each clone's node address, with Aeron multi-destination-cast (networks without multicast). */
        UNICAST
    }

    /** Idle strategy of agent threads; named after Aeron's, each mapped to the transport's name. */
    public enum IdleStrategy {
        /** Busy spin: lowest latency, burns a core. */
        SPIN("busy"),
        /** {@code Thread.yield()}. */
        YIELD("yielding"),
        /** Sleep: least CPU, milliseconds of latency (JVM.md). */
        SLEEP("sleeping"),
        /** Spin, then yield, then park with growing pauses. */
        BACKOFF("backoff");

        private final String transportName;

        IdleStrategy(final String transportName) {
            this.transportName = transportName;
        }

        /**
         * @return the name {@link ReplicationConfig#idle(String)} takes.
         */
        public String transportName() {
            return transportName;
        }
    }

    /** Log level of the agent's own lines. */
    public enum LogLevel {
        /** Errors only. */
        ERROR,
        /** Errors and warnings. */
        WARN,
        /** Start-up block and notable events. */
        INFO,
        /** Diagnostics. */
        DEBUG,
        /** Everything. */
        TRACE
    }

    /** Where a value came from, in precedence order. */
    public enum Source {
        /** {@code -javaagent:...=key=value}. */
        AGENT_ARGUMENT("argument"),
        /** {@code -Dunderstudy.key=value}. */
        SYSTEM_PROPERTY("property"),
        /** {@code UNDERSTUDY_KEY=value}. */
        ENVIRONMENT("environment"),
        /** The file named by {@link #CONFIG_PROP}. */
        FILE("file"),
        /** The key's default. */
        DEFAULT("default");

        private final String text;

        Source(final String text) {
            this.text = text;
        }

        /**
         * @return how the source is named in messages; a file is named {@code file:PATH} by {@link #origin(String)}.
         */
        public String text() {
            return text;
        }
    }

    /**
     * Description of one key, the single source of the README table and of {@code --help}.
     *
     * @param property     the system property name, {@code understudy.*}.
     * @param defaultValue the default, {@code ""} for none.
     * @param allowed      what is allowed, as used in error messages ({@code expected ...}).
     * @param meaning      one or two sentences.
     * @param list         whether the value is a comma-separated list.
     * @param secret       whether the value must never be printed.
     */
    public record Key(String property, String defaultValue, String allowed, String meaning, boolean list, boolean secret) {
        /**
         * @return the agent argument name: the property without {@value #PROP_PREFIX}.
         */
        public String argument() {
            return property.substring(PROP_PREFIX.length());
        }

        /**
         * @return the environment variable name.
         */
        public String environment() {
            return ENV_PREFIX + argument().toUpperCase(Locale.ROOT).replace('.', '_');
        }
    }

    private static final String DURATION_SYNTAX = "a number with unit ns, us, ms, s, m, h or d (bare number: ms)";
    private static final String NODE_IDS = "integer 1.." + MAX_NODE_ID + ", at most the number of nodes";

    /** Every key, in the order of the table and the start-up block. */
    public static final List<Key> KEYS = List.of(
        new Key(ROLE_PROP, ROLE_DEFAULT, "one of primary, clone, standalone",
            "Role of this JVM: primary serves and records, clone follows and may take over, standalone only observes.",
            false, false),
        new Key(NODE_ID_PROP, NODE_ID_DEFAULT, NODE_IDS,
            "This node's id; election ties go to the lowest id.", false, false),
        new Key(NODES_PROP, NODES_DEFAULT,
            "node count 1.." + MAX_NODE_ID + " (node i at 198.18.0.(10+i), the lab's addresses), or 1.." + MAX_NODE_ID
                + " comma-separated distinct IPv4 addresses (node i is the i-th)",
            "The nodes of the cluster and their addresses.", true, false),
        new Key(PRIMARY_PROP, PRIMARY_DEFAULT, NODE_IDS + "; this node's id for role primary",
            "Node id of the cluster's initial primary; later primaries are elected.", false, false),
        new Key(VIP_PROP, VIP_DEFAULT, "IPv4 address, not a node's address",
            "Virtual IP address of the service, taken over at switchover.", false, false),
        new Key(PORTS_PROP, PORTS_DEFAULT, "comma-separated distinct TCP ports 1..65535; at least one for primary and clone",
            "Service ports whose connections are replicated.", true, false),
        new Key(INTERFACE_PROP, INTERFACE_DEFAULT, "interface name, 1..15 characters of A-Z a-z 0-9 . _ -",
            "Network interface carrying the VIP and the service traffic.", false, false),
        new Key(REPLICATION_CHANNEL_PROP, REPLICATION_CHANNEL_DEFAULT,
            "multicast group:port, group in 239.255.0.0/16, port 1..65534",
            "Aeron multicast group and UDP port of the replication stream and heartbeats; port+1 is every node's control port "
                + "(acks, catch-up).", false, false),
        new Key(REPLICATION_DESTINATIONS_PROP, REPLICATION_DESTINATIONS_DEFAULT, "empty (multicast), or unicast",
            "Empty: the primary sends to the multicast group of understudy.replication.channel. unicast: to each clone's node "
                + "address with Aeron multi-destination-cast, for networks without multicast: the data stream by dynamic MDC "
                + "(clones register with the primary's control endpoint on the channel's port+2, so the port must be at most "
                + "65533), heartbeats to every node of understudy.nodes on its control port (port+1); the group is not used.",
            false, false),
        new Key(ACK_QUORUM_PROP, ACK_QUORUM_DEFAULT, "integer 0..(number of nodes - 1)",
            "k: how many clones must hold a record before the primary's kernel may acknowledge the client bytes in it; "
                + "0 = do not wait.", false, false),
        new Key(DEGRADED_PROP, DEGRADED_DEFAULT, "one of serve, hold",
            "With fewer than k clones alive: serve accepts client input, recording it to the local journal only (and says "
                + "so in status and log); hold holds it until enough clones are back.", false, false),
        new Key(FAILOVER_PROP, FAILOVER_DEFAULT, "one of on, off",
            "on: when the primary sent no heartbeat for the failure timeout the clones elect a new primary, which takes over"
                + " the VIP and every connection; off: clones only follow.", false, false),
        new Key(OUTPUT_COMMIT_PROP, OUTPUT_COMMIT_DEFAULT, "one of on, off",
            "on: a segment the primary sends a client (payload, FIN or RST) waits in NFQUEUE " + OUTPUT_NFQUEUE_BASE
                + "+node id until every record that may have shaped it is held by k clones, so that no client sees output a "
                + "new primary would not produce (costs one replication round trip per reply); off: output leaves at once.",
            false, false),
        new Key(AERON_DIR_PROP, AERON_DIR_DEFAULT, "absolute path; {node.id} is replaced by the node id",
            "Directory of the embedded Aeron media driver.", false, false),
        new Key(JOURNAL_DIR_PROP, JOURNAL_DIR_DEFAULT, "absolute path; {node.id} is replaced by the node id",
            "Directory of the Chronicle Queue journal.", false, false),
        new Key(JOURNAL_RETENTION_PROP, JOURNAL_RETENTION_DEFAULT, "duration 1m..30d, " + DURATION_SYNTAX,
            "Journal files (hourly) older than this, rounded up to whole hours, are deleted, oldest first; never the file "
                + "being written. Input deleted from every journal can no longer rebuild a restarting or late-joining clone "
                + "(keeping what a clone has not applied yet comes with replay).", false, false),
        new Key(JOURNAL_RETENTION_SIZE_PROP, JOURNAL_RETENTION_SIZE_DEFAULT,
            "size 64m..1t, a number with unit k, m, g or t (powers of 1024; bare number: bytes)",
            "Most bytes the journal may hold: past it the oldest files are deleted too, under the same rules, so the journal "
                + "cannot grow until its disk is full.", false, false),
        new Key(SECRET_PROP, SECRET_DEFAULT, "empty (none), or 16..256 characters without whitespace or comma",
            "Shared secret authenticating the nodes to each other; always printed as ***.", false, true),
        new Key(APPLY_POLICY_PROP, APPLY_POLICY_DEFAULT, "one of continuous, periodic",
            "When a clone feeds recorded input to its application: as it arrives, or at checkpoints.", false, false),
        new Key(DETERMINISM_PROP, DETERMINISM_DEFAULT, "one of serial, input-order",
            "serial: the application's handling of input runs one turn at a time on the primary, in an order the clones "
                + "follow, with clock and random values handed back; input-order: only the order of input across connections "
                + "(single event-loop servers, no cost).", false, false),
        new Key(CHECKPOINT_INTERVAL_PROP, CHECKPOINT_INTERVAL_DEFAULT, "duration 1ms..1h, " + DURATION_SYNTAX,
            "Period of the time-triggered checkpoint (periodic apply policy).", false, false),
        new Key(HEARTBEAT_INTERVAL_PROP, HEARTBEAT_INTERVAL_DEFAULT, "duration 1ms..10s, " + DURATION_SYNTAX,
            "Interval between heartbeats of every node.", false, false),
        new Key(FAILURE_TIMEOUT_PROP, FAILURE_TIMEOUT_DEFAULT, "duration 10ms..60s, at least twice the heartbeat interval",
            "Time without heartbeats after which the primary is suspected.", false, false),
        new Key(TAKEOVER_COMMAND_PROP, TAKEOVER_COMMAND_DEFAULT,
            "empty (none), or a command line for /bin/sh -c, at most 4096 characters, one line (give it as a property, "
                + "environment variable or in the file when it holds a comma)",
            "Run when this node becomes primary, once it holds the VIP (\"$1\" and UNDERSTUDY_EVENT: primary), and when it "
                + "stops serving as primary (stopped), for VIPs that move through an API, like keepalived's notify scripts; "
                + "environment UNDERSTUDY_VIP, UNDERSTUDY_INTERFACE, UNDERSTUDY_NODE, UNDERSTUDY_EPOCH. It runs beside the "
                + "agent, at most 10 s; its exit status and output are logged.", false, false),
        new Key(IDLE_STRATEGY_PROP, IDLE_STRATEGY_DEFAULT, "one of spin, yield, sleep, backoff",
            "Idle strategy of the agent's threads (latency against CPU).", false, false),
        new Key(LOG_LEVEL_PROP, LOG_LEVEL_DEFAULT, "one of error, warn, info, debug, trace",
            "Level of the agent's own lines on stderr.", false, false),
        new Key(CONFIG_PROP, CONFIG_DEFAULT,
            "empty (none), or the path of a readable Java properties file; not settable in that file",
            "File with further keys (understudy. prefix optional), used for keys that no argument, property or "
                + "environment variable sets.", false, false));

    private static final Map<String, Key> BY_PROPERTY;

    static {
        final Map<String, Key> m = new LinkedHashMap<>();
        for (final Key k : KEYS) {
            m.put(k.property(), k);
        }
        BY_PROPERTY = Collections.unmodifiableMap(m);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ns|us|ms|s|m|h|d)?");
    private static final Pattern SIZE = Pattern.compile("(\\d{1,15})([kKmMgGtT])?");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9._-]{1,15}");

    private final Role role;
    private final int nodeId;
    private final int nodeCount;
    private final List<Inet4Address> nodeAddresses;
    private final int primaryNodeId;
    private final Inet4Address vip;
    private final int[] ports;
    private final String interfaceName;
    private final Inet4Address replicationGroup;
    private final int replicationPort;
    private final ReplicationDestinations replicationDestinations;
    private final int ackQuorum;
    private final DegradedMode degradedMode;
    private final Failover failover;
    private final OutputCommit outputCommit;
    private final Path aeronDir;
    private final Path journalDir;
    private final long journalRetentionNs;
    private final long journalRetentionBytes;
    private final String secret;
    private final ApplyPolicy applyPolicy;
    private final Determinism determinism;
    private final long checkpointIntervalNs;
    private final long heartbeatIntervalNs;
    private final long failureTimeoutNs;
    private final String takeoverCommand;
    private final IdleStrategy idleStrategy;
    private final LogLevel logLevel;
    private final Path configFile;

    private final Map<Key, Source> sources;
    private final Map<Key, String> display;
    private final List<String> warnings;

    /**
     * Resolves and validates the configuration of this JVM from its agent argument, its
     * system properties, its environment and the file they may name.
     *
     * @param agentArgs the agent argument string, may be {@code null}.
     * @return the configuration.
     * @throws ConfigurationException listing every problem.
     */
    public static Configuration resolve(final String agentArgs) {
        final Map<String, String> props = new LinkedHashMap<>();
        for (final String name : System.getProperties().stringPropertyNames()) {
            if (name.startsWith(PROP_PREFIX)) {
                props.put(name, System.getProperty(name));
            }
        }
        return resolve(agentArgs, props, System.getenv());
    }

    /**
     * Resolves and validates a configuration from explicit sources (tests, tools). The file
     * named by {@link #CONFIG_PROP}, if any, is read from the file system.
     *
     * @param agentArgs        the agent argument string, may be {@code null}.
     * @param systemProperties system properties; entries outside {@code understudy.*} are ignored.
     * @param environment      environment variables; entries outside {@code UNDERSTUDY_*} are ignored.
     * @return the configuration.
     * @throws ConfigurationException listing every problem.
     */
    public static Configuration resolve(
        final String agentArgs, final Map<String, String> systemProperties, final Map<String, String> environment) {
        final List<String> problems = new ArrayList<>();
        final List<String> warnings = new ArrayList<>();
        final Map<String, String> args = parseAgentArgs(agentArgs, problems);

        for (final String name : new TreeSet<>(systemProperties.keySet())) {
            if (name.startsWith(PROP_PREFIX) && !BY_PROPERTY.containsKey(name)) {
                problems.add("unknown system property " + name + ", expected one of " + String.join(", ", BY_PROPERTY.keySet()));
            }
        }
        final Map<String, Key> byEnv = new LinkedHashMap<>();
        KEYS.forEach(k -> byEnv.put(k.environment(), k));
        for (final String name : new TreeSet<>(environment.keySet())) {
            if (name.startsWith(ENV_PREFIX) && !byEnv.containsKey(name)) {
                warnings.add("ignoring unknown environment variable " + name);
            }
        }

        final Map<Key, String> raw = new LinkedHashMap<>();
        final Map<Key, Source> sources = new LinkedHashMap<>();
        for (final Key k : KEYS) {
            pick(k, args, systemProperties, environment, null, raw, sources);
        }
        // The file is read only now: which file it is can come from any source above it.
        final Key configKey = key(CONFIG_PROP);
        final String configValue = raw.get(configKey);
        Path file = null;
        Map<String, String> fileValues = Map.of();
        if (!configValue.isEmpty()) {
            final ConfigFile cf = ConfigFile.read(configValue, sources.get(configKey), problems);
            file = cf.path;
            fileValues = cf.values;
        }
        if (!fileValues.isEmpty()) {
            for (final Key k : KEYS) {
                if (sources.get(k) == Source.DEFAULT && fileValues.containsKey(k.property())) {
                    pick(k, args, systemProperties, environment, fileValues, raw, sources);
                }
            }
        }
        final Configuration c = new Configuration(raw, sources, file, problems, warnings);
        if (problems.isEmpty() && (c.role == Role.PRIMARY || c.role == Role.CLONE)) {
            c.checkSubsystems(problems);
        }
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return c;
    }

    private static void pick(
        final Key k,
        final Map<String, String> args,
        final Map<String, String> systemProperties,
        final Map<String, String> environment,
        final Map<String, String> file,
        final Map<Key, String> raw,
        final Map<Key, Source> sources) {
        String value = args.get(k.property());
        Source source = Source.AGENT_ARGUMENT;
        if (value == null) {
            value = systemProperties.get(k.property());
            source = Source.SYSTEM_PROPERTY;
        }
        if (value == null) {
            value = environment.get(k.environment());
            source = Source.ENVIRONMENT;
        }
        if (value == null && file != null) {
            value = file.get(k.property());
            source = Source.FILE;
        }
        if (value == null) {
            value = k.defaultValue();
            source = Source.DEFAULT;
        }
        raw.put(k, value.trim());
        sources.put(k, source);
    }

    /** The keys of a configuration file, or why it could not be read. */
    private static final class ConfigFile {
        final Path path;
        final Map<String, String> values;

        private ConfigFile(final Path path, final Map<String, String> values) {
            this.path = path;
            this.values = values;
        }

        static ConfigFile read(final String name, final Source from, final List<String> problems) {
            final Path path;
            try {
                path = Path.of(name).toAbsolutePath().normalize();
            } catch (final InvalidPathException e) {
                problems.add(problem(CONFIG_PROP, name, originOf(key(CONFIG_PROP), from, null, true), key(CONFIG_PROP).allowed()));
                return new ConfigFile(null, Map.of());
            }
            final Properties p = new Properties();
            try (Reader r = Files.newBufferedReader(path, StandardCharsets.UTF_8)) {
                p.load(r);
            } catch (final IOException | IllegalArgumentException e) {
                // IllegalArgumentException: a malformed \\uXXXX escape (Properties.load); a
                // MalformedInputException (an IOException) for bytes that are not UTF-8.
                problems.add(problem(CONFIG_PROP, name, originOf(key(CONFIG_PROP), from, null, true), "a readable Java properties file ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")"));
                return new ConfigFile(path, Map.of());
            }
            final String where = "file:" + path;
            final Map<String, String> values = new LinkedHashMap<>();
            for (final String raw : new TreeSet<>(p.stringPropertyNames())) {
                final String argument = raw.startsWith(PROP_PREFIX) ? raw.substring(PROP_PREFIX.length()) : raw;
                final Key k = BY_PROPERTY.get(PROP_PREFIX + argument);
                if (k == null) {
                    problems.add("unknown key '" + raw + "' in " + where + ", expected one of " + argumentNames()
                        + " (understudy. prefix optional)");
                } else if (k.property().equals(CONFIG_PROP)) {
                    problems.add("key '" + raw + "' in " + where + " is not allowed: a configuration file cannot name another");
                } else if (values.containsKey(k.property())) {
                    problems.add("repeated key '" + argument + "' in " + where + " (with and without the understudy. prefix)");
                } else {
                    values.put(k.property(), p.getProperty(raw));
                }
            }
            return new ConfigFile(path, values);
        }
    }

    private Configuration(
        final Map<Key, String> raw,
        final Map<Key, Source> sources,
        final Path configFile,
        final List<String> problems,
        final List<String> warnings) {
        this.configFile = configFile;
        final Parser p = new Parser(raw, sources, configFile, problems);
        role = p.enumValue(ROLE_PROP, Role.class, Role.STANDALONE);
        final int parsedNodeId = p.intRange(NODE_ID_PROP, 1, MAX_NODE_ID, -1);
        final int parsedPrimary = p.intRange(PRIMARY_PROP, 1, MAX_NODE_ID, -1);
        nodeAddresses = p.nodes();
        nodeCount = nodeAddresses.size();
        final String countNote = "(" + NODES_PROP + " has " + nodeCount + " node" + (nodeCount == 1 ? "" : "s") + ")";
        if (parsedNodeId > nodeCount && nodeCount > 0) {
            p.invalid(NODE_ID_PROP, "integer 1.." + nodeCount + " " + countNote);
        }
        if (parsedPrimary > nodeCount && nodeCount > 0) {
            p.invalid(PRIMARY_PROP, "integer 1.." + nodeCount + " " + countNote);
        } else if (role == Role.PRIMARY && parsedPrimary > 0 && parsedNodeId > 0 && parsedPrimary != parsedNodeId) {
            p.invalid(PRIMARY_PROP, "this node's id " + parsedNodeId + " (" + NODE_ID_PROP + ") for role primary");
        }
        nodeId = parsedNodeId;
        primaryNodeId = parsedPrimary;
        vip = p.ipv4(VIP_PROP);
        if (vip != null && nodeAddresses.contains(vip)) {
            p.invalid(VIP_PROP, "an IPv4 address that is not a node's (node " + (nodeAddresses.indexOf(vip) + 1) + " has it)");
        }
        ports = p.ports();
        if (ports != null && ports.length == 0 && (role == Role.PRIMARY || role == Role.CLONE)) {
            p.invalid(PORTS_PROP, "(none)", "at least one TCP port 1..65535 for role " + role.name().toLowerCase(Locale.ROOT));
        }
        interfaceName = p.interfaceName();
        final Channel channel = p.channel();
        replicationGroup = channel.group;
        replicationPort = channel.port;
        replicationDestinations = p.destinations();
        final int quorum = p.intRange(ACK_QUORUM_PROP, 0, MAX_NODE_ID - 1, -1);
        if (quorum > 0 && nodeCount > 0 && quorum > nodeCount - 1) {
            p.invalid(ACK_QUORUM_PROP, "integer 0.." + (nodeCount - 1) + " (" + NODES_PROP + " has " + nodeCount
                + " node" + (nodeCount == 1 ? "" : "s") + ", so at most " + (nodeCount - 1) + " clone" + (nodeCount == 2 ? "" : "s") + ")");
        }
        ackQuorum = quorum;
        degradedMode = p.enumValue(DEGRADED_PROP, DegradedMode.class, DegradedMode.SERVE);
        failover = p.enumValue(FAILOVER_PROP, Failover.class, Failover.ON);
        outputCommit = p.enumValue(OUTPUT_COMMIT_PROP, OutputCommit.class, OutputCommit.ON);
        aeronDir = p.dir(AERON_DIR_PROP, nodeId);
        journalDir = p.dir(JOURNAL_DIR_PROP, nodeId);
        journalRetentionNs = p.duration(JOURNAL_RETENTION_PROP, TimeUnit.MINUTES.toNanos(1), TimeUnit.DAYS.toNanos(30));
        journalRetentionBytes = p.size(JOURNAL_RETENTION_SIZE_PROP, 64L << 20, 1L << 40);
        secret = p.secret();
        applyPolicy = p.enumValue(APPLY_POLICY_PROP, ApplyPolicy.class, ApplyPolicy.CONTINUOUS);
        determinism = p.determinism();
        checkpointIntervalNs = p.duration(CHECKPOINT_INTERVAL_PROP, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.HOURS.toNanos(1));
        heartbeatIntervalNs = p.duration(HEARTBEAT_INTERVAL_PROP, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(10));
        final long timeout = p.duration(FAILURE_TIMEOUT_PROP, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(60));
        if (timeout > 0 && heartbeatIntervalNs > 0 && timeout < 2 * heartbeatIntervalNs) {
            p.invalid(FAILURE_TIMEOUT_PROP, "at least twice " + HEARTBEAT_INTERVAL_PROP + " (" + formatDuration(2 * heartbeatIntervalNs) + ")");
        }
        failureTimeoutNs = timeout;
        takeoverCommand = p.takeoverCommand();
        idleStrategy = p.enumValue(IDLE_STRATEGY_PROP, IdleStrategy.class, IdleStrategy.BACKOFF);
        logLevel = p.enumValue(LOG_LEVEL_PROP, LogLevel.class, LogLevel.INFO);

        this.sources = Collections.unmodifiableMap(new LinkedHashMap<>(sources));
        this.warnings = List.copyOf(warnings);
        final Map<Key, String> shown = new LinkedHashMap<>();
        for (final Key k : KEYS) {
            shown.put(k, k.secret() ? (raw.get(k).isEmpty() ? "(none)" : MASK) : normalized(k, raw.get(k)));
        }
        this.display = Collections.unmodifiableMap(shown);
    }

    /**
     * Builds every subsystem's settings once, so that a configuration the subsystems would
     * refuse is refused at start-up, naming the agent's key.
     */
    private void checkSubsystems(final List<String> problems) {
        try {
            replicationConfig();
            nfQueueConfig();
        } catch (final ConfigurationException e) {
            problems.addAll(e.problems());
        }
    }

    private String normalized(final Key k, final String raw) {
        switch (k.property()) {
            case AERON_DIR_PROP:
                return aeronDir == null ? raw : aeronDir.toString();
            case JOURNAL_DIR_PROP:
                return journalDir == null ? raw : journalDir.toString();
            case PORTS_PROP:
                return ports == null || ports.length == 0 ? "(none)" : joinPorts(ports);
            case REPLICATION_DESTINATIONS_PROP:
                return raw.isEmpty() ? "(multicast)" : raw.toLowerCase(Locale.ROOT);
            case JOURNAL_RETENTION_PROP:
                return formatDuration(journalRetentionNs);
            case JOURNAL_RETENTION_SIZE_PROP:
                return formatSize(journalRetentionBytes);
            case CHECKPOINT_INTERVAL_PROP:
                return formatDuration(checkpointIntervalNs);
            case HEARTBEAT_INTERVAL_PROP:
                return formatDuration(heartbeatIntervalNs);
            case FAILURE_TIMEOUT_PROP:
                return formatDuration(failureTimeoutNs);
            case TAKEOVER_COMMAND_PROP:
                return raw.isEmpty() ? "(none)" : raw;
            case CONFIG_PROP:
                return configFile == null ? (raw.isEmpty() ? "(none)" : raw) : configFile.toString();
            default:
                return raw.replace(" ", "");
        }
    }

    private static String joinPorts(final int[] ports) {
        final StringBuilder sb = new StringBuilder();
        for (final int port : ports) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(port);
        }
        return sb.toString();
    }

    /**
     * Formats a duration in the largest unit that represents it exactly.
     *
     * @param nanos duration in nanoseconds.
     * @return e.g. {@code "100ms"}, {@code "1s"}, {@code "250us"}, {@code "36h"}, {@code "2d"}.
     */
    public static String formatDuration(final long nanos) {
        final long[] units = {TimeUnit.DAYS.toNanos(1), TimeUnit.HOURS.toNanos(1), TimeUnit.MINUTES.toNanos(1),
            1_000_000_000L, 1_000_000L, 1_000L};
        final String[] names = {"d", "h", "m", "s", "ms", "us"};
        for (int i = 0; i < units.length; i++) {
            if (nanos > 0 && nanos % units[i] == 0) {
                return nanos / units[i] + names[i];
            }
        }
        return nanos + "ns";
    }

    /**
     * Formats a byte count in the largest power-of-1024 unit that represents it exactly.
     *
     * @param bytes a byte count.
     * @return e.g. {@code "8g"}, {@code "1536m"}, {@code "100"}.
     */
    public static String formatSize(final long bytes) {
        final String[] names = {"t", "g", "m", "k"};
        for (int i = 0; i < names.length; i++) {
            final long unit = 1L << (10 * (names.length - i));
            if (bytes > 0 && bytes % unit == 0) {
                return bytes / unit + names[i];
            }
        }
        return Long.toString(bytes);
    }

    private static Key key(final String property) {
        return BY_PROPERTY.get(property);
    }

    /**
     * @param property a {@code *_PROP} constant.
     * @return its description.
     * @throws IllegalArgumentException if it is not a key.
     */
    public static Key keyOf(final String property) {
        final Key k = BY_PROPERTY.get(property);
        if (k == null) {
            throw new IllegalArgumentException("not a configuration key: " + property);
        }
        return k;
    }

    /**
     * The one format of a problem with a key's value.
     *
     * @param property the key.
     * @param shown    the value as it may be printed (a secret already masked).
     * @param origin   where the value came from, as {@link #origin(String)} says it.
     * @param expected what is allowed.
     * @return {@code invalid KEY: value=VALUE (from ORIGIN), expected EXPECTED}.
     */
    static String problem(final String property, final String shown, final String origin, final String expected) {
        return "invalid " + property + ": value=" + shown + " (from " + origin + "), expected " + expected;
    }

    private static Map<String, String> parseAgentArgs(final String agentArgs, final List<String> problems) {
        final Map<String, String> values = new LinkedHashMap<>();
        if (agentArgs == null || agentArgs.isBlank()) {
            return values;
        }
        Key previous = null;
        for (final String element : agentArgs.split(",", -1)) {
            final String token = element.trim();
            if (token.isEmpty()) {
                continue;
            }
            final int eq = token.indexOf('=');
            if (eq < 0) {
                if (previous != null && previous.list()) {
                    values.put(previous.property(), values.get(previous.property()) + "," + token);
                } else {
                    problems.add("invalid agent argument '" + token + "', expected key=value");
                }
                continue;
            }
            String name = token.substring(0, eq).trim();
            if (name.startsWith(PROP_PREFIX)) {
                name = name.substring(PROP_PREFIX.length());
            }
            final Key k = BY_PROPERTY.get(PROP_PREFIX + name);
            if (k == null) {
                problems.add("unknown agent argument key '" + name + "', expected one of " + argumentNames());
                previous = null;
                continue;
            }
            if (values.containsKey(k.property())) {
                problems.add("repeated agent argument key '" + name + "'");
            }
            values.put(k.property(), token.substring(eq + 1).trim());
            previous = k;
        }
        return values;
    }

    private static String argumentNames() {
        final List<String> names = new ArrayList<>();
        KEYS.forEach(k -> names.add(k.argument()));
        return String.join(", ", names);
    }

    /**
     * @param id a node id, 1..{@value #MAX_NODE_ID}.
     * @return the lab's address of node {@code id}: {@value #LAB_NODE_NETWORK}(10+id).
     */
    static Inet4Address labNodeAddress(final int id) {
        return parseIpv4(LAB_NODE_NETWORK + (LAB_NODE_HOST_OFFSET + id));
    }

    /** A parsed replication channel. */
    private static final class Channel {
        final Inet4Address group;
        final int port;

        Channel(final Inet4Address group, final int port) {
            this.group = group;
            this.port = port;
        }
    }

    /** Parses raw values, collecting problems instead of throwing. */
    private static final class Parser {
        private final Map<Key, String> raw;
        private final Map<Key, Source> sources;
        private final Path file;
        private final List<String> problems;

        Parser(final Map<Key, String> raw, final Map<Key, Source> sources, final Path file, final List<String> problems) {
            this.raw = raw;
            this.sources = sources;
            this.file = file;
            this.problems = problems;
        }

        void invalid(final String property, final String expected) {
            invalid(property, value(property), expected);
        }

        void invalid(final String property, final String value, final String expected) {
            final Key k = key(property);
            final String shown = k.secret() ? MASK + " (" + value.length() + " characters)" : value;
            problems.add(problem(property, shown, originOf(k, sources.get(k), file, true), expected));
        }

        private String value(final String property) {
            return raw.get(key(property));
        }

        Determinism determinism() {
            final String v = value(DETERMINISM_PROP);
            if (v.equalsIgnoreCase("serial")) {
                return Determinism.SERIAL;
            }
            if (v.equalsIgnoreCase("input-order")) {
                return Determinism.INPUT_ORDER;
            }
            invalid(DETERMINISM_PROP, v, key(DETERMINISM_PROP).allowed());
            return Determinism.SERIAL;
        }

        <E extends Enum<E>> E enumValue(final String property, final Class<E> type, final E fallback) {
            final String v = value(property);
            for (final E e : type.getEnumConstants()) {
                if (e.name().equalsIgnoreCase(v)) {
                    return e;
                }
            }
            invalid(property, v, key(property).allowed());
            return fallback;
        }

        int intRange(final String property, final int min, final int max, final int fallback) {
            final String v = value(property);
            final int n = parseInt(v);
            if (n < min || n > max) {
                invalid(property, v, key(property).allowed());
                return fallback;
            }
            return n;
        }

        List<Inet4Address> nodes() {
            final String v = value(NODES_PROP);
            final List<String> parts = split(v);
            if (parts.size() == 1 && parts.get(0).chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                final int n = parseInt(parts.get(0));
                if (n >= 1 && n <= MAX_NODE_ID) {
                    final List<Inet4Address> lab = new ArrayList<>(n);
                    for (int id = 1; id <= n; id++) {
                        lab.add(labNodeAddress(id));
                    }
                    return List.copyOf(lab);
                }
                invalid(NODES_PROP, v, key(NODES_PROP).allowed());
                return List.of();
            }
            final Set<Inet4Address> addresses = new LinkedHashSet<>();
            boolean ok = !parts.isEmpty() && parts.size() <= MAX_NODE_ID;
            for (final String part : parts) {
                final Inet4Address a = parseIpv4(part);
                ok &= a != null && addresses.add(a);
            }
            if (!ok) {
                invalid(NODES_PROP, v, key(NODES_PROP).allowed());
                return List.of();
            }
            return List.copyOf(addresses);
        }

        Inet4Address ipv4(final String property) {
            final String v = value(property);
            final Inet4Address a = parseIpv4(v);
            if (a == null) {
                invalid(property, v, key(property).allowed());
            }
            return a;
        }

        int[] ports() {
            final String v = value(PORTS_PROP);
            final List<String> parts = split(v);
            final int[] result = new int[parts.size()];
            final Set<Integer> seen = new LinkedHashSet<>();
            for (int i = 0; i < result.length; i++) {
                final int port = parseInt(parts.get(i));
                if (port < 1 || port > 65535 || !seen.add(port)) {
                    invalid(PORTS_PROP, v, key(PORTS_PROP).allowed());
                    return null;
                }
                result[i] = port;
            }
            return result;
        }

        String takeoverCommand() {
            final String v = value(TAKEOVER_COMMAND_PROP).strip();
            if (v.length() > 4096 || v.indexOf('\n') >= 0 || v.indexOf('\r') >= 0 || v.indexOf('\0') >= 0) {
                invalid(TAKEOVER_COMMAND_PROP, v.length() > 60 ? v.substring(0, 60) + "..." : v, key(TAKEOVER_COMMAND_PROP).allowed());
                return "";
            }
            return v;
        }

        String interfaceName() {
            final String v = value(INTERFACE_PROP);
            // IFNAMSIZ is 16 including the NUL (linux/if.h); "." and ".." are refused by the kernel.
            if (!IFNAME.matcher(v).matches() || ".".equals(v) || "..".equals(v)) {
                invalid(INTERFACE_PROP, v, key(INTERFACE_PROP).allowed());
                return null;
            }
            return v;
        }

        Channel channel() {
            final String v = value(REPLICATION_CHANNEL_PROP);
            final int colon = v.lastIndexOf(':');
            final Inet4Address group = colon > 0 ? parseIpv4(v.substring(0, colon)) : null;
            final int port = colon > 0 ? parseInt(v.substring(colon + 1)) : -1;
            final byte[] b = group == null ? null : group.getAddress();
            // 239.255.0.0/16: IPv4 Local Scope, administratively scoped (RFC 2365 section 6.1).
            // The port stops at 65534: port+1 is the control port.
            if (b == null || (b[0] & 0xff) != 239 || (b[1] & 0xff) != 255 || port < 1 || port > 65534) {
                invalid(REPLICATION_CHANNEL_PROP, v, key(REPLICATION_CHANNEL_PROP).allowed());
                return new Channel(null, -1);
            }
            return new Channel(group, port);
        }

        ReplicationDestinations destinations() {
            final String v = value(REPLICATION_DESTINATIONS_PROP);
            if (v.isEmpty()) {
                return ReplicationDestinations.MULTICAST;
            }
            if ("unicast".equalsIgnoreCase(v)) {
                return ReplicationDestinations.UNICAST;
            }
            invalid(REPLICATION_DESTINATIONS_PROP, v, key(REPLICATION_DESTINATIONS_PROP).allowed());
            return ReplicationDestinations.MULTICAST;
        }

        Path dir(final String property, final int nodeId) {
            final String v = value(property);
            final String resolved = nodeId > 0 ? v.replace(NODE_ID_PLACEHOLDER, Integer.toString(nodeId)) : v;
            try {
                final Path p = Path.of(resolved);
                if (!p.isAbsolute() || resolved.indexOf('\n') >= 0 || resolved.indexOf('\0') >= 0) {
                    invalid(property, v, key(property).allowed());
                    return null;
                }
                return p.normalize();
            } catch (final InvalidPathException e) {
                invalid(property, v, key(property).allowed());
                return null;
            }
        }

        String secret() {
            final String v = value(SECRET_PROP);
            if (v.isEmpty()) {
                return null;
            }
            boolean ok = v.length() >= 16 && v.length() <= 256;
            for (int i = 0; ok && i < v.length(); i++) {
                final char c = v.charAt(i);
                ok = !Character.isWhitespace(c) && c != ',' && !Character.isISOControl(c);
            }
            if (!ok) {
                invalid(SECRET_PROP, v, key(SECRET_PROP).allowed());
                return null;
            }
            return v;
        }

        long duration(final String property, final long minNs, final long maxNs) {
            final String v = value(property);
            final Matcher m = DURATION.matcher(v);
            long ns = -1;
            if (m.matches()) {
                final long n = Long.parseLong(m.group(1));
                final String unit = m.group(2) == null ? "ms" : m.group(2);
                final TimeUnit tu;
                switch (unit) {
                    case "ns":
                        tu = TimeUnit.NANOSECONDS;
                        break;
                    case "us":
                        tu = TimeUnit.MICROSECONDS;
                        break;
                    case "ms":
                        tu = TimeUnit.MILLISECONDS;
                        break;
                    case "s":
                        tu = TimeUnit.SECONDS;
                        break;
                    case "m":
                        tu = TimeUnit.MINUTES;
                        break;
                    case "h":
                        tu = TimeUnit.HOURS;
                        break;
                    default:
                        tu = TimeUnit.DAYS;
                        break;
                }
                ns = tu.toNanos(n); // saturates at Long.MAX_VALUE, which is above every maximum
            }
            if (ns < minNs || ns > maxNs) {
                invalid(property, v, key(property).allowed());
                return -1;
            }
            return ns;
        }

        long size(final String property, final long min, final long max) {
            final String v = value(property);
            final Matcher m = SIZE.matcher(v);
            long bytes = -1;
            if (m.matches()) {
                final long n = Long.parseLong(m.group(1));
                final int shift = m.group(2) == null ? 0 : 10 * (1 + "kmgt".indexOf(Character.toLowerCase(m.group(2).charAt(0))));
                bytes = n > (Long.MAX_VALUE >> shift) ? Long.MAX_VALUE : n << shift;
            }
            if (bytes < min || bytes > max) {
                invalid(property, v, key(property).allowed());
                return -1;
            }
            return bytes;
        }
    }

    private static String originOf(final Key k, final Source s, final Path file, final boolean forMessage) {
        if (s == Source.FILE) {
            return "file:" + file;
        }
        if (s == Source.ENVIRONMENT && forMessage) {
            return s.text() + " " + k.environment();
        }
        return s.text();
    }

    private static List<String> split(final String v) {
        final List<String> parts = new ArrayList<>();
        for (final String s : v.split(",")) {
            if (!s.isBlank()) {
                parts.add(s.trim());
            }
        }
        return parts;
    }

    private static int parseInt(final String s) {
        if (s.isEmpty() || s.length() > 9) {
            return -1;
        }
        for (int i = 0; i < s.length(); i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return -1;
            }
        }
        return Integer.parseInt(s);
    }

    /**
     * Parses a dotted-quad IPv4 address without any name lookup. Leading zeros are refused
     * (is {@code 010} octal or decimal? inet_aton(3) and Java disagree).
     *
     * @param s text.
     * @return the address, or {@code null} if {@code s} is not a dotted quad.
     */
    static Inet4Address parseIpv4(final String s) {
        final String[] parts = s.split("\\.", -1);
        if (parts.length != 4) {
            return null;
        }
        final byte[] b = new byte[4];
        for (int i = 0; i < 4; i++) {
            final String part = parts[i];
            if (part.length() > 3 || (part.length() > 1 && part.charAt(0) == '0')) {
                return null;
            }
            final int n = parseInt(part);
            if (n < 0 || n > 255) {
                return null;
            }
            b[i] = (byte)n;
        }
        try {
            return (Inet4Address)InetAddress.getByAddress(b);
        } catch (final UnknownHostException e) {
            return null;
        }
    }

    // ---------------------------------------------------------------- builders

    /**
     * The replication transport's settings for this node, concluded: node id,
     * {@link #selfAddress()}, the {@link #primaryNodeId() initial primary}'s address, group and
     * data port from {@link #REPLICATION_CHANNEL_PROP}, control port = data port + 1, Aeron
     * directory, heartbeat interval, {@link #failureTimeoutNs() failure timeout} as the member
     * timeout, secret (UTF-8 bytes), idle strategy in the transport's names, and as Aeron's
     * {@code interface=} the node's address with {@code /32}: Aeron's
     * {@code InterfaceSearchAddress} takes {@code address[:port][/prefix]} and picks the
     * interface holding an address under that prefix, so {@code /32} selects exactly the
     * interface carrying this node's address, whatever the subnet. The transport's other
     * settings keep their defaults.
     *
     * <p>With {@link #REPLICATION_DESTINATIONS_PROP} {@code unicast} the transport's destinations are
     * {@link ReplicationConfig.Destinations#UNICAST} and its node list is {@link #nodeAddresses()}
     * (node i the i-th, as here): the data stream goes by Aeron multi-destination-cast to each clone
     * (the primary's MDC control endpoint is {@link #primaryNodeId() the primary}'s address on data
     * port + {@value ReplicationConfig#MDC_CONTROL_PORT_OFFSET}), heartbeats to every other node's
     * control port; nothing is sent to the group.
     *
     * @return a new, concluded {@link ReplicationConfig}.
     * @throws ConfigurationException naming the agent's key when the transport refuses a value.
     */
    public ReplicationConfig replicationConfig() {
        return replicationConfig(primaryNodeId);
    }

    /**
     * The same as {@link #replicationConfig()} with node {@code primary} as the primary: what this
     * node replicates with once an election made {@code primary} the primary of a new epoch (this
     * node itself, or the winner it follows).
     *
     * @param primary a node id of {@link #NODES_PROP}
     * @return a new, concluded {@link ReplicationConfig}.
     */
    public ReplicationConfig replicationConfig(final int primary) {
        final String self = selfAddress().getHostAddress();
        final List<String> nodes = new ArrayList<>(nodeAddresses.size());
        for (final Inet4Address a : nodeAddresses) {
            nodes.add(a.getHostAddress());
        }
        final ReplicationConfig rc = new ReplicationConfig()
            .nodeId(nodeId)
            .address(self)
            .primaryAddress(nodeAddress(primary).getHostAddress())
            .primaryNodeId(primary)
            .interfaceCidr(self + "/32")
            .group(replicationGroup.getHostAddress())
            .dataPort(replicationPort)
            .controlPort(replicationPort + 1)
            .aeronDir(aeronDir.toString())
            .heartbeatInterval(heartbeatIntervalNs, TimeUnit.NANOSECONDS)
            .memberTimeout(failureTimeoutNs, TimeUnit.NANOSECONDS)
            .idle(idleStrategy.transportName())
            .secret(secret == null ? null : secret.getBytes(StandardCharsets.UTF_8))
            .destinations(replicationDestinations == ReplicationDestinations.UNICAST
                ? ReplicationConfig.Destinations.UNICAST : ReplicationConfig.Destinations.MULTICAST)
            .nodes(nodes);
        try {
            return rc.conclude();
        } catch (final IllegalArgumentException e) {
            throw new ConfigurationException(List.of(transportProblem(e)));
        }
    }

    /** The agent key each transport setting is built from. */
    private static final Map<String, String> TRANSPORT_KEYS = Map.ofEntries(
        Map.entry(ReplicationConfig.NODE_ID_PROP, NODE_ID_PROP),
        Map.entry(ReplicationConfig.ADDRESS_PROP, NODES_PROP),
        Map.entry(ReplicationConfig.INTERFACE_PROP, NODES_PROP),
        Map.entry(ReplicationConfig.PRIMARY_ADDRESS_PROP, PRIMARY_PROP),
        Map.entry(ReplicationConfig.NODES_PROP, NODES_PROP),
        Map.entry(ReplicationConfig.DESTINATIONS_PROP, REPLICATION_DESTINATIONS_PROP),
        Map.entry(ReplicationConfig.GROUP_PROP, REPLICATION_CHANNEL_PROP),
        Map.entry(ReplicationConfig.DATA_PORT_PROP, REPLICATION_CHANNEL_PROP),
        Map.entry(ReplicationConfig.CONTROL_PORT_PROP, REPLICATION_CHANNEL_PROP),
        Map.entry(ReplicationConfig.IDLE_PROP, IDLE_STRATEGY_PROP),
        Map.entry(ReplicationConfig.AERON_DIR_PROP, AERON_DIR_PROP),
        Map.entry(ReplicationConfig.HEARTBEAT_INTERVAL_MS_PROP, HEARTBEAT_INTERVAL_PROP),
        Map.entry(ReplicationConfig.MEMBER_TIMEOUT_MS_PROP, FAILURE_TIMEOUT_PROP));

    /**
     * Turns the transport's refusal ({@code invalid understudy.transport.X: value=..., expected ...})
     * into a problem naming the agent key the setting was built from.
     *
     * @param e what {@link ReplicationConfig#conclude()} threw.
     * @return the problem.
     */
    String transportProblem(final IllegalArgumentException e) {
        final String message = String.valueOf(e.getMessage());
        String property = null;
        for (final Map.Entry<String, String> entry : TRANSPORT_KEYS.entrySet()) {
            if (message.startsWith("invalid " + entry.getKey() + ":")) {
                property = entry.getValue();
            }
        }
        if (property == null) {
            return "invalid replication settings built from this configuration, refused by the transport: " + message;
        }
        return problem(property, displayValue(property), originForMessage(property), "a value the transport accepts (" + message + ")");
    }

    /**
     * The capture's NFQUEUE settings for this node: queue {@value #NFQUEUE_BASE} + node id
     * (so nodes sharing one network namespace never share a queue), every other setting at
     * {@link NfQueueConfig}'s defaults.
     *
     * @return a new {@link NfQueueConfig}.
     * @throws ConfigurationException naming {@link #NODE_ID_PROP} if the queue number is refused.
     */
    public NfQueueConfig nfQueueConfig() {
        try {
            return NfQueueConfig.forQueue(nfQueueNumber());
        } catch (final IllegalArgumentException e) {
            throw new ConfigurationException(List.of(problem(NODE_ID_PROP, displayValue(NODE_ID_PROP), originForMessage(NODE_ID_PROP),
                "a node id whose NFQUEUE number " + NFQUEUE_BASE + "+id the capture accepts (" + e.getMessage() + ")")));
        }
    }

    /**
     * @return the NFQUEUE number of this node's capture, {@value #NFQUEUE_BASE} + node id.
     */
    public int nfQueueNumber() {
        return NFQUEUE_BASE + nodeId;
    }

    /**
     * The node's journal settings: {@link #journalDirectory()}, hourly cycle files
     * ({@link JournalConfig#ROLL_CYCLE_DEFAULT}), kept for {@link #JOURNAL_RETENTION_PROP} (rounded up to
     * whole hours, at least one) and deleted oldest first beyond {@code journal.retention.size}.
     *
     * @return a new, validated {@link JournalConfig}.
     */
    public JournalConfig journalConfig() {
        final long hour = TimeUnit.HOURS.toNanos(1);
        final long cycles = Math.max(1, (journalRetentionNs + hour - 1) / hour);
        return JournalConfig.builder(journalDirectory())
            .retainCycles((int) Math.min(Integer.MAX_VALUE, cycles))
            .retainBytes(journalRetentionBytes)
            .build();
    }

    /**
     * @return the journal directory, {@code {node.id}} resolved; not created.
     */
    public Path journalDirectory() {
        return journalDir;
    }

    // ---------------------------------------------------------------- accessors

    /**
     * @return the role of this JVM.
     */
    public Role role() {
        return role;
    }

    /**
     * @return this node's id, 1..{@value #MAX_NODE_ID}, at most {@link #nodeCount()}.
     */
    public int nodeId() {
        return nodeId;
    }

    /**
     * @return the number of nodes, 1..{@value #MAX_NODE_ID}.
     */
    public int nodeCount() {
        return nodeCount;
    }

    /**
     * @return every node's address, node i at index i-1: the listed ones, or the lab's
     *         {@value #LAB_NODE_NETWORK}(10+i) when {@link #NODES_PROP} is a count.
     */
    public List<Inet4Address> nodeAddresses() {
        return nodeAddresses;
    }

    /**
     * @param id a node id.
     * @return that node's address.
     * @throws IllegalArgumentException if {@code id} is not 1..{@link #nodeCount()}.
     */
    public Inet4Address nodeAddress(final int id) {
        if (id < 1 || id > nodeCount) {
            throw new IllegalArgumentException("invalid node id: value=" + id + ", expected 1.." + nodeCount);
        }
        return nodeAddresses.get(id - 1);
    }

    /**
     * @return this node's address, {@code nodeAddress(nodeId())}.
     */
    public Inet4Address selfAddress() {
        return nodeAddress(nodeId);
    }

    /**
     * @return the node id of the cluster's initial primary, 1..{@link #nodeCount()}.
     */
    public int primaryNodeId() {
        return primaryNodeId;
    }

    /**
     * @return the service's virtual IP address.
     */
    public Inet4Address vip() {
        return vip;
    }

    /**
     * @return a copy of the service ports, in the order given; empty if none.
     */
    public int[] servicePorts() {
        return ports.clone();
    }

    /**
     * @return the network interface name.
     */
    public String interfaceName() {
        return interfaceName;
    }

    /**
     * @return the replication multicast group, in 239.255.0.0/16.
     */
    public Inet4Address replicationGroup() {
        return replicationGroup;
    }

    /**
     * @return the replication UDP data port, 1..65534; the control port is one above.
     */
    public int replicationPort() {
        return replicationPort;
    }

    /**
     * @return where the primary sends the replication stream.
     */
    public ReplicationDestinations replicationDestinations() {
        return replicationDestinations;
    }

    /**
     * @return k, the clones that must hold a record before its bytes are released to the
     *         primary's kernel, 0..{@code nodeCount() - 1}; 0 = do not wait.
     */
    public int ackQuorum() {
        return ackQuorum;
    }

    /**
     * @return what the primary does with fewer than {@link #ackQuorum()} clones alive.
     */
    public DegradedMode degradedMode() {
        return degradedMode;
    }

    /** @return whether the primary's output waits for durability. */
    public OutputCommit outputCommit() {
        return outputCommit;
    }

    /**
     * The output commit's NFQUEUE settings for this node: queue {@value #OUTPUT_NFQUEUE_BASE} + node
     * id, the rest at {@link NfQueueConfig}'s defaults; null with output commit off.
     */
    public NfQueueConfig outputQueueConfig() {
        return outputCommit == OutputCommit.OFF ? null : NfQueueConfig.forQueue(OUTPUT_NFQUEUE_BASE + nodeId);
    }

    /** @return whether clones take over when their primary is lost. */
    public Failover failover() {
        return failover;
    }

    /**
     * @return the Aeron directory, {@code {node.id}} resolved.
     */
    public Path aeronDir() {
        return aeronDir;
    }

    /**
     * @return the journal directory, {@code {node.id}} resolved.
     * @deprecated one name for one thing: use {@link #journalDirectory()}; kept while callers move.
     */
    @Deprecated
    public Path journalDir() {
        return journalDir;
    }

    /**
     * @return how long journal files are kept, in nanoseconds, 1 minute..30 days.
     */
    public long journalRetentionNs() {
        return journalRetentionNs;
    }

    /**
     * @return the most bytes the journal may hold, 64 MiB..1 TiB.
     */
    public long journalRetentionBytes() {
        return journalRetentionBytes;
    }

    /**
     * @return whether a shared secret is configured.
     */
    public boolean hasSecret() {
        return secret != null;
    }

    /**
     * The shared secret. Never log or print it.
     *
     * @return the secret, or {@code null} if none is configured.
     */
    public String secret() {
        return secret;
    }

    /**
     * @return the apply policy of a clone.
     */
    public ApplyPolicy applyPolicy() {
        return applyPolicy;
    }

    /**
     * @return the determinism mode.
     */
    public Determinism determinism() {
        return determinism;
    }

    /**
     * @return the checkpoint interval in nanoseconds.
     */
    public long checkpointIntervalNs() {
        return checkpointIntervalNs;
    }

    /**
     * @return the heartbeat interval in nanoseconds.
     */
    public long heartbeatIntervalNs() {
        return heartbeatIntervalNs;
    }

    /**
     * @return the failure timeout in nanoseconds, at least twice the heartbeat interval.
     */
    public long failureTimeoutNs() {
        return failureTimeoutNs;
    }

    /** @return the takeover command line ({@link #TAKEOVER_COMMAND_PROP}), empty for none. */
    public String takeoverCommand() {
        return takeoverCommand;
    }

    /**
     * @return the idle strategy of agent threads.
     */
    public IdleStrategy idleStrategy() {
        return idleStrategy;
    }

    /**
     * @return the agent's log level.
     */
    public LogLevel logLevel() {
        return logLevel;
    }

    /**
     * @return the configuration file that was read (absolute), or {@code null} if none.
     */
    public Path configFile() {
        return configFile;
    }

    /**
     * @param property a {@code *_PROP} constant.
     * @return where its value came from.
     */
    public Source source(final String property) {
        return sources.get(keyOf(property));
    }

    /**
     * @param property a {@code *_PROP} constant.
     * @return where its value came from, as printed: {@code argument}, {@code property},
     *         {@code environment}, {@code file:/path} or {@code default}.
     */
    public String origin(final String property) {
        final Key k = keyOf(property);
        return originOf(k, sources.get(k), configFile, false);
    }

    private String originForMessage(final String property) {
        final Key k = keyOf(property);
        return originOf(k, sources.get(k), configFile, true);
    }

    /**
     * @param property a {@code *_PROP} constant.
     * @return its value as printed: normalised, secret masked as {@value #MASK}.
     */
    public String displayValue(final String property) {
        return display.get(keyOf(property));
    }

    /**
     * @return warnings found while resolving (unknown {@code UNDERSTUDY_*} variables).
     */
    public List<String> warnings() {
        return warnings;
    }

    /**
     * The resolved configuration as printed at start-up: one line per key with its value and
     * origin, the secret masked.
     *
     * @return lines, each ending with a newline.
     */
    public String render() {
        int width = 0;
        int valueWidth = 0;
        for (final Key k : KEYS) {
            width = Math.max(width, k.property().length());
            valueWidth = Math.max(valueWidth, display.get(k).length());
        }
        final StringBuilder sb = new StringBuilder();
        for (final Key k : KEYS) {
            final String v = display.get(k);
            sb.append("  ").append(k.property()).append(" ".repeat(width - k.property().length()))
                .append(" = ").append(v).append(" ".repeat(valueWidth - v.length()))
                .append("  (").append(origin(k.property())).append(")\n");
        }
        for (final String w : warnings) {
            sb.append("  warning: ").append(w).append('\n');
        }
        return sb.toString();
    }

    /**
     * @return {@code key=value} pairs, the secret masked.
     */
    @Override
    public String toString() {
        final StringBuilder sb = new StringBuilder("Configuration{");
        for (final Key k : KEYS) {
            if (sb.charAt(sb.length() - 1) != '{') {
                sb.append(", ");
            }
            sb.append(k.argument()).append('=').append(display.get(k));
        }
        return sb.append('}').toString();
    }
}
