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
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ConfigurationTest {
    private static final String SECRET = "s3cr3t-value-that-is-long";

    private static Configuration resolve(final String args) {
        return Configuration.resolve(args, Map.of(), Map.of());
    }

    private static ConfigurationException invalid(final String args) {
        return assertThrows(ConfigurationException.class, () -> resolve(args));
    }

    @Test
    void shouldUseDefaultsWhenNothingIsSet() {
        final Configuration c = resolve(null);
        assertEquals(Role.STANDALONE, c.role());
        assertEquals(1, c.nodeId());
        assertEquals(3, c.nodeCount());
        assertTrue(c.nodeAddresses().isEmpty());
        assertEquals("198.18.0.100", c.vip().getHostAddress());
        assertEquals(0, c.servicePorts().length);
        assertEquals("eth0", c.interfaceName());
        assertEquals("239.255.0.1", c.replicationGroup().getHostAddress());
        assertEquals(40456, c.replicationPort());
        assertEquals(Path.of("/dev/shm/understudy-1/aeron"), c.aeronDir());
        assertEquals(Path.of("/var/tmp/understudy-1/journal"), c.journalDir());
        assertFalse(c.hasSecret());
        assertNull(c.secret());
        assertEquals(ApplyPolicy.CONTINUOUS, c.applyPolicy());
        assertEquals(TimeUnit.SECONDS.toNanos(1), c.checkpointIntervalNs());
        assertEquals(TimeUnit.MILLISECONDS.toNanos(100), c.heartbeatIntervalNs());
        assertEquals(TimeUnit.SECONDS.toNanos(1), c.failureTimeoutNs());
        assertEquals(IdleStrategy.BACKOFF, c.idleStrategy());
        assertEquals(LogLevel.INFO, c.logLevel());
        for (final Key k : KEYS) {
            assertEquals(Source.DEFAULT, c.source(k.property()), k.property());
        }
    }

    @Test
    void shouldParseEveryKeyFromAgentArgument() {
        final Configuration c = resolve("role=primary,node.id=2,nodes=198.18.0.1,198.18.0.2,vip=10.0.0.9,"
            + "ports=8080,8081,interface=veth-n1.0,replication.channel=239.255.7.8:50000,aeron.dir=/tmp/a-{node.id},"
            + "journal.dir=/tmp/j/{node.id}/q,secret=" + SECRET + ",apply.policy=periodic,checkpoint.interval=250ms,"
            + "heartbeat.interval=20ms,failure.timeout=2s,idle.strategy=spin,log.level=debug");
        assertEquals(Role.PRIMARY, c.role());
        assertEquals(2, c.nodeId());
        assertEquals(2, c.nodeCount());
        assertEquals("198.18.0.2", c.nodeAddresses().get(1).getHostAddress());
        assertEquals("10.0.0.9", c.vip().getHostAddress());
        assertArrayEquals(new int[] {8080, 8081}, c.servicePorts());
        assertEquals("veth-n1.0", c.interfaceName());
        assertEquals("239.255.7.8", c.replicationGroup().getHostAddress());
        assertEquals(50000, c.replicationPort());
        assertEquals(Path.of("/tmp/a-2"), c.aeronDir());
        assertEquals(Path.of("/tmp/j/2/q"), c.journalDir());
        assertEquals(SECRET, c.secret());
        assertEquals(ApplyPolicy.PERIODIC, c.applyPolicy());
        assertEquals(250_000_000L, c.checkpointIntervalNs());
        assertEquals(20_000_000L, c.heartbeatIntervalNs());
        assertEquals(2_000_000_000L, c.failureTimeoutNs());
        assertEquals(IdleStrategy.SPIN, c.idleStrategy());
        assertEquals(LogLevel.DEBUG, c.logLevel());
        for (final Key k : KEYS) {
            assertEquals(Source.AGENT_ARGUMENT, c.source(k.property()), k.property());
        }
    }

    @Test
    void shouldPreferAgentArgumentThenSystemPropertyThenEnvironmentThenDefault() {
        final Map<String, String> props = Map.of(ROLE_PROP, "clone", NODE_ID_PROP, "3", "java.version", "ignored");
        final Map<String, String> env = Map.of("UNDERSTUDY_ROLE", "standalone", "UNDERSTUDY_NODE_ID", "2",
            "UNDERSTUDY_VIP", "10.1.2.3", "UNDERSTUDY_PORTS", "9000", "PATH", "/bin");
        final Configuration c = Configuration.resolve("role=primary", props, env);
        assertEquals(Role.PRIMARY, c.role());
        assertEquals(Source.AGENT_ARGUMENT, c.source(ROLE_PROP));
        assertEquals(3, c.nodeId());
        assertEquals(Source.SYSTEM_PROPERTY, c.source(NODE_ID_PROP));
        assertEquals("10.1.2.3", c.vip().getHostAddress());
        assertEquals(Source.ENVIRONMENT, c.source(VIP_PROP));
        assertArrayEquals(new int[] {9000}, c.servicePorts());
        assertEquals(Source.DEFAULT, c.source(INTERFACE_PROP));
    }

    @Test
    void shouldNameEnvironmentVariablesAfterKeys() {
        assertEquals("UNDERSTUDY_NODE_ID", keyOf(NODE_ID_PROP).environment());
        assertEquals("UNDERSTUDY_REPLICATION_CHANNEL", keyOf(REPLICATION_CHANNEL_PROP).environment());
        assertEquals("aeron.dir", keyOf(AERON_DIR_PROP).argument());
    }

    @Test
    void shouldAcceptPrefixedKeysAndSpacesInAgentArgument() {
        final Configuration c = resolve(" understudy.role = clone , ports = 7000 , 7001 ,");
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
    void shouldNameKeyValueAllowedValuesAndSourceInError() {
        assertEquals("invalid understudy.vip: value=300.1.1.1, expected IPv4 address (from agent argument)",
            invalid("vip=300.1.1.1").getMessage());
        final ConfigurationException env = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_ROLE", "leader")));
        assertEquals("invalid understudy.role: value=leader, expected one of primary, clone, standalone (from environment UNDERSTUDY_ROLE)",
            env.getMessage());
    }

    @Test
    void shouldReportEveryProblemAtOnceInKeyOrder() {
        final ConfigurationException e = invalid("log.level=loud,vip=1.2.3,role=boss,idle.strategy=nap");
        assertEquals(4, e.problems().size(), e.getMessage());
        assertTrue(e.problems().get(0).startsWith("invalid understudy.role: value=boss"), e.getMessage());
        assertTrue(e.problems().get(1).startsWith("invalid understudy.vip: value=1.2.3"), e.getMessage());
        assertTrue(e.problems().get(2).startsWith("invalid understudy.idle.strategy: value=nap"), e.getMessage());
        assertTrue(e.problems().get(3).startsWith("invalid understudy.log.level: value=loud"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"));
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "role; master; one of primary, clone, standalone",
        "node.id; 0; integer 1..255",
        "node.id; 256; integer 1..255",
        "node.id; two; integer 1..255",
        "nodes; 0; node count 1..255",
        "nodes; 256; node count 1..255",
        "nodes; 198.18.0.1,198.18.0.1; distinct IPv4 addresses",
        "nodes; 198.18.0.1,node2; distinct IPv4 addresses",
        "vip; 300.1.1.1; IPv4 address",
        "vip; 10.0.0; IPv4 address",
        "vip; 010.0.0.1; IPv4 address",
        "vip; localhost; IPv4 address",
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
        "replication.channel; 239.255.0.1:0; port 1..65535",
        "replication.channel; 239.255.0.1:70000; port 1..65535",
        "aeron.dir; relative/aeron; absolute path",
        "journal.dir; journal; absolute path",
        "apply.policy; sometimes; one of continuous, periodic",
        "checkpoint.interval; 0ms; duration 1ms..1h",
        "checkpoint.interval; 2h; duration 1ms..1h",
        "heartbeat.interval; 11s; duration 1ms..10s",
        "heartbeat.interval; 999us; duration 1ms..10s",
        "heartbeat.interval; fast; duration 1ms..10s",
        "heartbeat.interval; -5ms; duration 1ms..10s",
        "failure.timeout; 9ms; duration 10ms..60s",
        "failure.timeout; 61s; duration 10ms..60s",
        "idle.strategy; park; one of spin, yield, sleep, backoff",
        "log.level; verbose; one of error, warn, info, debug, trace",
    })
    void shouldRejectInvalidValueNamingKeyValueAndAllowed(final String key, final String value, final String expected) {
        final ConfigurationException e = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(PROP_PREFIX + key, value), Map.of()));
        assertEquals(1, e.problems().size(), e.getMessage());
        final String message = e.problems().get(0);
        assertTrue(message.startsWith("invalid understudy." + key + ": value=" + value + ", expected "), message);
        assertTrue(message.contains(expected), message);
        assertTrue(message.endsWith("(from system property)"), message);
    }

    @ParameterizedTest(name = "{0}={1}")
    @CsvSource(delimiter = ';', value = {
        "role; CLONE",
        "node.id; 255",
        "nodes; 255",
        "nodes; 10.0.0.1",
        "vip; 0.0.0.0",
        "vip; 255.255.255.255",
        "ports; 1,65535",
        "interface; lo",
        "interface; br-understudy15",
        "replication.channel; 239.255.255.255:1",
        "replication.channel; 239.255.0.0:65535",
        "aeron.dir; /x",
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
        if (key.equals("node.id")) {
            props.put(NODES_PROP, "255");
        } else if (key.equals("role")) {
            props.put(PORTS_PROP, "80");
        } else if (key.equals("heartbeat.interval")) {
            props.put(FAILURE_TIMEOUT_PROP, "60s");
        }
        final Configuration c = Configuration.resolve(null, props, Map.of());
        assertEquals(Source.SYSTEM_PROPERTY, c.source(PROP_PREFIX + key));
    }

    @Test
    void shouldRejectNodeIdAboveNodeCount() {
        assertEquals("invalid understudy.node.id: value=4, expected integer 1..3 (understudy.nodes has 3 nodes) (from agent argument)",
            invalid("node.id=4").getMessage());
        assertTrue(invalid("node.id=3,nodes=10.0.0.1,10.0.0.2").getMessage().contains("expected integer 1..2 (understudy.nodes has 2 nodes)"));
        assertEquals(3, resolve("node.id=3,nodes=10.0.0.1,10.0.0.2,10.0.0.3").nodeId());
    }

    @Test
    void shouldRequireServicePortsForPrimaryAndClone() {
        assertEquals("invalid understudy.ports: value=(none), expected at least one TCP port 1..65535 for role clone (from default)",
            invalid("role=clone").getMessage());
        assertTrue(invalid("role=primary").getMessage().contains("for role primary"));
        assertEquals(Role.PRIMARY, resolve("role=primary,ports=80").role());
    }

    @Test
    void shouldRequireFailureTimeoutAtLeastTwiceHeartbeatInterval() {
        assertEquals("invalid understudy.failure.timeout: value=150ms, expected at least twice understudy.heartbeat.interval (200ms) (from agent argument)",
            invalid("heartbeat.interval=100ms,failure.timeout=150ms").getMessage());
        assertEquals(200_000_000L, resolve("heartbeat.interval=100ms,failure.timeout=200ms").failureTimeoutNs());
    }

    @Test
    void shouldParseDurationUnitsAndBareMilliseconds() {
        assertEquals(5_000_000L, resolve("heartbeat.interval=5").heartbeatIntervalNs());
        assertEquals(1_000_000L, resolve("heartbeat.interval=1000000ns").heartbeatIntervalNs());
        assertEquals(120_000_000_000L, resolve("checkpoint.interval=2m").checkpointIntervalNs());
        assertEquals("250us", formatDuration(250_000L));
        assertEquals("2m", formatDuration(120_000_000_000L));
        assertEquals("1500ms", formatDuration(1_500_000_000L));
        assertEquals("7ns", formatDuration(7L));
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
        assertEquals("invalid understudy.secret: value=*** (8 characters), expected empty (none), or 16..256 characters "
            + "without whitespace or comma (from agent argument)", e.getMessage());

        final ConfigurationException spaced = assertThrows(ConfigurationException.class,
            () -> Configuration.resolve(null, Map.of(), Map.of("UNDERSTUDY_SECRET", "has a blank inside 0123456")));
        assertFalse(spaced.getMessage().contains("blank inside"), spaced.getMessage());
        assertEquals("(none)", resolve(null).displayValue(SECRET_PROP));
    }

    @Test
    void shouldRenderOneLinePerKeyWithValueAndSource() {
        final String block = resolve("role=clone,ports=80").render();
        final String[] lines = block.split("\n");
        assertEquals(KEYS.size(), lines.length, block);
        assertTrue(lines[0].matches("  understudy\\.role +=  ?clone +\\(agent argument\\)"), lines[0]);
        assertTrue(block.contains("understudy.aeron.dir") && block.contains("/dev/shm/understudy-1/aeron"), block);
        assertTrue(lines[KEYS.size() - 1].endsWith("(default)"), lines[KEYS.size() - 1]);
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
}
