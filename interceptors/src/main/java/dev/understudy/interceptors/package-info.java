/**
 * ByteBuddy advice on the JDK's own socket classes that reports every socket byte movement, keyed
 * by fd number, to a {@link dev.understudy.interceptors.hook.SocketHook}. Public API:
 * {@link dev.understudy.interceptors.Interceptors#install} returning an
 * {@link dev.understudy.interceptors.InstallReport}, and the hook package; everything else here is
 * package-private. {@link dev.understudy.interceptors.Determinism#install} does the same for clock
 * values and randomness: advice and call-site substitutions that pass them through a
 * {@link dev.understudy.interceptors.hook.ValueHook}.
 *
 * <p>Layout: the advice is intercepted at the lowest layer every socket API shares
 * ({@code sun.nio.ch.SocketDispatcher}: one call per syscall), plus the Java callers of the native
 * {@code Net.accept}/{@code Net.shutdown} and the dispatchers' close/preClose; see {@code Target}
 * for the list and why, per JDK.
 *
 * <p>Packaging: this module's main jar is loaded by the agent's isolated class loader (ByteBuddy is
 * {@code provided}: the agent supplies it). The hook package is excluded from it and ships as
 * {@code understudy-interceptors-<version>-hook.jar}, which the agent appends to the bootstrap
 * class loader's search path before calling {@code install}: advice inlined into {@code java.base}
 * can only call bootstrap-visible classes.
 */
package dev.understudy.interceptors;
