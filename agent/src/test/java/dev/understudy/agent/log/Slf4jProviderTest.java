package dev.understudy.agent.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.understudy.agent.Configuration.LogLevel;

class Slf4jProviderTest {
    private final PrintStream original = System.err;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @AfterEach
    void restore() {
        System.setErr(original);
        AgentLog.level(LogLevel.INFO);
    }

    private String capture(final Runnable r) {
        System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            r.run();
        } finally {
            System.setErr(original);
        }
        return captured.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldRouteSlf4jThroughAgentLogAtTheConfiguredLevel() {
        final Logger log = LoggerFactory.getLogger("net.openhft.chronicle.core.Jvm");
        assertTrue(log instanceof Slf4jProvider.AgentLogger, log.getClass().getName());
        AgentLog.level(LogLevel.WARN);
        final String out = capture(() -> {
            log.info("not shown {}", 1);
            log.warn("disk {} is {}% full", "/var/tmp", 97);
            log.error("failed", new IllegalStateException("boom"));
        });
        assertEquals("understudy-agent: WARN [net.openhft.chronicle.core.Jvm] disk /var/tmp is 97% full\n"
            + "understudy-agent: ERROR [net.openhft.chronicle.core.Jvm] failed: java.lang.IllegalStateException: boom\n", out);
    }

    @Test
    void shouldTreatLibraryInfoAsDebugButKeepOurOwnInfo() {
        final Logger library = LoggerFactory.getLogger("net.openhft.chronicle.core.announcer.Announcer");
        final Logger ours = LoggerFactory.getLogger("dev.understudy.transport.Journal");
        AgentLog.level(LogLevel.INFO);
        assertTrue(ours.isInfoEnabled() && !library.isInfoEnabled());
        final String out = capture(() -> {
            library.info("Leave your e-mail");
            ours.info("journal at {}", "/j");
        });
        assertEquals("understudy-agent: INFO [dev.understudy.transport.Journal] journal at /j\n", out);
        AgentLog.level(LogLevel.DEBUG);
        assertTrue(library.isInfoEnabled());
    }

    @Test
    void shouldPrintStackTracesOnlyAtDebug() {
        AgentLog.level(LogLevel.DEBUG);
        final String out = capture(() -> AgentLog.log(LogLevel.WARN, null, "x", new IllegalStateException("y")));
        assertTrue(out.startsWith("understudy-agent: WARN x: java.lang.IllegalStateException: y\njava.lang.IllegalStateException: y\n\tat "), out);
        assertTrue(AgentLog.enabled(LogLevel.DEBUG) && !AgentLog.enabled(LogLevel.TRACE));
    }
}
