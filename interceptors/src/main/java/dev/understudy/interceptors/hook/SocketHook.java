package dev.understudy.interceptors.hook;

import java.net.InetSocketAddress;

/**
 * Receives every socket byte movement the JDK performs, keyed by file descriptor number, from
 * advice inlined into {@code sun.nio.ch} (see {@code dev.understudy.interceptors.Interceptors}).
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Threads.</b> Methods are called on the application thread doing the I/O (platform or
 *       virtual), concurrently for different fds and, for one fd, concurrently for a read and a
 *       write. Implementations must be thread-safe and should not block: the application's
 *       syscall has already returned and its thread waits for the hook.</li>
 *   <li><b>Not filtered.</b> Calls come for every fd that passes through the JDK's socket
 *       dispatcher, including fds the hook never saw accepted (client sockets, and on JDK 21+ the
 *       {@code Pipe} used by selectors and pollers); {@link #onClose} also comes for other
 *       dispatchers' fds. Keep a set of the accepted fds and ignore the rest.</li>
 *   <li><b>Native memory.</b> {@code address} and {@code iovAddress} are valid only during the
 *       call: copy what is needed before returning. {@code iovAddress} points at
 *       {@code iovCount} {@code struct iovec { void *iov_base; size_t iov_len; }} (16 bytes each
 *       on 64-bit Linux, {@code <sys/uio.h>}); the {@code result} bytes moved fill them in order.</li>
 *   <li><b>Result codes</b> ({@code sun.nio.ch.IOStatus}): {@code result > 0} bytes moved;
 *       {@code 0} nothing moved; {@code -1} EOF (reads only); {@code -2} UNAVAILABLE (would block,
 *       non-blocking sockets and virtual threads, the JDK polls and retries); {@code -3}
 *       INTERRUPTED (EINTR, the JDK retries or, after an async close, gives up). Other negative
 *       values are reported as received.</li>
 *   <li><b>fd numbers are reused at once</b> after {@link #onClose}: key connections by fd and an
 *       accept sequence number.</li>
 *   <li><b>Exceptions</b> thrown by a hook never reach the application; they are counted in
 *       {@link Hooks#errors()}. A hook that itself does socket I/O is not re-entered for it.</li>
 * </ul>
 * Same meaning on JDK 17 and JDK 25 (the advice adapts to each JDK's internal layout).
 */
public interface SocketHook {

    /**
     * A connection was accepted (after the syscall succeeded, before the application sees the
     * new socket).
     *
     * @param listenFd the listening socket's fd
     * @param fd       the accepted connection's fd
     * @param remote   the peer's address and port
     */
    void onAccept(int listenFd, int fd, InetSocketAddress remote);

    /** One {@code read(2)} on {@code fd} into {@code length} bytes at {@code address} returned {@code result}. */
    void onRead(int fd, long address, int length, long result);

    /** One {@code readv(2)} on {@code fd} into {@code iovCount} iovecs at {@code iovAddress} returned {@code result}. */
    void onReadv(int fd, long iovAddress, int iovCount, long result);

    /**
     * A read or readv on {@code fd} threw, e.g. {@code sun.net.ConnectionResetException}
     * ("Connection reset") or an {@code IOException} for another errno. No bytes were moved.
     */
    void onReadFailed(int fd, Throwable t);

    /** One {@code write(2)} on {@code fd} of {@code length} bytes at {@code address} returned {@code result}. */
    void onWrite(int fd, long address, int length, long result);

    /** One {@code writev(2)} on {@code fd} of {@code iovCount} iovecs at {@code iovAddress} returned {@code result}. */
    void onWritev(int fd, long iovAddress, int iovCount, long result);

    /** A write or writev on {@code fd} threw (e.g. "Broken pipe", "Connection reset"). No bytes were moved. */
    void onWriteFailed(int fd, Throwable t);

    /**
     * The application is about to end its output on {@code fd}: {@code shutdownOutput} of a
     * {@code Socket}, {@code SocketChannel} or {@code AsynchronousSocketChannel}, or the close of a
     * {@code Socket} or {@code SocketChannel} (which shut the output down natively before they reach
     * the dispatcher's close, see {@link #onClose}). Called <em>before</em> any syscall that sends
     * the FIN or RST, so that a hook may still set socket options that apply to it (the primary's
     * close guard marks the socket here). May come for any fd (listeners, client sockets), for one
     * whose output has already ended, or twice for one close. Default: nothing.
     */
    default void beforeOutputEnds(int fd) {
    }

