package dev.understudy.netfilter.internal;

import com.sun.jna.Native;
import com.sun.jna.Platform;

/**
 * {@code setpriority(2)}/{@code getpriority(2)} from {@code sys/resource.h} and {@code gettid(2)}
 * from {@code unistd.h}. On Linux {@code PRIO_PROCESS} with a thread id sets the nice value
 * of that one thread. Direct-mapped; errno is left in {@code Native.getLastError()}.
 *
 * <p>Thread-safety: all methods are thread-safe.
 */
public final class SysResource {
    static {
        Native.register(Platform.C_LIBRARY_NAME);
    }

    public static final int PRIO_PROCESS = 0;

    private SysResource() {
    }

    /** {@code int setpriority(int which, id_t who, int prio)}. Negative values need CAP_SYS_NICE. */
    public static native int setpriority(int which, int who, int prio);

    /** {@code int getpriority(int which, id_t who)}: -1 is a valid result, clear errno first to tell. */
    public static native int getpriority(int which, int who);

    /** {@code pid_t gettid(void)} (glibc 2.30+). */
    public static native int gettid();
}
