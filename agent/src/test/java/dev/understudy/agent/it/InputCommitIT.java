package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Invariant 1 observed from outside: no client byte is acknowledged by the primary's kernel before
 * a clone holds it. Both clones are SIGSTOPped (they can acknowledge nothing); a client sends a
 * request:
 * <ul>
 * <li>{@code degraded=hold}: the client's kernel shows the bytes unacknowledged ({@code ss -ti}:
 *     {@code unacked}) and the application answers nothing; after SIGCONT the request is answered,
 *     nothing lost.</li>
 * <li>{@code degraded=serve}: once the primary has declared the clones lost, it serves from its
 *     own journal and its status says {@code degraded}.</li>
 * </ul>
 * Mutation check (done once, by hand): with {@code InputCommit.hold} returning {@code false}
 * (verdict before durability), {@link #shouldHoldClientBytesUnacknowledgedWhileNoCloneCanAcknowledge}
 * failed: the reply came while the clones were stopped and {@code unacked} stayed 0.
 */
@Privileged
class InputCommitIT {
    private static final int PORT = LabCluster.PORT;
    private static final String APP = "dev.understudy.apps.NioKvServer";
    private static final Pattern UNACKED = Pattern.compile("unacked:(\\d+)");

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldHoldClientBytesUnacknowledgedWhileNoCloneCanAcknowledge() throws Exception {
        run("hold");
    }

    @Test
    @Timeout(value = 3, unit = TimeUnit.MINUTES)
    void shouldServeFromTheLocalJournalAndSaySoWhenDegradedWithServe() throws Exception {
        run("serve");
    }

    private void run(String degraded) throws Exception {
        Path work = Files.createTempDirectory("us-commit-");
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            List<String> policy = List.of("-Dunderstudy.degraded=" + degraded);
            List<LabApps.Server> clones = new ArrayList<>();
            Process probe = null;
            try {
                for (int node = 2; node <= 3; node++) {
                    clones.add(cluster.start(node, "clone", Jvm.JAVA_17, LabApps.appsClassPath(), APP, policy));
                }
                LabApps.Server primary = cluster.start(1, "primary", Jvm.JAVA_17, LabApps.appsClassPath(), APP, policy);
                for (int node = 2; node <= 3; node++) {
                    LabCluster.awaitJoined(primary, node);
                }
                Path probeLog = work.resolve("probe.log");
                probe = lab.spawn(Lab.CLIENT, Lab.java(List.of(), HoldProbe.class.getName(), lab.vip(), Integer.toString(PORT)),
                    probeLog);
                OutputStream commands = probe.getOutputStream();
                String connected = LabApps.awaitLine(probeLog, "CONNECTED", probe, Duration.ofSeconds(30));
                int localPort = Integer.parseInt(connected.substring("CONNECTED ".length()).trim());
                send(commands, "SET k before");
                LabApps.awaitLine(probeLog, "REPLY OK", probe, Duration.ofSeconds(30));

                for (LabApps.Server c : clones) {
                    signal(c.process(), "STOP");
                }
                cluster.awaitEquals(1, "degraded", 1, Duration.ofSeconds(30));
                send(commands, "INCR counter");
                if (degraded.equals("hold")) {
                    Thread.sleep(2_000);
                    String ss = lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "ss", "-tni", "sport", "= :" + localPort)
                        .output();
                    Matcher m = UNACKED.matcher(ss);
                    assertTrue(m.find() && Long.parseLong(m.group(1)) > 0,
                        "the client's bytes must stay unacknowledged while no clone can hold them: " + ss);
                    assertTrue(!Files.readString(probeLog).contains("REPLY INT"),
                        "the application must not have read the request: " + Files.readString(probeLog));
                    assertTrue(cluster.status(1).get("segments held") > 0);
                    for (LabApps.Server c : clones) {
                        signal(c.process(), "CONT");
                    }
                    LabApps.awaitLine(probeLog, "REPLY INT 1", probe, Duration.ofSeconds(60));
                    cluster.awaitEquals(1, "degraded", 0, Duration.ofSeconds(30));
                } else {
                    LabApps.awaitLine(probeLog, "REPLY INT 1", probe, Duration.ofSeconds(60));
                    assertEquals(1, cluster.status(1).get("degraded"), "status says degraded while serving");
                    assertTrue(Files.readString(primary.log()).contains("degraded: fewer than 1 clone(s) hold the input; serving"),
                        LabApps.tail(primary.log()));
                    for (LabApps.Server c : clones) {
                        signal(c.process(), "CONT");
                    }
                    cluster.awaitEquals(1, "degraded", 0, Duration.ofSeconds(30));
                }
                send(commands, "GET k");
                LabApps.awaitLine(probeLog, "REPLY VALUE before", probe, Duration.ofSeconds(30));
                assertTrue(!Files.readString(probeLog).contains("ERROR"), Files.readString(probeLog));
            } finally {
                if (probe != null) {
                    probe.destroyForcibly();
                }
                for (LabApps.Server c : clones) {
                    signal(c.process(), "CONT");
                }
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    private static void send(OutputStream commands, String line) throws Exception {
        commands.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        commands.flush();
    }

    private static void signal(Process p, String signal) throws Exception {
        if (p.isAlive()) {
            new ProcessBuilder("kill", "-" + signal, Long.toString(p.pid())).inheritIO().start().waitFor(10, TimeUnit.SECONDS);
        }
    }
}
