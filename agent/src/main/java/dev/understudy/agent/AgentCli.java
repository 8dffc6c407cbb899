package dev.understudy.agent;

import java.io.PrintStream;

/**
 * The command line of {@code java -jar understudy-agent.jar}, run inside the isolated class
 * loader ({@code --version} is answered by the bootstrap without it).
 *
 * <pre>
 *   --version               understudy-agent &lt;version&gt; (Java &lt;runtime&gt;)
 *   --help                  usage and every configuration key
 *   --config-table          the README configuration table (Markdown)
 *   --check-config [ARGS]   resolve and validate ARGS (agent argument syntax) with this
 *                           process's system properties and environment; exit 1 if invalid
 *   --status AERON_DIR      the running node's counters (role, epoch, positions, capture, ring,
 *                           degraded, errors) read from its Aeron directory; exit 1 if none runs there
 *   --invoke PID OPERATION [ARGUMENT]
 *                           a node's JMX operation (applyAll, divergedConnections; switchover NODE on
 *                           the primary) through the Attach API; exit 1 with the operation's reason
 *                           if it refused or failed
 * </pre>
 * Anything else prints the usage on stderr and exits with {@value #USAGE_ERROR}.
 */
public final class AgentCli {
    /** Exit status for a usage error. */
    public static final int USAGE_ERROR = 2;

    private AgentCli() {
    }

    /**
     * Entry point from the bootstrap.
     *
     * @param args command-line arguments.
     * @return the exit status.
     */
    public static int run(final String[] args) {
        return run(args, System.out, System.err);
    }

    /**
     * @param args command-line arguments.
     * @param out  standard output.
     * @param err  standard error.
     * @return the exit status: 0 ok, 1 invalid configuration, 2 usage error.
     */
    public static int run(final String[] args, final PrintStream out, final PrintStream err) {
        if (args.length == 1 && ("--help".equals(args[0]) || "-h".equals(args[0]))) {
            out.print(usage());
            return 0;
        }
        if (args.length == 1 && "--version".equals(args[0])) {
            out.println("understudy-agent " + version() + " (Java " + Runtime.version() + ")");
            return 0;
        }
        if (args.length == 1 && "--config-table".equals(args[0])) {
            out.print(ConfigurationTable.markdown());
            return 0;
        }
        if ((args.length == 1 || args.length == 2) && "--check-config".equals(args[0])) {
            try {
                final Configuration c = Configuration.resolve(args.length == 2 ? args[1] : null);
                out.print(c.render());
                return 0;
            } catch (final ConfigurationException e) {
                err.println(Agent.PREFIX + e.getMessage());
                return 1;
            }
        }
        if (args.length == 2 && "--status".equals(args[0])) {
            try {
                final java.util.Map<String, Long> counters =
                    dev.understudy.agent.status.StatusReader.read(new java.io.File(args[1]));
                int width = 0;
                for (final String k : counters.keySet()) {
                    width = Math.max(width, k.length());
                }
                for (final java.util.Map.Entry<String, Long> e : counters.entrySet()) {
                    out.println(e.getKey() + " ".repeat(width + 2 - e.getKey().length()) + e.getValue());
                }
                return 0;
            } catch (final RuntimeException e) {
                err.println(Agent.PREFIX + "status: " + e.getMessage());
                return 1;
            }
        }
        if ((args.length == 3 || args.length == 4) && "--invoke".equals(args[0])) {
            try {
                out.println(invoke(args[1], args[2], args.length == 4 ? args[3] : null));
                return 0;
            } catch (final Exception e) {
                err.println(Agent.PREFIX + "invoke " + args[2] + " on pid " + args[1] + ": " + reason(e));
                return 1;
            }
        }
        err.println(Agent.PREFIX + (args.length == 0 ? "no command" : "unknown arguments: " + String.join(" ", args)));
        err.print(usage());
        return USAGE_ERROR;
    }

    /**
     * Invokes operation {@code operation} of the {@code dev.understudy:type=Node} MBean of the JVM
     * {@code pid} through the Attach API and its local JMX connector (started if needed).
     */
    static String invoke(final String pid, final String operation, final String argument) throws Exception {
        final com.sun.tools.attach.VirtualMachine vm = com.sun.tools.attach.VirtualMachine.attach(pid);
        try {
            final String address = vm.startLocalManagementAgent();
            try (javax.management.remote.JMXConnector c = javax.management.remote.JMXConnectorFactory.connect(
                new javax.management.remote.JMXServiceURL(address))) {
                final Object r = c.getMBeanServerConnection().invoke(
                    new javax.management.ObjectName(dev.understudy.agent.status.NodeMBean.OBJECT_NAME), operation,
                    argument == null ? new Object[0] : new Object[] {argument},
                    argument == null ? new String[0] : new String[] {String.class.getName()});
                return String.valueOf(r);
            }
        } finally {
            vm.detach();
        }
    }

    /** What went wrong, unwrapped from the JMX exceptions around an operation's own. */
    static String reason(final Throwable e) {
        Throwable t = e;
        while ((t instanceof javax.management.JMException || t instanceof javax.management.JMRuntimeException
            || t instanceof java.lang.reflect.UndeclaredThrowableException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t.getMessage() != null && t != e ? t.getMessage() : String.valueOf(t);
    }

    /**
     * @return the usage text with every configuration key.
     */
    public static String usage() {
        final StringBuilder sb = new StringBuilder();
        sb.append("Usage:\n")
            .append("  java -javaagent:understudy-agent.jar[=key=value,...] <your application>\n")
            .append("  java -jar understudy-agent.jar --version | --help | --config-table | --check-config [key=value,...]\n")
            .append("  java -jar understudy-agent.jar --status AERON_DIR   (a running node's counters)\n")
            .append("  java -jar understudy-agent.jar --invoke PID OPERATION [ARGUMENT]   (a node's JMX operation, e.g. applyAll,\n")
            .append("      or switchover 2 on the primary;\n")
            .append("      run it in the node's network namespace: the JVM's local JMX connector listens on its loopback)\n\n")
            .append("Configuration keys. Precedence: agent argument (key=value, no 'understudy.' prefix;\n")
            .append("an element without '=' continues a list value) > system property -Dunderstudy.<key>\n")
            .append("> environment UNDERSTUDY_<KEY> > default.\n\n");
        for (final Configuration.Key k : Configuration.KEYS) {
            sb.append("  ").append(k.argument());
            sb.append(" ".repeat(Math.max(1, 22 - k.argument().length())));
            sb.append("default: ").append(k.defaultValue().isEmpty() ? "(none)" : k.defaultValue()).append('\n');
            sb.append("      ").append(k.meaning()).append('\n');
            sb.append("      allowed: ").append(k.allowed()).append('\n');
        }
        return sb.toString();
    }

    private static String version() {
        final Package p = AgentCli.class.getPackage();
        final String v = p == null ? null : p.getImplementationVersion();
        return v == null ? "unknown" : v;
    }
}
