package dev.understudy.apps;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * A deliberately misbehaving server on loopback for the load client's tests: each accepted
 * connection is served by its own thread ({@code fake-server-*}) running a {@link Handler}.
 * {@link #close()} closes the listener and every connection and joins every thread, so a test
 * leaves nothing behind.
 */
final class FakeServer implements AutoCloseable {
    /** Serves one accepted connection; {@code accepted} counts from 0 in accept order. */
    interface Handler {
        void serve(Socket socket, int accepted) throws Exception;
    }

    /** What a KV server built by {@link #kv} answers: the right reply, or something else. */
    interface KvReply {
        /**
         * @param accepted the connection, in accept order
         * @param request  1-based number of the request on this connection
         * @param line     the request line
         * @param right    what a correct server replies (without LF)
         * @param out      the connection, to write odd things to directly
         * @return the bytes to send, e.g. {@code right + "\n"}
         */
        String reply(int accepted, long request, String line, String right, OutputStream out) throws Exception;
    }

    private final ServerSocket server;
    private final Thread acceptor;
    private final ConcurrentLinkedQueue<Socket> sockets = new ConcurrentLinkedQueue<>();
    private final ConcurrentLinkedQueue<Thread> threads = new ConcurrentLinkedQueue<>();
    private final List<Integer> remotePorts = Collections.synchronizedList(new ArrayList<>());

    private FakeServer(ServerSocket server, Handler handler) {
        this.server = server;
        this.acceptor = new Thread(() -> accept(handler), "fake-server-accept");
    }

    /** Listens on an ephemeral loopback port. */
    static FakeServer start(Handler handler) throws IOException {
        return start(handler, 0);
    }

    /** Listens on an ephemeral loopback port; a receive buffer above 0 is set before binding. */
    static FakeServer start(Handler handler, int receiveBuffer) throws IOException {
        ServerSocket ss = new ServerSocket();
        if (receiveBuffer > 0) {
            ss.setReceiveBufferSize(receiveBuffer);
        }
        ss.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 50);
        FakeServer s = new FakeServer(ss, handler);
        s.acceptor.start();
        return s;
    }

    /** A correct KV server (one store for all connections) whose replies {@code replies} may change. */
    static FakeServer kv(KvReply replies) throws IOException {
        KvStore store = new KvStore();
        return start((socket, accepted) -> {
            BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = socket.getOutputStream();
            long n = 0;
            for (String line; (line = in.readLine()) != null; ) {
                String reply = replies.reply(accepted, ++n, line, KvProtocol.execute(store, line), out);
                out.write(reply.getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        });
    }

    int port() {
        return server.getLocalPort();
    }

    /** The client ports of the accepted connections, in accept order. */
    List<Integer> remotePorts() {
        synchronized (remotePorts) {
            return new ArrayList<>(remotePorts);
        }
    }

    private void accept(Handler handler) {
        int accepted = 0;
        while (!server.isClosed()) {
            Socket s;
            try {
                s = server.accept();
            } catch (IOException e) {
                return; // closed
            }
            sockets.add(s);
            remotePorts.add(s.getPort());
            int index = accepted++;
            Thread t = new Thread(() -> {
                try (s) {
                    handler.serve(s, index);
                } catch (Exception e) {
                    // the connection is over (the client's view of it is what the test checks)
                }
            }, "fake-server-conn-" + index);
            threads.add(t);
            t.start();
        }
    }

    @Override
    public void close() throws Exception {
        server.close();
        for (Socket s : sockets) {
            s.close();
        }
        acceptor.join(5000);
        for (Thread t : threads) {
            t.interrupt();
            t.join(5000);
        }
        if (acceptor.isAlive() || threads.stream().anyMatch(Thread::isAlive)) {
            throw new IllegalStateException("fake server threads still alive");
        }
    }
}
