package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The KV line protocol ({@link KvProtocol}) over {@code java.net.ServerSocket}, one platform
 * thread per connection, blocking reads and writes. A plain, unmodified server: it knows
 * nothing of Understudy.
 *
 * <p>Replies to pipelined requests are batched: they are written when the input has no more
 * bytes ready (or 64 KiB have piled up).
 *
 * <p>Usage: {@code java [-Dapps.admin.port=P] [-Dapps.ticks=N [-Dapps.tick.ms=MS]]
 * dev.understudy.apps.BlockingKvServer PORT [BIND_ADDRESS]} ({@link ServerArgs}); the optional
 * admin port answers {@code DUMP} out of band ({@link AdminPort}). With {@code apps.ticks}, the
 * first accepted connection starts a timer ({@code ScheduledThreadPoolExecutor}, every
 * {@code apps.tick.ms}, default 10) that runs N times and appends the store's key count to the
 * key {@code ticks} each time: state that depends on when a timer runs between requests.
 *
 * <p>Thread-safety: {@link #close()} may be called from any thread.
 */
public final class BlockingKvServer implements AutoCloseable {
    private static final int FLUSH_THRESHOLD = 64 * 1024;
    private static final int TICKS = Integer.getInteger("apps.ticks", 0);
    private static final long TICK_MS = Long.getLong("apps.tick.ms", 10);

    private final ServerSocket server;
    private final KvStore store;
    private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private BlockingKvServer(ServerSocket server, KvStore store, boolean daemon) {
        this.server = server;
        this.store = store;
        this.acceptor = new Thread(this::acceptLoop, "blocking-kv-accept");
        acceptor.setDaemon(daemon);
    }

    /** Binds and starts accepting; the acceptor is a daemon thread. */
    public static BlockingKvServer start(InetSocketAddress bind, KvStore store) throws IOException {
        return start(bind, store, true);
    }

    private static BlockingKvServer start(InetSocketAddress bind, KvStore store, boolean daemon) throws IOException {
        ServerSocket ss = new ServerSocket();
        ss.setReuseAddress(true);
        ss.bind(bind, 256);
        BlockingKvServer s = new BlockingKvServer(ss, store, daemon);
        s.acceptor.start();
        return s;
    }

    public static void main(String[] args) throws IOException {
        KvStore store = new KvStore();
        InetSocketAddress bind = ServerArgs.startOrExit("BlockingKvServer", args, store);
        BlockingKvServer s = start(bind, store, false);
        ServerArgs.announce(s.port());
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
                // e.g. EMFILE: keep serving the connections we have and try again shortly
                System.err.println("blocking-kv: accept failed: " + e);
                sleepQuietly(50);
                continue;
            }
            connections.add(s);
            if (id == 0 && TICKS > 0) {
                startTicks();
            }
            if (closed) {
                closeQuietly(s);
                return;
            }
            Thread t = new Thread(() -> serve(s), "blocking-kv-conn-" + (++id));
            t.setDaemon(true);
            t.start();
        }
    }

    private void startTicks() {
        java.util.concurrent.ScheduledExecutorService timer = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "blocking-kv-tick");
            t.setDaemon(true);
            return t;
        });
        java.util.concurrent.atomic.AtomicInteger runs = new java.util.concurrent.atomic.AtomicInteger();
        timer.scheduleAtFixedRate(() -> {
            store.append("ticks", store.size() + ",");
            if (runs.incrementAndGet() >= TICKS) {
                timer.shutdown();
            }
        }, TICK_MS, TICK_MS, java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    private void serve(Socket s) {
        KvProtocol.Session session = new KvProtocol.Session(store);
        byte[] buf = new byte[16 * 1024];
        ByteArrayOutputStream replies = new ByteArrayOutputStream(4096);
        try (s) {
            s.setTcpNoDelay(true);
            InputStream in = s.getInputStream();
            OutputStream out = s.getOutputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                session.receive(buf, 0, n, replies);
                if (replies.size() > 0 && (replies.size() >= FLUSH_THRESHOLD || in.available() == 0)) {
                    replies.writeTo(out);
                    replies.reset();
                }
            }
            if (replies.size() > 0) {
                replies.writeTo(out);
            }
        } catch (SocketException e) {
            // reset or closed by close(): the connection is over
        } catch (IOException e) {
            if (!closed) {
                System.err.println("blocking-kv: connection failed: " + e);
            }
        } finally {
            connections.remove(s);
        }
    }

    /** Stops accepting and closes every connection. Idempotent. */
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
