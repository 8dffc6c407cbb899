package dev.understudy.agent.bootstrap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;

import org.junit.jupiter.api.Test;

class AgentBootstrapTest {
    @Test
    void shouldParseJavaSpecificationVersions() {
        assertEquals(8, AgentBootstrap.javaFeatureVersion("1.8"));
        assertEquals(11, AgentBootstrap.javaFeatureVersion("11"));
        assertEquals(17, AgentBootstrap.javaFeatureVersion("17"));
        assertEquals(25, AgentBootstrap.javaFeatureVersion("25"));
        assertEquals(0, AgentBootstrap.javaFeatureVersion(null));
        assertEquals(0, AgentBootstrap.javaFeatureVersion("abc"));
        assertEquals(0, AgentBootstrap.javaFeatureVersion(""));
    }

    @Test
    void shouldCompileTheFrontDoorForJava8SoOldJvmsCanLoadIt() throws Exception {
        // Class file major version 52 = Java 8; the rest of the bootstrap is 61 (Java 17).
        assertEquals(52, majorVersion(AgentBootstrap.class));
        assertEquals(61, majorVersion(Launcher.class));
    }

    @Test
    void shouldPrintVersionLineWithRuntime() {
        final String line = AgentBootstrap.versionLine();
        assertTrue(line.matches("understudy-agent \\S+ \\(Java \\S+\\)"), line);
        assertTrue(line.endsWith("(Java " + Runtime.version() + ")"), line);
        assertTrue(!AgentBootstrap.version().contains("${"), "version is not filtered: " + AgentBootstrap.version());
    }

    @Test
    void shouldDescribeFailuresOnOneLine() {
        assertEquals("java.lang.IllegalStateException: a b", AgentBootstrap.describe(new IllegalStateException("a\nb")));
        assertEquals("cannot extract", AgentBootstrap.describe(new LaunchException("cannot extract", null)));
    }

    private static int majorVersion(final Class<?> type) throws Exception {
        try (InputStream in = type.getResourceAsStream(type.getSimpleName() + ".class");
             DataInputStream data = new DataInputStream(in)) {
            assertEquals(0xCAFEBABE, data.readInt());
            data.readUnsignedShort();
            return data.readUnsignedShort();
        }
    }
}
