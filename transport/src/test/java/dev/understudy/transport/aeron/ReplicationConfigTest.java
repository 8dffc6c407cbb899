package dev.understudy.transport.aeron;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The channels each destinations mode builds, and the validation of the unicast settings. */
class ReplicationConfigTest {
    private static final List<String> NODES = List.of("198.18.0.11", "198.18.0.12", "198.18.0.13");

    private static ReplicationConfig unicast(int nodeId) {
        return new ReplicationConfig().nodeId(nodeId).destinations(ReplicationConfig.Destinations.UNICAST).nodes(NODES)
            .primaryAddress("198.18.0.11").aeronDir("/dev/shm/t");
    }

    private static String refusal(ReplicationConfig c) {
        return assertThrows(IllegalArgumentException.class, c::conclude).getMessage();
    }

    @Test
    void shouldBuildMulticastChannelsByDefault() {
        ReplicationConfig c = new ReplicationConfig().nodeId(2).address("198.18.0.12").primaryAddress("198.18.0.11")
            .aeronDir("/dev/shm/t").conclude();
        assertEquals(ReplicationConfig.Destinations.MULTICAST, c.destinations());
        assertEquals("aeron:udp?endpoint=239.255.4.1:40456|interface=198.18.0.0/24|fc=min,t:2000ms|mtu=1408|term-length=16777216",
            c.dataChannel());
        assertEquals("aeron:udp?endpoint=239.255.4.1:40456|interface=198.18.0.0/24", c.dataSubscriptionChannel());
        assertEquals("aeron:udp?endpoint=239.255.4.1:40456|interface=198.18.0.0/24|term-length=65536", c.heartbeatChannel());
        assertEquals(List.of(), c.heartbeatDestinations());
    }

    @Test
    void shouldBuildEveryUnicastChannelFromTheNodeAddresses() {
        ReplicationConfig primary = unicast(1).conclude();
        assertEquals("198.18.0.11", primary.address(), "address defaults to the node's entry");
        assertEquals(40458, primary.mdcControlPort());
        assertEquals("aeron:udp?control=198.18.0.11:40458|control-mode=dynamic|fc=min,t:2000ms|mtu=1408|term-length=16777216",
            primary.dataChannel());
        assertEquals("aeron:udp?control-mode=manual|term-length=65536", primary.heartbeatChannel());
        assertEquals(List.of("aeron:udp?endpoint=198.18.0.12:40457", "aeron:udp?endpoint=198.18.0.13:40457"),
            primary.heartbeatDestinations());
        assertEquals("aeron:udp?endpoint=198.18.0.11:40457", primary.heartbeatSubscriptionChannel());

        ReplicationConfig clone = unicast(3).dataPort(41000).controlPort(41001).conclude();
        assertEquals("aeron:udp?endpoint=198.18.0.13:41000|control=198.18.0.11:41002|control-mode=dynamic",
            clone.dataSubscriptionChannel());
        assertEquals(List.of("aeron:udp?endpoint=198.18.0.11:41001", "aeron:udp?endpoint=198.18.0.12:41001"),
            clone.heartbeatDestinations());
        assertEquals(clone.controlSubscriptionChannel(), clone.heartbeatSubscriptionChannel());
        assertEquals("aeron:udp?endpoint=198.18.0.11:41001|mtu=1408|term-length=1048576",
            clone.controlChannel("198.18.0.11", false), "acks and catch-up unchanged");
    }

    @Test
    void shouldReadUnicastFromSystemProperties() {
        String[] keys = {ReplicationConfig.DESTINATIONS_PROP, ReplicationConfig.NODES_PROP, ReplicationConfig.PRIMARY_ADDRESS_PROP};
        try {
            System.setProperty(ReplicationConfig.DESTINATIONS_PROP, "UNICAST");
            System.setProperty(ReplicationConfig.NODES_PROP, " 198.18.0.11, 198.18.0.12 ,198.18.0.13");
            System.setProperty(ReplicationConfig.PRIMARY_ADDRESS_PROP, "198.18.0.11");
            ReplicationConfig c = ReplicationConfig.fromSystemProperties(2, "run").conclude();
            assertEquals(ReplicationConfig.Destinations.UNICAST, c.destinations());
            assertEquals(NODES, c.nodes());
            assertEquals("198.18.0.12", c.address());
            System.setProperty(ReplicationConfig.DESTINATIONS_PROP, "broadcast");
            assertEquals("invalid understudy.transport.destinations: value=broadcast, expected multicast|unicast",
                assertThrows(IllegalArgumentException.class, () -> ReplicationConfig.fromSystemProperties(2, "run")).getMessage());
        } finally {
            for (String k : keys) {
                System.clearProperty(k);
            }
        }
    }

    @Test
    void shouldRefuseUnicastSettingsNamingThePropertyAndValue() {
        assertEquals("invalid understudy.transport.nodes: value=, expected every node's IPv4 address, node i the i-th, with "
            + "understudy.transport.destinations=unicast", refusal(unicast(1).nodes(List.of())));
        assertEquals("invalid understudy.transport.nodes: value=198.18.0.11,node2, expected comma-separated IPv4 addresses "
            + "(node2 is not one)", refusal(unicast(1).nodes(List.of("198.18.0.11", "node2"))));
        assertEquals("invalid understudy.transport.nodes: value=198.18.0.11,198.18.0.11, expected distinct addresses",
            refusal(unicast(1).nodes(List.of("198.18.0.11", "198.18.0.11"))));
        assertEquals("invalid understudy.transport.nodeId: value=4, expected 1..3 (understudy.transport.nodes has 3)",
            refusal(unicast(4)));
        assertEquals("invalid understudy.transport.address: value=198.18.0.99, expected node 2's entry in "
            + "understudy.transport.nodes (198.18.0.12)", refusal(unicast(2).address("198.18.0.99")));
        assertEquals("invalid understudy.transport.primaryAddress: value=198.18.0.99, expected one of understudy.transport.nodes "
            + "[198.18.0.11, 198.18.0.12, 198.18.0.13]", refusal(unicast(2).primaryAddress("198.18.0.99")));
        assertEquals("invalid understudy.transport.dataPort: value=65534, expected 1..65533 with understudy.transport.destinations"
            + "=unicast (data port + 2 is the primary's MDC control port)", refusal(unicast(1).dataPort(65534).controlPort(100)));
        assertEquals("invalid understudy.transport.controlPort: value=40458, expected 1..65535, neither the data port nor the "
            + "MDC control port (data port + 2)", refusal(unicast(1).controlPort(40458)));
    }
}
