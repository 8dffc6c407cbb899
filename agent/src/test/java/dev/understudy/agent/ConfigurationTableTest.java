package dev.understudy.agent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

class ConfigurationTableTest {
    private static Path moduleDir() {
        return Path.of(System.getProperty("basedir", ".")).toAbsolutePath();
    }

    @Test
    void shouldRenderOneRowPerKeyWithDefaultAndEnvironmentName() {
        final String md = ConfigurationTable.markdown();
        final String[] lines = md.split("\n");
        int rows = 0;
        for (final String line : lines) {
            if (line.startsWith("| `understudy.")) {
                rows++;
                assertEquals(7, line.split("(?<!\\\\)\\|", -1).length, line);
            }
        }
        assertEquals(Configuration.KEYS.size(), rows, md);
        assertTrue(md.contains("| `understudy.replication.channel` | `UNDERSTUDY_REPLICATION_CHANNEL` | `239.255.0.1:40456` |"), md);
        assertTrue(md.contains("| `understudy.secret` | `UNDERSTUDY_SECRET` | (none) |"), md);
        assertTrue(md.contains("| `understudy.config` | `UNDERSTUDY_CONFIG` | (none) |"), md);
        assertTrue(md.contains("| `understudy.journal.retention` | `UNDERSTUDY_JOURNAL_RETENTION` | `24h` | duration 1m..30d"), md);
    }

    @Test
    void shouldStatePrecedenceTheConfigFileAndTheHalt() {
        final String md = ConfigurationTable.markdown();
        assertTrue(md.contains("the environment variable (`UNDERSTUDY_ROLE=clone`), the file named by `config`"), md);
        assertTrue(md.contains("(argument, property, environment, file:PATH, default)"), md);
        assertTrue(md.contains("then halts the JVM with exit status " + Agent.CONFIGURATION_EXIT_STATUS + " before `main` runs"), md);
    }

    @Test
    void shouldMatchTheTableInTheReadme() throws Exception {
        final Path readme = moduleDir().resolve("../README.md").normalize();
        final String text = Files.exists(readme) ? new String(Files.readAllBytes(readme), StandardCharsets.UTF_8) : "";
        final int begin = text.indexOf(ConfigurationTable.BEGIN_MARKER);
        final int end = text.indexOf(ConfigurationTable.END_MARKER);
        if (begin < 0 || end < begin) {
            fail("README.md has no configuration table markers: add a line " + ConfigurationTable.BEGIN_MARKER
                + " and a line " + ConfigurationTable.END_MARKER + " and paste the output of "
                + "`java -jar agent/target/understudy-agent.jar --config-table` between them");
        }
        final String inReadme = text.substring(begin + ConfigurationTable.BEGIN_MARKER.length(), end).strip();
        assertEquals(ConfigurationTable.markdown().strip(), inReadme,
            "README.md configuration table is stale: replace the text between the markers with the output of "
                + "`java -jar agent/target/understudy-agent.jar --config-table`");
    }
}
