package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Starts {@link TinyApp} in real JVMs (JDK 17 and 25) with {@code -javaagent:understudy-agent.jar}
 * and checks that the application runs normally whatever the agent does.
 */
@Timeout(120)
class AgentStartIT {
    private static final String SECRET = "correct-horse-battery-staple";
    private static final String APP_OK = "tiny-app: echo=ping\n"
        + "tiny-app: agent-visible=false bytebuddy-visible=false jna-visible=false agrona-visible=false\n"
        + "tiny-app: done\n";

    /** Shared by all tests of the class: nested jars are extracted once, and removed at the end. */
    @TempDir
    static Path tmp;

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    private static Jvm.Result runTinyApp(final Path java, final Map<String, String> env, final String... jvmOptions)
        throws Exception {
        final List<String> cmd = new ArrayList<>();
        cmd.add("-Djava.io.tmpdir=" + tmp);
        cmd.add("-Djna.tmpdir=" + tmp);
        cmd.addAll(List.of(jvmOptions));
        cmd.addAll(List.of("-cp", Jvm.testClasses().toString(), TinyApp.class.getName()));
        return Jvm.run(java, tmp, env, cmd);
    }

    private static String agent(final String args) {
        return "-javaagent:" + Jvm.agentJar() + (args == null ? "" : "=" + args);
    }

    private static long count(final String text, final String needle) {
        return Pattern.compile(Pattern.quote(needle)).matcher(text).results().count();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRunAppAndPrintResolvedConfigurationOnce(final Path java) throws Exception {
        final Jvm.Result r = runTinyApp(java, Map.of("UNDERSTUDY_VIP", "10.9.8.7"),
            "-Dunderstudy.log.level=debug",
            agent("role=clone,node.id=2,ports=8080,8081,secret=" + SECRET));

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        final String err = r.err();
        assertEquals(1, count(err, "configuration (agent argument > system property > environment > default):"), err);
        assertTrue(Pattern.compile("understudy\\.role +=  ?clone +\\(agent argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.node\\.id +=  ?2 +\\(agent argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.ports += 8080,8081 +\\(agent argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.vip += 10\\.9\\.8\\.7 +\\(environment\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.log\\.level += debug +\\(system property\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.aeron\\.dir += /dev/shm/understudy-2/aeron +\\(default\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.secret += \\*\\*\\* +\\(agent argument\\)").matcher(err).find(), err);
        assertFalse(err.contains(SECRET), "secret printed: " + err);
        assertTrue(err.contains("runtime: byte-buddy 1.18.17, jna 5.19.1 (native ok), aeron 1.51.0, agrona 2.4.1 (unsafe ok), "
            + "chronicle-queue 2026.4.0 in class loader 'understudy'"), err);
        final Matcher grants = Pattern.compile("module grants: (\\d+) granted(.*)").matcher(err);
        assertTrue(grants.find(), err);
        assertTrue(Integer.parseInt(grants.group(1)) >= 10, err);
        assertFalse(grants.group(2).contains("FAILED"), err);
        assertTrue(err.contains("understudy-agent: started in "), err);
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldPrintOneLineNamingEveryBadKeyAndStillRunTheApp(final Path java) throws Exception {
        final Jvm.Result r = runTinyApp(java, Map.of(), agent("vip=300.1.1.1,node.id=0,idle.strategy=nap"));

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        final List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.toString());
        assertEquals("understudy-agent: disabled: "
            + "invalid understudy.node.id: value=0, expected integer 1..255, at most the number of nodes (from agent argument); "
            + "invalid understudy.vip: value=300.1.1.1, expected IPv4 address (from agent argument); "
            + "invalid understudy.idle.strategy: value=nap, expected one of spin, yield, sleep, backoff (from agent argument); "
            + "the application runs without the agent", lines.get(0));
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRefuseASecondAttach(final Path java) throws Exception {
        final Jvm.Result r = runTinyApp(java, Map.of(), agent("role=standalone"), agent("role=primary,ports=80"));

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        assertEquals(1, count(r.err(), "configuration (agent argument"), r.toString());
        assertTrue(Pattern.compile("understudy\\.role += standalone").matcher(r.err()).find(), r.toString());
        assertTrue(r.err().contains("understudy-agent: already attached (version "), r.toString());
        assertTrue(r.err().contains("), ignoring this second premain"), r.toString());
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldKeepTheAppRunningWhenTheAgentCannotUnpackItself(final Path java) throws Exception {
        final Path nowhere = tmp.resolve("does-not-exist");
        final List<String> cmd = List.of("-Djava.io.tmpdir=" + nowhere, agent(null),
            "-cp", Jvm.testClasses().toString(), TinyApp.class.getName());
        final Jvm.Result r = Jvm.run(java, tmp, Map.of(), cmd);

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        // JDK 25 itself warns "java.io.tmpdir directory does not exist"; only our lines count here.
        final List<String> lines = r.err().lines().filter(l -> l.startsWith("understudy-agent")).toList();
        assertEquals(1, lines.size(), r.toString());
        assertTrue(lines.get(0).startsWith("understudy-agent: disabled: cannot create the agent cache directory under " + nowhere),
            r.toString());
        assertTrue(lines.get(0).endsWith("; the application runs without the agent"), r.toString());
    }
}
