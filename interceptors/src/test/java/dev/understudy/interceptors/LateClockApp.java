package dev.understudy.interceptors;

/**
 * Like {@link ClockApp}, but first loaded after the install (so it is transformed as it loads).
 * Referenced by name only until then.
 */
final class LateClockApp {

    private LateClockApp() {
    }

    static long millis() {
        return System.currentTimeMillis();
    }

    static long nanos() {
        return System.nanoTime();
    }
}
