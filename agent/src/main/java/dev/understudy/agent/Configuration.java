package dev.understudy.agent;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The agent's configuration: one immutable object, resolved and validated once at start-up.
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
 *   <li>the default.</li>
 * </ol>
 * The most specific source wins: the agent argument belongs to this one JVM's command line,
 * the environment may be shared by every process a script starts.
 *
 * <p>Agent argument syntax: {@code key=value} pairs separated by commas. For list keys
 * ({@link #NODES_PROP}, {@link #PORTS_PROP}) an element without {@code =} continues the
 * previous value: {@code ports=8080,8081,role=clone}. An element without {@code =} after a
 * non-list key, an unknown key or a repeated key is an error. Unknown {@code understudy.*}
 * system properties are errors too (they are typos); unknown {@code UNDERSTUDY_*}
 * environment variables are reported as warnings only, since environments are shared.
 *
 * <h2>Validation</h2>
 * {@link #resolve} checks every key, then the relations between keys, and throws one
 * {@link ConfigurationException} listing every problem, each naming the key, the value and
 * what is allowed. The {@link #SECRET_PROP secret} is never printed: it shows as {@code ***}
 * in {@link #toString()}, {@link #render()} and error messages.
 *
 * <p>Thread-safety: immutable; safe to share.
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

    /** Role of this JVM: {@code primary}, {@code clone} or {@code standalone}. */
    public static final String ROLE_PROP = "understudy.role";
    /** Default role: standalone (nothing replicated). */
    public static final String ROLE_DEFAULT = "standalone";

    /** This node's id, 1..255. */
    public static final String NODE_ID_PROP = "understudy.node.id";
    /** Default node id. */
    public static final String NODE_ID_DEFAULT = "1";

    /** The lab's nodes: a count N (nodes 1..N) or the list of their IPv4 addresses. */
    public static final String NODES_PROP = "understudy.nodes";
    /** Default: three nodes, as in the lab (node1..node3). */
    public static final String NODES_DEFAULT = "3";

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

    /** Aeron multicast group:port of the replication stream. */
    public static final String REPLICATION_CHANNEL_PROP = "understudy.replication.channel";
    /** Default replication channel, in the administratively scoped 239.255.0.0/16 (RFC 2365). */
    public static final String REPLICATION_CHANNEL_DEFAULT = "239.255.0.1:40456";

    /** Aeron media driver directory. */
    public static final String AERON_DIR_PROP = "understudy.aeron.dir";
    /** Default Aeron directory: in tmpfs, one per node. */
    public static final String AERON_DIR_DEFAULT = "/dev/shm/understudy-" + NODE_ID_PLACEHOLDER + "/aeron";

    /** Chronicle Queue journal directory. */
    public static final String JOURNAL_DIR_PROP = "understudy.journal.dir";
    /** Default journal directory: on disk (survives a reboot), one per node. */
    public static final String JOURNAL_DIR_DEFAULT = "/var/tmp/understudy-" + NODE_ID_PLACEHOLDER + "/journal";

    /** Shared secret authenticating the nodes to each other; optional, never printed. */
    public static final String SECRET_PROP = "understudy.secret";
    /** Default: no secret. */
    public static final String SECRET_DEFAULT = "";

    /** How a clone applies the input: {@code continuous} or {@code periodic}. */
    public static final String APPLY_POLICY_PROP = "understudy.apply.policy";
    /** Default apply policy: continuous (lowest switchover time). */
    public static final String APPLY_POLICY_DEFAULT = "continuous";

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

    /** Idle strategy of the agent's threads. */
    public static final String IDLE_STRATEGY_PROP = "understudy.idle.strategy";
    /** Default idle strategy: spin, then yield, then park (Aeron's BackoffIdleStrategy). */
    public static final String IDLE_STRATEGY_DEFAULT = "backoff";

    /** Level of the agent's own log lines on stderr. */
    public static final String LOG_LEVEL_PROP = "understudy.log.level";
    /** Default log level. */
    public static final String LOG_LEVEL_DEFAULT = "info";

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

    /** Idle strategy of agent threads; named after Aeron's. */
    public enum IdleStrategy {
        /** Busy spin: lowest latency, burns a core. */
        SPIN,
        /** {@code Thread.yield()}. */
        YIELD,
        /** Sleep: least CPU, milliseconds of latency (JVM.md). */
        SLEEP,
        /** Spin, then yield, then park with growing pauses. */
        BACKOFF
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
        AGENT_ARGUMENT("agent argument"),
        /** {@code -Dunderstudy.key=value}. */
        SYSTEM_PROPERTY("system property"),
        /** {@code UNDERSTUDY_KEY=value}. */
        ENVIRONMENT("environment"),
        /** The key's default. */
        DEFAULT("default");

        private final String text;

        Source(final String text) {
            this.text = text;
        }

        /**
         * @return how the source is named in messages.
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
     * @param meaning      one sentence.
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

    private static final String DURATION_SYNTAX = "a number with unit ns, us, ms, s, m or h (bare number: ms)";

    /** Every key, in the order of the table and the start-up block. */
    public static final List<Key> KEYS = List.of(
        new Key(ROLE_PROP, ROLE_DEFAULT, "one of primary, clone, standalone",
            "Role of this JVM: primary serves and records, clone follows and may take over, standalone only observes.",
            false, false),
        new Key(NODE_ID_PROP, NODE_ID_DEFAULT, "integer 1..255, at most the number of nodes",
            "This node's id; election ties go to the lowest id.", false, false),
        new Key(NODES_PROP, NODES_DEFAULT, "node count 1..255, or comma-separated distinct IPv4 addresses (node i is the i-th)",
            "The nodes of the cluster.", true, false),
        new Key(VIP_PROP, VIP_DEFAULT, "IPv4 address",
            "Virtual IP address of the service, taken over at switchover.", false, false),
        new Key(PORTS_PROP, PORTS_DEFAULT, "comma-separated distinct TCP ports 1..65535; at least one for primary and clone",
            "Service ports whose connections are replicated.", true, false),
        new Key(INTERFACE_PROP, INTERFACE_DEFAULT, "interface name, 1..15 characters of A-Z a-z 0-9 . _ -",
            "Network interface carrying the VIP and the service traffic.", false, false),
        new Key(REPLICATION_CHANNEL_PROP, REPLICATION_CHANNEL_DEFAULT, "multicast group:port, group in 239.255.0.0/16, port 1..65535",
            "Aeron multicast group and port of the replication stream.", false, false),
        new Key(AERON_DIR_PROP, AERON_DIR_DEFAULT, "absolute path; {node.id} is replaced by the node id",
            "Directory of the embedded Aeron media driver.", false, false),
        new Key(JOURNAL_DIR_PROP, JOURNAL_DIR_DEFAULT, "absolute path; {node.id} is replaced by the node id",
            "Directory of the Chronicle Queue journal.", false, false),
        new Key(SECRET_PROP, SECRET_DEFAULT, "empty (none), or 16..256 characters without whitespace or comma",
            "Shared secret authenticating the nodes to each other; always printed as ***.", false, true),
        new Key(APPLY_POLICY_PROP, APPLY_POLICY_DEFAULT, "one of continuous, periodic",
            "When a clone feeds recorded input to its application: as it arrives, or at checkpoints.", false, false),
        new Key(CHECKPOINT_INTERVAL_PROP, CHECKPOINT_INTERVAL_DEFAULT, "duration 1ms..1h, " + DURATION_SYNTAX,
            "Period of the time-triggered checkpoint (periodic apply policy).", false, false),
        new Key(HEARTBEAT_INTERVAL_PROP, HEARTBEAT_INTERVAL_DEFAULT, "duration 1ms..10s, " + DURATION_SYNTAX,
            "Interval between heartbeats of every node.", false, false),
        new Key(FAILURE_TIMEOUT_PROP, FAILURE_TIMEOUT_DEFAULT, "duration 10ms..60s, at least twice the heartbeat interval",
            "Time without heartbeats after which the primary is suspected.", false, false),
        new Key(IDLE_STRATEGY_PROP, IDLE_STRATEGY_DEFAULT, "one of spin, yield, sleep, backoff",
            "Idle strategy of the agent's threads (latency against CPU).", false, false),
        new Key(LOG_LEVEL_PROP, LOG_LEVEL_DEFAULT, "one of error, warn, info, debug, trace",
            "Level of the agent's own lines on stderr.", false, false));

    private static final Map<String, Key> BY_PROPERTY;

    static {
        final Map<String, Key> m = new LinkedHashMap<>();
        for (final Key k : KEYS) {
            m.put(k.property(), k);
        }
        BY_PROPERTY = Collections.unmodifiableMap(m);
    }

    private static final Pattern DURATION = Pattern.compile("(\\d{1,12})(ns|us|ms|s|m|h)?");
    private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9._-]{1,15}");

    private final Role role;
    private final int nodeId;
    private final int nodeCount;
    private final List<Inet4Address> nodeAddresses;
    private final Inet4Address vip;
    private final int[] ports;
    private final String interfaceName;
    private final Inet4Address replicationGroup;
    private final int replicationPort;
    private final Path aeronDir;
    private final Path journalDir;
    private final String secret;
    private final ApplyPolicy applyPolicy;
    private final long checkpointIntervalNs;
    private final long heartbeatIntervalNs;
    private final long failureTimeoutNs;
    private final IdleStrategy idleStrategy;
    private final LogLevel logLevel;

    private final Map<Key, Source> sources;
    private final Map<Key, String> display;
    private final List<String> warnings;

    /**
     * Resolves and validates the configuration of this JVM from its agent argument, its
     * system properties and its environment.
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
     * Resolves and validates a configuration from explicit sources (tests, tools).
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
            if (value == null) {
                value = k.defaultValue();
                source = Source.DEFAULT;
            }
            raw.put(k, value.trim());
            sources.put(k, source);
        }
        final Configuration c = new Configuration(raw, sources, problems, warnings);
        if (!problems.isEmpty()) {
            throw new ConfigurationException(problems);
        }
        return c;
    }

    private Configuration(
        final Map<Key, String> raw, final Map<Key, Source> sources, final List<String> problems, final List<String> warnings) {
        final Parser p = new Parser(raw, sources, problems);
        role = p.enumValue(ROLE_PROP, Role.class, Role.STANDALONE);
        final int parsedNodeId = p.intRange(NODE_ID_PROP, 1, 255, -1);
        final Nodes nodes = p.nodes();
        nodeCount = nodes.count;
        nodeAddresses = nodes.addresses;
        if (parsedNodeId > 0 && nodeCount > 0 && parsedNodeId > nodeCount) {
            p.invalid(NODE_ID_PROP, raw.get(key(NODE_ID_PROP)),
                "integer 1.." + nodeCount + " (" + NODES_PROP + " has " + nodeCount + " node" + (nodeCount == 1 ? "" : "s") + ")");
        }
        nodeId = parsedNodeId;
        vip = p.ipv4(VIP_PROP);
        ports = p.ports();
        if (ports != null && ports.length == 0 && (role == Role.PRIMARY || role == Role.CLONE)) {
            p.invalid(PORTS_PROP, "(none)", "at least one TCP port 1..65535 for role " + role.name().toLowerCase(Locale.ROOT));
        }
        interfaceName = p.interfaceName();
        final Channel channel = p.channel();
        replicationGroup = channel.group;
        replicationPort = channel.port;
        aeronDir = p.dir(AERON_DIR_PROP, nodeId);
        journalDir = p.dir(JOURNAL_DIR_PROP, nodeId);
        secret = p.secret();
        applyPolicy = p.enumValue(APPLY_POLICY_PROP, ApplyPolicy.class, ApplyPolicy.CONTINUOUS);
        checkpointIntervalNs = p.duration(CHECKPOINT_INTERVAL_PROP, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.HOURS.toNanos(1));
        heartbeatIntervalNs = p.duration(HEARTBEAT_INTERVAL_PROP, TimeUnit.MILLISECONDS.toNanos(1), TimeUnit.SECONDS.toNanos(10));
        final long timeout = p.duration(FAILURE_TIMEOUT_PROP, TimeUnit.MILLISECONDS.toNanos(10), TimeUnit.SECONDS.toNanos(60));
        if (timeout > 0 && heartbeatIntervalNs > 0 && timeout < 2 * heartbeatIntervalNs) {
            p.invalid(FAILURE_TIMEOUT_PROP, raw.get(key(FAILURE_TIMEOUT_PROP)),
                "at least twice " + HEARTBEAT_INTERVAL_PROP + " (" + formatDuration(2 * heartbeatIntervalNs) + ")");
        }
        failureTimeoutNs = timeout;
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

    private String normalized(final Key k, final String raw) {
        switch (k.property()) {
            case AERON_DIR_PROP:
                return aeronDir == null ? raw : aeronDir.toString();
            case JOURNAL_DIR_PROP:
                return journalDir == null ? raw : journalDir.toString();
            case PORTS_PROP:
                return ports == null || ports.length == 0 ? "(none)" : joinPorts(ports);
            case CHECKPOINT_INTERVAL_PROP:
                return formatDuration(checkpointIntervalNs);
            case HEARTBEAT_INTERVAL_PROP:
                return formatDuration(heartbeatIntervalNs);
            case FAILURE_TIMEOUT_PROP:
                return formatDuration(failureTimeoutNs);
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
     * @return e.g. {@code "100ms"}, {@code "1s"}, {@code "250us"}.
     */
    public static String formatDuration(final long nanos) {
        if (nanos % 60_000_000_000L == 0 && nanos >= 60_000_000_000L) {
            return nanos / 60_000_000_000L + "m";
        }
        if (nanos % 1_000_000_000L == 0 && nanos > 0) {
            return nanos / 1_000_000_000L + "s";
        }
        if (nanos % 1_000_000L == 0 && nanos > 0) {
            return nanos / 1_000_000L + "ms";
        }
        if (nanos % 1_000L == 0 && nanos > 0) {
            return nanos / 1_000L + "us";
        }
        return nanos + "ns";
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

    /** A parsed node list: either a count or addresses. */
    private static final class Nodes {
        final int count;
        final List<Inet4Address> addresses;

        Nodes(final int count, final List<Inet4Address> addresses) {
            this.count = count;
            this.addresses = addresses;
        }
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
        private final List<String> problems;

        Parser(final Map<Key, String> raw, final Map<Key, Source> sources, final List<String> problems) {
            this.raw = raw;
            this.sources = sources;
            this.problems = problems;
        }

        void invalid(final String property, final String value, final String expected) {
            final Key k = key(property);
            final String shown = k.secret() ? MASK + " (" + value.length() + " characters)" : value;
            problems.add("invalid " + property + ": value=" + shown + ", expected " + expected
                + " (from " + sources.get(k).text() + (sources.get(k) == Source.ENVIRONMENT ? " " + k.environment() : "") + ")");
        }

        private String value(final String property) {
            return raw.get(key(property));
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

        Nodes nodes() {
            final String v = value(NODES_PROP);
            final List<String> parts = split(v);
            if (parts.size() == 1 && parts.get(0).chars().allMatch(ch -> ch >= '0' && ch <= '9')) {
                final int n = parseInt(parts.get(0));
                if (n >= 1 && n <= 255) {
                    return new Nodes(n, List.of());
                }
                invalid(NODES_PROP, v, key(NODES_PROP).allowed());
                return new Nodes(-1, List.of());
            }
            final Set<Inet4Address> addresses = new LinkedHashSet<>();
            boolean ok = !parts.isEmpty() && parts.size() <= 255;
            for (final String part : parts) {
                final Inet4Address a = parseIpv4(part);
                ok &= a != null && addresses.add(a);
            }
            if (!ok) {
                invalid(NODES_PROP, v, key(NODES_PROP).allowed());
                return new Nodes(-1, List.of());
            }
            return new Nodes(addresses.size(), List.copyOf(addresses));
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
            if (b == null || (b[0] & 0xff) != 239 || (b[1] & 0xff) != 255 || port < 1 || port > 65535) {
                invalid(REPLICATION_CHANNEL_PROP, v, key(REPLICATION_CHANNEL_PROP).allowed());
                return new Channel(null, -1);
            }
            return new Channel(group, port);
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
                    default:
                        tu = TimeUnit.HOURS;
                        break;
                }
                ns = tu.toNanos(n);
            }
            if (ns < minNs || ns > maxNs) {
                invalid(property, v, key(property).allowed());
                return -1;
            }
            return ns;
        }
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

    /**
     * @return the role of this JVM.
     */
    public Role role() {
        return role;
    }

    /**
     * @return this node's id, 1..255.
     */
    public int nodeId() {
        return nodeId;
    }

    /**
     * @return the number of nodes, 1..255.
     */
    public int nodeCount() {
        return nodeCount;
    }

    /**
     * @return the nodes' addresses, node i at index i-1; empty if {@link #NODES_PROP} was a count.
     */
    public List<Inet4Address> nodeAddresses() {
        return nodeAddresses;
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
     * @return the replication UDP port.
     */
    public int replicationPort() {
        return replicationPort;
    }

    /**
     * @return the Aeron directory, {@code {node.id}} resolved.
     */
    public Path aeronDir() {
        return aeronDir;
    }

    /**
     * @return the journal directory, {@code {node.id}} resolved.
     */
    public Path journalDir() {
        return journalDir;
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
     * @param property a {@code *_PROP} constant.
     * @return where its value came from.
     */
    public Source source(final String property) {
        return sources.get(keyOf(property));
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
     * source, the secret masked.
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
                .append("  (").append(sources.get(k).text()).append(")\n");
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
