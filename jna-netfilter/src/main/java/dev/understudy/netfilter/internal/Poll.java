package dev.understudy.netfilter.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * {@code poll(2)} from {@code poll.h} and {@code eventfd(2)} from {@code sys/eventfd.h}.
 * Direct-mapped; errno is left in {@code Native.getLastError()}.
 *
 * <pre>
 * struct pollfd { int fd; short events; short revents; };   // 8 bytes
 * </pre>
 *
 * <p>Thread-safety: all methods are thread-safe.
 */
public final class Poll {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    public static final int POLLFD_SIZE = 8;
    public static final int POLLFD_FD_OFFSET = 0;
    public static final int POLLFD_EVENTS_OFFSET = 4;
    public static final int POLLFD_REVENTS_OFFSET = 6;

    public static final short POLLIN = 0x001;
    public static final short POLLPRI = 0x002;
    public static final short POLLOUT = 0x004;
    public static final short POLLERR = 0x008;
    public static final short POLLHUP = 0x010;
    public static final short POLLNVAL = 0x020;

    // sys/eventfd.h
    public static final int EFD_SEMAPHORE = 1;
    public static final int EFD_NONBLOCK = 0x800;
    public static final int EFD_CLOEXEC = 0x80000;

    private Poll() {
    }

    /** {@code int poll(struct pollfd *fds, nfds_t nfds, int timeout)}. */
    public static native int poll(Pointer fds, long nfds, int timeout);

    /** {@code int eventfd(unsigned int initval, int flags)}. */
    public static native int eventfd(int initval, int flags);
}
