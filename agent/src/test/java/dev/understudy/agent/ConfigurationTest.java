package dev.understudy.agent;

import static dev.understudy.agent.Configuration.*;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.net.Inet4Address;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import dev.understudy.netfilter.nfqueue.NfQueueConfig;
import dev.understudy.transport.aeron.ReplicationConfig;

class ConfigurationTest {
    private static final String SECRET = "s3cr3t-value-that-is-long";

    @TempDir
    Path tmp;

    private static Configuration resolve(final String args) {
        return Configuration.resolve(args, Map.of(), Map.of());
    }

    private static ConfigurationException invalid(final String args) {
        return assertThrows(ConfigurationException.class, () -> resolve(args));
    }

    private Path file(final String name, final String text) throws Exception {
        final Path f = tmp.resolve(name);
        Files.writeString(f, text, StandardCharsets.UTF_8);
        return f;
    }

    private static String ip(final Inet4Address a) {
        return a.getHostAddress();
    }

    @Test
    void shouldUseDefaultsWhenNothingIsSet() {
        final Configuration c = resolve(null);
        assertEquals(Role.STANDALONE, c.role());
        assertEquals(1, c.nodeId());
        assertEquals(3, c.nodeCount());
        assertEquals(List.of("198.18.0.11", "198.18.0.12", "198.18.0.13"), c.nodeAddresses().stream().map(ConfigurationTest::ip).toList());
        assertEquals(1, c.primaryNodeId());
        assertEquals("198.18.0.100", c.vip().getHostAddress());
        assertEquals(0, c.servicePorts().length);
        assertEquals("eth0", c.interfaceName());
        assertEquals("239.255.0.1", c.replicationGroup().getHostAddress());
        assertEquals(40456, c.replicationPort());
        assertEquals(ReplicationDestinations.MULTICAST, c.replicationDestinations());
        assertEquals(1, c.ackQuorum());
        assertEquals(DegradedMode.SERVE, c.degradedMode());
        assertEquals(Path.of("/dev/shm/understudy-1/aeron"), c.aeronDir());
        assertEquals(Path.of("/var/tmp/understudy-1/journal"), c.journalDirectory());
        assertEquals(TimeUnit.HOURS.toNanos(24), c.journalRetentionNs());
        assertEquals(8L << 30, c.journalRetentionBytes());
        assertFalse(c.hasSecret());
        assertNull(c.secret());
        assertEquals(ApplyPolicy.CONTINUOUS, c.applyPolicy());
        assertEquals(TimeUnit.SECONDS.toNanos(1), c.checkpointIntervalNs());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), c.heartbeatIntervalNs());
        assertEquals(TimeUnit.SECONDS.toNanos(1), c.failureTimeoutNs());
        assertEquals(IdleStrategy.BACKOFF, c.idleStrategy());
        assertEquals(LogLevel.INFO, c.logLevel());
        assertNull(c.configFile());
        for (final Key k : KEYS) {
            assertEquals(Source.DEFAULT, c.source(k.property()), k.property());
            assertEquals("default", c.origin(k.property()), k.property());
        }
    }

    @Test
    void shouldParseEveryKeyFromAgentArgument() throws Exception {
        final Path f = file("empty.properties", "# nothing\n");
        final Configuration c = resolve("role=primary,node.id=2,nodes=198.18.0.1,198.18.0.2,primary=2,vip=10.0.0.9,"
            + "ports=8080,8081,interface=veth-n1.0,replication.channel=239.255.7.8:50000,replication.destinations=,"
            + "ack.quorum=0,degraded=hold,failover=off,output.commit=off,aeron.dir=/tmp/a-{node.id},"
            + "journal.dir=/tmp/j/{node.id}/q,journal.retention=90m,journal.retention.size=1536m,secret=" + SECRET
            + ",apply.policy=periodic,determinism=input-order,checkpoint.interval=250ms,"
            + "heartbeat.interval=20ms,failure.timeout=2s,takeover.command=/usr/local/bin/move-vip \"$1\",idle.strategy=spin,"
            + "log.level=debug,config=" + f);
        assertEquals(Role.PRIMARY, c.role());
        assertEquals(2, c.nodeId());
        assertEquals(2, c.nodeCount());
        assertEquals("198.18.0.2", c.nodeAddresses().get(1).getHostAddress());
        assertEquals(2, c.primaryNodeId());
        assertEquals("10.0.0.9", c.vip().getHostAddress());
        assertArrayEquals(new int[] {8080, 8081}, c.servicePorts());
        assertEquals("veth-n1.0", c.interfaceName());
        assertEquals("239.255.7.8", c.replicationGroup().getHostAddress());
        assertEquals(50000, c.replicationPort());
        assertEquals(ReplicationDestinations.MULTICAST, c.replicationDestinations());
        assertEquals(0, c.ackQuorum());
        assertEquals(DegradedMode.HOLD, c.degradedMode());
        assertEquals(dev.understudy.agent.Configuration.Failover.OFF, c.failover());
        assertEquals(dev.understudy.agent.Configuration.OutputCommit.OFF, c.outputCommit());
        assertEquals(Path.of("/tmp/a-2"), c.aeronDir());
        assertEquals(Path.of("/tmp/j/2/q"), c.journalDirectory());
        assertEquals(TimeUnit.MINUTES.toNanos(90), c.journalRetentionNs());
        assertEquals(1536L << 20, c.journalRetentionBytes());
        assertEquals(SECRET, c.secret());
        assertEquals(ApplyPolicy.PERIODIC, c.applyPolicy());
        assertEquals(dev.understudy.agent.Configuration.Determinism.INPUT_ORDER, c.determinism());
        assertEquals(250_000_000L, c.checkpointIntervalNs());
        assertEquals(20_000_000L, c.heartbeatIntervalNs());
        assertEquals(2_000_000_000L, c.failureTimeoutNs());
        assertEquals("/usr/local/bin/move-vip \"$1\"", c.takeoverCommand());
        assertEquals(IdleStrategy.SPIN, c.idleStrategy());
        assertEquals(LogLevel.DEBUG, c.logLevel());
        assertEquals(f, c.configFile());
        for (final Key k : KEYS) {
            assertEquals(Source.AGENT_ARGUMENT, c.source(k.property()), k.property());
            assertEquals("argument", c.origin(k.property()), k.property());
        }
    }

    @Test
    void shouldPreferArgumentThenPropertyThenEnvironmentThenFileThenDefault() throws Exception {
        final Path f = file("u.properties", "understudy.role=primary\nnode.id=3\nvip=10.9.9.9\nports=7000\n"
            + "understudy.interface=br0\nlog.level=warn\n");
        final Map<String, String> props = Map.of(ROLE_PROP, "clone", NODE_ID_PROP, "3", "java.version", "ignored");
        final Map<String, String> env = Map.of("UNDERSTUDY_ROLE", "standalone", "UNDERSTUDY_NODE_ID", "2",
            "UNDERSTUDY_VIP", "10.1.2.3", "UNDERSTUDY_PORTS", "9000", "UNDERSTUDY_CONFIG", f.toString(), "PATH", "/bin");
        final Configuration c = Configuration.resolve("role=primary,log.level=error,primary=3", props, env);
        assertEquals(Role.PRIMARY, c.role());
        assertEquals(Source.AGENT_ARGUMENT, c.source(ROLE_PROP));
        assertEquals(3, c.nodeId());
        assertEquals(Source.SYSTEM_PROPERTY, c.source(NODE_ID_PROP));
        assertEquals("property", c.origin(NODE_ID_PROP));
        assertEquals("10.1.2.3", c.vip().getHostAddress());
        assertEquals(Source.ENVIRONMENT, c.source(VIP_PROP));
        assertEquals("environment", c.origin(VIP_PROP));
        assertArrayEquals(new int[] {9000}, c.servicePorts());
        assertEquals("br0", c.interfaceName());
        assertEquals(Source.FILE, c.source(INTERFACE_PROP));
        assertEquals("file:" + f, c.origin(INTERFACE_PROP));
        assertEquals(LogLevel.ERROR, c.logLevel());
        assertEquals(Source.DEFAULT, c.source(AERON_DIR_PROP));
        assertEquals(Source.ENVIRONMENT, c.source(CONFIG_PROP));
        assertEquals(f, c.configFile());
        assertTrue(c.render().contains("(file:" + f + ")"), c.render());
    }

    @Test
    void shouldNameTheFileFromPropertyOrArgumentAndResolveRelativePaths() throws Exception {
        final Path f = file("p.properties", "role=clone\nports=80\n");
        final Configuration byProperty = Configuration.resolve(null, Map.of(CONFIG_PROP, f.toString()), Map.of());
        assertEquals(Role.CLONE, byProperty.role());
        assertEquals(Source.SYSTEM_PROPERTY, byProperty.source(CONFIG_PROP));

        final Path relative = Path.of("").toAbsolutePath().relativize(f);
        final Configuration byArgument = resolve("config=" + relative);
        assertEquals(f, byArgument.configFile());
        assertEquals(f.toString(), byArgument.displayValue(CONFIG_PROP));
        assertEquals("file:" + f, byArgument.origin(ROLE_PROP));
    }

    @Test
    void shouldNameTheFileAsTheSourceOfABadValue() throws Exception {
        final Path f = file("bad.properties", "vip=300.1.1.1\n");
        assertEquals("invalid understudy.vip: value=300.1.1.1 (from file:" + f + "), expected IPv4 address, not a node's address",
            invalid("config=" + f).getMessage());
    }

    // Mutation check: without the newline test in Parser.takeoverCommand, nothing was thrown; restored.
    @Test
    void shouldRefuseATakeoverCommandOfMoreThanOneLine() {
        ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve("role=clone,ports=80", Map.of(TAKEOVER_COMMAND_PROP, "move-vip\nrm -rf /"), Map.of()));
        assertTrue(e.getMessage().startsWith("invalid understudy.takeover.command: value=move-vip"), e.getMessage());
        assertTrue(e.getMessage().contains("expected empty (none), or a command line for /bin/sh -c"), e.getMessage());
        assertEquals("", resolve("role=clone,ports=80").takeoverCommand(), "none by default");
    }

    @Test
    void shouldRefuseAnUnreadableConfigFileAsABadConfigKey() throws Exception {
        final Path missing = tmp.resolve("missing.properties");
        final ConfigurationException e = invalid("config=" + missing);
        assertEquals(1, e.problems().size(), e.getMessage());
        assertTrue(e.getMessage().startsWith("invalid understudy.config: value=" + missing
            + " (from argument), expected a readable Java properties file (NoSuchFileException: " + missing + ")"), e.getMessage());

        final ConfigurationException dir = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_CONFIG", tmp.toString())));
        assertTrue(dir.getMessage().startsWith("invalid understudy.config: value=" + tmp
            + " (from environment UNDERSTUDY_CONFIG), expected a readable Java properties file ("), dir.getMessage());

        final Path badEscape = file("escape.properties", "role=\\u00zz\n");
        assertTrue(invalid("config=" + badEscape).getMessage()
            .startsWith("invalid understudy.config: value=" + badEscape + " (from argument), expected a readable Java properties file (IllegalArgumentException"));

        final Path notUtf8 = tmp.resolve("latin1.properties");
        Files.write(notUtf8, new byte[] {'v', 'i', 'p', '=', (byte)0xe9, '\n'});
        assertTrue(invalid("config=" + notUtf8).getMessage().contains("expected a readable Java properties file (MalformedInputException"));
    }

    @Test
    void shouldRefuseUnknownRepeatedAndNestedKeysInTheFile() throws Exception {
        final Path f = file("typo.properties", "rol=clone\nvip=10.0.0.1\nunderstudy.vip=10.0.0.2\nconfig=/etc/other.properties\n");
        final ConfigurationException e = invalid("config=" + f);
        assertEquals(3, e.problems().size(), e.getMessage());
        assertEquals("key 'config' in file:" + f + " is not allowed: a configuration file cannot name another", e.problems().get(0));
        assertTrue(e.problems().get(1).startsWith("unknown key 'rol' in file:" + f + ", expected one of role, node.id,"), e.getMessage());
        assertEquals("repeated key 'vip' in file:" + f + " (with and without the understudy. prefix)", e.problems().get(2));
    }

    @Test
    void shouldNameEnvironmentVariablesAfterKeys() {
        assertEquals("UNDERSTUDY_NODE_ID", keyOf(NODE_ID_PROP).environment());
        assertEquals("UNDERSTUDY_REPLICATION_CHANNEL", keyOf(REPLICATION_CHANNEL_PROP).environment());
        assertEquals("UNDERSTUDY_JOURNAL_RETENTION_SIZE", keyOf(JOURNAL_RETENTION_SIZE_PROP).environment());
        assertEquals("UNDERSTUDY_CONFIG", keyOf(CONFIG_PROP).environment());
        assertEquals("aeron.dir", keyOf(AERON_DIR_PROP).argument());
    }

    @Test
    void shouldAcceptPrefixedKeysAndSpacesInAgentArgument() {
        final Configuration c = resolve(" understudy.role = clone , ports = 7000 , 7001 ,node.id=2");
        assertEquals(Role.CLONE, c.role());
        assertArrayEquals(new int[] {7000, 7001}, c.servicePorts());
    }

    @Test
    void shouldRejectElementWithoutEqualsAfterNonListKey() {
        final ConfigurationException e = invalid("role=clone,node.id2,ports=1");
        assertEquals(List.of("invalid agent argument 'node.id2', expected key=value"), e.problems());
    }

    @Test
    void shouldRejectUnknownAndRepeatedAgentArgumentKeys() {
        final ConfigurationException e = invalid("rol=clone,vip=1.2.3.4,vip=1.2.3.5");
        assertEquals(2, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("unknown agent argument key 'rol', expected one of role, node.id,"), e.getMessage());
        assertEquals("repeated agent argument key 'vip'", e.problems().get(1));
    }

    @Test
    void shouldRejectUnknownSystemPropertyButOnlyWarnAboutUnknownEnvironmentVariable() {
        final ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of("understudy.nod.id", "2"), Map.of()));
        assertTrue(e.getMessage().startsWith("unknown system property understudy.nod.id, expected one of understudy.role,"), e.getMessage());

        final Configuration c = Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_HOME", "/opt/u"));
        assertEquals(List.of("ignoring unknown environment variable UNDERSTUDY_HOME"), c.warnings());
        assertTrue(c.render().contains("warning: ignoring unknown environment variable UNDERSTUDY_HOME"));
    }

    @Test
    void shouldNameKeyValueSourceAndAllowedValuesInError() {
        assertEquals("invalid understudy.vip: value=300.1.1.1 (from argument), expected IPv4 address, not a node's address",
            invalid("vip=300.1.1.1").getMessage());
        final ConfigurationException env = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_ROLE", "leader")));
        assertEquals("invalid understudy.role: value=leader (from environment UNDERSTUDY_ROLE), expected one of primary, clone, standalone",
            env.getMessage());
        final ConfigurationException prop = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(DEGRADED_PROP, "panic"), Map.of()));
        assertEquals("invalid understudy.degraded: value=panic (from property), expected one of serve, hold", prop.getMessage());
        assertEquals("invalid understudy.ports: value=(none) (from default), expected at least one TCP port 1..65535 for role clone",
            invalid("role=clone").getMessage());
    }

    @Test
    void shouldReportEveryProblemAtOnceInKeyOrder() {
        final ConfigurationException e = invalid("log.level=loud,vip=1.2.3,role=boss,idle.strategy=nap,degraded=x");
        assertEquals(5, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("invalid understudy.role: value=boss"), e.getMessage());
        assertTrue(e.problems().get(1).startsWith("invalid understudy.vip: value=1.2.3"), e.getMessage());
        assertTrue(e.problems().get(2).startsWith("invalid understudy.degraded: value=x"), e.getMessage());
        assertTrue(e.problems().get(3).startsWith("invalid understudy.idle.strategy: value=nap"), e.getMessage());
        assertTrue(e.problems().get(4).startsWith("invalid understudy.log.level: value=loud"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "role; master; one of primary, clone, standalone",
        "node.id; 0; integer 1..64",
        "node.id; 65; integer 1..64",
        "node.id; two; integer 1..64",
        "nodes; 0; node count 1..64",
        "nodes; 65; node count 1..64",
        "nodes; 198.18.0.1,198.18.0.1; distinct IPv4 addresses",
        "nodes; 198.18.0.1,node2; distinct IPv4 addresses",
        "primary; 0; integer 1..64",
        "primary; 65; integer 1..64",
        "primary; first; integer 1..64",
        "vip; 300.1.1.1; IPv4 address",
        "vip; 10.0.0; IPv4 address",
        "vip; 010.0.0.1; IPv4 address",
        "vip; localhost; IPv4 address",
        "vip; 198.18.0.12; not a node's (node 2 has it)",
        "ports; 0; TCP ports 1..65535",
        "ports; 65536; TCP ports 1..65535",
        "ports; 80,80; distinct TCP ports",
        "ports; http; TCP ports 1..65535",
        "interface; eth0/1; interface name, 1..15 characters",
        "interface; averyveryverylongname; interface name, 1..15 characters",
        "interface; ..; interface name",
        "replication.channel; 224.0.0.1:40456; group in 239.255.0.0/16",
        "replication.channel; 239.254.0.1:40456; group in 239.255.0.0/16",
        "replication.channel; 239.255.0.1; multicast group:port",
        "replication.channel; 239.255.0.1:0; port 1..65534",
        "replication.channel; 239.255.0.1:65535; port 1..65534",
        "replication.destinations; multicast; empty (multicast), or unicast",
        "replication.destinations; 198.18.0.12; empty (multicast), or unicast",
        "ack.quorum; -1; integer 0..(number of nodes - 1)",
        "ack.quorum; 3; integer 0..2 (understudy.nodes has 3 nodes, so at most 2 clones)",
        "ack.quorum; all; integer 0..(number of nodes - 1)",
        "degraded; degraded; one of serve, hold",
        "aeron.dir; relative/aeron; absolute path",
        "journal.dir; journal; absolute path",
        "journal.retention; 59s; duration 1m..30d",
        "journal.retention; 31d; duration 1m..30d",
        "journal.retention; forever; duration 1m..30d",
        "journal.retention.size; 63m; size 64m..1t",
        "journal.retention.size; 2t; size 64m..1t",
        "journal.retention.size; 8gb; size 64m..1t",
        "journal.retention.size; 99999999999999t; size 64m..1t",
        "apply.policy; sometimes; one of continuous, periodic",
        "determinism; input_order; one of serial, input-order",
        "determinism; threads; one of serial, input-order",
        "checkpoint.interval; 0ms; duration 1ms..1h",
        "checkpoint.interval; 2h; duration 1ms..1h",
        "heartbeat.interval; 11s; duration 1ms..10s",
        "heartbeat.interval; 999us; duration 1ms..10s",
        "heartbeat.interval; fast; duration 1ms..10s",
        "heartbeat.interval; -5ms; duration 1ms..10s",
        "failure.timeout; 9ms; duration 10ms..60s",
        "failure.timeout; 61s; duration 10ms..60s",
        "idle.strategy; park; one of spin, yield, sleep, backoff",
        "idle.strategy; busy; one of spin, yield, sleep, backoff",
        "log.level; verbose; one of error, warn, info, debug, trace",
    })
    void shouldRejectInvalidValueNamingKeyValueSourceAndAllowed(final String key, final String value, final String expected) {
        final ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(PROP_PREFIX + key, value), Map.of()));
        assertEquals(1, e.problems().size(), e.getMessage());
        final String message = e.problems().get(0);
        assertTrue(message.startsWith("invalid understudy." + key + ": value=" + value + " (from property), expected "), message);
        assertTrue(message.contains(expected), message);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "role; CLONE",
        "node.id; 64",
        "nodes; 64",
        "nodes; 10.0.0.1",
        "primary; 64",
        "vip; 0.0.0.0",
        "vip; 255.255.255.255",
        "ports; 1,65535",
        "interface; lo",
        "interface; br-understudy15",
        "replication.channel; 239.255.255.255:1",
        "replication.channel; 239.255.0.0:65534",
        "replication.destinations; unicast",
        "replication.destinations; UNICAST",
        "ack.quorum; 0",
        "ack.quorum; 63",
        "degraded; hold",
        "degraded; SERVE",
        "aeron.dir; /x",
        "journal.retention; 1m",
        "journal.retention; 30d",
        "journal.retention; 720h",
        "journal.retention.size; 64m",
        "journal.retention.size; 1t",
        "journal.retention.size; 1024G",
        "journal.retention.size; 67108864",
        "checkpoint.interval; 1h",
        "checkpoint.interval; 60m",
        "heartbeat.interval; 10s",
        "heartbeat.interval; 1000us",
        "heartbeat.interval; 5",
        "failure.timeout; 60s",
        "idle.strategy; yield",
        "idle.strategy; sleep",
        "log.level; trace",
        "log.level; error",
    })
    void shouldAcceptBoundaryValues(final String key, final String value) {
        final Map<String, String> props = new HashMap<>();
        props.put(PROP_PREFIX + key, value);
        if (key.equals("node.id") || key.equals("primary") || key.equals("ack.quorum")) {
            props.put(NODES_PROP, "64");
        } else if (key.equals("role")) {
            props.put(PORTS_PROP, "80");
            props.put(NODE_ID_PROP, "2");
        } else if (key.equals("heartbeat.interval")) {
            props.put(FAILURE_TIMEOUT_PROP, "60s");
        } else if (key.equals("nodes")) {
            props.put(ACK_QUORUM_PROP, "0"); // a single node has no clone to wait for
        }
        final Configuration c = Configuration.resolve(null, props, Map.of());
        assertEquals(Source.SYSTEM_PROPERTY, c.source(PROP_PREFIX + key));
    }

    @Test
    void shouldRejectNodeIdAndPrimaryAboveNodeCount() {
        assertEquals("invalid understudy.node.id: value=4 (from argument), expected integer 1..3 (understudy.nodes has 3 nodes)",
            invalid("node.id=4").getMessage());
        assertTrue(invalid("node.id=3,nodes=10.0.0.1,10.0.0.2").getMessage().contains("expected integer 1..2 (understudy.nodes has 2 nodes)"));
        assertEquals(3, resolve("node.id=3,nodes=10.0.0.1,10.0.0.2,10.0.0.3").nodeId());
        assertEquals("invalid understudy.primary: value=2 (from argument), expected integer 1..1 (understudy.nodes has 1 node)",
            invalid("primary=2,nodes=1,ack.quorum=0").getMessage());
        assertEquals(3, resolve("primary=3").primaryNodeId());
    }

    @Test
    void shouldRequireThePrimaryRoleOnTheInitialPrimaryNode() {
        assertEquals("invalid understudy.primary: value=1 (from default), expected this node's id 2 (understudy.node.id) for role primary",
            invalid("role=primary,ports=80,node.id=2").getMessage());
        assertEquals(Role.PRIMARY, resolve("role=primary,ports=80,node.id=2,primary=2").role());
        // A clone may carry the initial primary's id: that node rejoins as a clone after a failover.
        assertEquals(Role.CLONE, resolve("role=clone,ports=80,node.id=1").role());
    }

    @Test
    void shouldBoundTheAckQuorumByTheClonesThereAre() {
        assertEquals("invalid understudy.ack.quorum: value=1 (from default), expected integer 0..0 (understudy.nodes has 1 node, "
            + "so at most 0 clones)", invalid("nodes=1").getMessage());
        assertEquals(0, resolve("nodes=1,ack.quorum=0").ackQuorum());
        assertTrue(invalid("nodes=10.0.0.1,10.0.0.2,ack.quorum=2").getMessage().contains("expected integer 0..1 (understudy.nodes has 2 nodes, so at most 1 clone)"));
        assertEquals(63, resolve("nodes=64,ack.quorum=63").ackQuorum());
    }

    @Test
    void shouldGiveNodesTheLabAddressesWhenCountedAndTheListedOnesOtherwise() {
        final Configuration counted = resolve("nodes=64,node.id=7");
        assertEquals("198.18.0.11", ip(counted.nodeAddress(1)));
        assertEquals("198.18.0.74", ip(counted.nodeAddress(64)));
        assertEquals("198.18.0.17", ip(counted.selfAddress()));
        assertEquals(64, counted.nodeAddresses().size());
        assertThrows(IllegalArgumentException.class, () -> counted.nodeAddress(0));
        assertThrows(IllegalArgumentException.class, () -> counted.nodeAddress(65));

        final Configuration listed = resolve("nodes=10.0.0.5,10.0.0.6,node.id=2");
        assertEquals("10.0.0.6", ip(listed.selfAddress()));
        assertEquals("10.0.0.5", ip(listed.nodeAddress(1)));
        assertEquals("invalid node id: value=3, expected 1..2",
            assertThrows(IllegalArgumentException.class, () -> listed.nodeAddress(3)).getMessage());
    }

    @Test
    void shouldRequireFailureTimeoutAtLeastTwiceHeartbeatInterval() {
        assertEquals("invalid understudy.failure.timeout: value=150ms (from argument), expected at least twice understudy.heartbeat.interval (200ms)",
            invalid("heartbeat.interval=100ms,failure.timeout=150ms").getMessage());
        assertEquals(200_000_000L, resolve("heartbeat.interval=100ms,failure.timeout=200ms").failureTimeoutNs());
    }

    @Test
    void shouldParseDurationAndSizeUnits() {
        assertEquals(5_000_000L, resolve("heartbeat.interval=5").heartbeatIntervalNs());
        assertEquals(1_000_000L, resolve("heartbeat.interval=1000000ns").heartbeatIntervalNs());
        assertEquals(120_000_000_000L, resolve("checkpoint.interval=2m").checkpointIntervalNs());
        assertEquals(TimeUnit.DAYS.toNanos(2), resolve("journal.retention=2d").journalRetentionNs());
        assertEquals(100L << 20, resolve("journal.retention.size=102400k").journalRetentionBytes());
        assertEquals("250us", formatDuration(250_000L));
        assertEquals("2m", formatDuration(120_000_000_000L));
        assertEquals("1500ms", formatDuration(1_500_000_000L));
        assertEquals("7ns", formatDuration(7L));
        assertEquals("1d", formatDuration(TimeUnit.HOURS.toNanos(24)));
        assertEquals("36h", formatDuration(TimeUnit.HOURS.toNanos(36)));
        assertEquals("8g", formatSize(8L << 30));
        assertEquals("1536m", formatSize(1536L << 20));
        assertEquals("1t", formatSize(1L << 40));
        assertEquals("1000", formatSize(1000));
        assertEquals("1d", resolve(null).displayValue(JOURNAL_RETENTION_PROP));
        assertEquals("8g", resolve(null).displayValue(JOURNAL_RETENTION_SIZE_PROP));
    }

    @Test
    void shouldNeverPrintTheSecret() {
        final Configuration c = resolve("secret=" + SECRET);
        assertTrue(c.hasSecret());
        assertEquals(MASK, c.displayValue(SECRET_PROP));
        assertFalse(c.toString().contains(SECRET), c.toString());
        assertTrue(c.toString().contains("secret=***"), c.toString());
        assertFalse(c.render().contains(SECRET));
        assertTrue(c.render().contains("understudy.secret") && c.render().contains("= ***"), c.render());

        final String shortSecret = "tooshort";
        final ConfigurationException e = invalid("secret=" + shortSecret);
        assertFalse(e.getMessage().contains(shortSecret), e.getMessage());
        assertEquals("invalid understudy.secret: value=*** (8 characters) (from argument), expected empty (none), or 16..256 characters "
            + "without whitespace or comma", e.getMessage());

        final ConfigurationException spaced = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_SECRET", "has a blank inside 0123456")));
        assertFalse(spaced.getMessage().contains("blank inside"), spaced.getMessage());
        assertEquals("(none)", resolve(null).displayValue(SECRET_PROP));
    }

    @Test
    void shouldRenderOneLinePerKeyWithValueAndOrigin() {
        final String block = resolve("role=clone,ports=80,node.id=2").render();
        final String[] lines = block.split("\n");
        assertEquals(KEYS.size(), lines.length, block);
        assertTrue(lines[0].matches("  understudy\\.role +=  ?clone +\\(argument\\)"), lines[0]);
        assertTrue(block.contains("understudy.aeron.dir") && block.contains("/dev/shm/understudy-2/aeron"), block);
        assertTrue(block.contains("(multicast)"), block);
        assertTrue(lines[KEYS.size() - 1].endsWith("(default)"), lines[KEYS.size() - 1]);
    }

    // ------------------------------------------------------------------ builders

    @Test
    void shouldBuildTheReplicationConfigFromTheAgentKeys() {
        final Configuration c = resolve("role=clone,ports=80,node.id=2,primary=3,replication.channel=239.255.9.9:41000,"
            + "aeron.dir=/dev/shm/t-{node.id},heartbeat.interval=50ms,failure.timeout=700ms,idle.strategy=sleep,secret=" + SECRET);
        final ReplicationConfig rc = c.replicationConfig();
        assertEquals(2, rc.nodeId());
        assertEquals("198.18.0.12", rc.address());
        assertEquals("198.18.0.13", rc.primaryAddress());
        assertEquals(41001, rc.controlPort());
        assertEquals("/dev/shm/t-2", rc.aeronDir());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(50), rc.heartbeatIntervalNs());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(700), rc.memberTimeoutNs());
        assertEquals("sleeping", rc.idle());
        assertArrayEquals(SECRET.getBytes(StandardCharsets.UTF_8), rc.secret());
        assertFalse(rc.ipc());
        // concluded: the channel getters throw otherwise
        assertTrue(rc.dataChannel().startsWith("aeron:udp?endpoint=239.255.9.9:41000|interface=198.18.0.12/32|"), rc.dataChannel());
        assertEquals("aeron:udp?endpoint=239.255.9.9:41000|interface=198.18.0.12/32", rc.dataSubscriptionChannel());
        assertEquals("aeron:udp?endpoint=198.18.0.12:41001", rc.controlSubscriptionChannel());
        assertNull(resolve(null).replicationConfig().secret());
    }

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({"spin, busy", "yield, yielding", "sleep, sleeping", "backoff, backoff"})
    void shouldMapIdleStrategiesToTheTransportsNames(final String ours, final String transports) {
        assertEquals(transports, resolve("idle.strategy=" + ours).replicationConfig().idle());
    }

    @Test
    void shouldBuildTheUnicastReplicationConfigFromTheNodeAddresses() {
        final Configuration c = resolve("role=clone,ports=80,node.id=3,primary=2,nodes=10.1.0.5,10.1.0.6,10.1.0.7,"
            + "replication.channel=239.255.9.9:41000,replication.destinations=unicast");
        assertEquals(ReplicationDestinations.UNICAST, c.replicationDestinations());
        assertEquals("unicast", c.displayValue(REPLICATION_DESTINATIONS_PROP));
        final ReplicationConfig rc = c.replicationConfig();
        assertEquals(ReplicationConfig.Destinations.UNICAST, rc.destinations());
        assertEquals(List.of("10.1.0.5", "10.1.0.6", "10.1.0.7"), rc.nodes());
        assertEquals("10.1.0.7", rc.address());
        assertEquals("10.1.0.6", rc.primaryAddress());
        assertEquals(41002, rc.mdcControlPort());
        // concluded, and no channel names the group
        assertEquals("aeron:udp?endpoint=10.1.0.7:41000|control=10.1.0.6:41002|control-mode=dynamic", rc.dataSubscriptionChannel());
        assertTrue(rc.dataChannel().startsWith("aeron:udp?control=10.1.0.7:41002|control-mode=dynamic|fc=min,"), rc.dataChannel());
        assertEquals(List.of("aeron:udp?endpoint=10.1.0.5:41001", "aeron:udp?endpoint=10.1.0.6:41001"), rc.heartbeatDestinations());
        assertEquals("aeron:udp?endpoint=10.1.0.7:41001", rc.heartbeatSubscriptionChannel());
        assertFalse(rc.heartbeatChannel().contains("239.255"), rc.heartbeatChannel());

        // a node count: the lab's addresses; the primary builds it too (start-up checks every subsystem)
        final ReplicationConfig primary = resolve("role=primary,ports=80,node.id=1,primary=1,nodes=3,replication.destinations=UNICAST")
            .replicationConfig();
        assertEquals(List.of("198.18.0.11", "198.18.0.12", "198.18.0.13"), primary.nodes());
        assertEquals(List.of("aeron:udp?endpoint=198.18.0.12:40457", "aeron:udp?endpoint=198.18.0.13:40457"),
            primary.heartbeatDestinations());
        assertTrue(primary.dataChannel().startsWith("aeron:udp?control=198.18.0.11:40458|control-mode=dynamic|"), primary.dataChannel());

        // the default stays multicast
        assertEquals(ReplicationConfig.Destinations.MULTICAST, resolve(null).replicationConfig().destinations());
    }

    @Test
    void shouldNameTheChannelKeyWhenUnicastLeavesNoRoomForTheMdcControlPort() {
        assertEquals("invalid understudy.replication.channel: value=239.255.0.1:65534 (from argument), expected a value the "
            + "transport accepts (invalid understudy.transport.dataPort: value=65534, expected 1..65533 with "
            + "understudy.transport.destinations=unicast (data port + 2 is the primary's MDC control port))",
            invalid("role=primary,ports=80,replication.channel=239.255.0.1:65534,replication.destinations=unicast").getMessage());
        assertEquals(65534, resolve("role=primary,ports=80,replication.channel=239.255.0.1:65534").replicationConfig()
            .controlPort() - 1, "multicast keeps the whole port range");
    }

    @Test
    void shouldNameTheAgentKeyWhenTheTransportRefusesASetting() {
        final Configuration c = resolve(null);
        assertEquals("invalid understudy.replication.channel: value=239.255.0.1:40456 (from default), expected a value the transport "
            + "accepts (invalid understudy.transport.dataPort: value=0, expected 1..65535)",
            c.transportProblem(new IllegalArgumentException("invalid understudy.transport.dataPort: value=0, expected 1..65535")));
        assertTrue(c.transportProblem(new IllegalArgumentException("invalid understudy.transport.memberTimeoutMs: value=1, expected x"))
            .startsWith("invalid understudy.failure.timeout: value=1s (from default)"));
        assertTrue(c.transportProblem(new IllegalArgumentException("invalid understudy.transport.mtu: value=1, expected x"))
            .startsWith("invalid replication settings built from this configuration, refused by the transport: invalid understudy.transport.mtu"));
    }

    @Test
    void shouldBuildTheNfQueueConfigWithQueueBasePlusNodeId() {
        final NfQueueConfig q = resolve("nodes=64,node.id=64").nfQueueConfig();
        assertEquals(NFQUEUE_BASE + 64, q.queueNumber());
        assertEquals(NfQueueConfig.DEFAULT_MAX_LENGTH, q.maxLength());
        assertEquals(101, resolve(null).nfQueueConfig().queueNumber());
        assertEquals(101, resolve(null).nfQueueNumber());
        assertEquals(201, resolve(null).outputQueueConfig().queueNumber(), "output commit on by default: 200 + id");
        assertEquals(null, resolve("output.commit=off").outputQueueConfig(), "no output queue with it off");
    }

    @Test
    void shouldResolveTheNodeIdInTheJournalDirectory() {
        assertEquals(Path.of("/srv/j/node3"), resolve("node.id=3,journal.dir=/srv/j/node{node.id}/").journalDirectory());
        assertEquals(Path.of("/srv/j"), resolve("journal.dir=/srv/x/../j").journalDirectory());
    }

    @Test
    void shouldHaveOnePropDefaultPairAndOneKeyPerConstant() throws Exception {
        final Set<String> props = new LinkedHashSet<>();
        for (final Field f : Configuration.class.getFields()) {
            if (Modifier.isStatic(f.getModifiers()) && f.getName().endsWith("_PROP")) {
                final String property = (String)f.get(null);
                props.add(property);
                final String base = f.getName().substring(0, f.getName().length() - "_PROP".length());
                final Field def = Configuration.class.getField(base + "_DEFAULT");
                assertNotNull(def, base);
                assertEquals(def.get(null), keyOf(property).defaultValue(), base);
                assertTrue(property.startsWith(PROP_PREFIX), property);
            }
        }
        final Set<String> keyed = new LinkedHashSet<>();
        KEYS.forEach(k -> keyed.add(k.property()));
        assertEquals(props, keyed);
        assertEquals(KEYS.size(), keyed.size());
        for (final Key k : KEYS) {
            assertFalse(k.allowed().isBlank(), k.property());
            assertFalse(k.meaning().isBlank(), k.property());
        }
    }

    @Test
    void shouldUseTheTransportsNodeIdRange() {
        assertEquals(ReplicationConfig.MAX_NODE_ID, MAX_NODE_ID);
        assertTrue(keyOf(NODE_ID_PROP).allowed().contains("1.." + ReplicationConfig.MAX_NODE_ID));
    }

    @Test
    void shouldBuildTheJournalRetentionFromTheRetentionKeys() {
        final dev.understudy.transport.journal.JournalConfig j =
            resolve("journal.dir=/tmp/us-j-{node.id},node.id=2,journal.retention=90m,journal.retention.size=1g").journalConfig();
        assertEquals(java.nio.file.Path.of("/tmp/us-j-2"), j.directory());
        assertEquals(2, j.retainCycles(), "90 minutes of hourly cycle files, rounded up");
        assertEquals(1L << 30, j.retainBytes());
        assertEquals(24, resolve(null).journalConfig().retainCycles(), "the default day");
    }
}
