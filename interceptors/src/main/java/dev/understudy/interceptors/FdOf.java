package dev.understudy.interceptors;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds an {@code int} advice parameter to the fd number of a {@code java.io.FileDescriptor},
 * computed by {@code sun.nio.ch.IOUtil.fdVal(FileDescriptor)} in code inlined into the
 * instrumented {@code sun.nio.ch} class (where that package-private-by-module helper is
 * accessible; advice source cannot name it, and {@code FileDescriptor.fd} is private to
 * {@code java.io}). The value is computed where the advice reads the parameter, so an advice that
 * reads it only on success pays nothing otherwise.
 *
 * <ul>
 *   <li>{@code @FdOf(argument = i)}: argument {@code i} is the {@code FileDescriptor};</li>
 *   <li>{@code @FdOf(field = "f")}: field {@code f} of {@code this} (own or inherited);</li>
 *   <li>{@code @FdOf(argument = i, field = "f")}: field {@code f} of argument {@code i} cast to the
 *       instrumented type (e.g. the accepted {@code NioSocketImpl} passed to {@code accept}).</li>
 * </ul>
 * A {@code null} descriptor throws inside the advice, which {@code suppress = Throwable.class}
 * swallows: nothing is reported.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@interface FdOf {
    int argument() default -1;

    String field() default "";
}
