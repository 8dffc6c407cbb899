package dev.understudy.agent;

import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.understudy.agent.log.AgentLog;

/**
 * The real agent, loaded by the isolated class loader (see
 * {@code dev.understudy.agent.bootstrap.Launcher}). For now it resolves and validates the
 * {@link Configuration}, checks the shipped libraries ({@link RuntimeInfo}) and prints both as
 * one block on stderr; recording, replay and failover come next.
 *
 * <p>Contract: {@link #start} never throws. An invalid configuration is never ignored: the
 * application must not run unprotected because of a typo. At {@code premain} it prints one
 * line naming every bad key, its value, where it came from and what is allowed
 * ({@code understudy-agent: invalid configuration, halting the JVM with status 78 before the
 * application starts: invalid understudy.vip: value=300.1.1.1 (from argument), expected IPv4
 * address; ...}) and halts the JVM with {@value #CONFIGURATION_EXIT_STATUS}, so {@code main}
 * never runs. On a dynamic attach ({@code agentmain}) the application is already running and
 * serving; killing it for a bad attach argument would do more harm than the typo, so the
 * agent prints the same problems, does not start, and the application carries on as before.
 * A valid configuration never stops anything; role {@code standalone} (the default) only
 * observes.
 */
public final class Agent {
    /** Prefix of every line the agent prints. */
    public static final String PREFIX = "understudy-agent: ";
    /** Suffix of the line that says the agent is off. */
    public static final String DISABLED_SUFFIX = "; the application runs without the agent";
    /**
     * Exit status of a JVM halted for an invalid configuration: {@code EX_CONFIG} of
     * sysexits.h, so a supervisor can tell it from a crash (systemd: {@code RestartPreventExitStatus=78}).
     */
    public static final int CONFIGURATION_EXIT_STATUS = 78;
    /** Start of the line printed before the JVM is halted for an invalid configuration. */
    public static final String HALT_PREFIX = "invalid configuration, halting the JVM with status "
        + CONFIGURATION_EXIT_STATUS + " before the application starts: ";
    /** Start of the line printed when a dynamic attach is refused for an invalid configuration. */
    public static final String ATTACH_REFUSED_PREFIX = "invalid configuration, not attached: ";

    private static volatile Configuration configuration;

    private Agent() {
    }

    /**
     * Entry point from the bootstrap. Never throws; at {@code premain} with an invalid
     * configuration it never returns either (the JVM is halted).
     *
     * @param agentArgs the agent argument string, may be {@code null}.
     * @param inst      the instrumentation handle.
     * @param boot      facts from the bootstrap: {@code version}, {@code attach},
     *                  {@code agent.jar}, {@code lib.dir}, {@code lib.count},
     *                  {@code module.grants}, {@code bootstrap.start.nanos}.
     */
    public static void start(final String agentArgs, final Instrumentation inst, final Map<String, String> boot) {
        try {
            final Configuration c;
            try {
                c = Configuration.resolve(agentArgs);
            } catch (final ConfigurationException e) {
                refuse(e, boot.get("attach"));
                return;
            }
            configuration = c;
            AgentLog.level(c.logLevel());
            // One log path: the libraries' warnings end in the agent's log too.
            dev.understudy.netfilter.NetfilterLog.sink((source, message) ->
                AgentLog.log(Configuration.LogLevel.WARN, source, message, null));
            dev.understudy.transport.TransportLog.sink((source, message) ->
                AgentLog.log(Configuration.LogLevel.WARN, source, message, null));
            final String runtime = RuntimeInfo.describe();
            if (c.logLevel().compareTo(Configuration.LogLevel.INFO) >= 0) {
                final long startNanos = parseLong(boot.get("bootstrap.start.nanos"), System.nanoTime());
                final StringBuilder sb = new StringBuilder();
                sb.append(PREFIX).append(boot.get("version"))
                    .append(" (").append(boot.get("attach")).append(", Java ").append(Runtime.version()).append(')')
                    .append(" configuration (argument > property > environment > file > default):\n");
                sb.append(c.render());
                sb.append("  runtime: ").append(runtime).append('\n');
                sb.append("  module grants: ").append(boot.get("module.grants")).append('\n');
                sb.append("  libraries: ").append(boot.get("lib.count")).append(" jars in ").append(boot.get("lib.dir")).append('\n');
                sb.append(PREFIX).append("started in ")
                    .append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos))
                    .append(" ms\n");
                System.err.print(sb);
                System.err.flush();
            }
            // Role primary or clone: start it now, before main; stops the JVM if it cannot start.
            NodeRuntime.start(c, inst, boot);
        } catch (final Throwable t) {
            try {
                System.err.println(PREFIX + "disabled: " + RuntimeInfo.oneLine(t) + DISABLED_SUFFIX);
            } catch (final Throwable ignore) {
                // the application must not see this
            }
        }
    }

    /**
     * The bad-configuration path: one line on stderr, then, at premain, the JVM is halted.
     *
     * @param e      every problem found.
     * @param attach {@code premain} or {@code agentmain}.
     */
    private static void refuse(final ConfigurationException e, final String attach) {
        if ("agentmain".equals(attach)) {
            System.err.println(PREFIX + ATTACH_REFUSED_PREFIX + e.getMessage()
                + "; the running application carries on as before, without the agent");
            System.err.flush();
            return;
        }
        System.err.println(PREFIX + HALT_PREFIX + e.getMessage());
        System.err.flush();
        // premain runs on the main thread before main: stopping here is the only way to make
        // sure the application never starts, and serves clients, unprotected. halt rather than
        // System.exit: exit runs shutdown hooks (other agents', the JDK's) and blocks for ever
        // if one hangs, or if another thread is already exiting; halt runs nothing more and
        // always ends the process, and no hook of the application exists yet to be skipped.
        // halt does not flush System.err, hence the flush above. (AgentStartIT shows main
        // running when this line is removed.) Only a SecurityManager denying exitVM can refuse
        // it: the SecurityException then reaches start's catch, which says the agent is off.
        Runtime.getRuntime().halt(CONFIGURATION_EXIT_STATUS);
    }

    /**
     * @return the configuration of the running agent, or {@code null} if it did not start.
     */
    public static Configuration configuration() {
        return configuration;
    }

    private static long parseLong(final String s, final long fallback) {
        try {
            return Long.parseLong(s);
        } catch (final RuntimeException e) {
            return fallback;
        }
    }
}
