package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import com.sun.tools.attach.VirtualMachine;

/**
 * Dynamic attach ({@code Agent-Class}, {@code agentmain}) into a running JVM on 17 and 25: the
 * configuration block is printed, a second attach is refused, an attach with a bad configuration
 * is refused without stopping the running application, the application carries on.
 */
@Timeout(120)
class AgentAttachIT {
    @TempDir
    static Path tmp;

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldStartOnDynamicAttachAndRefuseASecondOne(final Path java) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(java), "no JVM at " + java);
        final File err = Files.createTempFile(tmp, "err", ".txt").toFile();
        final Process p = new ProcessBuilder(java.toString(), "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp,
            "-cp", Jvm.testClasses().toString(), AttachTargetApp.class.getName())
            .redirectError(err).start();
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("attach-target: ready", out.readLine());

            final VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
            try {
                // a primary cannot start outside the lab: at attach the app keeps running (and the
                // driver's directories go to this test's temp dir, not /dev/shm)
                vm.loadAgent(Jvm.agentJar().toString(), "role=primary,ports=7000,log.level=info,aeron.dir="
                    + tmp.resolve("aeron-{node.id}") + ",journal.dir=" + tmp.resolve("journal-{node.id}"));
                vm.loadAgent(Jvm.agentJar().toString(), "role=clone,ports=7000");
            } finally {
                vm.detach();
            }
            try (OutputStream in = p.getOutputStream()) {
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
            }
            final StringBuilder rest = new StringBuilder();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                rest.append(line).append('\n');
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            final String stderr = Files.readString(err.toPath());
            final String report = "stdout:\n" + rest + "stderr:\n" + stderr;
            assertEquals(0, p.exitValue(), report);
            assertEquals("attach-target: got go\ntiny-app: echo=ping\n"
                + "tiny-app: agent-visible=false bytebuddy-visible=false jna-visible=false agrona-visible=false\n"
                + "tiny-app: done\n", rest.toString(), report);
            assertTrue(stderr.contains(" (agentmain, Java "), report);
            assertTrue(Pattern.compile("understudy\\.role += primary +\\(argument\\)").matcher(stderr).find(), report);
            assertTrue(stderr.contains("understudy-agent: already attached (version "), report);
            assertTrue(stderr.contains("ignoring this second agentmain"), report);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @ParameterizedTest
    @MethodSource("javas")
    void shouldRefuseADynamicAttachWithABadConfigurationAndLeaveTheRunningAppAlone(final Path java) throws Exception {
        org.junit.jupiter.api.Assumptions.assumeTrue(Files.isExecutable(java), "no JVM at " + java);
        final File err = Files.createTempFile(tmp, "err", ".txt").toFile();
        final Process p = new ProcessBuilder(java.toString(), "-Djava.io.tmpdir=" + tmp, "-Djna.tmpdir=" + tmp,
            "-cp", Jvm.testClasses().toString(), AttachTargetApp.class.getName())
            .redirectError(err).start();
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("attach-target: ready", out.readLine());

            final VirtualMachine vm = VirtualMachine.attach(Long.toString(p.pid()));
            try {
                vm.loadAgent(Jvm.agentJar().toString(), "role=primary,ports=7000,vip=300.1.1.1");
            } finally {
                vm.detach();
            }
            try (OutputStream in = p.getOutputStream()) {
                in.write("go\n".getBytes(StandardCharsets.UTF_8));
            }
            final StringBuilder rest = new StringBuilder();
            for (String line = out.readLine(); line != null; line = out.readLine()) {
                rest.append(line).append('\n');
            }
            assertTrue(p.waitFor(60, TimeUnit.SECONDS));
            final String stderr = Files.readString(err.toPath());
            final String report = "stdout:\n" + rest + "stderr:\n" + stderr;
            assertEquals(0, p.exitValue(), report);
            assertTrue(rest.toString().endsWith("tiny-app: done\n"), report);
            // JDK 21+ prints its own "A Java agent has been loaded dynamically" warning; only our lines count.
            assertEquals(List.of("understudy-agent: invalid configuration, not attached: invalid understudy.vip: value=300.1.1.1 "
                + "(from argument), expected IPv4 address, not a node's address; the running application carries on as before, "
                + "without the agent"), stderr.lines().filter(l -> l.startsWith("understudy-agent")).toList(), report);
        } finally {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
