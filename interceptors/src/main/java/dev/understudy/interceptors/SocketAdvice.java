package dev.understudy.interceptors;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;

import dev.understudy.interceptors.hook.Hooks;
import net.bytebuddy.asm.Advice;

/**
 * The advice, one nested class per intercepted method shape. Each is inlined into a
 * {@code sun.nio.ch} class of {@code java.base}, so its code may reference only the JDK and
 * {@link Hooks} (loaded by the bootstrap loader); it makes one static call and swallows anything
 * thrown ({@code suppress = Throwable.class}). fd numbers come from {@link FdOf}.
 */
final class SocketAdvice {

    private SocketAdvice() {
    }

    /** {@code SocketDispatcher.read(FileDescriptor, long address, int len)}: one {@code read(2)}. */
    static final class Read {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int fd) {
            Hooks.beforeRead(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@FdOf(argument = 0) int fd, @Advice.Argument(1) long address, @Advice.Argument(2) int length,
                         @Advice.Return(readOnly = false) int result, @Advice.Thrown Throwable thrown) {
            result = Hooks.read(fd, address, length, result, thrown);
        }
    }

    /** {@code SocketDispatcher.readv(FileDescriptor, long iovAddress, int iovCount)}: one {@code readv(2)}. */
    static final class Readv {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int fd) {
            Hooks.beforeRead(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@FdOf(argument = 0) int fd, @Advice.Argument(1) long iovAddress, @Advice.Argument(2) int iovCount,
                         @Advice.Return long result, @Advice.Thrown Throwable thrown) {
            Hooks.readv(fd, iovAddress, iovCount, result, thrown);
        }
    }

    /** {@code SocketDispatcher.write(FileDescriptor, long address, int len)}: one {@code write(2)}. */
    static final class Write {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int fd) {
            Hooks.beforeWrite(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@FdOf(argument = 0) int fd, @Advice.Argument(1) long address, @Advice.Argument(2) int length,
                         @Advice.Return int result, @Advice.Thrown Throwable thrown) {
            Hooks.write(fd, address, length, result, thrown);
        }
    }

