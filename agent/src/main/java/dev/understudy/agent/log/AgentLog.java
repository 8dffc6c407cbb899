package dev.understudy.agent.log;

import java.io.PrintStream;

import dev.understudy.agent.Configuration.LogLevel;

/**
 * The agent's own log: single lines on {@code stderr}, prefixed {@code understudy-agent: LEVEL},
 * filtered by {@link dev.understudy.agent.Configuration#LOG_LEVEL_PROP}. The libraries the agent
 * ships (Chronicle logs through SLF4J) are routed here by {@link Slf4jProvider}, so their output
 * obeys the same level and never reaches the application's own logging.
 *
 * <p>A throwable is printed as one line ({@code class: message}) up to {@code info}; with
 * {@code debug} or {@code trace} its stack trace follows.
 *
 * <p>Thread-safety: the level is a volatile field; each call writes one {@code println}.
 * Not for hot paths: it builds a string per call.
 */
public final class AgentLog {
    /** Prefix of every line. */
    public static final String PREFIX = "understudy-agent: ";

    private static volatile LogLevel level = LogLevel.INFO;

    private AgentLog() {
    }

    /**
     * @param newLevel the most verbose level still printed.
     */
    public static void level(final LogLevel newLevel) {
        level = newLevel;
    }

    /**
     * @return the current level.
     */
    public static LogLevel level() {
        return level;
    }

    /**
     * @param l a level.
     * @return whether lines at {@code l} are printed.
     */
    public static boolean enabled(final LogLevel l) {
        return l.compareTo(level) <= 0;
    }

    /**
     * Prints one line if {@code l} is enabled.
     *
     * @param l       level of the line.
     * @param source  who logs (a logger name), may be {@code null}.
     * @param message the message.
     * @param error   an attached throwable, may be {@code null}.
     */
    public static void log(final LogLevel l, final String source, final String message, final Throwable error) {
        if (!enabled(l)) {
            return;
        }
        final StringBuilder sb = new StringBuilder(PREFIX).append(l.name());
        if (source != null) {
            sb.append(" [").append(source).append(']');
        }
        sb.append(' ').append(message);
        if (error != null) {
            sb.append(": ").append(error);
        }
        final PrintStream err = System.err;
        err.println(sb.toString().replace('\n', ' '));
        if (error != null && enabled(LogLevel.DEBUG)) {
            error.printStackTrace(err);
        }
    }
}
