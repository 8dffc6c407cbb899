package dev.understudy.agent.log;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.slf4j.ILoggerFactory;
import org.slf4j.IMarkerFactory;
import org.slf4j.Logger;
import org.slf4j.Marker;
import org.slf4j.event.Level;
import org.slf4j.helpers.BasicMarkerFactory;
import org.slf4j.helpers.LegacyAbstractLogger;
import org.slf4j.helpers.MessageFormatter;
import org.slf4j.helpers.NOPMDCAdapter;
import org.slf4j.spi.MDCAdapter;
import org.slf4j.spi.SLF4JServiceProvider;

import dev.understudy.agent.Configuration.LogLevel;

/**
 * SLF4J 2 provider for the libraries inside the agent's isolated class loader (Chronicle logs
 * through SLF4J): routes them to {@link AgentLog}. Without it SLF4J prints "No SLF4J providers
 * were found" into the application's stderr and drops every warning.
 *
 * <p>Libraries are chatty at {@code info} (Chronicle announces itself and its file growth), and
 * the application's stderr is not ours to fill: a library logger's {@code info} is treated as
 * {@code debug}. Loggers named {@code dev.understudy.*} keep their level.
 *
 * <p>Found by {@code ServiceLoader} through {@code META-INF/services} in the agent's core jar,
 * which only the isolated loader sees: the application's own SLF4J and its binding are untouched.
 */
public final class Slf4jProvider implements SLF4JServiceProvider {
    private final IMarkerFactory markers = new BasicMarkerFactory();
    private final MDCAdapter mdc = new NOPMDCAdapter();
    private final LoggerFactory loggers = new LoggerFactory();

    @Override
    public ILoggerFactory getLoggerFactory() {
        return loggers;
    }

    @Override
    public IMarkerFactory getMarkerFactory() {
        return markers;
    }

    @Override
    public MDCAdapter getMDCAdapter() {
        return mdc;
    }

    @Override
    public String getRequestedApiVersion() {
        return "2.0.99";
    }

    @Override
    public void initialize() {
        // nothing to set up
    }

    private static final class LoggerFactory implements ILoggerFactory {
        private final Map<String, Logger> loggers = new ConcurrentHashMap<>();

        @Override
        public Logger getLogger(final String name) {
            return loggers.computeIfAbsent(name, AgentLogger::new);
        }
    }

    /** One SLF4J logger; level checks read {@link AgentLog}'s current level. */
    static final class AgentLogger extends LegacyAbstractLogger {
        private static final long serialVersionUID = 1L;

        /** Level used for this logger's {@code info} calls. */
        private final LogLevel infoAs;

        AgentLogger(final String name) {
            this.name = name;
            this.infoAs = name.startsWith("dev.understudy.") ? LogLevel.INFO : LogLevel.DEBUG;
        }

        @Override
        public boolean isTraceEnabled() {
            return AgentLog.enabled(LogLevel.TRACE);
        }

        @Override
        public boolean isDebugEnabled() {
            return AgentLog.enabled(LogLevel.DEBUG);
        }

        @Override
        public boolean isInfoEnabled() {
            return AgentLog.enabled(infoAs);
        }

        @Override
        public boolean isWarnEnabled() {
            return AgentLog.enabled(LogLevel.WARN);
        }

        @Override
        public boolean isErrorEnabled() {
            return AgentLog.enabled(LogLevel.ERROR);
        }

        @Override
        protected String getFullyQualifiedCallerName() {
            return null;
        }

        @Override
        protected void handleNormalizedLoggingCall(
            final Level level, final Marker marker, final String messagePattern, final Object[] arguments, final Throwable throwable) {
            final String message = MessageFormatter.basicArrayFormat(messagePattern, arguments);
            final LogLevel l = level == Level.INFO ? infoAs : LogLevel.valueOf(level.name());
            AgentLog.log(l, name, message, throwable);
        }
    }
}
