package dev.understudy.netfilter.fd;

import com.sun.jna.Memory;
import com.sun.jna.Native;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import dev.understudy.netfilter.internal.SysEpoll;
import java.io.FileDescriptor;
import java.lang.reflect.Field;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketImpl;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;

/**
 * File-descriptor helpers: the fd behind a JDK socket object, {@code dup2}, {@code fcntl}
 * flags, {@code epoll_ctl} and a few socket options ({@code IP_FREEBIND}, {@code SO_MARK}).
 *
 * <p>Reading the fd of a JDK object uses reflection into JDK internals, the same on 17 and
 * 25: {@code sun.nio.ch.SocketChannelImpl.fdVal} / {@code ServerSocketChannelImpl.fdVal} for
 * channels and their socket adaptors; {@code java.net.Socket.impl} /
 * {@code ServerSocket.impl} (unwrapping {@code DelegatingSocketImpl.delegate}) and then the
 * impl's {@code fd} ({@code NioSocketImpl.fd}) → {@code FileDescriptor.fd} for classic
 * sockets. The JVM needs {@code --add-opens java.base/sun.nio.ch=ALL-UNNAMED},
 * {@code java.base/java.net=ALL-UNNAMED} and {@code java.base/java.io=ALL-UNNAMED}; without
 * them the methods throw {@link IllegalStateException} saying which flag is missing.
 *
 * <p>An fd is only meaningful while the JDK object is open; fd numbers are reused at once
 * after close. The returned fd stays owned by the JDK object.
 *
 * <p>Thread-safety: all methods are thread-safe.
 */
public final class FileDescriptors {
    /** {@code sizeof(struct sockaddr_storage)}. */
    private static final int SOCKADDR_STORAGE_SIZE = 128;

    private FileDescriptors() {
    }

    /** The fd of a connected or bound socket, or -1 if it has none (closed, never created). */
    public static int of(Socket socket) {
        Object channel = field(socket, "sun.nio.ch.SocketAdaptor", "sc");
        if (channel != null) {
            return fdVal(channel);
        }
        return implFd(field(socket, Socket.class, "impl"));
    }

    /** The fd of a server socket, or -1 if it has none. */
    public static int of(ServerSocket socket) {
        Object channel = field(socket, "sun.nio.ch.ServerSocketAdaptor", "ssc");
        if (channel != null) {
            return fdVal(channel);
        }
        return implFd(field(socket, ServerSocket.class, "impl"));
    }

    /** The fd of a socket channel (its {@code fdVal}). */
    public static int of(SocketChannel channel) {
        return fdVal(channel);
    }

    /** The fd of a server socket channel (its {@code fdVal}). */
    public static int of(ServerSocketChannel channel) {
        return fdVal(channel);
    }

    /** The int inside a {@link FileDescriptor}, -1 when it is closed. */
    public static int of(FileDescriptor fd) {
        Object v = get(fieldOf(FileDescriptor.class, "fd"), fd);
        return v == null ? -1 : (Integer) v;
    }

    /**
     * {@code dup2(oldfd, newfd)}: makes {@code newfd} refer to {@code oldfd}'s open file,
     * closing what {@code newfd} referred to (atomically). The way to put a rebuilt socket
     * under an application's existing fd.
     *
     * @throws ErrnoException EBADF, EINTR, EBUSY
     */
    public static void dup2(int oldfd, int newfd) throws ErrnoException {
        LibC.check(LibC.dup2(oldfd, newfd), "dup2(" + oldfd + ", " + newfd + ")");
    }

    /**
     * The local port of a bound socket ({@code getsockname}), for IPv4 and IPv6 sockets alike:
     * {@code sin_port} and {@code sin6_port} both sit at offset 2, in network byte order
     * (linux/in.h, linux/in6.h). A Java socket is AF_INET6 unless {@code java.net.preferIPv4Stack}.
     *
     * @throws ErrnoException EBADF, ENOTSOCK
     */
    public static int localPort(int fd) throws ErrnoException {
        Memory addr = new Memory(SOCKADDR_STORAGE_SIZE);
        Memory len = new Memory(4);
        len.setInt(0, SOCKADDR_STORAGE_SIZE);
        LibC.check(LibC.getsockname(fd, addr, len), "getsockname(" + fd + ")");
        return ((addr.getByte(2) & 0xff) << 8) | (addr.getByte(3) & 0xff);
    }

    /**
     * One {@code read(2)} of up to {@code count} bytes into native memory at {@code address},
     * without the JDK (and therefore without its interceptors).
     *
     * @return bytes read, {@code 0} at end of stream, or {@code -errno} (e.g. {@code -11} EAGAIN on
     *         a non-blocking socket with nothing to read)
     */
    public static long readInto(int fd, long address, int count) {
        long n = LibC.read(fd, new com.sun.jna.Pointer(address), count);
        return n >= 0 ? n : -Native.getLastError();
    }

