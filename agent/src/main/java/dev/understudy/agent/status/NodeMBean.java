package dev.understudy.agent.status;

import java.lang.management.ManagementFactory;
import java.util.Map;
import java.util.function.Supplier;
import javax.management.Attribute;
import javax.management.AttributeList;
import javax.management.AttributeNotFoundException;
import javax.management.DynamicMBean;
import javax.management.MBeanAttributeInfo;
import javax.management.MBeanInfo;
import javax.management.MBeanOperationInfo;
import javax.management.ObjectName;

/**
 * The node's status over JMX ({@value #OBJECT_NAME}): one read-only {@code long} attribute per
 * agent counter ({@link AgentCounters}), the same names and values {@code understudy status}
 * prints, read live.
 */
public final class NodeMBean implements DynamicMBean {
    /** The MBean's object name. */
    public static final String OBJECT_NAME = "dev.understudy:type=Node";

    private final Supplier<Map<String, Long>> counters;

    /** The node's operations (name → description, action), registered by the role once it runs. */
    private static final Map<String, Map.Entry<String, Supplier<String>>> OPERATIONS =
        new java.util.concurrent.ConcurrentSkipListMap<>();

    /**
     * Adds an operation without parameters to the node's MBean; {@code action} returns a line saying
     * what it did. Replaces an operation of the same name.
     */
    public static void operation(String name, String description, Supplier<String> action) {
        OPERATIONS.put(name, Map.entry(description, action));
    }

    private NodeMBean(Supplier<Map<String, Long>> counters) {
        this.counters = counters;
    }

    /**
     * Registers the node's MBean in the platform MBean server (replacing a previous one).
     *
     * @return the name, for unregistering
     */
    public static ObjectName register(Supplier<Map<String, Long>> counters) throws Exception {
        ObjectName name = new ObjectName(OBJECT_NAME);
        javax.management.MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        if (server.isRegistered(name)) {
            server.unregisterMBean(name);
        }
        server.registerMBean(new NodeMBean(counters), name);
        return name;
    }

    /** Unregisters it; never throws. */
    public static void unregister(ObjectName name) {
        try {
            ManagementFactory.getPlatformMBeanServer().unregisterMBean(name);
        } catch (Exception ignored) {
            // already gone
        }
    }

    @Override
    public Object getAttribute(String attribute) throws AttributeNotFoundException {
        Long v = counters.get().get(attribute);
        if (v == null) {
            throw new AttributeNotFoundException("no counter named " + attribute);
        }
        return v;
    }

    @Override
    public void setAttribute(Attribute attribute) {
        throw new UnsupportedOperationException("the node's counters are read-only");
    }

    @Override
    public AttributeList getAttributes(String[] attributes) {
        Map<String, Long> all = counters.get();
        AttributeList list = new AttributeList();
        for (String a : attributes) {
            Long v = all.get(a);
            if (v != null) {
                list.add(new Attribute(a, v));
            }
        }
        return list;
    }

    @Override
    public AttributeList setAttributes(AttributeList attributes) {
        return new AttributeList();
    }

    @Override
    public Object invoke(String actionName, Object[] params, String[] signature) throws javax.management.ReflectionException {
        Map.Entry<String, Supplier<String>> op = OPERATIONS.get(actionName);
        if (op == null || (params != null && params.length > 0)) {
            throw new javax.management.ReflectionException(new NoSuchMethodException(actionName),
                "no operation " + actionName + "() on this node; operations: " + OPERATIONS.keySet());
        }
        return op.getValue().get();
    }

    @Override
    public MBeanInfo getMBeanInfo() {
        Map<String, Long> all = counters.get();
        MBeanAttributeInfo[] attrs = new MBeanAttributeInfo[all.size()];
        int i = 0;
        for (String name : all.keySet()) {
            attrs[i++] = new MBeanAttributeInfo(name, "long", "agent counter '" + name + "'", true, false, false);
        }
        MBeanOperationInfo[] ops = OPERATIONS.entrySet().stream()
            .map(e -> new MBeanOperationInfo(e.getKey(), e.getValue().getKey(), new javax.management.MBeanParameterInfo[0],
                "java.lang.String", MBeanOperationInfo.ACTION))
            .toArray(MBeanOperationInfo[]::new);
        return new MBeanInfo(NodeMBean.class.getName(), "Understudy node status", attrs, null, ops, null);
    }
}
