package dev.understudy.agent.primary;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * The primary's live connections, found two ways: by 4-tuple (the capture, and the accept
 * interceptor binding the application's socket to the id the capture assigned at the SYN) and
 * by fd (every read, write and close interceptor call). fd numbers are reused at once, so a
 * connection is unbound from its fd before the fd is closed ({@link #unbind}), and a lookup by
 * fd never outlives the application's own close.
 *
 * <p>Thread-safety: all methods are thread-safe. The fd lookup is one array read (no
 * allocation); fds at or above {@link #MAX_FD} are looked up in a map.
 */
final class ConnectionTable {
    /** fds below this are found in an array. */
    static final int MAX_FD = 1 << 16;

    private final ConcurrentHashMap<Long, Connection> byTuple = new ConcurrentHashMap<>();
    private final AtomicReferenceArray<Connection> byFd = new AtomicReferenceArray<>(MAX_FD);
    private final ConcurrentHashMap<Integer, Connection> byLargeFd = new ConcurrentHashMap<>();

    Connection byTuple(int clientAddress, int clientPort, int servicePort) {
        return byTuple.get(Connection.tupleKey(clientAddress, clientPort, servicePort));
    }

    /** Connections known by 4-tuple. */
    int size() {
        return byTuple.size();
    }

    /** Registers a connection the capture created (replacing a dead one of the same 4-tuple). */
    void add(Connection c) {
        byTuple.put(Connection.tupleKey(c.clientAddress, c.clientPort, c.servicePort), c);
    }

    /** Forgets a connection's 4-tuple (reset, or closed by the application). */
    void removeTuple(Connection c) {
        byTuple.remove(Connection.tupleKey(c.clientAddress, c.clientPort, c.servicePort), c);
    }

    /** The connection bound to {@code fd}, or {@code null}. Cheap: the interceptors' hot path. */
    /** Every fd with a connection, for a fence that retires them all. */
    void forEachFd(java.util.function.IntConsumer action) {
        for (int fd = 0; fd < byFd.length(); fd++) {
            if (byFd.get(fd) != null) {
                action.accept(fd);
            }
        }
        byLargeFd.keySet().forEach(action::accept);
    }

    Connection byFd(int fd) {
        if (fd >= 0 && fd < MAX_FD) {
            return byFd.get(fd);
        }
        return fd < 0 ? null : byLargeFd.get(fd);
    }

    void bind(Connection c, int fd) {
        c.fd = fd;
        if (fd < MAX_FD) {
            byFd.set(fd, c);
        } else {
            byLargeFd.put(fd, c);
        }
    }

    /** Unbinds whatever is bound to {@code fd}; returns it, or {@code null}. */
    Connection unbind(int fd) {
        if (fd < 0) {
            return null;
        }
        if (fd < MAX_FD) {
            return byFd.getAndSet(fd, null);
        }
        return byLargeFd.remove(fd);
    }

    int tuples() {
        return byTuple.size();
    }
}