    /**
     * The application shut down one direction of {@code fd} and the call returned normally.
     *
     * @param how {@code 0} = SHUT_RD ({@code shutdownInput}), {@code 1} = SHUT_WR
     *            ({@code shutdownOutput}), as in {@code <sys/socket.h>}
     */
    void onShutdown(int fd, int how);

    /**
     * {@code fd} is about to be closed, or pre-closed (the JDK's {@code preClose} dup2s a dead
     * socket onto the fd when threads are blocked on it: the connection ends now, the number is
     * released by a later close). Called <em>before</em> the syscall, because the number can be
     * reused as soon as it returns. May therefore be called twice for one connection; treat the
     * first call as the end of it. The socket is still open during the call (the FIN or RST the
     * close sends has not left yet), so a hook may still set socket options that apply to it.
     */
    void onClose(int fd);

    // ---- replay and turn points (default: nothing) ------------------------------------------
    //
    // These exist for a clone that re-injects recorded input and for the primary's serial turns
    // (DESIGN.md, Determinism). Unlike the methods above they may block the calling thread: a
    // primary waits there for its turn, a clone for the input it must be given.

    /**
     * A listening socket was bound and put in listen state on {@code fd}, before any accept on it
     * was possible (exit of {@code NioSocketImpl.listen} and {@code ServerSocketChannelImpl.netBind}).
     * A clone may swap the file under {@code fd} here (dup2).
     */
    default void onListen(int fd) {
    }

    /** A socket on {@code fd} is about to be bound (a clone may set {@code IP_FREEBIND} to bind the VIP). */
    default void beforeBind(int fd) {
    }

    /**
     * The peer address the application is to see for a connection just accepted on {@code fd}
     * (called after {@link #onAccept}); a clone returns the real client's address for a connection
     * it re-creates. Only the channel accept path ({@code ServerSocketChannel}, the JDK HTTP server)
     * can report it; default: {@code remote}.
     */
    default InetSocketAddress acceptedRemote(int fd, InetSocketAddress remote) {
        return remote;
    }

    /**
     * The classic {@code ServerSocket.accept} path ({@code NioSocketImpl.accept}) accepted
     * {@code fd} into {@code impl} (after {@link #onAccept}): a clone may set the impl's peer
     * address and port (the {@code java.net.SocketImpl} fields the application's {@code Socket}
     * reports) to the real client's. Default: nothing.
     */
    default void onAcceptedImpl(int fd, java.net.SocketImpl impl) {
    }

    /**
     * Called after a read on {@code fd} returned {@code result} bytes into {@code [address,
     * address + length)} and before {@link #onRead}; returns the result the application gets. A
     * clone completes a recorded chunk that loopback delivered in parts here, by reading the rest
     * into the same buffer. Default: {@code result}.
     */
    default long completeRead(int fd, long address, int length, long result) {
        return result;
    }

    /**
     * The calling thread is about to write to {@code fd} ({@code SocketDispatcher.write/writev});
     * {@link #onWrite}, {@link #onWritev} or {@link #onWriteFailed} follows on the same thread. A
     * clone's switchover holds the application's writes here while it moves its connections to
     * new sockets. Default: nothing.
     */
    default void beforeWrite(int fd) {
    }

    /** The calling thread is about to read {@code fd} (one of the points where a turn ends). */
    default void beforeRead(int fd) {
    }

    /** The calling thread is about to accept on {@code listenFd} (a turn ends). */
    default void beforeAccept(int listenFd) {
    }

    /** The calling thread is about to select ({@code SelectorImpl.lockAndDoSelect}; a turn ends). */
    default void beforeSelect() {
    }

    /** The calling thread, a pool worker, finished a task and asks for the next ({@code ThreadPoolExecutor.getTask}; a turn ends). */
    default void onTaskEnd() {
    }

    /** The calling thread is exiting ({@code Thread.exit}; a turn ends). */
    default void onThreadExit() {
    }

    /**
     * The calling thread scheduled {@code task} on a {@code ScheduledThreadPoolExecutor}
     * ({@code delayedExecute}, behind every {@code schedule*} method): tasks are named by the
     * order in which application threads schedule them.
     */
    default void onTimerScheduled(Object task) {
    }

    /** A scheduled task starts one run ({@code ScheduledFutureTask.run}, on the pool's worker). */
    default void beforeTimerRun(Object task) {
    }

    /** A scheduled task's run returned or threw. */
    default void afterTimerRun(Object task) {
    }
}
