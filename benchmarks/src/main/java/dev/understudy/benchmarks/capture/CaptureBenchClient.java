package dev.understudy.benchmarks.capture;

import dev.understudy.lab.Json;
import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The client JVM of {@link CaptureBenchmark}: opens {@code connections} connections to
 * {@code host:port} and on each writes {@code writeSize}-byte chunks (TCP_NODELAY when
 * {@code nodelay}) for {@code seconds} (bounded also by {@code maxBytes} per connection),
 * half-closes, waits for the server's 8-byte count and prints {@code RESULT {json}}.
 *
 * <p>Usage: {@code CaptureBenchClient host port seconds writeSize nodelay maxBytes [connections]}.
 */
public final class CaptureBenchClient {
    private CaptureBenchClient() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        double seconds = Double.parseDouble(args[2]);
        int writeSize = Integer.parseInt(args[3]);
        boolean nodelay = Boolean.parseBoolean(args[4]);
        long maxBytes = Long.parseLong(args[5]);
        int connections = args.length > 6 ? Integer.parseInt(args[6]) : 1;
        Socket[] sockets = new Socket[connections];
        for (int i = 0; i < connections; i++) {
            sockets[i] = new Socket();
            sockets[i].setTcpNoDelay(nodelay);
            sockets[i].connect(new InetSocketAddress(host, port), 10_000);
            sockets[i].setSoTimeout(120_000);
        }
        AtomicLong sent = new AtomicLong();
        AtomicLong writes = new AtomicLong();
        long start = System.nanoTime();
        long deadline = start + (long) (seconds * 1e9);
        Thread[] writers = new Thread[connections];
        for (int i = 0; i < connections; i++) {
            Socket s = sockets[i];
            int seed = i;
            writers[i] = new Thread(() -> {
                byte[] buf = new byte[writeSize];
                new SplittableRandom(seed).nextBytes(buf);
                long mySent = 0;
                long myWrites = 0;
                try {
                    OutputStream out = s.getOutputStream();
                    while (mySent < maxBytes) {
                        out.write(buf);
                        mySent += buf.length;
                        myWrites++;
                        if ((myWrites & 63) == 0 && System.nanoTime() > deadline) {
                            break;
                        }
                    }
                    s.shutdownOutput();
                } catch (Exception e) {
                    e.printStackTrace();
                }
                sent.addAndGet(mySent);
                writes.addAndGet(myWrites);
            }, "writer-" + i);
            writers[i].start();
        }
        for (Thread w : writers) {
            w.join();
        }
        long stopped = System.nanoTime();
        long received = 0;
        for (Socket s : sockets) {
            received = new DataInputStream(s.getInputStream()).readLong();
            s.close();
        }
        long done = System.nanoTime();
        Map<String, Object> result = new LinkedHashMap<>();
        result.put("connections", connections);
        result.put("sent", sent.get());
        result.put("writes", writes.get());
        result.put("serverReceived", received);
        result.put("writeSeconds", Json.round((stopped - start) / 1e9, 3));
        result.put("totalSeconds", Json.round((done - start) / 1e9, 3));
        result.put("writesPerSecond", Json.round(writes.get() / ((stopped - start) / 1e9), 0));
        System.out.println("RESULT " + Json.write(result));
        System.out.flush();
    }
}
