package dev.understudy.interceptors.hook;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The bootstrap-side bridge between advice inlined into {@code java.base} and the installed
 * {@link SocketHook}. This package is loaded by the bootstrap class loader (the agent appends its
 * own small jar to the bootstrap search path), so it depends on nothing but the JDK.
 *
 * <p>Every dispatch method is called from inlined advice and:
 * <ul>
 *   <li>returns at once when no hook is installed;</li>
 *   <li>does not re-enter: while a hook call is running on a thread, or while that thread runs
 *       inside {@link #suppressed(Runnable)}, socket events on that thread are not reported;</li>
 *   <li>catches every {@code Throwable} the hook throws and counts it in {@link #errors()}: the
 *       application never sees it;</li>
 *   <li>allocates nothing (after a thread's first event, which creates its guard), except
 *       {@link #accept(int, int, InetAddress, int)}, which builds the remote address.</li>
 * </ul>
 * All methods are thread-safe.
 */
public final class Hooks {

    private static volatile SocketHook hook;

    private static final AtomicLong ERRORS = new AtomicLong();

    private static final ThreadLocal<Guard> GUARD = new GuardLocal();

    private Hooks() {
    }

    /**
     * Installs {@code newHook}; events start reaching it at once.
     *
     * @throws IllegalStateException if another hook is installed
     */
    public static synchronized void install(SocketHook newHook) {
        if (newHook == null) {
            throw new NullPointerException("hook");
        }
        if (hook != null) {
            throw new IllegalStateException("a SocketHook is already installed: " + hook);
        }
        hook = newHook;
    }

    /** Removes the installed hook, if any. Calls already running finish on the old hook. */
    public static synchronized void uninstall() {
        hook = null;
    }

    /** The installed hook, or {@code null}. */
    public static SocketHook installed() {
        return hook;
    }

    /** How many times a hook threw since this class was loaded. */
    public static long errors() {
        return ERRORS.get();
    }

    /**
     * Runs {@code action} on the calling thread with reporting off: none of its socket I/O reaches
     * the hook. Agent threads wrap their run loop in this so their own sockets are never reported.
     * Nests.
     */
    public static void suppressed(Runnable action) {
        Guard guard = GUARD.get();
        boolean wasActive = guard.active;
        guard.active = true;
        try {
            action.run();
        } finally {
            guard.active = wasActive;
        }
    }

    /** Whether socket events on the calling thread are currently not reported. */
    public static boolean isSuppressed() {
        return GUARD.get().active;
    }

    // ---- dispatch, called by inlined advice only --------------------------------------------

    /** Advice on {@code ServerSocketChannelImpl} accept: {@code remote} is any {@code SocketAddress}; only TCP is reported. */
    public static void accept(int listenFd, int fd, Object remote) {
        SocketHook h = hook;
        if (h == null || !(remote instanceof InetSocketAddress)) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.onAccept(listenFd, fd, (InetSocketAddress) remote);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on {@code NioSocketImpl.accept}, which keeps the peer as address and port. */
    public static void accept(int listenFd, int fd, InetAddress address, int port) {
        if (hook == null || address == null) {
            return;
        }
        accept(listenFd, fd, new InetSocketAddress(address, port));
    }

    /**
     * Advice on {@code SocketDispatcher.read}: {@code thrown != null} means the read threw.
     *
     * @return the result the application gets ({@link SocketHook#completeRead})
     */
    public static int read(int fd, long address, int length, int result, Throwable thrown) {
        SocketHook h = hook;
        if (h == null) {
            return result;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return result;
        }
        guard.active = true;
        int r = result;
        try {
            if (thrown == null) {
                long c = h.completeRead(fd, address, length, result);
                if (c >= result && c <= length) {
                    r = (int) c;
                }
                h.onRead(fd, address, length, r);
            } else {
                h.onReadFailed(fd, thrown);
            }
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
        return r;
    }

    /** Advice on {@code SocketDispatcher.readv}. */
    public static void readv(int fd, long iovAddress, int iovCount, long result, Throwable thrown) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            if (thrown == null) {
                h.onReadv(fd, iovAddress, iovCount, result);
            } else {
                h.onReadFailed(fd, thrown);
            }
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on {@code SocketDispatcher.write}. */
    public static void write(int fd, long address, int length, int result, Throwable thrown) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            if (thrown == null) {
                h.onWrite(fd, address, length, result);
            } else {
                h.onWriteFailed(fd, thrown);
            }
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on {@code SocketDispatcher.writev}. */
    public static void writev(int fd, long iovAddress, int iovCount, long result, Throwable thrown) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            if (thrown == null) {
                h.onWritev(fd, iovAddress, iovCount, result);
            } else {
                h.onWriteFailed(fd, thrown);
            }
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on the shutdownInput/shutdownOutput methods. */
    public static void shutdown(int fd, int how) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.onShutdown(fd, how);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice at the entry of the shutdownOutput and close methods, before any syscall. */
    public static void beforeOutputEnds(int fd) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.beforeOutputEnds(fd);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on the dispatchers' close and preClose, before the syscall. */
    public static void close(int fd) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.onClose(fd);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice at the entry of {@code SocketDispatcher.write/writev}, before the syscall. */
    public static void beforeWrite(int fd) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.beforeWrite(fd);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice at the entry of {@code SocketDispatcher.read/readv}. */
    public static void beforeRead(int fd) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.beforeRead(fd);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice at the exit of {@code NioSocketImpl.listen} and {@code ServerSocketChannelImpl.netBind}. */
    public static void listen(int fd) {
        point(fd, null, LISTEN);
    }

    /** Advice at the entry of {@code NioSocketImpl.bind} and {@code ServerSocketChannelImpl.netBind}. */
    public static void beforeBind(int fd) {
        point(fd, null, BIND);
    }

    /** Advice at the entry of the accept methods. */
    public static void beforeAccept(int listenFd) {
        point(listenFd, null, ACCEPT);
    }

    /** Advice at the entry of {@code SelectorImpl.lockAndDoSelect}. */
    public static void beforeSelect() {
        point(-1, null, SELECT);
    }

    /** Advice at the entry of {@code ThreadPoolExecutor.getTask}. */
    public static void taskEnd() {
        point(-1, null, TASK_END);
    }

    /** Advice at the entry of {@code Thread.exit}. */
    public static void threadExit() {
        point(-1, null, THREAD_EXIT);
    }

    /** Advice at the entry of {@code ScheduledThreadPoolExecutor.delayedExecute(task)}. */
    public static void timerScheduled(Object task) {
        point(-1, task, TIMER_SCHEDULED);
    }

    /** Advice at the entry of {@code ScheduledThreadPoolExecutor$ScheduledFutureTask.run}. */
    public static void timerRun(Object task) {
        point(-1, task, TIMER_RUN);
    }

    /** Advice at the exit of {@code ScheduledThreadPoolExecutor$ScheduledFutureTask.run}. */
    public static void timerRunEnd(Object task) {
        point(-1, task, TIMER_RUN_END);
    }

    /** Advice on {@code NioSocketImpl.accept}, after {@link #accept(int, int, InetAddress, int)}. */
    public static void acceptedImpl(int fd, java.net.SocketImpl impl) {
        SocketHook h = hook;
        if (h == null || impl == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            h.onAcceptedImpl(fd, impl);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Advice on {@code ServerSocketChannelImpl.implAccept}: the address the application sees, after {@link #accept}. */
    public static Object acceptedRemote(int fd, Object remote) {
        SocketHook h = hook;
        if (h == null || !(remote instanceof InetSocketAddress)) {
            return remote;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return remote;
        }
        guard.active = true;
        try {
            InetSocketAddress r = h.acceptedRemote(fd, (InetSocketAddress) remote);
            return r == null ? remote : r;
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return remote;
        } finally {
            guard.active = false;
        }
    }

    private static final int LISTEN = 0;
    private static final int BIND = 1;
    private static final int ACCEPT = 2;
    private static final int SELECT = 3;
    private static final int TASK_END = 4;
    private static final int THREAD_EXIT = 5;
    private static final int TIMER_SCHEDULED = 6;
    private static final int TIMER_RUN = 7;
    private static final int TIMER_RUN_END = 8;

    private static void point(int fd, Object task, int what) {
        SocketHook h = hook;
        if (h == null) {
            return;
        }
        Guard guard = GUARD.get();
        if (guard.active) {
            return;
        }
        guard.active = true;
        try {
            switch (what) {
                case LISTEN:
                    h.onListen(fd);
                    break;
                case BIND:
                    h.beforeBind(fd);
                    break;
                case ACCEPT:
                    h.beforeAccept(fd);
                    break;
                case SELECT:
                    h.beforeSelect();
                    break;
                case TASK_END:
                    h.onTaskEnd();
                    break;
                case TIMER_SCHEDULED:
                    h.onTimerScheduled(task);
                    break;
                case TIMER_RUN:
                    h.beforeTimerRun(task);
                    break;
                case TIMER_RUN_END:
                    h.afterTimerRun(task);
                    break;
                default:
                    h.onThreadExit();
                    break;
            }
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    /** Per-thread re-entrancy flag; mutable so the fast path allocates nothing. */
    private static final class Guard {
        boolean active;
    }

    /** A subclass rather than {@code ThreadLocal.withInitial}: no lambda bootstrap inside socket advice. */
    private static final class GuardLocal extends ThreadLocal<Guard> {
        @Override
        protected Guard initialValue() {
            return new Guard();
        }
    }
}
