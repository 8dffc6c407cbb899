package dev.understudy.apps;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Counters over HTTP/1.1 with {@code com.sun.net.httpserver.HttpServer} (keep-alive, a pool of
 * handler threads). A plain, unmodified server: it knows nothing of Understudy.
 *
 * <table>
 *   <caption>requests and responses; the body is one line in {@link KvProtocol}'s reply format</caption>
 *   <tr><th>request</th><th>status</th><th>body</th></tr>
 *   <tr><td>{@code POST /incr/{k}}</td><td>200</td><td>{@code INT n}</td></tr>
 *   <tr><td>{@code POST /append/{k}/{v}}</td><td>200</td><td>{@code INT length}: {@code v} appended to the
 *       value of {@code k} (absent counts as empty), its new length in characters ({@link KvStore#append})</td></tr>
 *   <tr><td>{@code GET /get/{k}}</td><td>200 / 404</td><td>{@code VALUE v} / {@code NIL}</td></tr>
 *   <tr><td>{@code GET /dump}</td><td>200</td><td>{@code DUMP count sha256hex}</td></tr>
 *   <tr><td>bad key, non-counter value, bad or missing {@code v}, value over
 *       {@value KvStore#MAX_VALUE} characters</td><td>400</td><td>{@code ERR reason}</td></tr>
 *   <tr><td>wrong method</td><td>405</td><td>{@code ERR method not allowed}</td></tr>
 *   <tr><td>any other path</td><td>404</td><td>{@code ERR not found}</td></tr>
 * </table>
 *
 * Keys follow {@link KvStore#checkKey} and must not contain {@code /}; they are taken from the
 * raw (undecoded) path, and so is the appended {@code v}: everything after the {@code /} that
 * ends the key, as is ({@code %41} appends three characters), following {@link KvStore#checkValue}.
 * Every response has a {@code Content-Length}, so connections stay open.
 *
 * <p>Usage: {@code java [-Dapps.admin.port=P] dev.understudy.apps.HttpCounterServer PORT [BIND_ADDRESS]}
 * ({@link ServerArgs}); the optional admin port answers {@code DUMP} out of band ({@link AdminPort}).
 */
public final class HttpCounterServer implements AutoCloseable {
    private static final String INCR = "/incr/";
    private static final String APPEND = "/append/";
    private static final String GET = "/get/";
    private static final String DUMP = "/dump";

    private final HttpServer server;
    private final ExecutorService pool;
    private final KvStore store;

    private HttpCounterServer(HttpServer server, ExecutorService pool, KvStore store) {
        this.server = server;
        this.pool = pool;
        this.store = store;
    }

    /** Binds and starts serving; handler threads are daemon threads. */
    public static HttpCounterServer start(InetSocketAddress bind, KvStore store) throws IOException {
        // The JDK server writes headers and body separately; with Nagle on, the body waits for
        // the client's delayed ACK (~40 ms per request). Read once, when the server classes load.
        if (System.getProperty("sun.net.httpserver.nodelay") == null) {
            System.setProperty("sun.net.httpserver.nodelay", "true");
        }
        HttpServer server = HttpServer.create(bind, 256);
        AtomicInteger ids = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(Math.max(16, 2 * Runtime.getRuntime().availableProcessors()), r -> {
            Thread t = new Thread(r, "http-counter-" + ids.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        HttpCounterServer s = new HttpCounterServer(server, pool, store);
        server.setExecutor(pool);
        server.createContext("/", s::handle);
        server.start();
        return s;
    }

    public static void main(String[] args) throws IOException {
        KvStore store = new KvStore();
        InetSocketAddress bind = ServerArgs.startOrExit("HttpCounterServer", args, store);
        // HttpServer's dispatcher thread is not a daemon: it keeps the JVM alive.
        HttpCounterServer s = start(bind, store);
        ServerArgs.announce(s.port());
    }

    /** The bound port. */
    public int port() {
        return server.getAddress().getPort();
    }

    private void handle(HttpExchange ex) throws IOException {
        try (ex) {
            try (InputStream in = ex.getRequestBody()) {
                in.transferTo(OutputStream.nullOutputStream()); // drain, so the connection can be reused
            }
            String path = ex.getRequestURI().getRawPath();
            String method = ex.getRequestMethod();
            if (path.startsWith(INCR)) {
                if (!method.equals("POST")) {
                    respond(ex, 405, KvProtocol.ERR + "method not allowed");
                    return;
                }
                String key = path.substring(INCR.length());
                String why = checkKey(key);
                if (why != null) {
                    respond(ex, 400, KvProtocol.ERR + why);
                    return;
                }
                Long n = store.incr(key);
                respond(ex, n == null ? 400 : 200, n == null ? KvProtocol.ERR + "not an integer" : KvProtocol.INT + n);
            } else if (path.startsWith(APPEND)) {
                if (!method.equals("POST")) {
                    respond(ex, 405, KvProtocol.ERR + "method not allowed");
                    return;
                }
                String rest = path.substring(APPEND.length());
                int slash = rest.indexOf('/');
                if (slash < 0) {
                    respond(ex, 400, KvProtocol.ERR + "wrong number of arguments");
                    return;
                }
                String key = rest.substring(0, slash);
                String value = rest.substring(slash + 1);
                String why = checkKey(key);
                if (why == null) {
                    why = KvStore.checkValue(value);
                }
                if (why != null) {
                    respond(ex, 400, KvProtocol.ERR + why);
                    return;
                }
                int length = store.append(key, value);
                respond(ex, length < 0 ? 400 : 200, length < 0 ? KvProtocol.ERR + "value too long" : KvProtocol.INT + length);
            } else if (path.startsWith(GET)) {
                if (!method.equals("GET")) {
                    respond(ex, 405, KvProtocol.ERR + "method not allowed");
                    return;
                }
                String key = path.substring(GET.length());
                String why = checkKey(key);
                if (why != null) {
                    respond(ex, 400, KvProtocol.ERR + why);
                    return;
                }
                String v = store.get(key);
                respond(ex, v == null ? 404 : 200, v == null ? KvProtocol.NIL : KvProtocol.VALUE + v);
            } else if (path.equals(DUMP)) {
                if (!method.equals("GET")) {
                    respond(ex, 405, KvProtocol.ERR + "method not allowed");
                    return;
                }
                respond(ex, 200, KvProtocol.DUMP + store.dump());
            } else {
                respond(ex, 404, KvProtocol.ERR + "not found");
            }
        }
    }

    private static String checkKey(String key) {
        if (key.indexOf('/') >= 0) {
            return "invalid key";
        }
        return KvStore.checkKey(key);
    }

    private static void respond(HttpExchange ex, int status, String line) throws IOException {
        byte[] body = (line + "\n").getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; charset=utf-8");
        ex.sendResponseHeaders(status, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    /** Stops the server (in-flight exchanges get up to a second) and its handler threads. */
    @Override
    public void close() {
        server.stop(1);
        pool.shutdownNow();
        try {
            pool.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
