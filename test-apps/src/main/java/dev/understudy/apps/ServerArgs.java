package dev.understudy.apps;

import java.io.IOException;
import java.net.InetSocketAddress;

/**
 * Command line of the sample servers: {@code PORT [BIND_ADDRESS]}. Port 0 picks a free port;
 * the bind address defaults to {@code 0.0.0.0}. Every server prints {@code LISTENING <port>}
 * on stdout, on a line of its own, once it accepts connections.
 *
 * <p>One system property: {@value #ADMIN_PORT_PROP} (0..65535, 0 picks a free port; unset or
 * empty: no admin port) starts an {@link AdminPort} on the same bind address, before the service
 * port, and prints {@code ADMIN <port>} before the {@code LISTENING} line. The key has no
 * {@code understudy.} prefix on purpose: that namespace is the agent's configuration, which
 * rejects keys it does not know. The admin port must not be one of the agent's captured ports.
 */
public final class ServerArgs {
    /** System property naming the admin port; unset = none. */
    public static final String ADMIN_PORT_PROP = "apps.admin.port";
    /** No admin port unless asked for. */
    public static final int ADMIN_PORT_DEFAULT = -1;

    private ServerArgs() {
    }

    /**
     * Parses a value of {@value #ADMIN_PORT_PROP}: null or empty (after trimming) gives
     * {@value #ADMIN_PORT_DEFAULT}, none.
     *
     * @throws IllegalArgumentException with a message naming the key and the bad value
     */
    public static int adminPort(String value) {
        if (value == null || value.trim().isEmpty()) {
            return ADMIN_PORT_DEFAULT;
        }
        int port;
        try {
            port = Integer.parseInt(value.trim());
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid " + ADMIN_PORT_PROP + ": value=" + value + ", expected 0..65535");
        }
        return port;
    }

    /**
     * Parses {@code PORT [BIND_ADDRESS]}.
     *
     * @throws IllegalArgumentException with a message naming the bad value
     */
    public static InetSocketAddress parse(String[] args) {
        if (args.length < 1 || args.length > 2) {
            throw new IllegalArgumentException("expected PORT [BIND_ADDRESS], got " + args.length + " arguments");
        }
        int port;
        try {
            port = Integer.parseInt(args[0]);
        } catch (NumberFormatException e) {
            port = -1;
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("invalid port: value=" + args[0] + ", expected 0..65535");
        }
        String bind = args.length == 2 ? args[1] : "0.0.0.0";
        InetSocketAddress address = new InetSocketAddress(bind, port);
        if (address.isUnresolved()) {
            throw new IllegalArgumentException("invalid bind address: value=" + bind + ", expected an IP address or resolvable name");
        }
        return address;
    }

    /** Parses the arguments or prints usage to stderr and exits with status 2. */
    static InetSocketAddress parseOrExit(String mainClass, String[] args) {
        try {
            return parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(mainClass + ": " + e.getMessage());
            System.err.println("usage: java [-D" + ADMIN_PORT_PROP + "=PORT] -cp understudy-test-apps.jar dev.understudy.apps."
                + mainClass + " PORT [BIND_ADDRESS]");
            System.exit(2);
            return null;
        }
    }

    /**
     * What a server's {@code main} does first: parses {@code args} and {@value #ADMIN_PORT_PROP}
     * (printing usage to stderr and exiting with status 2 when either is bad), then, when an admin
     * port is asked for, starts it on the service's bind address and prints {@code ADMIN <port>}.
     *
     * @return the service's bind address
     * @throws IOException when the admin port cannot be bound
     */
    static InetSocketAddress startOrExit(String mainClass, String[] args, KvStore store) throws IOException {
        InetSocketAddress bind = parseOrExit(mainClass, args);
        int admin;
        try {
            admin = adminPort(System.getProperty(ADMIN_PORT_PROP));
        } catch (IllegalArgumentException e) {
            System.err.println(mainClass + ": " + e.getMessage());
            System.exit(2);
            return null;
        }
        if (admin != ADMIN_PORT_DEFAULT) {
            // a daemon: the service's threads keep the JVM alive, and a failed service bind still ends it
            AdminPort a = AdminPort.start(new InetSocketAddress(bind.getAddress(), admin), store);
            System.out.println("ADMIN " + a.port());
        }
        return bind;
    }

    /** Prints the readiness line the tests and the demo wait for. */
    static void announce(int port) {
        System.out.println("LISTENING " + port);
        System.out.flush();
    }
}
