package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.HttpURLConnection;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class ServersTest {
    private static final InetSocketAddress LOOPBACK = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);

    @Test
    void shouldParsePortAndOptionalBindAddress() {
        assertEquals(new InetSocketAddress("0.0.0.0", 7000), ServerArgs.parse(new String[] {"7000"}));
        assertEquals(new InetSocketAddress("127.0.0.1", 0), ServerArgs.parse(new String[] {"0", "127.0.0.1"}));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> ServerArgs.parse(new String[] {"70000"}))
            .getMessage().contains("value=70000"));
        assertThrows(IllegalArgumentException.class, () -> ServerArgs.parse(new String[] {}));
        assertThrows(IllegalArgumentException.class, () -> ServerArgs.parse(new String[] {"1", "2", "3"}));
        assertThrows(IllegalArgumentException.class, () -> ServerArgs.parse(new String[] {"x"}));
    }

    @Test
    void shouldShareStateAcrossConnectionsOfTheBlockingServer() throws Exception {
        try (BlockingKvServer s = BlockingKvServer.start(LOOPBACK, new KvStore())) {
            shouldShareStateAcrossConnections(s.port());
        }
    }

    @Test
    void shouldShareStateAcrossConnectionsOfTheNioServer() throws Exception {
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            shouldShareStateAcrossConnections(s.port());
        }
    }

    @Test
    void shouldAnswerHugePipelinedBurstsOfAClientThatReadsLateOnTheNioServer() throws Exception {
        try (NioKvServer s = NioKvServer.start(LOOPBACK, new KvStore())) {
            answerBurst(s.port());
        }
    }

    @Test
    void shouldAnswerHugePipelinedBurstsOfAClientThatReadsLateOnTheBlockingServer() throws Exception {
        try (BlockingKvServer s = BlockingKvServer.start(LOOPBACK, new KvStore())) {
            answerBurst(s.port());
        }
    }

    @Test
    void shouldServeCountersOverHttpWithKeepAlive() throws Exception {
        try (HttpCounterServer s = HttpCounterServer.start(LOOPBACK, new KvStore())) {
            String base = "http://127.0.0.1:" + s.port();
            assertEquals("404 NIL", http("GET", base + "/get/a"));
            assertEquals("200 INT 1", http("POST", base + "/incr/a"));
            assertEquals("200 INT 2", http("POST", base + "/incr/a"));
            assertEquals("200 VALUE 2", http("GET", base + "/get/a"));
            assertEquals("405 ERR method not allowed", http("GET", base + "/incr/a"));
            assertEquals("404 ERR not found", http("GET", base + "/nothing"));
            assertEquals("400 ERR missing key", http("POST", base + "/incr/"));
            assertTrue(http("GET", base + "/dump").matches("200 DUMP 1 [0-9a-f]{64}"));

            // APPEND, as KvStore#append: the new length; an absent key counts as empty
            assertEquals("200 INT 3", http("POST", base + "/append/log/c0."));
            assertEquals("200 INT 8", http("POST", base + "/append/log/c1r2."));
            assertEquals("200 VALUE c0.c1r2.", http("GET", base + "/get/log"));
            assertEquals("200 INT 11", http("POST", base + "/append/log/a/b"), "the rest of the path, slashes too");
            assertEquals("200 INT 14", http("POST", base + "/append/log/%41"), "the raw path, undecoded");
            assertEquals("400 ERR missing value", http("POST", base + "/append/log/"));
            assertEquals("400 ERR wrong number of arguments", http("POST", base + "/append/log"));
            assertEquals("400 ERR missing key", http("POST", base + "/append//x"));
            assertEquals("405 ERR method not allowed", http("GET", base + "/append/log/x"));
            assertEquals("400 ERR not an integer", http("POST", base + "/incr/log"));
            assertEquals("200 VALUE c0.c1r2.a/b%41", http("GET", base + "/get/log"));

            // three requests on one connection, pipelined in one write: keep-alive and in-order replies
            try (Socket c = new Socket("127.0.0.1", s.port())) {
                c.setSoTimeout(5000);
                String req = "POST /incr/b HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n";
                c.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
                LoadClient.ReplyReader in = new LoadClient.ReplyReader(c.getInputStream());
                assertEquals("200 INT 1", in.httpReply().toString());
                c.getOutputStream().write(req.getBytes(StandardCharsets.US_ASCII));
                assertEquals("200 INT 2", in.httpReply().toString());
            }
        }
    }

    private static String http(String method, String url) throws IOException {
        HttpURLConnection c = (HttpURLConnection) new URL(url).openConnection();
        c.setRequestMethod(method);
        if (method.equals("POST")) {
            c.setDoOutput(true);
            c.getOutputStream().close();
        }
        int code = c.getResponseCode();
        var stream = code >= 400 ? c.getErrorStream() : c.getInputStream();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(stream, StandardCharsets.UTF_8))) {
            return code + " " + r.readLine();
        }
    }

    private static void shouldShareStateAcrossConnections(int port) throws IOException {
        try (Socket a = new Socket("127.0.0.1", port); Socket b = new Socket("127.0.0.1", port)) {
            a.setSoTimeout(5000);
            b.setSoTimeout(5000);
            LoadClient.ReplyReader ra = new LoadClient.ReplyReader(a.getInputStream());
            LoadClient.ReplyReader rb = new LoadClient.ReplyReader(b.getInputStream());
            send(a, "SET k v\n");
            assertEquals("OK", ra.line());
            send(b, "GET k\nBOGUS\n");
            assertEquals("VALUE v", rb.line());
            assertEquals("ERR unknown command", rb.line());
            // a request split across writes, and one request arriving byte by byte
            send(a, "APP");
            sleep();
            send(a, "END k w\nINCR n\n");
            assertEquals("INT 2", ra.line());
            assertEquals("INT 1", ra.line());
            for (byte x : "INCR n\n".getBytes(StandardCharsets.US_ASCII)) {
                send(b, new String(new byte[] {x}, StandardCharsets.US_ASCII));
            }
            assertEquals("INT 2", rb.line());
            send(b, "DUMP\n");
            assertTrue(rb.line().matches("DUMP 2 [0-9a-f]{64}"));
        }
    }

    private static void answerBurst(int port) throws IOException {
        try (Socket c = new Socket("127.0.0.1", port)) {
            c.setSoTimeout(20_000);
            String value = "v".repeat(60_000);
            send(c, "SET big " + value + "\n");
            LoadClient.ReplyReader r = new LoadClient.ReplyReader(c.getInputStream());
            assertEquals("OK", r.line());
            // ~18 MB of replies requested before reading any: the server must block/queue, not fail
            int n = 300;
            StringBuilder burst = new StringBuilder();
            for (int i = 0; i < n; i++) {
                burst.append("GET big\nINCR c\n");
            }
            OutputStream out = c.getOutputStream();
            out.write(burst.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            sleep();
            for (int i = 0; i < n; i++) {
                assertEquals("VALUE " + value, r.line());
                assertEquals("INT " + (i + 1), r.line());
            }
        }
    }

    private static void send(Socket s, String text) throws IOException {
        s.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
        s.getOutputStream().flush();
    }

    private static void sleep() {
        try {
            Thread.sleep(50);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