    /**
     * {@code poll(2)} for input on {@code fd}.
     *
     * @return whether {@code fd} is readable (or at end of stream, or in error) within {@code timeoutMillis}
     */
    public static boolean awaitReadable(int fd, int timeoutMillis) {
        try (Memory p = new Memory(dev.understudy.netfilter.internal.Poll.POLLFD_SIZE)) {
            p.setInt(dev.understudy.netfilter.internal.Poll.POLLFD_FD_OFFSET, fd);
            p.setShort(dev.understudy.netfilter.internal.Poll.POLLFD_EVENTS_OFFSET, dev.understudy.netfilter.internal.Poll.POLLIN);
            p.setShort(dev.understudy.netfilter.internal.Poll.POLLFD_REVENTS_OFFSET, (short) 0);
            return dev.understudy.netfilter.internal.Poll.poll(p, 1, timeoutMillis) > 0;
        }
    }

    /**
     * Sets {@code IP_FREEBIND} on a socket (IPv4 and IPv6 alike): it may then bind an address this
     * host does not have (yet), such as a virtual IP held by another node.
     *
     * @throws ErrnoException EBADF, ENOTSOCK, ENOPROTOOPT
     */
    public static void setFreeBind(int fd) throws ErrnoException {
        try (Memory one = new Memory(4)) {
            one.setInt(0, 1);
            LibC.check(LibC.setsockopt(fd, LibC.IPPROTO_IP, LibC.IP_FREEBIND, one, 4), "setsockopt(" + fd + ", IP_FREEBIND)");
        }
    }

    /** {@code close(fd)}; an error is ignored (the fd is gone either way on Linux). */
    public static void close(int fd) {
        LibC.close(fd);
    }

    /** {@code getsockopt(fd, level, name)} of an int option (e.g. IPPROTO_TCP 6 / TCP_NODELAY 1). */
    public static int getIntOption(int fd, int level, int name) throws ErrnoException {
        try (Memory v = new Memory(4); Memory len = new Memory(4)) {
            len.setInt(0, 4);
            LibC.check(LibC.getsockopt(fd, level, name, v, len), "getsockopt(" + fd + ", " + level + ", " + name + ")");
            return v.getInt(0);
        }
    }

    /** {@code setsockopt(fd, level, name, value)} of an int option. */
    public static void setIntOption(int fd, int level, int name, int value) throws ErrnoException {
        try (Memory v = new Memory(4)) {
            v.setInt(0, value);
            LibC.check(LibC.setsockopt(fd, level, name, v, 4), "setsockopt(" + fd + ", " + level + ", " + name + ")");
        }
    }

