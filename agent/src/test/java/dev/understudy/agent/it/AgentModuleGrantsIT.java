package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Chronicle Queue (write and read back one excerpt) and an embedded Aeron media driver work
 * inside the agent's isolated class loader on JDK 17 and 25 with no {@code --add-opens} on the
 * command line: the agent's {@code redefineModule} grants are enough.
 */
@Timeout(120)
class AgentModuleGrantsIT {
    @TempDir
    static Path tmp;

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRunChronicleAndAeronInsideTheIsolatedLoaderWithoutCommandLineFlags(final Path java) throws Exception {
        final Path scratch = Files.createTempDirectory(tmp, "probe");
        final Jvm.Result r = Jvm.run(java, tmp, Map.of(), List.of(
            "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp,
            "-javaagent:" + Jvm.agentJar(),
            "-cp", Jvm.testClasses().toString(), GrantsProbeApp.class.getName(), scratch.toString()));

        assertEquals(0, r.exit(), r.toString());
        assertEquals("probe: loader=understudy\n"
            + "probe: chronicle=hello through the grants\n"
            + "probe: aeron-driver=true\n"
            + "probe: done\n", r.out(), r.toString());
        assertFalse(r.err().contains("analytics"), r.toString());
        // Chronicle's SLF4J output is routed to the agent's log (no "No SLF4J providers" noise,
        // library info demoted to debug).
        assertFalse(r.err().contains("SLF4J"), r.toString());
        assertFalse(r.err().contains("Leave your e-mail"), r.toString());
    }
}
