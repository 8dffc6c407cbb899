package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Json;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class LoadClientTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    private static LoadClient.Config config(int port, LoadClient.Protocol p) {
        return LoadClient.Config.defaults("127.0.0.1", port).withProtocol(p).withLoad(8, 1000, 1).withSeed(11).withDump(true);
    }

    @Test
    void shouldParseTheCommandLine() {
        LoadClient.Config c = LoadClient.parseArgs(new String[] {"--target", "198.18.0.100:7000", "--protocol", "http",
            "--connections", "3", "--requests", "0", "--pipeline", "8", "--seed", "-5", "--duration", "1500ms",
            "--reply-timeout", "2s", "--own-keys", "2", "--shared-keys", "1", "--key-prefix", "x_y", "--dump"});
        assertEquals(new LoadClient.Config("198.18.0.100", 7000, LoadClient.Protocol.HTTP, 3, 0, 8, -5,
            Duration.ofMillis(1500), Duration.ofSeconds(2), 2, 1, "x_y", true), c);
        assertEquals(LoadClient.Config.defaults("h", 1), LoadClient.parseArgs(new String[] {"--target", "h:1"}));
        LoadClient.Config strict = LoadClient.parseArgs(new String[] {"--target", "h:1", "--allow-duration-stop",
            "--max-gap", "250ms", "--record-dir", "/tmp/rec", "--trailing-wait", "1s", "--send-buffer", "8192"});
        assertEquals(LoadClient.Config.defaults("h", 1).withAllowDurationStop(true).withMaxGap(Duration.ofMillis(250))
            .withRecordDir(java.nio.file.Path.of("/tmp/rec")).withTrailingWait(Duration.ofSeconds(1)).withSendBuffer(8192), strict);
        assertEquals(null, LoadClient.Config.defaults("h", 1).maxGap(), "no gap limit by default");
        assertEquals(LoadClient.Config.defaults("h", 1).withSharedAppends(4),
            LoadClient.parseArgs(new String[] {"--target", "h:1", "--shared-appends", "4"}));
        assertEquals(0, LoadClient.Config.defaults("h", 1).sharedAppends(), "no shared logs by default");
        assertEquals(LoadClient.DEFAULT_TRAILING_WAIT, LoadClient.Config.defaults("h", 1).trailingWait());
        assertNull(LoadClient.parseArgs(new String[] {"--help"}));
        assertEquals(Duration.ofMinutes(2), LoadClient.parseDuration("--duration", "2m"));
        assertEquals(Duration.ofMillis(2500), LoadClient.parseDuration("--duration", "2.5"));
    }

    /**
     * {@code --rate}: no connection sends faster. Mutation check (done once): with no pacing
     * (the pause between requests taken as 0), this failed: 162 requests per connection in 282 ms.
     */
    @Test
    void shouldPaceRequestsToTheRate() throws Exception {
        LoadClient.Config c = LoadClient.parseArgs(new String[] {"--target", "127.0.0.1:1", "--rate", "100",
            "--connections", "2", "--requests", "40", "--pipeline", "4"});
        assertEquals(100, c.rate());
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            long t0 = System.nanoTime();
            LoadClient.Summary r = LoadClient.run(LoadClient.parseArgs(new String[] {"--target", "127.0.0.1:" + s.port(),
                "--rate", "100", "--connections", "2", "--requests", "150", "--pipeline", "1"}));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(r.ok(), r::toString);
            long perConnection = r.completed() / 2;
            // at 100 a second, n requests take at least (n - 1) * 10 ms on each connection
            assertTrue(ms >= (perConnection - 1) * 10, () -> perConnection + " requests per connection in " + ms + " ms");
        }
        assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--rate", "-1"}));
    }

    @Test
    void shouldRejectBadArgumentsNamingTheValue() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {}))
            .getMessage().contains("--target"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target", "nohost"}))
            .getMessage().contains("value=nohost"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--protocol", "ftp"})).getMessage().contains("value=ftp"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--pipeline", "0"})).getMessage().contains("--pipeline"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--frobnicate", "1"})).getMessage().contains("--frobnicate"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--duration", "soon"})).getMessage().contains("value=soon"));
        assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target"}));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--max-gap", "0"})).getMessage().contains("--max-gap"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--trailing-wait", "2m"})).getMessage().contains("--trailing-wait"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--send-buffer", "-1"})).getMessage().contains("--send-buffer"));
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--shared-appends", "-1"})).getMessage().contains("value=-1"));
        // fail fast, before any request, rather than let a shared log reach KvStore.MAX_VALUE and get ERR replies
        assertTrue(assertThrows(IllegalArgumentException.class,
            () -> LoadClient.parseArgs(new String[] {"--target", "h:1", "--shared-appends", "4", "--requests", "0"}))
            .getMessage().contains("--requests 0"));
        String tooBig = assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target",
            "h:1", "--shared-appends", "4", "--connections", "32", "--requests", "100000"})).getMessage();
        assertTrue(tooBig.contains("could reach 1100000 characters, more than KvStore.MAX_VALUE (1048576)"), tooBig);
        assertEquals(4, LoadClient.parseArgs(new String[] {"--target", "h:1", "--shared-appends", "4", "--connections",
            "32", "--requests", "20000"}).sharedAppends(), "the documented run fits");
    }

    @Test
    void shouldRunCleanAgainstEveryServerWithTheSameDigestForTheSameSeed() throws Exception {
        LoadClient.Summary blocking;
        LoadClient.Summary nio;
        LoadClient.Summary nioPipelined;
        try (BlockingKvServer s = BlockingKvServer.start(LOOPBACK, new KvStore())) {
            blocking = LoadClient.run(config(s.port(), LoadClient.Protocol.KV));
        }
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            nio = LoadClient.run(config(s.port(), LoadClient.Protocol.KV));
        }
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            nioPipelined = LoadClient.run(config(s.port(), LoadClient.Protocol.KV).withLoad(8, 1000, 16));
        }
        for (LoadClient.Summary s : List.of(blocking, nio, nioPipelined)) {
            assertEquals(0, s.errors(), s.toJson());
            assertEquals(8 * (1000 + 8 + 4), s.completed(), s.toJson());
            assertEquals(s.sent(), s.completed());
            assertNotNull(s.dump());
        }
        assertEquals(blocking.dump(), nio.dump(), "same seed, same final state");
        assertEquals(nio.dump(), nioPipelined.dump(), "pipelining must not change the final state");

        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            LoadClient.Summary other = LoadClient.run(config(s.port(), LoadClient.Protocol.KV).withSeed(12));
            assertEquals(0, other.errors(), other.toJson());
            assertTrue(!other.dump().equals(nio.dump()), "another seed, another state");
        }
    }

    @Test
    void shouldRunCleanAgainstTheHttpServerAndReproduceItsDigest() throws Exception {
        LoadClient.Summary first;
        LoadClient.Summary second;
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, new KvStore())) {
            first = LoadClient.run(config(s.port(), LoadClient.Protocol.HTTP));
        }
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, new KvStore())) {
            second = LoadClient.run(config(s.port(), LoadClient.Protocol.HTTP).withLoad(4, 2000, 1));
        }
        assertEquals(0, first.errors(), first.toJson());
        assertEquals(8 * (1000 + 4 + 4), first.completed());
        assertEquals(0, second.errors(), second.toJson());
        assertNotNull(first.dump());
        assertEquals(8 * 4 + 4, first.dump().count(), "own counters of 8 connections + 4 shared");
    }

    /** Also: an admin port on the same store reports the DUMP the service port reported after the run. */
    @Test
    void shouldRunCleanWithSharedAppendsAgainstEveryServer() throws Exception {
        List<LoadClient.Summary> kv = new java.util.ArrayList<>();
        KvStore blockingStore = new KvStore();
        try (BlockingKvServer s = BlockingKvServer.start(LOOPBACK, blockingStore);
             AdminPort admin = AdminPort.start(LOOPBACK, blockingStore)) {
            kv.add(LoadClient.run(config(s.port(), LoadClient.Protocol.KV).withSharedAppends(4)));
            assertEquals(dumpLine(kv.get(0)), AdminClient.dump(address(admin), Duration.ofSeconds(5)));
        }
        KvStore nioStore = new KvStore();
        try (NioKvServer s = NioKvServer.start(LOOPBACK, nioStore); AdminPort admin = AdminPort.start(LOOPBACK, nioStore)) {
            kv.add(LoadClient.run(config(s.port(), LoadClient.Protocol.KV).withSharedAppends(4).withLoad(8, 1000, 16)));
            assertEquals(dumpLine(kv.get(1)), AdminClient.dump(address(admin), Duration.ofSeconds(5)));
        }
        for (LoadClient.Summary s : kv) {
            assertTrue(s.ok(), s.toJson());
            assertEquals(8 * (1000 + 8 + 4 + 4), s.completed(), s.toJson());
        }
        LoadClient.Summary http;
        KvStore httpStore = new KvStore();
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, httpStore);
             AdminPort admin = AdminPort.start(LOOPBACK, httpStore)) {
            http = LoadClient.run(config(s.port(), LoadClient.Protocol.HTTP).withSharedAppends(4));
            assertEquals(dumpLine(http), AdminClient.dump(address(admin), Duration.ofSeconds(5)));
        }
        assertTrue(http.ok(), http.toJson());
        assertEquals(8 * (1000 + 4 + 4 + 4), http.completed(), http.toJson());
        assertEquals(8 * 4 + 4 + 4, http.dump().count(), "own counters of 8 connections + 4 shared + 4 shared logs");
    }

    private static String dumpLine(LoadClient.Summary s) {
        return KvProtocol.DUMP + s.dump().count() + " " + s.dump().sha256();
    }

    private static InetSocketAddress address(AdminPort admin) {
        return new InetSocketAddress("127.0.0.1", admin.port());
    }

    @Test
    void shouldPrintOneParsableJsonLine() throws Exception {
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            LoadClient.Summary summary = LoadClient.run(config(s.port(), LoadClient.Protocol.KV).withLoad(2, 50, 4));
            String json = summary.toJson();
            assertTrue(!json.contains("\n"));
            Map<String, Object> m = Json.object(json);
            assertEquals(Boolean.TRUE, m.get("ok"));
            assertEquals(0L, m.get("errors"));
            assertEquals(2L * 62, m.get("completed"));
            assertEquals("kv", m.get("protocol"));
            assertEquals(2, ((List<?>) m.get("maxGapMs")).size());
            assertTrue(((Map<?, ?>) m.get("latencyUs")).containsKey("p99"));
            assertEquals(summary.dump().sha256(), ((Map<?, ?>) m.get("dump")).get("sha256"));
        }
    }

    @Test
    void shouldCountAnEofWhenTheServerClosesMidStream() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = serveThenClose(ss, 3);
            LoadClient.Summary s = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", ss.getLocalPort())
                .withLoad(1, 100, 1).withReplyTimeout(Duration.ofSeconds(5)));
            t.join(5000);
            assertEquals(1, s.eofs(), s.toJson());
            assertEquals(1, s.errors());
            assertTrue(s.firstErrors().get(0).contains("EOF"), s.firstErrors().toString());
        }
    }

    @Test
    void shouldCountAResetWhenTheServerAborts() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket c = ss.accept()) {
                    c.getInputStream().read(new byte[64]); // leave unread bytes: close() then sends RST
                    c.setSoLinger(true, 0);
                } catch (IOException ignored) {
                    // test ends
                }
            });
            t.start();
            LoadClient.Summary s = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", ss.getLocalPort())
                .withLoad(1, 100, 8).withReplyTimeout(Duration.ofSeconds(5)));
            t.join(5000);
            assertEquals(1, s.resets() + s.eofs(), s.toJson());
            assertTrue(s.resets() == 1, "an RST is a reset: " + s.toJson());
        }
    }

    @Test
    void shouldCountATimeoutWhenNoReplyComes() throws Exception {
        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            LoadClient.Summary s = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", ss.getLocalPort())
                .withLoad(2, 10, 1).withReplyTimeout(Duration.ofMillis(300)));
            assertEquals(2, s.timeouts(), s.toJson());
            assertEquals(2, s.errors());
        }
    }

    @Test
    void shouldCountMismatchesAndFailConnectsAndStopAtTheWallTime() throws Exception {
        LoadClient.Summary refused;
        try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            int port = probe.getLocalPort();
            probe.close();
            refused = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", port).withLoad(3, 10, 1)
                .withReplyTimeout(Duration.ofSeconds(2)));
        }
        assertEquals(3, refused.connectFailures(), refused.toJson());

        try (ServerSocket ss = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            Thread t = new Thread(() -> {
                try (Socket c = ss.accept()) {
                    InputStream in = c.getInputStream();
                    OutputStream out = c.getOutputStream();
                    int b;
                    while ((b = in.read()) >= 0) {
                        if (b == '\n') {
                            out.write("OK\n".getBytes());
                        }
                    }
                } catch (IOException ignored) {
                    // test ends
                }
            });
            t.start();
            LoadClient.Summary liar = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", ss.getLocalPort())
                .withLoad(1, 0, 1).withDuration(Duration.ofMillis(300)));
            t.join(5000);
            assertTrue(liar.stoppedByDuration(), liar.toJson());
            assertTrue(liar.mismatches() > 0 && liar.mismatches() < liar.completed(), liar.toJson());
            assertEquals(liar.mismatches(), liar.errors());
            assertTrue(liar.durationMs() < 5000, liar.toJson());
        }
    }

    private static Thread serveThenClose(ServerSocket ss, int replies) {
        Thread t = new Thread(() -> {
            try (Socket c = ss.accept()) {
                InputStream in = c.getInputStream();
                OutputStream out = c.getOutputStream();
                KvProtocol.Session session = new KvProtocol.Session(new KvStore());
                java.io.ByteArrayOutputStream replyBytes = new java.io.ByteArrayOutputStream();
                int b;
                while (session.requests() < replies && (b = in.read()) >= 0) {
                    session.receive(new byte[] {(byte) b}, 0, 1, replyBytes);
                    out.write(replyBytes.toByteArray());
                    replyBytes.reset();
                }
                c.shutdownOutput();
                in.readAllBytes();
            } catch (IOException ignored) {
                // test ends
            }
        });
        t.start();
        return t;
    }
}
