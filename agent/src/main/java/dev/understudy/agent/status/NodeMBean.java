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

    /** An operation: what it does, its one String parameter's name (null for none), the action. */
    private record Operation(String description, String parameter, java.util.function.Function<String, String> action) {
    }

    /** The node's operations by name, registered by the role once it runs. */
    private static final Map<String, Operation> OPERATIONS = new java.util.concurrent.ConcurrentSkipListMap<>();

    /**
     * Adds an operation without parameters to the node's MBean; {@code action} returns a line saying
     * what it did. Replaces an operation of the same name.
     */
    public static void operation(String name, String description, Supplier<String> action) {
        OPERATIONS.put(name, new Operation(description, null, ignored -> action.get()));
    }

    /**
     * Adds an operation with one {@code String} parameter; {@code action} returns a line saying what
     * it did, or throws (an {@link IllegalArgumentException} or {@link IllegalStateException} whose
     * message says why; the JMX client gets it as the cause of a {@code RuntimeMBeanException}).
     */
    public static void operation(String name, String description, String parameter,
                                 java.util.function.Function<String, String> action) {
        OPERATIONS.put(name, new Operation(description, parameter, action));
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
        Operation op = OPERATIONS.get(actionName);
        int given = params == null ? 0 : params.length;
        if (op == null || given != (op.parameter() == null ? 0 : 1) || (given == 1 && !(params[0] instanceof String))) {
            throw new javax.management.ReflectionException(new NoSuchMethodException(actionName),
                "no operation " + actionName + " with " + given + " parameter(s) on this node; operations: " + signatures());
        }
        return op.action().apply(given == 1 ? (String) params[0] : null);
    }

    private static String signatures() {
        StringBuilder b = new StringBuilder();
        for (Map.Entry<String, Operation> e : OPERATIONS.entrySet()) {
            b.append(b.length() == 0 ? "" : ", ").append(e.getKey()).append('(')
                .append(e.getValue().parameter() == null ? "" : e.getValue().parameter()).append(')');
        }
        return b.toString();
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
            .map(e -> new MBeanOperationInfo(e.getKey(), e.getValue().description(), e.getValue().parameter() == null
                ? new javax.management.MBeanParameterInfo[0]
                : new javax.management.MBeanParameterInfo[] {new javax.management.MBeanParameterInfo(e.getValue().parameter(),
                    "java.lang.String", e.getValue().parameter())},
                "java.lang.String", MBeanOperationInfo.ACTION))
            .toArray(MBeanOperationInfo[]::new);
        return new MBeanInfo(NodeMBean.class.getName(), "Understudy node status", attrs, null, ops, null);
    }
}
