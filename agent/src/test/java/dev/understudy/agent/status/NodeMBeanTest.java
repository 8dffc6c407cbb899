package dev.understudy.agent.status;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.Map;
import javax.management.MBeanOperationInfo;
import javax.management.MBeanServer;
import javax.management.ObjectName;
import javax.management.ReflectionException;
import javax.management.RuntimeMBeanException;
import org.junit.jupiter.api.Test;

/**
 * The node's MBean through the platform MBean server, as a JMX client reaches it: counters as
 * attributes, operations without and with one String parameter (the primary's
 * {@code switchover(target)}), an operation's refusal handed to the caller with its message, and a
 * call with the wrong parameters refused by name. Mutation check: with {@code invoke} handing the
 * action null instead of its parameter, the test failed (NullPointerException from the action);
 * restored.
 */
class NodeMBeanTest {
    @Test
    void shouldInvokeOperationsWithAndWithoutAParameterAndPassTheirRefusalOn() throws Exception {
        NodeMBean.operation("test-echo", "echoes", "word", w -> {
            if (w.isEmpty()) {
                throw new IllegalArgumentException("invalid word: value=, expected a non-empty word");
            }
            return "echo " + w;
        });
        NodeMBean.operation("test-ping", "pong", () -> "pong");
        ObjectName name = NodeMBean.register(() -> Map.of("records", 7L));
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        try {
            assertEquals(7L, server.getAttribute(name, "records"));
            assertEquals("pong", server.invoke(name, "test-ping", new Object[0], new String[0]));
            assertEquals("echo node2", server.invoke(name, "test-echo", new Object[] {"node2"},
                new String[] {String.class.getName()}));
            RuntimeMBeanException refused = assertThrows(RuntimeMBeanException.class, () -> server.invoke(name, "test-echo",
                new Object[] {""}, new String[] {String.class.getName()}));
            assertEquals("invalid word: value=, expected a non-empty word", refused.getCause().getMessage());
            ReflectionException wrong = assertThrows(ReflectionException.class,
                () -> server.invoke(name, "test-echo", new Object[0], new String[0]));
            assertTrue(wrong.getMessage().contains("test-echo(word)"), wrong.getMessage());
            MBeanOperationInfo echo = java.util.Arrays.stream(server.getMBeanInfo(name).getOperations())
                .filter(o -> o.getName().equals("test-echo")).findFirst().orElseThrow();
            assertEquals(1, echo.getSignature().length);
            assertEquals("word", echo.getSignature()[0].getName());
        } finally {
            NodeMBean.unregister(name);
        }
    }
}
