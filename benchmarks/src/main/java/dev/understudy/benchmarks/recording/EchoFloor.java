package dev.understudy.benchmarks.recording;

import dev.understudy.lab.Host;
import dev.understudy.lab.Json;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The round-trip floor of {@link RecordingBenchmark}: a plain TCP ping-pong of fixed-size messages
 * between two lab hosts, no agent, blocking sockets with {@code TCP_NODELAY}.
 *
 * <pre>
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.recording.EchoFloor server PORT
 * java -cp benchmarks/target/benchmarks.jar dev.understudy.benchmarks.recording.EchoFloor client HOST:PORT WARMUP COUNT SIZE
 * </pre>
 *
 * The server prints {@code LISTENING <port>} and echoes every connection (one thread each) until
 * killed. The client sends {@code WARMUP} untimed round trips, then {@code COUNT} timed ones, and
 * prints one JSON line: {@code {"count":..,"size":..,"p50Us":..,"p99Us":..,"p999Us":..,"maxUs":..,"meanUs":..}}
 * (microseconds, to 0.1 µs, from {@link System#nanoTime()}).
 */
public final class EchoFloor {
    private EchoFloor() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 2 && args[0].equals("server")) {
            server(Integer.parseInt(args[1]));
        } else if (args.length == 5 && args[0].equals("client")) {
            int colon = args[1].lastIndexOf(':');
            client(args[1].substring(0, colon), Integer.parseInt(args[1].substring(colon + 1)),
                Integer.parseInt(args[2]), Integer.parseInt(args[3]), Integer.parseInt(args[4]));
        } else {
            System.err.println("usage: EchoFloor server PORT | client HOST:PORT WARMUP COUNT SIZE");
            System.exit(2);
        }
    }

    /**
     * Runs the floor in {@code lab}: the server in node1, the client in the client host through the VIP
     * (wherever it is now: node1 unless moved), {@code warmup} untimed then {@code count} timed round
     * trips of 64 B. Returns the client's JSON figures with a {@code what} line; the server's log goes to
     * {@code work/NAME-server.log}; the server is stopped before it returns.
     */
    public static Map<String, Object> measure(Lab lab, Path work, String name, int port, int warmup, int count)
        throws IOException, InterruptedException {
        // a log of its own: an old LISTENING line must not announce a server that is not up yet
        Path log = work.resolve(name + "-server.log");
        Files.deleteIfExists(log);
        Process server = lab.spawn(Lab.node(1), Lab.java(List.of("-XX:+UseSerialGC"),
            EchoFloor.class.getName(), "server", Integer.toString(port)), log);
        try {
            LabApps.awaitLine(log, "LISTENING", server, Duration.ofSeconds(30));
            Host.Result r = lab.exec(Lab.CLIENT, Duration.ofMinutes(3), Lab.java(List.of("-XX:+UseSerialGC"),
                EchoFloor.class.getName(), "client", lab.vip() + ":" + port, Integer.toString(warmup),
                Integer.toString(count), "64").toArray(new String[0]));
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("what", "plain TCP ping-pong, 64 B, client -> " + lab.vip() + " (node1), no agent, " + warmup
                + " warm-up + " + count + " timed round trips");
            m.putAll(Json.object(LabBench.lastJsonLine(r.output(), "floor client exited " + r.exitCode())));
            return m;
        } finally {
            LabBench.stop(server);
        }
    }

    private static void server(int port) throws IOException {
        try (ServerSocket ss = new ServerSocket()) {
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(port));
            System.out.println("LISTENING " + ss.getLocalPort());
            System.out.flush();
            while (true) {
                Socket s = ss.accept();
                Thread t = new Thread(() -> echo(s), "echo-" + s.getPort());
                t.setDaemon(true);
                t.start();
            }
        }
    }

    private static void echo(Socket s) {
        byte[] buf = new byte[64 * 1024];
        try (s; InputStream in = s.getInputStream(); OutputStream out = s.getOutputStream()) {
            s.setTcpNoDelay(true);
            int n;
            while ((n = in.read(buf)) > 0) {
                out.write(buf, 0, n);
            }
        } catch (IOException e) {
            // client gone
        }
    }

    private static void client(String host, int port, int warmup, int count, int size) throws IOException {
        long[] ns = new long[count];
        byte[] msg = new byte[size];
        byte[] reply = new byte[size];
        Arrays.fill(msg, (byte) 'x');
        try (Socket s = new Socket()) {
            s.setTcpNoDelay(true);
            s.connect(new InetSocketAddress(host, port), 5000);
            s.setSoTimeout(10_000);
            OutputStream out = s.getOutputStream();
            DataInputStream in = new DataInputStream(s.getInputStream());
            for (int i = 0; i < warmup + count; i++) {
                long t0 = System.nanoTime();
                out.write(msg);
                in.readFully(reply);
                long t1 = System.nanoTime();
                if (i >= warmup) {
                    ns[i - warmup] = t1 - t0;
                }
            }
        }
        Arrays.sort(ns);
        double sum = 0;
        for (long v : ns) {
            sum += v;
        }
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("count", count);
        out.put("size", size);
        out.put("warmup", warmup);
        out.put("p50Us", us(pct(ns, 0.50)));
        out.put("p99Us", us(pct(ns, 0.99)));
        out.put("p999Us", us(pct(ns, 0.999)));
        out.put("maxUs", us(ns[ns.length - 1]));
        out.put("meanUs", us((long) (sum / ns.length)));
        System.out.println(Json.write(out));
    }

    private static long pct(long[] sorted, double q) {
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    private static double us(long ns) {
        return Math.round(ns / 100.0) / 10.0;
    }
}
