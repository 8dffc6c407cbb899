package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.journal.JournalTailer;
import dev.understudy.transport.record.ConnOpenFlyweight;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.RecordType;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import org.agrona.DirectBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The agent's own sockets never appear in the record. The primary (NioKvServer in node1) talks
 * Aeron UDP to node2 during a LoadClient run, then node3 starts late and catches up (Aeron
 * control and catch-up streams) while the primary still runs. Afterwards, in both clones'
 * journals: there are exactly as many CONN_OPEN records as LoadClient connections, each for one
 * of LoadClient's client ports (and with the id of its own sequence), and every per-connection
 * record (SEGMENT, APP_READ, APP_WRITE, APP_CLOSE, APP_SHUTDOWN_OUTPUT, TCP_INFO) refers to an id
 * an earlier CONN_OPEN opened.
 *
 * <p>Mutation checks (done once each, by hand): with {@code RecordingHook.read} emitting
 * {@code c.id + 1}, this test failed (node2: 4,263 APP_READ records referring to an id no
 * CONN_OPEN opened). With {@code RecordingHook.onRead}/{@code onWrite} recording every fd not in
 * the connection table (under a synthetic id) it still passed: no socket other than LoadClient's
 * reaches those hooks at all (Aeron's UDP goes through {@code DatagramChannel.receive/send}, which
 * are not intercepted; the interceptors' re-entrancy guard was not mutated, it lives in the
 * upstream {@code interceptors} module). So the fd filter is a second line, not the one this run
 * exercises.
 */
@Privileged
class AgentOwnSocketsIT {
    private static final int CONNECTIONS = 8;
    private static final long REQUESTS = 2_000;

    @Test
    @Timeout(value = 5, unit = TimeUnit.MINUTES)
    void shouldRecordOnlyTheClientsConnectionsNeverTheAgentsOwnSockets() throws Exception {
        Path work = Files.createTempDirectory("us-own-sockets-");
        try (Lab lab = Lab.up(3)) {
            LabCluster cluster = new LabCluster(lab, work);
            Set<Integer> clientPorts = new HashSet<>();
            try {
                cluster.start(2, "clone", Jvm.JAVA_17, LabApps.appsClassPath(), "dev.understudy.apps.NioKvServer", List.of());
                LabApps.Server primary = cluster.start(1, "primary", Jvm.JAVA_17, LabApps.appsClassPath(),
                    "dev.understudy.apps.NioKvServer", List.of());
                LabCluster.awaitJoined(primary, 2);

                List<String> args = new ArrayList<>(LabApps.loadArgs("kv", lab.vip() + ":" + LabCluster.PORT, CONNECTIONS,
                    REQUESTS, 4, 3, false));
                args.addAll(List.of("--duration", "120s"));
                LabApps.LoadRun run = LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, Duration.ofMinutes(3));
                assertTrue(run.ok(), () -> "LoadClient: " + run.problems() + " " + run.firstErrors() + "\n"
                    + LabApps.tail(primary.log()));
                assertEquals(0, run.errors());
                for (LabApps.LoadConnection c : run.connections()) {
                    clientPorts.add(c.localPort());
                }
                assertEquals(CONNECTIONS, clientPorts.size(), "distinct client ports " + clientPorts);

                long published = cluster.awaitStable(1, "journal position");
                cluster.awaitAtLeast(2, "journal position", published, Duration.ofSeconds(30));
                // node3, started now, has to catch up on everything over the agent's own channels
                cluster.start(3, "clone", Jvm.JAVA_17, LabApps.appsClassPath(), "dev.understudy.apps.NioKvServer", List.of());
                LabCluster.awaitJoined(primary, 3);
                cluster.awaitAtLeast(3, "journal position", published, Duration.ofSeconds(60));
                for (int node = 1; node <= 3; node++) {
                    Map<String, Long> s = cluster.status(node);
                    assertEquals(0, s.get("agent errors"), "node" + node + ": " + s);
                }
                assertEquals(CONNECTIONS, cluster.status(1).get("connections opened"));
            } finally {
                cluster.stopAll();
                cluster.deleteAeronDirs();
            }

            for (int node = 2; node <= 3; node++) {
                Ids ids = Ids.read(cluster.journal(node));
                String where = "node" + node + "'s journal";
                assertEquals(CONNECTIONS, ids.opened.size(), "CONN_OPENs in " + where + ": " + ids.opened);
                assertEquals(clientPorts, new HashSet<>(ids.opened.values()),
                    "every CONN_OPEN is for a LoadClient connection's port, in " + where);
                assertEquals(0, ids.idNotItsSequence, "a CONN_OPEN's id is its own sequence, in " + where);
                assertEquals(Map.of(), ids.orphans, "records (by type) referring to an id no CONN_OPEN opened, in " + where);
                assertTrue(ids.perType.getOrDefault("APP_READ", 0L) > 0 && ids.perType.getOrDefault("APP_WRITE", 0L) > 0,
                    "the app's reads and writes are there at all, in " + where + ": " + ids.perType);
                System.out.printf("SUMMARY own-sockets %s: %d CONN_OPENs, all LoadClient ports; records %s; no orphan%n",
                    where, ids.opened.size(), ids.perType);
            }
        } finally {
            RecordingChecks.deleteTree(work);
        }
    }

    /** The connection ids of a journal: opened ones (id to client port) and references to unknown ones. */
    private static final class Ids {
        final Map<Long, Integer> opened = new TreeMap<>();
        final Map<String, Long> orphans = new TreeMap<>();
        final Map<String, Long> perType = new TreeMap<>();
        long idNotItsSequence;
        private final ConnOpenFlyweight connOpen = new ConnOpenFlyweight();

        static Ids read(Path directory) {
            Ids ids = new Ids();
            try (Journal journal = Journal.open(JournalConfig.builder(directory).readOnly(true).build());
                 JournalTailer tailer = journal.tailer(1)) {
                while (tailer.poll(ids::onRecord, 4096) > 0) {
                    // drain
                }
            }
            return ids;
        }

        private void onRecord(DirectBuffer b, int at, int length) {
            int type = RecordHeader.type(b, at);
            String name = RecordType.name(type);
            perType.merge(name, 1L, Long::sum);
            switch (type) {
                case RecordType.CONN_OPEN -> {
                    connOpen.wrap(b, at);
                    opened.put(connOpen.connectionId(), connOpen.clientPort());
                    if (connOpen.connectionId() != RecordHeader.sequence(b, at)) {
                        idNotItsSequence++;
                    }
                }
                case RecordType.SEGMENT, RecordType.APP_READ, RecordType.APP_WRITE, RecordType.APP_CLOSE,
                     RecordType.APP_SHUTDOWN_OUTPUT, RecordType.TCP_INFO -> {
                    // every per-connection record carries its connection id at offset 24 (after the header)
                    long id = b.getLong(at + RecordHeader.HEADER_LENGTH, RecordHeader.ORDER);
                    if (!opened.containsKey(id)) {
                        orphans.merge(name, 1L, Long::sum);
                    }
                }
                default -> {
                }
            }
        }
    }
}
