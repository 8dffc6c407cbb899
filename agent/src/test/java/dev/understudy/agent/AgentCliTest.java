package dev.understudy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

class AgentCliTest {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(final String... args) {
        return AgentCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String out() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String err() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void shouldPrintUsageWithEveryKeyOnHelp() {
        assertEquals(0, run("--help"));
        assertTrue(out().startsWith("Usage:"), out());
        for (final Configuration.Key k : Configuration.KEYS) {
            assertTrue(out().contains("  " + k.argument() + " "), k.argument());
            assertTrue(out().contains(k.allowed()), k.allowed());
        }
        assertEquals("", err());
    }

    @Test
    void shouldExitWithUsageErrorOnUnknownOrMissingArguments() {
        assertEquals(2, run("--frobnicate"));
        assertTrue(err().startsWith("understudy-agent: unknown arguments: --frobnicate\nUsage:"), err());
        assertEquals("", out());
        assertEquals(2, run());
        assertEquals(2, run("--help", "extra"));
    }

    @Test
    void shouldPrintTheMarkdownTable() {
        assertEquals(0, run("--config-table"));
        assertEquals(ConfigurationTable.markdown(), out());
    }

    @Test
    void shouldCheckConfigurationAndExitOneWhenInvalid() {
        assertEquals(0, run("--check-config", "role=clone,ports=80"));
        assertTrue(out().contains("understudy.role") && out().contains("clone"), out());
        assertEquals(1, run("--check-config", "vip=1.2.3.400"));
        assertTrue(err().contains("invalid understudy.vip: value=1.2.3.400 (from argument), expected IPv4 address"), err());
    }
}
