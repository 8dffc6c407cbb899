package dev.understudy.agent.primary;

/**
 * One client connection of a service port, as the primary's agent knows it: created by the
 * capture when it sees the client's SYN (which assigns the id), bound to the application's fd by
 * the accept interceptor, unbound when the application closes it.
 *
 * <p>Thread-safety: {@link #id} and the 4-tuple are final; {@link #fd} is written by the accepting
 * thread and read by any; the stream offsets are advanced only by the application thread doing the
 * I/O (a TCP stream read or written by two threads at once has no defined chunking anyway).
 */
final class Connection {
    final long id;
    /** Client IPv4 address, host order. */
    final int clientAddress;
    final int clientPort;
    final int serviceAddress;
    final int servicePort;
    /** The client's initial sequence number (from its SYN), unsigned 32-bit. */
    final long clientIsn;
    /** The application's fd once accepted, else -1. */
    volatile int fd = -1;
    /** Bytes of this connection the application has read so far. */
    long readOffset;
    /** Read turns begun on this connection (the ordinal of the next TURN of kind READ). */
    long readTurns;
    /** Bytes of this connection the application has written so far. */
    long writeOffset;
    volatile boolean closed;
    /** The close guard's mark is set on the socket (the application is ending it). */
    volatile boolean marked;

    Connection(long id, int clientAddress, int clientPort, int serviceAddress, int servicePort, long clientIsn) {
        this.id = id;
        this.clientAddress = clientAddress;
        this.clientPort = clientPort;
        this.serviceAddress = serviceAddress;
        this.servicePort = servicePort;
        this.clientIsn = clientIsn;
    }

    /** The key of a 4-tuple seen from the service side (one service address: the VIP). */
    static long tupleKey(int clientAddress, int clientPort, int servicePort) {
        return ((clientAddress & 0xFFFF_FFFFL) << 32) | ((long) (clientPort & 0xFFFF) << 16) | (servicePort & 0xFFFF);
    }

    @Override
    public String toString() {
        return "connection " + id + " " + ((clientAddress >>> 24) & 0xff) + "." + ((clientAddress >>> 16) & 0xff) + "."
            + ((clientAddress >>> 8) & 0xff) + "." + (clientAddress & 0xff) + ":" + clientPort + " -> :" + servicePort
            + " fd " + fd;
    }
}
