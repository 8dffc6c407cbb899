package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.DataInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.jar.JarInputStream;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import dev.understudy.agent.Configuration;

/** The packaged {@code understudy-agent.jar}: manifest, layout, and its command line on JDK 17 and 25. */
@Timeout(120)
class AgentJarIT {
    private static final String BOOTSTRAP = "dev.understudy.agent.bootstrap.AgentBootstrap";

    @TempDir
    static Path tmp;

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    @Test
    void shouldDeclareAgentEntryPointsAndCapabilitiesInTheManifest() throws Exception {
        try (JarFile jar = new JarFile(Jvm.agentJar().toFile())) {
            final Attributes main = jar.getManifest().getMainAttributes();
            assertEquals(BOOTSTRAP, main.getValue("Premain-Class"));
            assertEquals(BOOTSTRAP, main.getValue("Agent-Class"));
            assertEquals(BOOTSTRAP, main.getValue("Main-Class"));
            assertEquals("true", main.getValue("Can-Retransform-Classes"));
            assertEquals("true", main.getValue("Can-Redefine-Classes"));
            assertEquals(System.getProperty("agent.version"), main.getValue("Implementation-Version"));
            // A Class-Path would put jars on the application's class path.
            assertNull(main.getValue("Class-Path"));
            assertNull(main.getValue("Launcher-Agent-Class"));
        }
    }

    @Test
    void shouldExposeOnlyTheBootstrapAndNestEverythingElse() throws Exception {
        final List<String> nested = new ArrayList<>();
        try (JarFile jar = new JarFile(Jvm.agentJar().toFile())) {
            for (final JarEntry e : java.util.Collections.list(jar.entries())) {
                final String name = e.getName();
                if (name.endsWith(".class")) {
                    assertTrue(name.startsWith("dev/understudy/agent/bootstrap/"), "class outside the bootstrap: " + name);
                } else if (name.startsWith("META-INF/understudy/lib/") && !e.isDirectory()) {
                    nested.add(name.substring("META-INF/understudy/lib/".length()));
                }
            }
            assertEquals(52, majorVersion(jar, "dev/understudy/agent/bootstrap/AgentBootstrap.class"), "front door must be Java 8 bytecode");
            assertEquals(61, majorVersion(jar, "dev/understudy/agent/bootstrap/Launcher.class"));
            final String version = System.getProperty("agent.version");
            for (final String expected : List.of("understudy-agent-core.jar", "byte-buddy-1.18.17.jar", "jna-5.19.1.jar",
                "aeron-client-1.51.0.jar", "aeron-driver-1.51.0.jar", "agrona-2.4.1.jar", "chronicle-queue-2026.4.jar",
                "understudy-interceptors-" + version + ".jar", "understudy-jna-netfilter-" + version + ".jar",
                "understudy-transport-" + version + ".jar")) {
                assertTrue(nested.contains(expected), expected + " missing from " + nested);
            }
            assertFalse(nested.stream().anyMatch(n -> n.startsWith("chronicle-analytics")), "analytics shipped: " + nested);
            try (JarInputStream core = new JarInputStream(jar.getInputStream(jar.getEntry("META-INF/understudy/lib/understudy-agent-core.jar")))) {
                final List<String> classes = new ArrayList<>();
                for (JarEntry e = core.getNextJarEntry(); e != null; e = core.getNextJarEntry()) {
                    classes.add(e.getName());
                }
                assertTrue(classes.contains("dev/understudy/agent/Configuration.class"), classes.toString());
                assertFalse(classes.stream().anyMatch(n -> n.startsWith("dev/understudy/agent/bootstrap/")), classes.toString());
            }
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldPrintVersionWithRuntime(final Path java) throws Exception {
        final Jvm.Result r = Jvm.run(java, tmp, Map.of(), List.of("-jar", Jvm.agentJar().toString(), "--version"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().matches("understudy-agent " + Pattern.quote(System.getProperty("agent.version"))
            + " \\(Java (17|25)\\.\\S+\\)\n"), r.toString());
        assertEquals("", r.err());
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldPrintUsageAndEveryKeyOnHelp(final Path java) throws Exception {
        final Jvm.Result r = Jvm.run(java, tmp, Map.of(),
            List.of("-Djava.io.tmpdir=" + tmp, "-jar", Jvm.agentJar().toString(), "--help"));
        assertEquals(0, r.exit(), r.toString());
        assertTrue(r.out().startsWith("Usage:\n"), r.toString());
        for (final Configuration.Key k : Configuration.KEYS) {
            assertTrue(r.out().contains("  " + k.argument() + " "), k.argument() + "\n" + r);
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldExitTwoWithUsageOnUnknownArguments(final Path java) throws Exception {
        final Jvm.Result r = Jvm.run(java, tmp, Map.of(),
            List.of("-Djava.io.tmpdir=" + tmp, "-jar", Jvm.agentJar().toString(), "--frobnicate"));
        assertEquals(2, r.exit(), r.toString());
        assertTrue(r.err().startsWith("understudy-agent: unknown arguments: --frobnicate\nUsage:\n"), r.toString());
        assertEquals("", r.out());
    }

    private static int majorVersion(final JarFile jar, final String entry) throws Exception {
        try (InputStream in = jar.getInputStream(jar.getEntry(entry)); DataInputStream data = new DataInputStream(in)) {
            data.readInt();
            data.readUnsignedShort();
            return data.readUnsignedShort();
        }
    }
}
