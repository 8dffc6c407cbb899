package dev.understudy.agent.it;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

/**
 * A trivial application for the agent ITs: a loopback echo over a real socket, then a report of
 * what its own class loader can see. Exits 0 when the echo worked.
 */
public final class TinyApp {
    private TinyApp() {
    }

    public static void main(final String[] args) throws Exception {
        final InetAddress loopback = InetAddress.getLoopbackAddress();
        final AtomicReference<Throwable> failure = new AtomicReference<>();
        final String echo;
        try (ServerSocket server = new ServerSocket(0, 1, loopback)) {
            final Thread echoer = new Thread(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
                    out.write(in.readNBytes(4));
                } catch (final Throwable t) {
                    failure.set(t);
                }
            }, "tiny-app-echo");
            echoer.start();
            try (Socket client = new Socket(loopback, server.getLocalPort())) {
                client.setSoTimeout(10_000);
                client.getOutputStream().write("ping".getBytes(StandardCharsets.US_ASCII));
                echo = new String(client.getInputStream().readNBytes(4), StandardCharsets.US_ASCII);
            }
            echoer.join(10_000);
        }
        if (failure.get() != null) {
            throw new IllegalStateException("echo failed", failure.get());
        }
        System.out.println("tiny-app: echo=" + echo);
        System.out.println("tiny-app: agent-visible=" + visible("dev.understudy.agent.Configuration")
            + " bytebuddy-visible=" + visible("net.bytebuddy.ByteBuddy")
            + " jna-visible=" + visible("com.sun.jna.Native")
            + " agrona-visible=" + visible("org.agrona.DirectBuffer"));
        System.out.println("tiny-app: done");
    }

    static boolean visible(final String className) {
        try {
            Class.forName(className, false, TinyApp.class.getClassLoader());
            return true;
        } catch (final ClassNotFoundException e) {
            return false;
        }
    }
}
