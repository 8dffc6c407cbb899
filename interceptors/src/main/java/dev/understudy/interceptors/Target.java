package dev.understudy.interceptors;

import static net.bytebuddy.matcher.ElementMatchers.isAbstract;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArgument;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.FileDescriptor;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.SocketImpl;
import java.util.List;

import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.matcher.ElementMatcher;

/**
 * One intercepted JDK method: a name for the report, the classes that may declare it (the first
 * one that does, on the running JDK, is instrumented), the method matcher and the advice.
 *
 * <p>Why these methods (read in the JDK 17.0.15 and 25.0.3 class files and sources):
 * <ul>
 *   <li>{@code SocketDispatcher.read/readv/write/writev}: one call per syscall for every socket
 *       API, same signatures on 17 and 25.</li>
 *   <li>{@code Net.accept} and {@code Net.shutdown} are {@code native}: advice cannot run on a
 *       method without a body, and a native-method prefix changes the class format, which
 *       retransformation forbids. Their Java callers are instrumented instead: accept in
 *       {@code NioSocketImpl.accept(SocketImpl)}, {@code ServerSocketChannelImpl.implAccept} and
 *       {@code UnixAsynchronousServerSocketChannelImpl.finishAccept} (3 parameters on 17, 2 on
 *       25); shutdown in the {@code shutdownInput/shutdownOutput} of {@code NioSocketImpl},
 *       {@code SocketChannelImpl} and {@code AsynchronousSocketChannelImpl}.</li>
 *   <li>close: {@code SocketDispatcher.close(FileDescriptor)} on 17, inherited from
 *       {@code UnixDispatcher.close} on 21+; preClose: {@code SocketDispatcher.preClose(FileDescriptor)}
 *       on 17, the final {@code NativeDispatcher.preClose(FileDescriptor, long, long)} on 21+.</li>
 *   <li>before a close: {@code NioSocketImpl.close()} and {@code SocketChannelImpl.implCloseSelectableChannel()}
 *       call the native {@code Net.shutdown(fd, SHUT_WR)} themselves before the dispatcher's close
 *       or preClose (a connected socket whose SO_LINGER is not 0; a non-blocking channel whose close
 *       is deferred by a Selector), so the FIN leaves before the dispatcher is reached.</li>
 * </ul>
 */
record Target(String name, List<String> candidateTypes, ElementMatcher<? super MethodDescription> methods,
              Class<?> advice) {

    private static final String CH = "sun.nio.ch.";

    /** Every target, on every supported JDK. */
    static List<Target> all() {
        ElementMatcher.Junction<MethodDescription> syscall = takesArguments(FileDescriptor.class, long.class, int.class);
        return List.of(
                new Target("read", List.of(CH + "SocketDispatcher"), named("read").and(syscall), SocketAdvice.Read.class),
                new Target("readv", List.of(CH + "SocketDispatcher"), named("readv").and(syscall), SocketAdvice.Readv.class),
                new Target("write", List.of(CH + "SocketDispatcher"), named("write").and(syscall), SocketAdvice.Write.class),
                new Target("writev", List.of(CH + "SocketDispatcher"), named("writev").and(syscall), SocketAdvice.Writev.class),
                new Target("close", List.of(CH + "SocketDispatcher", CH + "UnixDispatcher"),
                        named("close").and(takesArguments(FileDescriptor.class)).and(not(isAbstract())),
                        SocketAdvice.Close.class),
                new Target("preClose", List.of(CH + "SocketDispatcher", CH + "NativeDispatcher"),
                        named("preClose").and(takesArgument(0, FileDescriptor.class)).and(not(isAbstract())),
                        SocketAdvice.Close.class),
                new Target("before close(Socket)", List.of(CH + "NioSocketImpl"),
                        named("close").and(takesArguments(0)), SocketAdvice.BeforeClose.class),
                new Target("before close(SocketChannel)", List.of(CH + "SocketChannelImpl"),
                        named("implCloseSelectableChannel").and(takesArguments(0)), SocketAdvice.BeforeClose.class),
                new Target("accept(Socket)", List.of(CH + "NioSocketImpl"),
                        named("accept").and(takesArguments(SocketImpl.class)), SocketAdvice.SocketImplAccept.class),
                new Target("accept(SocketChannel)", List.of(CH + "ServerSocketChannelImpl"),
                        named("implAccept").and(takesArguments(FileDescriptor.class, FileDescriptor.class,
                                SocketAddress[].class)), SocketAdvice.ChannelAccept.class),
                new Target("accept(AsynchronousSocketChannel)", List.of(CH + "UnixAsynchronousServerSocketChannelImpl"),
                        named("finishAccept").and(takesArgument(0, FileDescriptor.class))
                                .and(takesArgument(1, InetSocketAddress.class)), SocketAdvice.AsyncAccept.class),
                new Target("listen(Socket)", List.of(CH + "NioSocketImpl"),
                        named("listen").and(takesArguments(int.class)), SocketAdvice.SocketImplListen.class),
                new Target("bind(Socket)", List.of(CH + "NioSocketImpl"),
                        named("bind").and(takesArguments(java.net.InetAddress.class, int.class)), SocketAdvice.SocketImplBind.class),
                new Target("bind+listen(ServerSocketChannel)", List.of(CH + "ServerSocketChannelImpl"),
                        named("netBind").and(takesArguments(SocketAddress.class, int.class)), SocketAdvice.ChannelNetBind.class),
                new Target("select", List.of(CH + "SelectorImpl"),
                        named("lockAndDoSelect").and(takesArguments(2)), SocketAdvice.Select.class),
                new Target("task end", List.of("java.util.concurrent.ThreadPoolExecutor"),
                        named("getTask").and(takesArguments(0)), SocketAdvice.TaskEnd.class),
                new Target("timer scheduled", List.of("java.util.concurrent.ScheduledThreadPoolExecutor"),
                        named("delayedExecute").and(takesArguments(1)), SocketAdvice.TimerScheduled.class),
                new Target("timer run", List.of("java.util.concurrent.ScheduledThreadPoolExecutor$ScheduledFutureTask"),
                        named("run").and(takesArguments(0)), SocketAdvice.TimerRun.class),
                new Target("thread exit", List.of("java.lang.Thread"),
                        named("exit").and(takesArguments(0)), SocketAdvice.ThreadExit.class),
                new Target("shutdownInput(Socket)", List.of(CH + "NioSocketImpl"),
                        named("shutdownInput").and(takesArguments(0)), SocketAdvice.ShutdownInput.class),
                new Target("shutdownOutput(Socket)", List.of(CH + "NioSocketImpl"),
                        named("shutdownOutput").and(takesArguments(0)), SocketAdvice.ShutdownOutput.class),
                new Target("shutdownInput(SocketChannel)", List.of(CH + "SocketChannelImpl"),
                        named("shutdownInput").and(takesArguments(0)), SocketAdvice.ShutdownInput.class),
                new Target("shutdownOutput(SocketChannel)", List.of(CH + "SocketChannelImpl"),
                        named("shutdownOutput").and(takesArguments(0)), SocketAdvice.ShutdownOutput.class),
                new Target("shutdownInput(AsynchronousSocketChannel)", List.of(CH + "AsynchronousSocketChannelImpl"),
                        named("shutdownInput").and(takesArguments(0)), SocketAdvice.ShutdownInput.class),
                new Target("shutdownOutput(AsynchronousSocketChannel)", List.of(CH + "AsynchronousSocketChannelImpl"),
                        named("shutdownOutput").and(takesArguments(0)), SocketAdvice.ShutdownOutput.class));
    }
}
