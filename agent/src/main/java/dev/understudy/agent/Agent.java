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
 * <p>Contract: {@link #start} never throws. An invalid configuration prints one line
 * ({@code understudy-agent: disabled: invalid understudy.vip: value=..., expected ...; the
 * application runs without the agent}) and returns; the application is never affected.
 */
public final class Agent {
    /** Prefix of every line the agent prints. */
    public static final String PREFIX = "understudy-agent: ";
    /** Suffix of the line that says the agent is off. */
    public static final String DISABLED_SUFFIX = "; the application runs without the agent";

    private static volatile Configuration configuration;

    private Agent() {
    }

    /**
     * Entry point from the bootstrap. Never throws.
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
                System.err.println(PREFIX + "disabled: " + e.getMessage() + DISABLED_SUFFIX);
                return;
            }
            configuration = c;
            AgentLog.level(c.logLevel());
            final String runtime = RuntimeInfo.describe();
            if (c.logLevel().compareTo(Configuration.LogLevel.INFO) >= 0) {
                final long startNanos = parseLong(boot.get("bootstrap.start.nanos"), System.nanoTime());
                final StringBuilder sb = new StringBuilder();
                sb.append(PREFIX).append(boot.get("version"))
                    .append(" (").append(boot.get("attach")).append(", Java ").append(Runtime.version()).append(')')
                    .append(" configuration (agent argument > system property > environment > default):\n");
                sb.append(c.render());
                sb.append("  runtime: ").append(runtime).append('\n');
                sb.append("  module grants: ").append(boot.get("module.grants")).append('\n');
                sb.append("  libraries: ").append(boot.get("lib.count")).append(" jars in ").append(boot.get("lib.dir")).append('\n');
                sb.append(PREFIX).append("started in ")
                    .append(TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - startNanos))
                    .append(" ms; recording and replay are not implemented yet\n");
                System.err.print(sb);
                System.err.flush();
            }
        } catch (final Throwable t) {
            try {
                System.err.println(PREFIX + "disabled: " + RuntimeInfo.oneLine(t) + DISABLED_SUFFIX);
            } catch (final Throwable ignore) {
                // the application must not see this
            }
        }
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
