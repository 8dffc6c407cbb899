package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.junit.Privileged;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Each sample server runs as its own JVM in {@code node1}; the load client runs as its own JVM
 * in {@code client} and reaches the server through the VIP, across the lab bridge.
 */
@Privileged
@Timeout(120)
class LabAppsIT {
    private static final int CONNECTIONS = 16;
    private static final int REQUESTS = 2000;
    private static final Duration START = Duration.ofSeconds(30);
    private static final Duration RUN = Duration.ofSeconds(90);

    private static Lab lab;
    private static Path logs;

    @BeforeAll
    static void up() throws Exception {
        lab = Lab.up(1);
        logs = Path.of("target", "lab-logs", lab.name()).toAbsolutePath();
    }

    @AfterAll
    static void down() throws Exception {
        if (lab != null) {
            lab.close();
            assertTrue(Lab.namespaces().stream().noneMatch(ns -> ns.startsWith(Lab.NAMESPACE_PREFIX + lab.name() + "-")),
                "lab namespaces left behind");
        }
    }

    private static LabApps.Server start(String app, String tag, String... jvmOptions) throws Exception {
        return LabApps.startServer(lab, Lab.node(1), List.of(jvmOptions), "dev.understudy.apps." + app, 7000,
            logs.resolve(tag + "-" + app + ".log"), START);
    }

    private static LabApps.LoadRun load(String protocol, int port, int pipeline, long seed, String... extra) throws Exception {
        List<String> args = LabApps.loadArgs(protocol, lab.vip() + ":" + port, CONNECTIONS, REQUESTS, pipeline, seed, true);
        args.addAll(List.of(extra));
        return LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, RUN);
    }

    private static String sha256(Path file) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"BlockingKvServer,kv", "NioKvServer,kv", "HttpCounterServer,http"})
    void shouldServe16ConnectionsOf2000RequestsThroughTheVipWithoutAnError(String app, String protocol) throws Exception {
        LabApps.Server server = start(app, "load");
        try {
            Path record = logs.resolve("record-" + app);
            LabApps.LoadRun run = load(protocol, server.port(), 1, 1, "--record-dir", record.toString(), "--max-gap", "5s");
            int finale = (protocol.equals("kv") ? 8 : 4) + 4; // own keys, then the 4 shared keys
            assertEquals(0, run.exitCode(), run.output());
            assertTrue(run.ok(), run.json());
            assertEquals(0, run.errors(), run.json());
            assertEquals(CONNECTIONS * (REQUESTS + finale), run.completed(), run.json());
            assertEquals(run.expected(), run.sent(), run.json());
            assertEquals(run.sent(), run.completed(), run.json());
            List<LabApps.LoadConnection> conns = run.connections();
            assertEquals(CONNECTIONS, conns.size(), run.json());
            for (LabApps.LoadConnection c : conns) {
                assertEquals(REQUESTS + finale, c.completed(), run.json());
                assertEquals(0, c.errors(), run.json());
                assertTrue(c.localPort() > 0, run.json());
                assertEquals(c.sentSha256(), sha256(c.sentFile(record)), "conn " + c.index());
                assertEquals(c.receivedSha256(), sha256(c.receivedFile(record)), "conn " + c.index());
                assertEquals(c.receivedBytes(), Files.size(c.receivedFile(record)), "conn " + c.index());
            }
            assertTrue(server.process().isAlive(), "server died: " + LabApps.tail(server.log()));
        } finally {
            server.stop();
        }
    }

    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"NioKvServer,kv,BlockingKvServer", "HttpCounterServer,http,HttpCounterServer"})
    void shouldLeaveTheSameDigestAfterTwoRunsOfTheSameSeedOnFreshServers(String first, String protocol, String second)
        throws Exception {
        String[] digests = new String[2];
        long[] counts = new long[2];
        String[] apps = {first, second};
        int[] pipelines = {1, 8};
        for (int i = 0; i < 2; i++) {
            LabApps.Server server = start(apps[i], "digest" + i);
            try {
                LabApps.LoadRun run = load(protocol, server.port(), protocol.equals("kv") ? pipelines[i] : 1, 4242);
                assertEquals(0, run.count("errors"), run.json());
                assertTrue(run.ok(), run.json());
                digests[i] = run.dumpSha256();
                counts[i] = run.dumpCount();
                assertNotNull(digests[i], run.json());
            } finally {
                server.stop();
            }
        }
        assertEquals(digests[0], digests[1], "same seed on a fresh " + first + " and " + second);
        assertEquals(counts[0], counts[1]);
    }

    /**
     * With {@code -Dapps.admin.port=7001} each app answers DUMP on its admin port, asked from
     * inside its namespace, exactly as its service port answered the load client's {@code --dump}
     * after a run whose final state depends on the order of the connections' requests.
     */
    @ParameterizedTest(name = "{0} over {1}")
    @CsvSource({"BlockingKvServer,kv", "NioKvServer,kv", "HttpCounterServer,http"})
    void shouldAnswerTheAdminDumpInsideTheNamespaceAsTheServicePortDid(String app, String protocol) throws Exception {
        LabApps.Server server = start(app, "admin", "-Dapps.admin.port=7001");
        try {
            assertEquals(7001, LabApps.adminPort(server), LabApps.tail(server.log()));
            List<String> args = LabApps.loadArgs(protocol, lab.vip() + ":" + server.port(), 8, 1000, 1, 7, true);
            args.addAll(List.of("--shared-appends", "4"));
            LabApps.LoadRun run = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, RUN);
            assertTrue(run.ok(), run.json());
            assertEquals(8 * (1000 + (protocol.equals("kv") ? 8 : 4) + 4 + 4), run.completed(), run.json());
            String admin = LabApps.adminDump(lab, Lab.node(1), 7001, Duration.ofSeconds(5));
            assertEquals("DUMP " + run.dumpCount() + " " + run.dumpSha256(), admin);
        } finally {
            server.stop();
        }
    }

    @Test
    void shouldReachTheVipFromTheClientAndEveryNodeAddress() throws Exception {
        Host.Result r = lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "dev", Lab.INTERFACE);
        assertTrue(r.output().contains(lab.address(Lab.CLIENT) + "/24"), r.output());
        Host.Result n = lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "-4", "-o", "addr", "show", "dev", Lab.INTERFACE);
        assertTrue(n.output().contains(Lab.VIP + "/32"), n.output());
        Host.Result route = lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "route", "show", Lab.MULTICAST_RANGE);
        assertTrue(route.output().contains(Lab.INTERFACE), route.output());
    }
}