    /** {@code SO_LINGER {1, 0}}: closing the socket then sends RST instead of FIN. */
    public static void resetOnClose(int fd) throws ErrnoException {
        try (Memory v = new Memory(8)) {
            v.setInt(0, 1);
            v.setInt(4, 0);
            LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, SO_LINGER, v, 8), "setsockopt(" + fd + ", SO_LINGER)");
        }
    }

    /** SOL_SOCKET option SO_LINGER (asm-generic/socket.h). */
    private static final int SO_LINGER = 13;

    /**
     * Sets {@code SO_MARK} on a socket ({@code setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, 4)},
     * asm-generic/socket.h): every packet the socket sends from now on, retransmissions and its
     * FIN or RST included, carries the fwmark {@code mark} (TCP sets {@code skb->mark} from
     * {@code sk_mark} at each transmit), which iptables matches with {@code -m mark}.
     *
     * @throws ErrnoException EPERM without CAP_NET_ADMIN, EBADF, ENOTSOCK
     */
    public static void setMark(int fd, int mark) throws ErrnoException {
        try (Memory value = new Memory(4)) {
            value.setInt(0, mark);
            LibC.check(LibC.setsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, value, 4), "setsockopt(" + fd + ", SO_MARK)");
        }
    }

    /**
     * The socket's {@code SO_MARK} (0 unless set).
     *
     * @throws ErrnoException EBADF, ENOTSOCK
     */
    public static int mark(int fd) throws ErrnoException {
        try (Memory value = new Memory(4); Memory len = new Memory(4)) {
            len.setInt(0, 4);
            LibC.check(LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_MARK, value, len), "getsockopt(" + fd + ", SO_MARK)");
            return value.getInt(0);
        }
    }

    /** {@code fcntl(F_GETFL)}: file status flags (O_NONBLOCK = {@link LibC#O_NONBLOCK}, ...). */
    public static int getFlags(int fd) throws ErrnoException {
        return LibC.check(LibC.fcntl(fd, LibC.F_GETFL, 0), "fcntl(" + fd + ", F_GETFL)");
    }

    /** {@code fcntl(F_SETFL, flags)}. */
    public static void setFlags(int fd, int flags) throws ErrnoException {
        LibC.check(LibC.fcntl(fd, LibC.F_SETFL, flags), "fcntl(" + fd + ", F_SETFL)");
    }

    /** Sets or clears O_NONBLOCK (on the open file description: shared by every dup of it). */
    public static void setNonBlocking(int fd, boolean nonBlocking) throws ErrnoException {
        int flags = getFlags(fd);
        int next = nonBlocking ? flags | LibC.O_NONBLOCK : flags & ~LibC.O_NONBLOCK;
        if (next != flags) {
            setFlags(fd, next);
        }
    }

    public static boolean isNonBlocking(int fd) throws ErrnoException {
        return (getFlags(fd) & LibC.O_NONBLOCK) != 0;
    }

    /**
     * {@code epoll_ctl(epfd, op, fd, {events, data})} with the packed 12-byte x86_64 event.
     *
     * @param op     {@link SysEpoll#EPOLL_CTL_ADD}, {@code _MOD} or {@code _DEL}
     * @param events EPOLLIN | EPOLLOUT | ...
     * @param data   the 64-bit user data returned by epoll_wait
     * @throws ErrnoException EEXIST (already added), ENOENT (not registered), EBADF, EPERM (fd does not support epoll)
     */
    public static void epollCtl(int epfd, int op, int fd, int events, long data) throws ErrnoException {
        try (Memory ev = new Memory(SysEpoll.EPOLL_EVENT_SIZE)) {
            encodeEpollEvent(ev, events, data);
            LibC.check(LibC.epoll_ctl(epfd, op, fd, ev), "epoll_ctl(" + epfd + ", " + opName(op) + ", " + fd + ")");
        }
    }

    /** Writes a packed {@code struct epoll_event} at {@code p}. */
    public static void encodeEpollEvent(com.sun.jna.Pointer p, int events, long data) {
        p.setInt(SysEpoll.EPOLL_EVENTS, events);
        p.setLong(SysEpoll.EPOLL_DATA, data);
    }

    private static String opName(int op) {
        switch (op) {
            case SysEpoll.EPOLL_CTL_ADD: return "EPOLL_CTL_ADD";
            case SysEpoll.EPOLL_CTL_DEL: return "EPOLL_CTL_DEL";
            case SysEpoll.EPOLL_CTL_MOD: return "EPOLL_CTL_MOD";
            default: return "op " + op;
        }
    }

    // --- reflection -------------------------------------------------------------------

    private static int fdVal(Object channel) {
        Object v = get(fieldIn(channel.getClass(), "fdVal"), channel);
        if (v == null) {
            throw new IllegalStateException("no fdVal field in " + channel.getClass().getName());
        }
        return (Integer) v;
    }

    private static int implFd(Object impl) {
        if (impl == null) {
            return -1;
        }
        // unwrap SocksSocketImpl / HttpConnectSocketImpl (java.net.DelegatingSocketImpl.delegate)
        for (int i = 0; i < 4; i++) {
            Field delegate = fieldInOrNull(impl.getClass(), "delegate");
            if (delegate == null || !SocketImpl.class.isAssignableFrom(delegate.getType())) {
                break;
            }
            Object d = get(delegate, impl);
            if (d == null) {
                break;
            }
            impl = d;
        }
        // the nearest "fd" of type FileDescriptor: NioSocketImpl keeps it in the inherited SocketImpl.fd
        for (Class<?> c = impl.getClass(); c != null; c = c.getSuperclass()) {
            try {
                Field f = c.getDeclaredField("fd");
                if (f.getType() == FileDescriptor.class) {
                    Object fd = get(access(f), impl);
                    if (fd != null) {
                        return of((FileDescriptor) fd);
                    }
                }
            } catch (NoSuchFieldException e) {
                // keep walking up
            }
        }
        return -1;
    }

    private static Object field(Object target, String className, String name) {
        if (!target.getClass().getName().equals(className)) {
            return null;
        }
        return get(fieldIn(target.getClass(), name), target);
    }

    private static Object field(Object target, Class<?> declaring, String name) {
        return get(fieldOf(declaring, name), target);
    }

    private static Field fieldIn(Class<?> c, String name) {
        Field f = fieldInOrNull(c, name);
        if (f == null) {
            throw new IllegalStateException("no field " + name + " in " + c.getName() + " or its superclasses (JDK "
                + Runtime.version() + ")");
        }
        return f;
    }

    private static Field fieldInOrNull(Class<?> c, String name) {
        for (Class<?> k = c; k != null; k = k.getSuperclass()) {
            try {
                return access(k.getDeclaredField(name));
            } catch (NoSuchFieldException e) {
                // keep walking up
            }
        }
        return null;
    }

    private static Field fieldOf(Class<?> c, String name) {
        try {
            return access(c.getDeclaredField(name));
        } catch (NoSuchFieldException e) {
            throw new IllegalStateException("no field " + name + " in " + c.getName() + " (JDK " + Runtime.version() + ")", e);
        }
    }

    private static Field access(Field f) {
        try {
            f.setAccessible(true);
            return f;
        } catch (RuntimeException e) { // InaccessibleObjectException (Java 9+), SecurityException
            String pkg = f.getDeclaringClass().getPackageName();
            throw new IllegalStateException("cannot read " + f.getDeclaringClass().getName() + "." + f.getName()
                + ": start the JVM with --add-opens java.base/" + pkg + "=ALL-UNNAMED (" + e.getMessage() + ")", e);
        }
    }

    private static Object get(Field f, Object target) {
        try {
            return f.get(target);
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("cannot read " + f, e);
        }
    }

    /** errno of the last failed call on this thread (for callers mixing raw calls). */
    static int lastErrno() {
        return Native.getLastError();
    }
}
