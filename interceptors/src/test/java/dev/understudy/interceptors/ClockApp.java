package dev.understudy.interceptors;

import java.util.function.LongSupplier;

/**
 * A test "application" class that reads the clocks the way application code does; selected by the
 * determinism tests' {@code applicationTypes} matcher and loaded before the install (so it is
 * retransformed).
 */
final class ClockApp {

    private ClockApp() {
    }

    static long millis() {
        return System.currentTimeMillis();
    }

    static long nanos() {
        return System.nanoTime();
    }

    /** A lambda's body is a method of this class: its call site is substituted too. */
    static long millisInLambda() {
        LongSupplier clock = () -> System.currentTimeMillis();
        return clock.getAsLong();
    }

    /** A method reference is an invokedynamic handle to System.nanoTime itself: not covered. */
    static long nanosThroughMethodReference() {
        LongSupplier clock = System::nanoTime;
        return clock.getAsLong();
    }
}
