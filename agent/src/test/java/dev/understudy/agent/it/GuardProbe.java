package dev.understudy.agent.it;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The client side of {@link ProcessDeathGuardIT}, run in the lab's {@code client}: opens
 * {@code N} KV connections to {@code HOST:PORT} and one more that it closes first.
 * <ul>
 *   <li>Each of the N sends {@code SET k<i> v<i>} and waits for {@code OK}; then a thread per
 *       connection stays blocked in read and prints {@code EOF <i> <epochMs>} or
 *       {@code RESET <i> <epochMs> <exception>} if the connection ends, {@code REPLY <i> <line>} for
 *       a reply.</li>
 *   <li>The extra connection sends a request, reads the reply, shuts its output down and waits
 *       (5 s at most) for the server's FIN: {@code SERVER-FIN <ms>} or {@code NO-SERVER-FIN <what>}.</li>
 *   <li>Then prints {@code READY <localPort>,...}. Each {@code SEND} line on stdin makes every
 *       connection write {@code GET k<i>} ({@code SENT} when done).</li>
 * </ul>
 */
public final class GuardProbe {
    private GuardProbe() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        List<Socket> sockets = new ArrayList<>();
        StringBuilder ports = new StringBuilder();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setTcpNoDelay(true);
            s.setSoTimeout(30_000);
            s.getOutputStream().write(("SET k" + i + " v" + i + "\n").getBytes(StandardCharsets.US_ASCII));
            String reply = line(s.getInputStream());
            if (!"OK".equals(reply)) {
                say("ERROR " + i + " reply " + reply);
                System.exit(2);
            }
            sockets.add(s);
            ports.append(ports.length() == 0 ? "" : ",").append(s.getLocalPort());
        }
        closeFirst(host, port);
        for (int i = 0; i < n; i++) {
            int index = i;
            Socket s = sockets.get(i);
            Thread t = new Thread(() -> watch(index, s), "watch-" + i);
            t.setDaemon(true);
            t.start();
        }
        say("READY " + ports);
        BufferedReader commands = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String command;
        while ((command = commands.readLine()) != null) {
            if (command.equals("SEND")) {
                for (int i = 0; i < n; i++) {
                    try {
                        sockets.get(i).getOutputStream().write(("GET k" + i + "\n").getBytes(StandardCharsets.US_ASCII));
                    } catch (IOException e) {
                        say("RESET " + i + " " + System.currentTimeMillis() + " write: " + e);
                    }
                }
                say("SENT");
            }
        }
    }

    /** The connection the client closes first: the server's own close must send its FIN back. */
    private static void closeFirst(String host, int port) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(5_000);
            s.getOutputStream().write("GET closer\n".getBytes(StandardCharsets.US_ASCII));
            line(s.getInputStream());
            long t0 = System.nanoTime();
            s.shutdownOutput();
            try {
                int b = s.getInputStream().read();
                say(b < 0 ? "SERVER-FIN " + (System.nanoTime() - t0) / 1_000_000 : "NO-SERVER-FIN got byte " + b);
            } catch (IOException e) {
                say("NO-SERVER-FIN " + e);
            }
        }
    }

    private static void watch(int i, Socket s) {
        try {
            InputStream in = s.getInputStream();
            while (true) {
                try {
                    String reply = line(in);
                    if (reply == null) {
                        say("EOF " + i + " " + System.currentTimeMillis());
                        return;
                    }
                    say("REPLY " + i + " " + reply);
                } catch (SocketTimeoutException e) {
                    // still connected, nothing to read: keep waiting
                }
            }
        } catch (IOException e) {
            say("RESET " + i + " " + System.currentTimeMillis() + " " + e);
        }
    }

    /** One line without its LF, or null at EOF (a timeout mid-line loses the partial line: fine here). */
    private static String line(InputStream in) throws IOException {
        StringBuilder b = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                return b.toString();
            }
            b.append((char) c);
        }
        return null;
    }

    private static synchronized void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
