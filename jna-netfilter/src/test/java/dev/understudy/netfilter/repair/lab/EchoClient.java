package dev.understudy.netfilter.repair.lab;

import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The verifying client of the migration tests (runs in the lab's {@code client} namespace).
 * Opens N connections to VIP:port; per connection a writer streams {@link StreamPattern}
 * bytes at a bounded rate and a reader verifies every echoed byte, reading a little slower
 * than the writer so that the server always has output the client has not acknowledged.
 *
 * <p>Args: {@code vip port connections chunkBytes writeIntervalMs readIntervalMs maxSeconds}.
 * Stdin: {@code stop} — writers stop; readers drain until every written byte came back.
 * Stdout: {@code CONNECTED n}, {@code PROGRESS bytes}, then {@code RESULT ok|FAIL written=.. verified=.. errors=[..]}.
 * Any IOException (reset, EOF) or mismatch is an error.
 */
public final class EchoClient {
    public static void main(String[] args) throws Exception {
        String vip = args[0];
        int port = Integer.parseInt(args[1]);
        int n = Integer.parseInt(args[2]);
        int chunk = Integer.parseInt(args[3]);
        long writeEvery = Long.parseLong(args[4]);
        long readEvery = Long.parseLong(args[5]);
        long maxSeconds = Long.parseLong(args[6]);
        long hardDeadline = System.nanoTime() + maxSeconds * 1_000_000_000L;

        ConcurrentLinkedQueue<String> errors = new ConcurrentLinkedQueue<>();
        AtomicLong totalVerified = new AtomicLong();
        long[] written = new long[n];
        long[] verified = new long[n];
        java.util.concurrent.atomic.AtomicIntegerArray writerDone = new java.util.concurrent.atomic.AtomicIntegerArray(n);
        List<Socket> sockets = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            Socket s = new Socket();
            s.setReceiveBufferSize(64 * 1024);
            s.connect(new InetSocketAddress(vip, port), 5000);
            s.setSoTimeout(1000);
            sockets.add(s);
        }
        System.out.println("CONNECTED " + n);
        System.out.flush();
        List<Thread> writers = new ArrayList<>();
        List<Thread> readers = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            final int c = i;
            Socket s = sockets.get(i);
            Thread w = new Thread(() -> {
                byte[] buf = new byte[chunk];
                try {
                    OutputStream out = s.getOutputStream();
                    long pos = 0;
                    while (!STOP_WRITE.get() && System.nanoTime() < hardDeadline) {
                        StreamPattern.fill(c, pos, buf, 0, chunk);
                        out.write(buf);
                        pos += chunk;
                        synchronized (written) {
                            written[c] = pos;
                        }
                        Thread.sleep(writeEvery);
                    }
                } catch (Exception e) {
                    errors.add("conn " + c + " write: " + e);
                } finally {
                    writerDone.set(c, 1);
                }
            }, "w" + i);
            Thread r = new Thread(() -> {
                byte[] buf = new byte[chunk];
                long pos = 0;
                try {
                    InputStream in = s.getInputStream();
                    while (System.nanoTime() < hardDeadline) {
                        long target;
                        synchronized (written) {
                            target = written[c];
                        }
                        if (DRAIN.get() && writerDone.get(c) == 1 && pos >= target) {
                            break;
                        }
                        int got;
                        try {
                            got = in.read(buf, 0, buf.length);
                        } catch (java.net.SocketTimeoutException timeout) {
                            continue;
                        }
                        if (got < 0) {
                            errors.add("conn " + c + " EOF at " + pos);
                            return;
                        }
                        int bad = StreamPattern.firstMismatch(c, pos, buf, 0, got);
                        if (bad >= 0) {
                            errors.add("conn " + c + " mismatch at byte " + (pos + bad));
                            return;
                        }
                        pos += got;
                        totalVerified.addAndGet(got);
                        synchronized (verified) {
                            verified[c] = pos;
                        }
                        if (!DRAIN.get()) {
                            Thread.sleep(readEvery);
                        }
                    }
                    long finalTarget;
                    synchronized (written) {
                        finalTarget = written[c];
                    }
                    if (pos < finalTarget) {
                        errors.add("conn " + c + " timed out at " + pos + " of " + finalTarget);
                    }
                } catch (Exception e) {
                    errors.add("conn " + c + " read at " + pos + ": " + e);
                }
            }, "r" + i);
            w.setDaemon(true);
            r.setDaemon(true);
            writers.add(w);
            readers.add(r);
            w.start();
            r.start();
        }
        Thread progress = new Thread(() -> {
            while (true) {
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
                System.out.println("PROGRESS " + totalVerified.get() + " errors=" + errors.size());
                System.out.flush();
            }
        }, "progress");
        progress.setDaemon(true);
        progress.start();

        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        while ((line = stdin.readLine()) != null && !line.trim().equals("stop")) {
            // wait for the command
        }
        // stop writing and read at full speed: a writer blocked on a full pipe is released by its reader
        STOP_WRITE.set(true);
        DRAIN.set(true);
        long drainDeadline = Math.min(hardDeadline, System.nanoTime() + 20_000_000_000L);
        for (Thread w : writers) {
            w.join(Math.max(1, (drainDeadline - System.nanoTime()) / 1_000_000));
        }
        for (Thread r : readers) {
            r.join(Math.max(1, (drainDeadline - System.nanoTime()) / 1_000_000));
        }
        for (int i = 0; i < n; i++) {
            long w;
            long v;
            synchronized (written) {
                w = written[i];
            }
            synchronized (verified) {
                v = verified[i];
            }
            if (w != v) {
                try {
                    System.out.println("STUCK client view conn " + i + ": " + new dev.understudy.netfilter.repair.TcpRepair()
                        .snapshot(dev.understudy.netfilter.fd.FileDescriptors.of(sockets.get(i)), new dev.understudy.netfilter.repair.TcpState()));
                } catch (Exception e) {
                    System.out.println("STUCK conn " + i + ": " + e);
                }
                errors.add("conn " + i + " (local port " + sockets.get(i).getLocalPort() + ") drained " + v + " of " + w
                    + " (missing " + (w - v) + ")");
            }
        }
        long sumWritten = 0;
        long sumVerified = 0;
        for (int i = 0; i < n; i++) {
            sumWritten += written[i];
            sumVerified += verified[i];
        }
        progress.interrupt();
        boolean ok = errors.isEmpty() && sumWritten == sumVerified && sumWritten > 0;
        System.out.println("RESULT " + (ok ? "ok" : "FAIL") + " written=" + sumWritten + " verified=" + sumVerified
            + " errors=" + errors);
        System.out.flush();
        // keep the sockets open for inspection until told to exit (bounded)
        long exitBy = System.nanoTime() + 30_000_000_000L;
        while (System.nanoTime() < exitBy && (line = stdin.readLine()) != null && !line.trim().equals("exit")) {
            // wait
        }
        for (Socket s : sockets) {
            s.close();
        }
        System.exit(0);
    }

    private static final java.util.concurrent.atomic.AtomicBoolean STOP_WRITE = new java.util.concurrent.atomic.AtomicBoolean();
    private static final java.util.concurrent.atomic.AtomicBoolean DRAIN = new java.util.concurrent.atomic.AtomicBoolean();
}
