package dev.understudy.agent.clone;

import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;

/**
 * The JDK's own way to wake a thread out of a blocking system call: {@code sun.nio.ch.NativeThread}
 * (the same on JDK 17, 21 and 25). {@code current()} is the calling platform thread's token
 * (-1 for a virtual thread, 0 where signals are not supported); {@code signal(token)} sends the
 * JDK's interrupt signal, whose handler does nothing, so the blocked call fails with EINTR and the
 * JDK's socket code retries it on the same fd. The asynchronous close of a socket works this way.
 * The agent's loader has {@code java.base/sun.nio.ch} opened ({@code ModuleGrants}).
 */
final class NativeThreads {
    private static final MethodHandle CURRENT;
    private static final MethodHandle SIGNAL;

    static {
        MethodHandle current = null;
        MethodHandle signal = null;
        try {
            Class<?> c = Class.forName("sun.nio.ch.NativeThread");
            MethodHandles.Lookup l = MethodHandles.privateLookupIn(c, MethodHandles.lookup());
            current = l.findStatic(c, "current", MethodType.methodType(long.class));
            signal = l.findStatic(c, "signal", MethodType.methodType(void.class, long.class));
        } catch (ReflectiveOperationException | RuntimeException e) {
            // not this JDK's layout: blocked threads are not woken (a switchover then counts them)
        }
        CURRENT = current;
        SIGNAL = signal;
    }

    private NativeThreads() {
    }

    /** The calling thread's token, or 0 when it cannot be signalled. */
    static long current() {
        if (CURRENT == null) {
            return 0;
        }
        try {
            return (long) CURRENT.invokeExact();
        } catch (Throwable t) {
            return 0;
        }
    }

    /** Signals the thread of {@code token}; false when it cannot be (virtual thread, no support). */
    static boolean signal(long token) {
        if (SIGNAL == null || token == 0 || token == -1) {
            return false;
        }
        try {
            SIGNAL.invokeExact(token);
            return true;
        } catch (Throwable t) {
            return false;
        }
    }
}
