package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedSelectorException;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayDeque;
import java.util.Iterator;

/**
 * The KV line protocol ({@link KvProtocol}) served by one {@link Selector} thread over
 * non-blocking {@link SocketChannel}s. A plain, unmodified server: it knows nothing of
 * Understudy.
 *
 * <p>Reads and writes may be partial: a request split over several reads is assembled by the
 * connection's {@link KvProtocol.Session}; replies that the socket does not take at once are
 * queued and written when the channel is writable. Pipelined requests are answered in order.
 * A connection whose queued replies exceed {@value #MAX_PENDING} bytes is not read from until
 * they drain (back-pressure on a client that does not read).
 *
 * <p>Usage: {@code java [-Dapps.admin.port=P] dev.understudy.apps.NioKvServer PORT [BIND_ADDRESS]}
 * ({@link ServerArgs}); the optional admin port answers {@code DUMP} out of band ({@link AdminPort}).
 *
 * <p>Thread-safety: all I/O happens on the selector thread; {@link #close()} may be called
 * from any thread.
 */
public final class NioKvServer implements AutoCloseable {
    static final int MAX_PENDING = 1 << 20;
    private static final int READS_PER_WAKEUP = 16;

    private final Selector selector;
    private final ServerSocketChannel server;
    private final KvStore store;
    private final Thread loop;
    private final ByteBuffer readBuffer = ByteBuffer.allocate(64 * 1024);
    private final ByteArrayOutputStream replies = new ByteArrayOutputStream(4096);
    private volatile boolean closed;

    /** One connection's state, attached to its selection key. */
    private static final class Conn {
        final SocketChannel channel;
        final KvProtocol.Session session;
        final ArrayDeque<ByteBuffer> pending = new ArrayDeque<>();
        long pendingBytes;
        boolean inputClosed;

        Conn(SocketChannel channel, KvStore store) {
            this.channel = channel;
            this.session = new KvProtocol.Session(store);
        }
    }

    private NioKvServer(Selector selector, ServerSocketChannel server, KvStore store, boolean daemon) {
        this.selector = selector;
        this.server = server;
        this.store = store;
        this.loop = new Thread(this::run, "nio-kv-selector");
        loop.setDaemon(daemon);
    }

    /** Binds and starts the selector thread (a daemon thread). */
    public static NioKvServer start(InetSocketAddress bind, KvStore store) throws IOException {
        return start(bind, store, true);
    }

    private static NioKvServer start(InetSocketAddress bind, KvStore store, boolean daemon) throws IOException {
        Selector selector = Selector.open();
        ServerSocketChannel ssc = ServerSocketChannel.open();
        try {
            ssc.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            ssc.bind(bind, 256);
            ssc.configureBlocking(false);
            ssc.register(selector, SelectionKey.OP_ACCEPT);
        } catch (IOException e) {
            ssc.close();
            selector.close();
            throw e;
        }
        NioKvServer s = new NioKvServer(selector, ssc, store, daemon);
        s.loop.start();
        return s;
    }

    public static void main(String[] args) throws IOException {
        KvStore store = new KvStore();
        InetSocketAddress bind = ServerArgs.startOrExit("NioKvServer", args, store);
        NioKvServer s = start(bind, store, false);
        ServerArgs.announce(s.port());
    }

    /** The bound port. */
    public int port() {
        return server.socket().getLocalPort();
    }

    private void run() {
        try {
            while (!closed) {
                selector.select();
                Iterator<SelectionKey> it = selector.selectedKeys().iterator();
                while (it.hasNext()) {
                    SelectionKey key = it.next();
                    it.remove();
                    if (!key.isValid()) {
                        continue;
                    }
                    if (key.isAcceptable()) {
                        accept();
                    } else {
                        Conn c = (Conn) key.attachment();
                        try {
                            if (key.isReadable()) {
                                read(c);
                            }
                            if (key.isValid()) {
                                flush(key, c);
                            }
                        } catch (IOException e) {
                            // reset by the peer or similar: this connection is over, the others go on
                            closeConn(key, c);
                        }
                    }
                }
            }
        } catch (IOException | ClosedSelectorException e) {
            if (!closed) {
                System.err.println("nio-kv: selector failed: " + e);
            }
        } finally {
            for (SelectionKey key : selector.keys()) {
                try {
                    key.channel().close();
                } catch (IOException ignored) {
                    // closing anyway
                }
            }
            try {
                selector.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }

    private void accept() throws IOException {
        SocketChannel ch;
        while ((ch = acceptOne()) != null) {
            ch.configureBlocking(false);
            ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
            ch.register(selector, SelectionKey.OP_READ, new Conn(ch, store));
        }
    }

    private SocketChannel acceptOne() {
        try {
            return server.accept();
        } catch (IOException e) {
            // e.g. EMFILE: keep serving the connections we have; the key stays ready
            System.err.println("nio-kv: accept failed: " + e);
            return null;
        }
    }

    private void read(Conn c) throws IOException {
        for (int i = 0; i < READS_PER_WAKEUP && c.pendingBytes < MAX_PENDING; i++) {
            readBuffer.clear();
            int n = c.channel.read(readBuffer);
            if (n < 0) {
                c.inputClosed = true;
                break;
            }
            if (n == 0) {
                break;
            }
            c.session.receive(readBuffer.array(), 0, n, replies);
            if (replies.size() > 0) {
                c.pending.add(ByteBuffer.wrap(replies.toByteArray()));
                c.pendingBytes += replies.size();
                replies.reset();
            }
            if (n < readBuffer.capacity()) {
                break;
            }
        }
    }

    private void flush(SelectionKey key, Conn c) throws IOException {
        while (!c.pending.isEmpty()) {
            ByteBuffer head = c.pending.peek();
            int n = c.channel.write(head);
            c.pendingBytes -= n;
            if (head.hasRemaining()) {
                break; // the socket buffer is full: wait for OP_WRITE
            }
            c.pending.poll();
        }
        if (c.pending.isEmpty() && c.inputClosed) {
            closeConn(key, c);
            return;
        }
        int ops = 0;
        if (!c.inputClosed && c.pendingBytes < MAX_PENDING) {
            ops |= SelectionKey.OP_READ;
        }
        if (!c.pending.isEmpty()) {
            ops |= SelectionKey.OP_WRITE;
        }
        if (key.interestOps() != ops) {
            key.interestOps(ops);
        }
    }

    private static void closeConn(SelectionKey key, Conn c) {
        key.cancel();
        try {
            c.channel.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    /** Stops the selector thread and closes every connection. Idempotent. */
    @Override
    public void close() throws IOException {
        closed = true;
        selector.wakeup();
        try {
            loop.join(5000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        server.close();
    }
}
