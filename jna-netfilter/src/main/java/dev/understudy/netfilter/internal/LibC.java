package dev.understudy.netfilter.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;
import dev.understudy.netfilter.ErrnoException;

/**
 * Raw libc calls, direct-mapped (about 110 ns a call, see shared/JVM.md). Names and argument
 * order mirror the C prototypes; every call returns what libc returns (-1 on error) and
 * leaves errno in {@link Native#getLastError()}. Use {@link #check(int, String)} to turn a
 * failure into an {@link ErrnoException}.
 *
 * <p>Modules that need other libc functions put them in their own raw class named after the
 * C header (e.g. {@code LinuxTcp}); several classes may register against libc.
 *
 * <p>Thread-safety: all methods are thread-safe (errno is per thread).
 */
public final class LibC {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    // sys/socket.h
    public static final int AF_UNIX = 1;
    public static final int AF_INET = 2;
    public static final int AF_NETLINK = 16;
    public static final int AF_PACKET = 17;
    public static final int SOCK_STREAM = 1;
    public static final int SOCK_DGRAM = 2;
    public static final int SOCK_RAW = 3;
    public static final int SOCK_NONBLOCK = 0x800;
    public static final int SOCK_CLOEXEC = 0x80000;
    public static final int SOL_SOCKET = 1;
    public static final int SO_REUSEADDR = 2;
    public static final int SO_SNDBUF = 7;
    public static final int SO_RCVBUF = 8;
    public static final int SO_RCVBUFFORCE = 33;
    /** asm-generic/socket.h: the fwmark of every packet the socket sends (setting it needs CAP_NET_ADMIN). */
    public static final int SO_MARK = 36;
    public static final int MSG_PEEK = 0x2;
    public static final int MSG_DONTWAIT = 0x40;
    public static final int MSG_TRUNC = 0x20;
    // netinet/in.h
    public static final int IPPROTO_IP = 0;
    public static final int IPPROTO_TCP = 6;
    public static final int IP_TRANSPARENT = 19;
    public static final int IP_FREEBIND = 15;
    // fcntl.h
    public static final int F_GETFD = 1;
    public static final int F_SETFD = 2;
    public static final int F_GETFL = 3;
    public static final int F_SETFL = 4;
    public static final int FD_CLOEXEC = 1;
    public static final int O_NONBLOCK = 0x800;
    // sched.h
    public static final int CLONE_NEWNET = 0x40000000;

    private LibC() {
    }

    public static native int socket(int domain, int type, int protocol);

    public static native int bind(int sockfd, Pointer addr, int addrlen);

    public static native int connect(int sockfd, Pointer addr, int addrlen);

    public static native int listen(int sockfd, int backlog);

    public static native int accept(int sockfd, Pointer addr, Pointer addrlen);

    public static native int getsockname(int sockfd, Pointer addr, Pointer addrlen);

    public static native int getpeername(int sockfd, Pointer addr, Pointer addrlen);

    public static native int setsockopt(int sockfd, int level, int optname, Pointer optval, int optlen);

    /** {@code optlen} points at a 4-byte socklen_t, in: buffer size, out: bytes written. */
    public static native int getsockopt(int sockfd, int level, int optname, Pointer optval, Pointer optlen);

    public static native long send(int sockfd, Pointer buf, long len, int flags);

    public static native long sendto(int sockfd, Pointer buf, long len, int flags, Pointer destAddr, int addrlen);

    public static native long recv(int sockfd, Pointer buf, long len, int flags);

    public static native long read(int fd, Pointer buf, long count);

    public static native long write(int fd, Pointer buf, long count);

    public static native int close(int fd);

    public static native int shutdown(int sockfd, int how);

    public static native int dup(int oldfd);

    public static native int dup2(int oldfd, int newfd);

    /** fcntl with an int argument (F_GETFL, F_SETFL, F_GETFD, F_SETFD). */
    public static native int fcntl(int fd, int cmd, int arg);

    public static native int epoll_create1(int flags);

    public static native int epoll_ctl(int epfd, int op, int fd, Pointer event);

    public static native int setns(int fd, int nstype);

    public static native int open(String pathname, int flags);

    public static native int if_nametoindex(String ifname);

    public static native String strerror(int errnum);

    /** The errno of the last failed call on this thread. */
    public static int errno() {
        return Native.getLastError();
    }

    /**
     * Returns {@code rc} when it is not -1; otherwise throws naming {@code call} and errno.
     *
     * @throws ErrnoException when {@code rc == -1}
     */
    public static int check(int rc, String call) throws ErrnoException {
        if (rc == -1) {
            throw new ErrnoException(call, Native.getLastError());
        }
        return rc;
    }

    /** As {@link #check(int, String)} for calls that return ssize_t. */
    public static long check(long rc, String call) throws ErrnoException {
        if (rc == -1) {
            throw new ErrnoException(call, Native.getLastError());
        }
        return rc;
    }
}
