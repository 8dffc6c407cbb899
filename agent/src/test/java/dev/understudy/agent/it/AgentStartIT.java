package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
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
 * and checks that the application runs normally with a valid configuration, and never runs
 * with an invalid one.
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

    // Mutation check: with the halt in NodeRuntime.fatal removed, main ran (APP_OK printed) and
    // the exit status was 0: this test failed on both JDKs.
    @ParameterizedTest
    @MethodSource("javas")
    void shouldStopTheJvmBeforeMainWhenThePrimaryCannotStart(final Path java) throws Exception {
        // Outside the lab there is no interface with node1's address (198.18.0.11): the replication
        // driver cannot bind, so the primary cannot start, and the application must not run unprotected.
        final Jvm.Result r = runTinyApp(java, Map.of(),
            "-Dunderstudy.aeron.dir=" + tmp.resolve("aeron-{node.id}"), "-Dunderstudy.journal.dir=" + tmp.resolve("journal"),
            agent("role=primary,node.id=1,ports=7000"));
        assertEquals(70, r.exit(), r.toString());
        assertEquals("", r.out(), "main must not have run: " + r);
        assertTrue(r.err().contains("the primary could not start recording"), r.toString());
        assertTrue(r.err().contains("stopping the JVM (a protected service never runs unprotected)"), r.toString());
    }

    // Mutation check: with CloneNode's journal check removed, this test failed on both JDKs.
    @ParameterizedTest
    @MethodSource("javas")
    void shouldRefuseToStartACloneWhoseJournalLostItsBeginning(final Path java) throws Exception {
        // A journal as retention leaves it: its first record is sequence 5, records 1..4 are gone.
        final Path journal = tmp.resolve("journal-truncated-" + java.getParent().getParent().getFileName());
        try (dev.understudy.transport.journal.Journal j = dev.understudy.transport.journal.Journal.open(
            dev.understudy.transport.journal.JournalConfig.builder(journal).build())) {
            final org.agrona.concurrent.UnsafeBuffer b = new org.agrona.concurrent.UnsafeBuffer(new byte[64]);
            final dev.understudy.transport.record.RecordCodec codec = new dev.understudy.transport.record.RecordCodec();
            for (long seq = 5; seq <= 8; seq++) {
                new dev.understudy.transport.record.CheckpointFlyweight().wrapForEncode(b, 0, 1, seq).checkpointId(seq)
                    .timestampNs(1).reason(1);
                codec.seal(b, 0);
                assertEquals(seq, j.append(b, 0, dev.understudy.transport.record.CheckpointFlyweight.LENGTH));
            }
        }
        final Jvm.Result r = runTinyApp(java, Map.of(),
            "-Dunderstudy.aeron.dir=" + tmp.resolve("aeron-clone-{node.id}"), "-Dunderstudy.journal.dir=" + journal,
            agent("role=clone,node.id=2,ports=7000"));
        assertEquals(70, r.exit(), r.toString());
        assertEquals("", r.out(), "main must not have run: " + r);
        assertTrue(r.err().contains("this clone cannot be rebuilt from its journal"), r.toString());
        assertTrue(r.err().contains("starts at sequence 5"), r.toString());
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRunAppAndPrintResolvedConfigurationOnce(final Path java) throws Exception {
        final Path file = Files.writeString(Files.createTempFile(tmp, "understudy", ".properties"),
            "checkpoint.interval=250ms\nunderstudy.log.level=warn\n");
        final Jvm.Result r = runTinyApp(java, Map.of("UNDERSTUDY_VIP", "10.9.8.7", "UNDERSTUDY_CONFIG", file.toString()),
            "-Dunderstudy.log.level=debug",
            agent("role=standalone,node.id=2,ports=8080,8081,secret=" + SECRET));

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        final String err = r.err();
        assertEquals(1, count(err, "configuration (argument > property > environment > file > default):"), err);
        assertTrue(Pattern.compile("understudy\\.role +=  ?standalone +\\(argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.node\\.id +=  ?2 +\\(argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.ports += 8080,8081 +\\(argument\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.vip += 10\\.9\\.8\\.7 +\\(environment\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.log\\.level += debug +\\(property\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.checkpoint\\.interval += 250ms +\\(file:" + Pattern.quote(file.toString()) + "\\)")
            .matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.aeron\\.dir += /dev/shm/understudy-2/aeron +\\(default\\)").matcher(err).find(), err);
        assertTrue(Pattern.compile("understudy\\.secret += \\*\\*\\* +\\(argument\\)").matcher(err).find(), err);
        assertFalse(err.contains(SECRET), "secret printed: " + err);
        assertTrue(err.contains("runtime: byte-buddy 1.18.17, jna 5.19.1 (native ok), aeron 1.51.0, agrona 2.4.1 (unsafe ok), "
            + "chronicle-queue 2026.4.0 in class loader 'understudy'"), err);
        final Matcher grants = Pattern.compile("module grants: (\\d+) granted(.*)").matcher(err);
        assertTrue(grants.find(), err);
        assertTrue(Integer.parseInt(grants.group(1)) >= 10, err);
        assertFalse(grants.group(2).contains("FAILED"), err);
        assertTrue(err.contains("understudy-agent: started in "), err);
    }

    /*
     * The application must never start unprotected. Checked once with the halt line removed
     * from Agent.refuse (2026-12-01): this test and the next failed on JDK 17 and 25 with
     * "exit=0 ... expected: <78> but was: <0>", i.e. the message was printed and TinyApp's
     * main ran to completion anyway.
     */
    @ParameterizedTest
    @MethodSource("javas")
    void shouldHaltTheJvmBeforeMainWithOneLineNamingEveryBadKey(final Path java) throws Exception {
        final Jvm.Result r = runTinyApp(java, Map.of("UNDERSTUDY_DEGRADED", "panic"),
            "-Dunderstudy.ack.quorum=7", agent("role=primary,ports=7000,vip=300.1.1.1,node.id=0,idle.strategy=nap"));

        assertEquals(78, r.exit(), r.toString());
        assertEquals("", r.out(), "main ran: " + r);
        final List<String> lines = r.err().lines().toList();
        assertEquals(1, lines.size(), r.toString());
        assertEquals("understudy-agent: invalid configuration, halting the JVM with status 78 before the application starts: "
            + "invalid understudy.node.id: value=0 (from argument), expected integer 1..64, at most the number of nodes; "
            + "invalid understudy.vip: value=300.1.1.1 (from argument), expected IPv4 address, not a node's address; "
            + "invalid understudy.ack.quorum: value=7 (from property), expected integer 0..2 (understudy.nodes has 3 nodes, so at most 2 clones); "
            + "invalid understudy.degraded: value=panic (from environment UNDERSTUDY_DEGRADED), expected one of serve, hold; "
            + "invalid understudy.idle.strategy: value=nap (from argument), expected one of spin, yield, sleep, backoff", lines.get(0));
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldHaltTheJvmBeforeMainWhenTheConfigFileCannotBeRead(final Path java) throws Exception {
        final Path missing = tmp.resolve("no-such.properties");
        final Jvm.Result r = runTinyApp(java, Map.of(), "-Dunderstudy.config=" + missing, agent(null));

        assertEquals(78, r.exit(), r.toString());
        assertEquals("", r.out(), "main ran: " + r);
        assertEquals(List.of("understudy-agent: invalid configuration, halting the JVM with status 78 before the application starts: "
            + "invalid understudy.config: value=" + missing + " (from property), expected a readable Java properties file "
            + "(NoSuchFileException: " + missing + ")"), r.err().lines().toList(), r.toString());
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRefuseASecondAttach(final Path java) throws Exception {
        final Jvm.Result r = runTinyApp(java, Map.of(), agent("role=standalone"), agent("role=primary,ports=80"));

        assertEquals(0, r.exit(), r.toString());
        assertEquals(APP_OK, r.out(), r.toString());
        assertEquals(1, count(r.err(), "configuration (argument"), r.toString());
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
