package dev.understudy.netfilter;

import java.io.IOException;

/**
 * A system call failed. Names the call and the errno, e.g.
 * {@code setsockopt(TCP_REPAIR_OPTIONS) failed: EPERM (errno 1, Operation not permitted)}.
 */
public class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    public ErrnoException(String call, int errno) {
        super(call + " failed: " + Errno.name(errno) + " (errno " + errno + ", " + Errno.describe(errno) + ")");
        this.call = call;
        this.errno = errno;
    }

    /** The call that failed, with the option or argument that matters, e.g. {@code setsockopt(TCP_REPAIR)}. */
    public String call() {
        return call;
    }

    /** The errno value (see {@link Errno}). */
    public int errno() {
        return errno;
    }

    /** The errno's symbolic name, e.g. {@code EPERM}. */
    public String errnoName() {
        return Errno.name(errno);
    }
}
