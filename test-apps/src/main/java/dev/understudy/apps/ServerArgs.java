package dev.understudy.apps;

import java.net.InetSocketAddress;

/**
 * Command line of the sample servers: {@code PORT [BIND_ADDRESS]}. Port 0 picks a free port;
 * the bind address defaults to {@code 0.0.0.0}. Every server prints {@code LISTENING <port>}
 * on stdout, on a line of its own, once it accepts connections.
 */
public final class ServerArgs {
    private ServerArgs() {
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
            System.err.println("usage: java -cp understudy-test-apps.jar dev.understudy.apps." + mainClass + " PORT [BIND_ADDRESS]");
            System.exit(2);
            return null;
        }
    }

    /** Prints the readiness line the tests and the demo wait for. */
    static void announce(int port) {
        System.out.println("LISTENING " + port);
        System.out.flush();
    }
}
