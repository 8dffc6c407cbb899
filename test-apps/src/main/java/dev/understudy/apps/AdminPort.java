package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A second, out-of-band port on which a sample server reports its state, for tests that must
 * read a clone's state while its service port belongs to the replay machinery. It is not part
 * of the service: a plain {@link ServerSocket} with its own daemon threads, sharing only the
 * {@link KvStore}, read-only.
 *
 * <p>Protocol: request lines ending in LF (a CR before it is ignored), at most
 * {@value #MAX_LINE} bytes, answered in order, as many per connection as the client likes:
 *
 * <table>
 *   <caption>admin requests and replies</caption>
 *   <tr><th>request</th><th>reply</th></tr>
 *   <tr><td>{@code DUMP} (any case)</td><td>{@code DUMP count sha256hex}, exactly the reply of the KV
 *       protocol's {@code DUMP} ({@link KvStore#dump()})</td></tr>
 *   <tr><td>any other line</td><td>{@code ERR unknown command}</td></tr>
 *   <tr><td>a line over {@value #MAX_LINE} bytes</td><td>{@code ERR line too long}, then the connection is closed</td></tr>
 * </table>
 *
 * A connection idle for {@value #IDLE_TIMEOUT_MS} ms is closed. The servers' {@code main}
 * starts one when the system property {@value ServerArgs#ADMIN_PORT_PROP} is set (see
 * {@link ServerArgs}); {@link AdminClient} asks it.
 *
 * <p>Thread-safety: one acceptor thread ({@code apps-admin}) and one thread per admin connection
 * ({@code apps-admin-conn-N}), all daemons; {@link #close()} may be called from any thread.
 */
public final class AdminPort implements AutoCloseable {
    /** Longest request line, in bytes, without the LF. */
    public static final int MAX_LINE = 256;
    /** An admin connection that sends nothing for this long is closed. */
    public static final int IDLE_TIMEOUT_MS = 30_000;

    private final ServerSocket server;
    private final KvStore store;
    private final Thread acceptor;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    private AdminPort(ServerSocket server, KvStore store) {
        this.server = server;
        this.store = store;
        this.acceptor = new Thread(this::acceptLoop, "apps-admin");
        acceptor.setDaemon(true);
    }

    /** Binds {@code bind} (port 0 picks a free port) and starts answering. */
    public static AdminPort start(InetSocketAddress bind, KvStore store) throws IOException {
        ServerSocket ss = new ServerSocket();
        try {
            ss.setReuseAddress(true);
            ss.bind(bind, 16);
        } catch (IOException e) {
            ss.close();
            throw new IOException("cannot bind the admin port " + bind + ": " + e.getMessage(), e);
        }
        AdminPort a = new AdminPort(ss, store);
        a.acceptor.start();
        return a;
    }

    /** The bound port. */
    public int port() {
        return server.getLocalPort();
    }

    private void acceptLoop() {
        int id = 0;
        while (!closed) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                System.err.println("apps-admin: accept failed: " + e);
                sleepQuietly(50);
                continue;
            }
            connections.add(s);
            if (closed) {
                closeQuietly(s);
                return;
            }
            Thread t = new Thread(() -> serve(s), "apps-admin-conn-" + (++id));
            t.setDaemon(true);
            t.start();
        }
    }

    private void serve(Socket s) {
        try (s) {
            s.setSoTimeout(IDLE_TIMEOUT_MS);
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream(64);
            byte[] buf = new byte[512];
            int n;
            while ((n = in.read(buf)) > 0) {
                for (int i = 0; i < n; i++) {
                    if (buf[i] != '\n') {
                        line.write(buf[i]);
                        if (line.size() > MAX_LINE) {
                            out.write((KvProtocol.ERR + "line too long\n").getBytes(StandardCharsets.US_ASCII));
                            out.flush();
                            return;
                        }
                        continue;
                    }
                    out.write((reply(line.toString(StandardCharsets.UTF_8)) + "\n").getBytes(StandardCharsets.US_ASCII));
                    line.reset();
                }
                out.flush();
            }
        } catch (SocketTimeoutException | SocketException e) {
            // idle, reset, or closed by close(): this admin connection is over
        } catch (IOException e) {
            if (!closed) {
                System.err.println("apps-admin: connection failed: " + e);
            }
        } finally {
            connections.remove(s);
        }
    }

    private String reply(String request) {
        String r = request.endsWith("\r") ? request.substring(0, request.length() - 1) : request;
        if (r.toUpperCase(Locale.ROOT).equals("DUMP")) {
            return KvProtocol.DUMP + store.dump();
        }
        return KvProtocol.ERR + "unknown command";
    }

    /** Stops accepting and closes every admin connection; joins the acceptor. Idempotent. */
    @Override
    public void close() throws IOException {
        closed = true;
        server.close();
        for (Socket s : connections) {
            closeQuietly(s);
        }
        try {
            acceptor.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
