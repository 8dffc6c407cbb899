package dev.understudy.netfilter.nfqueue;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * The client JVM of the capture ITs: connects to {@code host:port}, writes {@code bytes}
 * seeded pseudo-random bytes, half-closes, reads the server's 32-byte SHA-256 and prints
 * {@code RESULT {"sentSha":..., "serverSha":..., "sent":..., "millis":...}}.
 *
 * <p>Usage: {@code StreamClientMain host port bytes seed [pauseBeforeCloseMillis]}.
 */
public final class StreamClientMain {
    private StreamClientMain() {
    }

    public static void main(String[] args) throws Exception {
        String host = args[0];
        int port = Integer.parseInt(args[1]);
        long total = Long.parseLong(args[2]);
        long seed = Long.parseLong(args[3]);
        long pause = args.length > 4 ? Long.parseLong(args[4]) : 0;
        SplittableRandom random = new SplittableRandom(seed);
        MessageDigest md = MessageDigest.getInstance("SHA-256");
        byte[] buf = new byte[64 << 10];
        long start = System.nanoTime();
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(host, port), 10_000);
            s.setSoTimeout(120_000);
            System.out.println("CONNECTED local=" + s.getLocalPort());
            System.out.flush();
            OutputStream out = s.getOutputStream();
            long sent = 0;
            while (sent < total) {
                int n = (int) Math.min(buf.length, total - sent);
                for (int i = 0; i < n; i += 8) {
                    long v = random.nextLong();
                    for (int k = 0; k < 8 && i + k < n; k++) {
                        buf[i + k] = (byte) (v >>> (8 * k));
                    }
                }
                out.write(buf, 0, n);
                md.update(buf, 0, n);
                sent += n;
            }
            out.flush();
            System.out.println("SENT " + sent);
            System.out.flush();
            if (pause > 0) {
                Thread.sleep(pause);
            }
            s.shutdownOutput();
            InputStream in = s.getInputStream();
            byte[] sha = in.readNBytes(32);
            long millis = (System.nanoTime() - start) / 1_000_000;
            System.out.println("RESULT {\"sent\":" + sent + ",\"sentSha\":\"" + HexFormat.of().formatHex(md.digest())
                + "\",\"serverSha\":\"" + HexFormat.of().formatHex(sha) + "\",\"millis\":" + millis + "}");
            System.out.flush();
        }
    }
}
