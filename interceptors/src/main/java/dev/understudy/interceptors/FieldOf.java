package dev.understudy.interceptors;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * Binds an advice parameter to field {@code field} of argument {@code argument} cast to the
 * instrumented type: {@code ((InstrumentedType) arg).field}. Used to read the protected
 * {@code SocketImpl} fields of the {@code NioSocketImpl} that {@code accept(SocketImpl)} fills in,
 * which advice source could not name.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.PARAMETER)
@interface FieldOf {
    int argument();

    String field();
}
