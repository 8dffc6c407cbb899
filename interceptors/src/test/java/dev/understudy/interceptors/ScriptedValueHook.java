package dev.understudy.interceptors;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import dev.understudy.interceptors.hook.ValueHook;

/**
 * A test {@link ValueHook} that acts only on threads whose name starts with {@link #THREAD_PREFIX}
 * (the test's "turns"; every other thread of the test JVM gets real values, untouched) and, on
 * those, depending on its mode:
 * <ul>
 *   <li>{@link Mode#PASS}: returns the real value and logs it (what a primary does);</li>
 *   <li>{@link Mode#SCRIPT}: returns the k-th value of a script that depends only on the script
 *       number and k, counting every call of every kind together (what a clone replaying a turn
 *       does), and logs it;</li>
 *   <li>{@link Mode#THROW}: throws; {@link Mode#NULL_INSTANT}: returns {@code null} instants and
 *       real values otherwise.</li>
 * </ul>
 */
final class ScriptedValueHook implements ValueHook {

    static final String THREAD_PREFIX = "replay-";

    enum Mode { PASS, SCRIPT, THROW, NULL_INSTANT }

    /** One value the hook handed out (or, for {@code onSecureBytes}, was told). */
    record Given(String kind, Object real, Object returned) {
    }

    private volatile Mode mode = Mode.PASS;
    private long script;
    private long k;
    private final List<Given> log = new ArrayList<>();
    private final AtomicLong calls = new AtomicLong();

    /** Starts a new replay: mode, script number, k = 0, empty log. */
    synchronized void reset(Mode newMode, long newScript) {
        mode = newMode;
        script = newScript;
        k = 0;
        log.clear();
    }

    /** What the hook gave the test threads since the last reset, in order. */
    synchronized List<Given> log() {
        return List.copyOf(log);
    }

    /** The values of one kind given since the last reset, in order. */
    synchronized List<Object> returned(String kind) {
        List<Object> out = new ArrayList<>();
        for (Given g : log) {
            if (g.kind().equals(kind)) {
                out.add(g.returned());
            }
        }
        return out;
    }

    /** Every call on a test thread, including the ones that threw. */
    long calls() {
        return calls.get();
    }

    private static boolean onTestThread() {
        return Thread.currentThread().getName().startsWith(THREAD_PREFIX);
    }

    private synchronized long next(String kind, long real, long scripted) {
        calls.incrementAndGet();
        if (mode == Mode.THROW) {
            throw new IllegalStateException("hook failure for " + kind);
        }
        long value = mode == Mode.SCRIPT ? scripted : real;
        k++;
        log.add(new Given(kind, real, value));
        return value;
    }

    @Override
    public long currentTimeMillis(long real) {
        if (!onTestThread()) {
            return real;
        }
        synchronized (this) {
            return next("millis", real, 1_000_000_000_000L + script * 1_000_000 + k);
        }
    }

    @Override
    public long nanoTime(long real) {
        if (!onTestThread()) {
            return real;
        }
        synchronized (this) {
            return next("nanos", real, script * 5_000_000_000L + k * 1_000);
        }
    }

    @Override
    public Instant instant(Instant real) {
        if (!onTestThread()) {
            return real;
        }
        synchronized (this) {
            calls.incrementAndGet();
            switch (mode) {
                case THROW:
                    throw new IllegalStateException("hook failure for instant");
                case NULL_INSTANT:
                    return null;
                default:
                    Instant value = mode == Mode.SCRIPT ? Instant.ofEpochSecond(2_000_000_000L + script * 1_000 + k, 123_456_789)
                            : real;
                    k++;
                    log.add(new Given("instant", real, value));
                    return value;
            }
        }
    }

    @Override
    public long randomSeed(long real) {
        if (!onTestThread()) {
            return real;
        }
        synchronized (this) {
            return next("seed", real, script * 31 + k);
        }
    }

    @Override
    public long threadLocalRandomSeed(long real) {
        if (!onTestThread()) {
            return real;
        }
        synchronized (this) {
            return next("tlr", real, script * 17 + k);
        }
    }

    @Override
    public synchronized boolean replaceSecureBytes(byte[] bytes) {
        if (!onTestThread()) {
            return false;
        }
        calls.incrementAndGet();
        if (mode == Mode.THROW) {
            throw new IllegalStateException("hook failure for secure bytes");
        }
        if (mode != Mode.SCRIPT) {
            return false;
        }
        for (int i = 0; i < bytes.length; i++) {
            bytes[i] = (byte) (script * 7 + k + i);
        }
        k++;
        log.add(new Given("secure", null, bytes.clone()));
        return true;
    }

    @Override
    public synchronized void onSecureBytes(byte[] bytes) {
        if (!onTestThread()) {
            return;
        }
        calls.incrementAndGet();
        if (mode == Mode.THROW) {
            throw new IllegalStateException("hook failure for secure bytes");
        }
        k++;
        log.add(new Given("secure", bytes.clone(), bytes.clone()));
    }
}