    /** {@code SocketDispatcher.writev(FileDescriptor, long iovAddress, int iovCount)}: one {@code writev(2)}. */
    static final class Writev {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int fd) {
            Hooks.beforeWrite(fd);
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@FdOf(argument = 0) int fd, @Advice.Argument(1) long iovAddress, @Advice.Argument(2) int iovCount,
                         @Advice.Return long result, @Advice.Thrown Throwable thrown) {
            Hooks.writev(fd, iovAddress, iovCount, result, thrown);
        }
    }

    /** {@code close(FileDescriptor)} and {@code preClose(FileDescriptor, ...)}: before the fd goes. */
    static final class Close {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int fd) {
            Hooks.close(fd);
        }
    }

    /**
     * {@code NioSocketImpl.accept(SocketImpl si)} (behind {@code ServerSocket.accept}), on normal
     * return: {@code si} is the new, connected {@code NioSocketImpl}.
     */
    static final class SocketImplAccept {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int listenFd) {
            Hooks.beforeAccept(listenFd);
        }

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(field = "fd") int listenFd,
                         @FdOf(argument = 0, field = "fd") int fd,
                         @FieldOf(argument = 0, field = "address") InetAddress address,
                         @FieldOf(argument = 0, field = "port") int port,
                         @Advice.Argument(0) java.net.SocketImpl accepted) {
            Hooks.accept(listenFd, fd, address, port);
            Hooks.acceptedImpl(fd, accepted);
        }
    }

    /**
     * {@code ServerSocketChannelImpl.implAccept(FileDescriptor fd, FileDescriptor newfd,
     * SocketAddress[] saa)} (behind {@code ServerSocketChannel.accept} and its socket adaptor):
     * a positive result means {@code newfd} is connected to {@code saa[0]}.
     */
    static final class ChannelAccept {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(argument = 0) int listenFd) {
            Hooks.beforeAccept(listenFd);
        }

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(argument = 0) int listenFd, @FdOf(argument = 1) int fd,
                         @Advice.Argument(2) SocketAddress[] remote, @Advice.Return int result) {
            if (result > 0) {
                Hooks.accept(listenFd, fd, remote[0]);
                remote[0] = (SocketAddress) Hooks.acceptedRemote(fd, remote[0]);
            }
        }
    }

    /**
     * {@code NioSocketImpl.listen(int)}: on normal return the socket is listening and no accept
     * has been possible yet.
     */
    static final class SocketImplListen {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(field = "fd") int fd) {
            Hooks.listen(fd);
        }
    }

    /** {@code NioSocketImpl.bind(InetAddress, int)}: before the bind. */
    static final class SocketImplBind {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int fd) {
            Hooks.beforeBind(fd);
        }
    }

    /** {@code ServerSocketChannelImpl.netBind(SocketAddress, int)}: bind and listen in one. */
    static final class ChannelNetBind {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int fd) {
            Hooks.beforeBind(fd);
        }

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(field = "fd") int fd) {
            Hooks.listen(fd);
        }
    }

    /** {@code SelectorImpl.lockAndDoSelect(Consumer, long)}: behind every select and selectNow. */
    static final class Select {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter() {
            Hooks.beforeSelect();
        }
    }

    /** {@code ThreadPoolExecutor.getTask()}: a worker finished its task (or starts) and asks for the next. */
    static final class TaskEnd {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter() {
            Hooks.taskEnd();
        }
    }

    /** {@code ScheduledThreadPoolExecutor.delayedExecute(RunnableScheduledFuture)}: a task was scheduled. */
    static final class TimerScheduled {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.Argument(0) Object task) {
            Hooks.timerScheduled(task);
        }
    }

    /** {@code ScheduledThreadPoolExecutor$ScheduledFutureTask.run()}: one run of a scheduled task. */
    static final class TimerRun {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@Advice.This Object task) {
            Hooks.timerRun(task);
        }

        @Advice.OnMethodExit(suppress = Throwable.class, onThrowable = Throwable.class)
        static void exit(@Advice.This Object task) {
            Hooks.timerRunEnd(task);
        }
    }

    /** {@code Thread.exit()}: the thread is ending. */
    static final class ThreadExit {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter() {
            Hooks.threadExit();
        }
    }

    /**
     * {@code UnixAsynchronousServerSocketChannelImpl.finishAccept(FileDescriptor newfd,
     * InetSocketAddress remote, ...)}, called only after a successful accept.
     */
    static final class AsyncAccept {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int listenFd, @FdOf(argument = 0) int fd,
                          @Advice.Argument(1) InetSocketAddress remote) {
            Hooks.accept(listenFd, fd, remote);
        }
    }

    /** {@code shutdownInput()} of a socket impl or channel, on normal return: SHUT_RD (0). */
    static final class ShutdownInput {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(field = "fd") int fd) {
            Hooks.shutdown(fd, 0);
        }
    }

    /**
     * {@code shutdownOutput()} of a socket impl or channel: before the method (and so before
     * {@code Net.shutdown}, which sends the FIN), the output ends; on normal return, SHUT_WR (1).
     */
    static final class ShutdownOutput {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int fd) {
            Hooks.beforeOutputEnds(fd);
        }

        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@FdOf(field = "fd") int fd) {
            Hooks.shutdown(fd, 1);
        }
    }

    /**
     * {@code NioSocketImpl.close()} and {@code SocketChannelImpl.implCloseSelectableChannel()}, before
     * the method: both shut the output down with the native {@code Net.shutdown(fd, SHUT_WR)} (a
     * FIN) before they close or pre-close the fd, unless SO_LINGER is 0 (17 and 25 alike).
     */
    static final class BeforeClose {
        @Advice.OnMethodEnter(suppress = Throwable.class)
        static void enter(@FdOf(field = "fd") int fd) {
            Hooks.beforeOutputEnds(fd);
        }
    }
}
