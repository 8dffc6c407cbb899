package dev.understudy.interceptors;

import java.io.ByteArrayOutputStream;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

import dev.understudy.interceptors.hook.SocketHook;

/**
 * A test hook that copies the bytes it is told about out of native memory, for the fds it saw
 * accepted (the filtering the agent will do); events on other fds are only counted.
 */
final class RecordingHook implements SocketHook {

    // jdk.internal.misc.Unsafe (exported to the test JVM by surefire.jvm.args) through method handles:
    // --release 17 cannot name it, and sun.misc.Unsafe's memory access prints deprecation warnings on 25.
    private static final MethodHandle COPY_MEMORY;   // (Object, long, Object, long, long) void
    private static final MethodHandle GET_LONG;      // (long) long
    private static final long BYTE_BASE;             // arrayBaseOffset: int on 17, asType'd to long

    static {
        try {
            Class<?> type = Class.forName("jdk.internal.misc.Unsafe");
            Object unsafe = type.getMethod("getUnsafe").invoke(null);
            MethodHandles.Lookup lookup = MethodHandles.lookup();
            COPY_MEMORY = lookup.findVirtual(type, "copyMemory", MethodType.methodType(void.class,
                    Object.class, long.class, Object.class, long.class, long.class)).bindTo(unsafe);
            GET_LONG = lookup.findVirtual(type, "getLong", MethodType.methodType(long.class, long.class))
                    .bindTo(unsafe);
            MethodHandle base = lookup.findVirtual(type, "arrayBaseOffset", MethodType.methodType(
                    type.getMethod("arrayBaseOffset", Class.class).getReturnType(), Class.class)).bindTo(unsafe);
            BYTE_BASE = (long) base.asType(MethodType.methodType(long.class, Class.class)).invokeExact(byte[].class);
        } catch (Throwable t) {
            throw new ExceptionInInitializerError(t);
        }
    }
    private static final int IOVEC_SIZE = 16; // struct iovec { void *iov_base; size_t iov_len; } on LP64

    /** One accepted connection as the hook saw it. */
    static final class Conn {
        final int listenFd;
        final int fd;
        final InetSocketAddress remote;
        final ByteArrayOutputStream read = new ByteArrayOutputStream();
        final ByteArrayOutputStream written = new ByteArrayOutputStream();
        final List<Integer> shutdowns = new ArrayList<>();
        int closeEventsAtAccept;
        int reads, readvs, writes, writevs, eofs, unavailable, partialWrites;
        Throwable readFailure, writeFailure;
        boolean closed;

        Conn(int listenFd, int fd, InetSocketAddress remote) {
            this.listenFd = listenFd;
            this.fd = fd;
            this.remote = remote;
        }

        synchronized byte[] readBytes() {
            return read.toByteArray();
        }

        synchronized byte[] writtenBytes() {
            return written.toByteArray();
        }
    }

    private final Map<Integer, Conn> live = new HashMap<>();
    /** Every onClose, in order, whatever the fd. */
    private final List<Integer> closeEvents = new ArrayList<>();
    private final List<Conn> accepted = new ArrayList<>();
    final AtomicLong otherFdEvents = new AtomicLong();
    final AtomicLong otherFdBytesWritten = new AtomicLong();
    /** Bytes written per fd that was never seen accepted (client sockets, pipes). */
    final Map<Integer, Long> otherFdWritten = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public synchronized void onAccept(int listenFd, int fd, InetSocketAddress remote) {
        Conn c = new Conn(listenFd, fd, remote);
        c.closeEventsAtAccept = closeEvents.size();
        live.put(fd, c); // replaces a previous connection that had the same (reused) number
        accepted.add(c);
        notifyAll();
    }

    private synchronized Conn conn(int fd) {
        Conn c = live.get(fd);
        if (c == null) {
            otherFdEvents.incrementAndGet();
        }
        return c;
    }

    @Override
    public void onRead(int fd, long address, int length, long result) {
        Conn c = conn(fd);
        if (c == null) {
            return;
        }
        synchronized (c) {
            c.reads++;
            record(c, c.read, address, result);
        }
    }

    @Override
    public void onReadv(int fd, long iovAddress, int iovCount, long result) {
        Conn c = conn(fd);
        if (c == null) {
            return;
        }
        synchronized (c) {
            c.readvs++;
            recordv(c, c.read, iovAddress, iovCount, result);
        }
    }

    @Override
    public void onReadFailed(int fd, Throwable t) {
        Conn c = conn(fd);
        if (c != null) {
            synchronized (c) {
                c.readFailure = t;
            }
        }
    }

