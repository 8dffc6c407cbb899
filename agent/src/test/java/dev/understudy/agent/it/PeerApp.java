package dev.understudy.agent.it;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * A plain server for {@link CloneAcceptIT} with two listeners, one per accept path: a
 * {@code ServerSocket} on PORT and a {@code ServerSocketChannel} on PORT + 2. For every connection
 * it prints {@code peer LOCALPORT ADDRESS:PORT} (the peer as the application sees it), then
 * echoes what it reads until EOF and closes. Usage: {@code PeerApp PORT}.
 */
public final class PeerApp {
    private PeerApp() {
    }

    public static void main(String[] args) throws IOException {
        int port = Integer.parseInt(args[0]);
        ServerSocket classic = new ServerSocket();
        classic.bind(new InetSocketAddress(port));
        ServerSocketChannel channel = ServerSocketChannel.open();
        channel.bind(new InetSocketAddress(port + 2));
        Thread a = new Thread(() -> {
            while (true) {
                try {
                    Socket s = classic.accept();
                    report(port, s.getInetAddress().getHostAddress() + ":" + s.getPort());
                    new Thread(() -> echo(s)).start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "peer-classic");
        Thread b = new Thread(() -> {
            while (true) {
                try {
                    SocketChannel s = channel.accept();
                    InetSocketAddress r = (InetSocketAddress) s.getRemoteAddress();
                    report(port + 2, r.getAddress().getHostAddress() + ":" + r.getPort());
                    new Thread(() -> echo(s)).start();
                } catch (IOException e) {
                    return;
                }
            }
        }, "peer-channel");
        a.start();
        b.start();
        System.out.println("LISTENING " + port);
        System.out.flush();
    }

    private static synchronized void report(int localPort, String peer) {
        System.out.println("peer " + localPort + " " + peer);
        System.out.flush();
    }

    private static void echo(Socket s) {
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            byte[] buf = new byte[4096];
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException ignored) {
            // the connection is over
        }
    }

    private static void echo(SocketChannel s) {
        try (s) {
            ByteBuffer buf = ByteBuffer.allocate(4096);
            while (s.read(buf) > 0) {
                buf.flip();
                while (buf.hasRemaining()) {
                    s.write(buf);
                }
                buf.clear();
            }
        } catch (IOException ignored) {
            // the connection is over
        }
    }
}
