package dev.understudy.apps;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Asks a sample server's {@link AdminPort} for its state: one {@code DUMP} on a fresh
 * connection.
 *
 * <p>Command line: {@code java dev.understudy.apps.AdminClient HOST PORT [TIMEOUT]} (timeout
 * e.g. {@code 500ms}, {@code 5s}; default {@code 5s}). Prints the reply line
 * {@code DUMP count sha256hex} on stdout and exits 0; exits 1 (reason on stderr) when the admin
 * port cannot be reached or does not answer a well-formed {@code DUMP} within the timeout,
 * 2 on a usage error.
 *
 * <p>Thread-safety: stateless.
 */
public final class AdminClient {
    /** The timeout of the command line when none is given. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(5);

    private static final Pattern DUMP_REPLY = Pattern.compile("DUMP \\d+ [0-9a-f]{64}");
    /** A DUMP reply is about 80 bytes; anything much longer is not one. */
    private static final int MAX_REPLY = 512;

    private AdminClient() {
    }

    /**
     * Connects to {@code admin}, sends {@code DUMP} and returns the reply line without its LF:
     * {@code DUMP count sha256hex}, comparable as is with the KV {@code DUMP} reply and the body of
     * {@code GET /dump}. The whole exchange, connect included, takes at most {@code timeout}.
     *
     * @throws IOException when the port cannot be reached, the time is up, or the reply is not a
     *                     well-formed {@code DUMP} (the message says which, and quotes the reply)
     */
    public static String dump(InetSocketAddress admin, Duration timeout) throws IOException {
        if (timeout == null || timeout.isNegative() || timeout.isZero()) {
            throw new IllegalArgumentException("invalid timeout: value=" + timeout + ", expected > 0");
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Socket s = new Socket()) {
            s.connect(admin, remainingMillis(deadline, admin, timeout));
            s.setTcpNoDelay(true);
            OutputStream out = s.getOutputStream();
            out.write("DUMP\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            ByteArrayOutputStream line = new ByteArrayOutputStream(96);
            while (true) {
                s.setSoTimeout(remainingMillis(deadline, admin, timeout));
                int b;
                try {
                    b = in.read();
                } catch (SocketTimeoutException e) {
                    throw new IOException("admin port " + admin + ": no complete DUMP reply within " + timeout.toMillis()
                        + " ms, got '" + line.toString(StandardCharsets.UTF_8) + "'", e);
                }
                if (b < 0) {
                    throw new IOException("admin port " + admin + ": connection closed before the DUMP reply ended, got '"
                        + line.toString(StandardCharsets.UTF_8) + "'");
                }
                if (b == '\n') {
                    break;
                }
                line.write(b);
                if (line.size() > MAX_REPLY) {
                    throw new IOException("admin port " + admin + ": reply longer than " + MAX_REPLY + " bytes");
                }
            }
            String reply = line.toString(StandardCharsets.UTF_8);
            if (reply.endsWith("\r")) {
                reply = reply.substring(0, reply.length() - 1);
            }
            if (!DUMP_REPLY.matcher(reply).matches()) {
                throw new IOException("admin port " + admin + ": expected DUMP count sha256hex, got '" + reply + "'");
            }
            return reply;
        }
    }

    /** Milliseconds left until {@code deadline}, at least 1; throws when none are left. */
    private static int remainingMillis(long deadline, InetSocketAddress admin, Duration timeout) throws IOException {
        long left = (deadline - System.nanoTime()) / 1_000_000;
        if (left < 1) {
            throw new IOException("admin port " + admin + ": no DUMP reply within " + timeout.toMillis() + " ms");
        }
        return (int) Math.min(Integer.MAX_VALUE, left);
    }

    public static void main(String[] args) {
        InetSocketAddress admin;
        Duration timeout = DEFAULT_TIMEOUT;
        try {
            if (args.length < 2 || args.length > 3) {
                throw new IllegalArgumentException("expected HOST PORT [TIMEOUT], got " + args.length + " arguments");
            }
            int port;
            try {
                port = Integer.parseInt(args[1]);
            } catch (NumberFormatException e) {
                port = -1;
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("invalid admin port: value=" + args[1] + ", expected 1..65535");
            }
            admin = new InetSocketAddress(args[0], port);
            if (admin.isUnresolved()) {
                throw new IllegalArgumentException("invalid admin host: value=" + args[0] + ", expected an address or resolvable name");
            }
            if (args.length == 3) {
                timeout = LoadClient.parseDuration("TIMEOUT", args[2]);
                if (timeout.isNegative() || timeout.isZero()) {
                    throw new IllegalArgumentException("invalid TIMEOUT: value=" + args[2] + ", expected > 0");
                }
            }
        } catch (IllegalArgumentException e) {
            System.err.println("AdminClient: " + e.getMessage());
            System.err.println("usage: java dev.understudy.apps.AdminClient HOST PORT [TIMEOUT, e.g. 5s]");
            System.exit(2);
            return;
        }
        try {
            System.out.println(dump(admin, timeout));
            System.out.flush();
        } catch (IOException e) {
            System.err.println("AdminClient: " + e.getMessage());
            System.exit(1);
        }
    }
}
