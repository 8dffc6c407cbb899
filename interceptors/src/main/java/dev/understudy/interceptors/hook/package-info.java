/**
 * The bootstrap-side part of the interceptors: {@link dev.understudy.interceptors.hook.SocketHook}
 * and the {@link dev.understudy.interceptors.hook.Hooks} bridge that inlined socket advice calls;
 * {@link dev.understudy.interceptors.hook.ValueHook} and the
 * {@link dev.understudy.interceptors.hook.Values} bridge that inlined clock and randomness advice
 * and call-site substitutes call.
 *
 * <p>JDK-only and tiny on purpose: it ships as its own jar
 * ({@code understudy-interceptors-<version>-hook.jar}) which the agent appends to the bootstrap
 * class loader's search path before installing the advice, so code inlined into {@code java.base}
 * can see it. Nothing else of Understudy may be referenced from here.
 */
package dev.understudy.interceptors.hook;