    @Override
    public void onWrite(int fd, long address, int length, long result) {
        Conn c = conn(fd);
        if (c == null) {
            if (result > 0) {
                otherFdBytesWritten.addAndGet(result);
                otherFdWritten.merge(fd, result, Long::sum);
            }
            return;
        }
        synchronized (c) {
            c.writes++;
            if (result >= 0 && result < length) {
                c.partialWrites++;
            }
            record(c, c.written, address, result);
        }
    }

    @Override
    public void onWritev(int fd, long iovAddress, int iovCount, long result) {
        Conn c = conn(fd);
        if (c == null) {
            if (result > 0) {
                otherFdBytesWritten.addAndGet(result);
                otherFdWritten.merge(fd, result, Long::sum);
            }
            return;
        }
        synchronized (c) {
            c.writevs++;
            recordv(c, c.written, iovAddress, iovCount, result);
        }
    }

    @Override
    public void onWriteFailed(int fd, Throwable t) {
        Conn c = conn(fd);
        if (c != null) {
            synchronized (c) {
                c.writeFailure = t;
            }
        }
    }

    @Override
    public void onShutdown(int fd, int how) {
        Conn c = conn(fd);
        if (c != null) {
            synchronized (c) {
                c.shutdowns.add(how);
            }
        }
    }

    @Override
    public void onClose(int fd) {
        Conn c;
        synchronized (this) {
            closeEvents.add(fd);
            c = live.remove(fd);
            if (c == null) {
                otherFdEvents.incrementAndGet();
                return;
            }
            notifyAll();
        }
        synchronized (c) {
            c.closed = true;
        }
    }

    /** The connection accepted from the client's local {@code port}, waiting up to 10 s for it. */
    synchronized Conn awaitAccepted(int port) throws InterruptedException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            for (Conn c : accepted) {
                if (c.remote.getPort() == port) {
                    return c;
                }
            }
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw new AssertionError("no accept reported for remote port " + port + "; accepted: " + accepted.size());
            }
            wait(Math.max(1, left / 1_000_000));
        }
    }

    /** How many onClose calls came for {@code c}'s fd number since it was accepted. */
    synchronized int closesSinceAccept(Conn c) {
        int n = 0;
        for (int fd : closeEvents.subList(c.closeEventsAtAccept, closeEvents.size())) {
            if (fd == c.fd) {
                n++;
            }
        }
        return n;
    }

    /** Accepted connections seen so far. */
    synchronized List<Conn> accepted() {
        return new ArrayList<>(accepted);
    }

    private static void record(Conn c, ByteArrayOutputStream sink, long address, long result) {
        if (result > 0) {
            byte[] copy = new byte[(int) result];
            copy(address, copy);
            sink.write(copy, 0, copy.length);
        } else if (result == -1) {
            c.eofs++;
        } else if (result == -2) {
            c.unavailable++;
        }
    }

    private static void recordv(Conn c, ByteArrayOutputStream sink, long iov, int count, long result) {
        if (result <= 0) {
            record(c, sink, 0, result);
            return;
        }
        long left = result;
        for (int i = 0; i < count && left > 0; i++) {
            long base = getLong(iov + (long) i * IOVEC_SIZE);
            long len = getLong(iov + (long) i * IOVEC_SIZE + 8);
            long n = Math.min(len, left);
            record(c, sink, base, n);
            left -= n;
        }
    }

    private static void copy(long address, byte[] into) {
        try {
            COPY_MEMORY.invokeExact((Object) null, address, (Object) into, BYTE_BASE, (long) into.length);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    private static long getLong(long address) {
        try {
            return (long) GET_LONG.invokeExact(address);
        } catch (Throwable t) {
            throw new IllegalStateException(t);
        }
    }

    /** Timer callbacks, in order: "scheduled", "run", "end", each with the task's identity hash and the thread. */
    final java.util.List<String> timers = new java.util.concurrent.CopyOnWriteArrayList<>();

    @Override
    public void onTimerScheduled(Object task) {
        timers.add("scheduled " + System.identityHashCode(task) + " " + Thread.currentThread().getName());
    }

    @Override
    public void beforeTimerRun(Object task) {
        timers.add("run " + System.identityHashCode(task) + " " + Thread.currentThread().getName());
    }

    @Override
    public void afterTimerRun(Object task) {
        timers.add("end " + System.identityHashCode(task) + " " + Thread.currentThread().getName());
    }
}
