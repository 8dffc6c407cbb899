package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

@Timeout(60)
class AdminPortTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @AfterEach
    void shouldLeaveNoAdminThreadBehind() throws Exception {
        long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
        while (true) {
            List<String> left = Thread.getAllStackTraces().keySet().stream().filter(Thread::isAlive)
                .map(Thread::getName).filter(n -> n.startsWith("apps-admin")).toList();
            if (left.isEmpty()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("admin threads left behind: " + left);
            }
            Thread.sleep(20);
        }
    }

    @Test
    void shouldAnswerDumpExactlyAsTheKvProtocolAndCarryOnAfterAnUnknownLine() throws Exception {
        KvStore store = new KvStore();
        store.set("a", "1");
        store.append("log", "c0r1.");
        try (AdminPort admin = AdminPort.start(LOOPBACK, store); Socket c = new Socket("127.0.0.1", admin.port())) {
            c.setSoTimeout(5000);
            c.getOutputStream().write("DUMP\nSET a 2\ndump\r\n".getBytes(StandardCharsets.US_ASCII));
            LoadClient.ReplyReader in = new LoadClient.ReplyReader(c.getInputStream());
            String expected = KvProtocol.execute(store, "DUMP");
            assertTrue(expected.matches("DUMP 2 [0-9a-f]{64}"), expected);
            assertEquals(expected, in.line());
            assertEquals("ERR unknown command", in.line(), "read-only: nothing but DUMP");
            assertEquals(expected, in.line(), "several requests per connection; the state is unchanged");
            assertEquals(expected, AdminClient.dump(new InetSocketAddress("127.0.0.1", admin.port()), Duration.ofSeconds(5)));
            store.set("b", "x");
            assertEquals(KvProtocol.execute(store, "DUMP"),
                AdminClient.dump(new InetSocketAddress("127.0.0.1", admin.port()), Duration.ofSeconds(5)), "the live state");
        }
    }

    @Test
    void shouldCloseAConnectionAfterAnOverlongLine() throws Exception {
        try (AdminPort admin = AdminPort.start(LOOPBACK, new KvStore()); Socket c = new Socket("127.0.0.1", admin.port())) {
            c.setSoTimeout(5000);
            c.getOutputStream().write("x".repeat(AdminPort.MAX_LINE + 1).getBytes(StandardCharsets.US_ASCII));
            LoadClient.ReplyReader in = new LoadClient.ReplyReader(c.getInputStream());
            assertEquals("ERR line too long", in.line());
            assertThrows(java.io.EOFException.class, in::line);
        }
    }

    @Test
    void shouldFailWithinTheTimeoutWhenNothingOrSomethingElseAnswers() throws Exception {
        int free;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            free = probe.getLocalPort();
        }
        InetSocketAddress nobody = new InetSocketAddress("127.0.0.1", free);
        assertThrows(IOException.class, () -> AdminClient.dump(nobody, Duration.ofSeconds(2)));

        // a listener that accepts (in its backlog) but never answers
        try (ServerSocket silent = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", silent.getLocalPort());
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> AdminClient.dump(a, Duration.ofMillis(300)));
            long ms = (System.nanoTime() - start) / 1_000_000;
            assertTrue(ms < 2000, ms + " ms");
            assertTrue(e.getMessage().contains("within 300 ms"), e.getMessage());
        }

        // a reply that is not a well-formed DUMP
        try (ServerSocket liar = new ServerSocket(0, 5, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket c = liar.accept()) {
                    c.getOutputStream().write("DUMP 1 not-a-digest\n".getBytes(StandardCharsets.US_ASCII));
                    c.getInputStream().read();
                } catch (IOException ignored) {
                    // test ends
                }
            });
            t.start();
            InetSocketAddress a = new InetSocketAddress("127.0.0.1", liar.getLocalPort());
            IOException e = assertThrows(IOException.class, () -> AdminClient.dump(a, Duration.ofSeconds(2)));
            assertTrue(e.getMessage().contains("expected DUMP count sha256hex, got 'DUMP 1 not-a-digest'"), e.getMessage());
            t.join(5000);
        }

        // a KV service port answers DUMP in the same format; an HTTP one does not answer it at all
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            InetSocketAddress kv = new InetSocketAddress("127.0.0.1", s.port());
            assertTrue(AdminClient.dump(kv, Duration.ofSeconds(2)).startsWith("DUMP 0 "), "same reply format");
        }
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, new KvStore())) {
            InetSocketAddress http = new InetSocketAddress("127.0.0.1", s.port());
            // the JDK server waits for the rest of an HTTP request that never comes
            assertThrows(IOException.class, () -> AdminClient.dump(http, Duration.ofMillis(500)));
        }
    }

    @Test
    void shouldParseTheAdminPortPropertyNamingTheBadValue() {
        assertEquals(ServerArgs.ADMIN_PORT_DEFAULT, ServerArgs.adminPort(null));
        assertEquals(ServerArgs.ADMIN_PORT_DEFAULT, ServerArgs.adminPort(" "));
        assertEquals(0, ServerArgs.adminPort("0"));
        assertEquals(7001, ServerArgs.adminPort("7001"));
        for (String bad : new String[] {"-1", "65536", "x"}) {
            String m = assertThrows(IllegalArgumentException.class, () -> ServerArgs.adminPort(bad)).getMessage();
            assertTrue(m.contains("apps.admin.port") && m.contains("value=" + bad), m);
        }
        assertTrue(!ServerArgs.ADMIN_PORT_PROP.startsWith("understudy."), "the agent rejects unknown understudy.* keys");
    }

    /**
     * Each app's own {@code main} in its own JVM, with {@code -Dapps.admin.port=0}: after a load
     * run with shared logs, the admin port's DUMP is the service port's ({@code DUMP} over KV,
     * {@code GET /dump} over HTTP).
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource({"NioKvServer,KV", "BlockingKvServer,KV", "HttpCounterServer,HTTP"})
    void shouldReportTheServicePortsDumpOnTheAdminPortOfEachAppsMain(String app, LoadClient.Protocol protocol,
                                                                     @TempDir Path tmp) throws Exception {
        Path log = tmp.resolve(app + ".log");
        Process p = new ProcessBuilder(Lab.java(List.of("-D" + ServerArgs.ADMIN_PORT_PROP + "=0"),
            "dev.understudy.apps." + app, "0", "127.0.0.1")).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        try {
            String listening = LabApps.awaitLine(log, "LISTENING ", p, Duration.ofSeconds(30));
            String adminLine = LabApps.awaitLine(log, "ADMIN ", p, Duration.ofSeconds(1));
            List<String> lines = Files.readAllLines(log);
            assertTrue(lines.indexOf(adminLine) < lines.indexOf(listening), "ADMIN before LISTENING: " + lines);
            int port = Integer.parseInt(listening.substring("LISTENING ".length()).trim());
            int adminPort = Integer.parseInt(adminLine.substring("ADMIN ".length()).trim());
            InetSocketAddress admin = new InetSocketAddress("127.0.0.1", adminPort);
            assertEquals(KvProtocol.DUMP + new KvStore().dump(), AdminClient.dump(admin, Duration.ofSeconds(5)));

            LoadClient.Config config = LoadClient.Config.defaults("127.0.0.1", port).withProtocol(protocol)
                .withLoad(4, 500, 1).withSeed(5).withSharedAppends(4).withDump(true);
            LoadClient.Summary run = LoadClient.run(config);
            assertTrue(run.ok(), run.toJson());
            assertEquals(KvProtocol.DUMP + run.dump().count() + " " + run.dump().sha256(),
                AdminClient.dump(admin, Duration.ofSeconds(5)));
        } finally {
            p.destroy();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void shouldRefuseABadAdminPortBeforeListening(@TempDir Path tmp) throws Exception {
        Path log = tmp.resolve("bad.log");
        Process p = new ProcessBuilder(Lab.java(List.of("-D" + ServerArgs.ADMIN_PORT_PROP + "=70000"),
            "dev.understudy.apps.NioKvServer", "0", "127.0.0.1")).redirectErrorStream(true)
            .redirectOutput(log.toFile()).start();
        try {
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            assertEquals(2, p.exitValue());
            String out = Files.readString(log);
            assertTrue(out.contains("invalid apps.admin.port: value=70000"), out);
            assertTrue(!out.contains("LISTENING"), out);
        } finally {
            p.destroyForcibly();
        }
    }
}
