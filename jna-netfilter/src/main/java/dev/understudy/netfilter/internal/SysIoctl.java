package dev.understudy.netfilter.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;
import com.sun.jna.Pointer;

/**
 * {@code ioctl(2)} from {@code sys/ioctl.h}, direct-mapped, with the request codes used by the
 * repair and address packages (x86_64 values from asm-generic/ioctls.h and linux/sockios.h).
 * Returns what libc returns; errno in {@link Native#getLastError()}.
 */
public final class SysIoctl {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    /** Bytes in the receive queue not yet read (SIOCINQ == FIONREAD). */
    public static final long SIOCINQ = 0x541B;
    /** Bytes in the send queue not yet acknowledged, sent or not (SIOCOUTQ == TIOCOUTQ). */
    public static final long SIOCOUTQ = 0x5411;
    /** Bytes in the send queue not yet sent (linux/sockios.h). */
    public static final long SIOCOUTQNSD = 0x894B;
    /** Hardware address of an interface (struct ifreq). */
    public static final long SIOCGIFHWADDR = 0x8927;

    private SysIoctl() {
    }

    /** ioctl with a pointer argument (an int out-value or a struct). */
    public static native int ioctl(int fd, long request, Pointer arg);
}
