package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link AgentIsolationIT} as a primary in the lab: {@link IsolationKvApp}, which ships its own
 * JNA 5.13.0 and ByteBuddy 1.14.18 and uses both (a libc call, a generated subclass) before it
 * serves NioKvServer, runs in node1 with {@code role=primary} (whose capture and interceptors run
 * on the agent's JNA 5.19.1 and ByteBuddy 1.18.17) and clones in node2/3. LoadClient's strict
 * judge passes through the VIP, the app saw its own versions, the agent its own, and the
 * recording worked: 8 connections opened, both clones' journals reach the primary's position.
 *
 * <p>Mutation check (done once, by hand): with {@code IsolatedClassLoader}'s parent the system
 * class loader instead of the platform loader, this test failed: the agent resolved the
 * application's JNA 5.13.0 and ByteBuddy 1.14.18 first and its runtime line no longer named its
 * own versions.
 */
@Privileged
class AgentIsolationPrimaryIT {
    private static final int CONNECTIONS = 8;
    private static final long REQUESTS = 2_000;

    static List<Path> javas() {
        return Jvm.javas().toList();
    }

    @ParameterizedTest
    @MethodSource("javas")
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldServeAndRecordAnAppThatShipsItsOwnJnaAndByteBuddy(Path java) throws Exception {
        Path libs = Path.of(System.getProperty("agent.it.lib.dir", "target/it-libs"));
        Path appJna = libs.resolve("jna-5.13.0.jar");
        Path appByteBuddy = libs.resolve("byte-buddy-1.14.18.jar");
        assertTrue(Files.isRegularFile(appJna) && Files.isRegularFile(appByteBuddy), "missing " + libs);
        Path work = Files.createTempDirectory("us-isolation-primary-");
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            try {
                for (int node = 2; node <= 3; node++) {
                    cluster.start(node, "clone", java, LabApps.appsClassPath(), "dev.understudy.apps.NioKvServer", List.of());
                }
                Path jnaTmp = Files.createDirectories(work.resolve("jna-tmp"));
                String classPath = String.join(File.pathSeparator, Jvm.testClasses().toString(), appJna.toString(),
                    appByteBuddy.toString(), LabApps.appsClassPath());
                LabApps.Server primary = cluster.start(1, "primary", java, classPath, IsolationKvApp.class.getName(),
                    List.of("-Djna.tmpdir=" + jnaTmp));
                LabCluster.awaitJoined(primary, 2);
                LabCluster.awaitJoined(primary, 3);

                List<String> args = new ArrayList<>(LabApps.loadArgs("kv", lab.vip() + ":" + LabCluster.PORT, CONNECTIONS,
                    REQUESTS, 4, 5, false));
                args.addAll(List.of("--duration", "120s"));
                LabApps.LoadRun run = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(3));
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n"
                    + LabApps.tail(primary.log()));
                assertEquals(0, run.errors());
                assertEquals(run.expected(), run.completed());

                String log = Files.readString(primary.log());
                assertTrue(log.contains("isolation-kv-app: jna=5.13.0 getpid-ok=true jna-loader=app\n"), log);
                assertTrue(log.contains("isolation-kv-app: bytebuddy=1.14.18 generated=made-by-app-bytebuddy bytebuddy-loader=app\n"), log);
                assertTrue(log.contains("isolation-kv-app: agent-visible=false\n"), log);
                assertTrue(log.contains("runtime: byte-buddy 1.18.17, jna 5.19.1 (native ok)"), log);
                assertTrue(log.contains("in class loader 'understudy'"), log);

                long published = cluster.awaitStable(1, "journal position");
                for (int node = 2; node <= 3; node++) {
                    cluster.awaitAtLeast(node, "journal position", published, Duration.ofSeconds(30));
                }
                Map<String, Long> status = cluster.status(1);
                assertEquals(CONNECTIONS, status.get("connections opened"), status::toString);
                assertTrue(status.get("segments recorded") > 0, status::toString);
                for (int node = 1; node <= 3; node++) {
                    Map<String, Long> s = cluster.status(node);
                    assertEquals(0, s.get("agent errors"), "node" + node + ": " + s);
                }
                System.out.printf("SUMMARY isolation-primary on %s: %d requests, 0 errors; connections opened %d;"
                    + " journal position %d on all three%n", java, run.completed(), status.get("connections opened"), published);
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }
}
