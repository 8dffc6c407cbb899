package dev.understudy.interceptors.hook;

import java.time.Instant;
import java.util.Iterator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * The bootstrap-side bridge between the clock and randomness interceptors (advice and call-site
 * substitutes inlined into {@code java.base} and into application classes) and the installed
 * {@link ValueHook}. Loaded by the bootstrap class loader like {@link Hooks}, so it depends on
 * nothing but the JDK.
 *
 * <p>Every dispatch method is called from inlined code only, and:
 * <ul>
 *   <li>with no hook installed, costs one volatile read on top of the real call and returns the
 *       real value;</li>
 *   <li>does not re-enter: while a hook call is running on a thread, or while that thread runs
 *       inside {@link #suppressed(Runnable)}, the thread gets real values and the hook is not
 *       called;</li>
 *   <li>catches every {@code Throwable} the hook throws, counts it in {@link #errors()} and returns
 *       the real value: the application never sees it;</li>
 *   <li>allocates nothing (after a thread's first call with a hook installed, which creates its
 *       guard), except {@link #randomSeed}, which walks the stack to skip ByteBuddy's own
 *       {@code new Random()} (rare: a {@code Random} is created once, then used).</li>
 * </ul>
 * All methods are thread-safe.
 */
public final class Values {

    /** {@link #enterSecureBytes}: the hook is not told, the real generator runs. */
    public static final int SECURE_BYTES_REAL = 0;
    /** {@link #enterSecureBytes}: the real generator runs, then {@link #exitSecureBytes} tells the hook its output. */
    public static final int SECURE_BYTES_OBSERVED = 1;
    /** {@link #enterSecureBytes}: the hook filled the array, the real generator must be skipped. */
    public static final int SECURE_BYTES_REPLACED = 2;

    private static final String VALUES = Values.class.getName();
    private static final String RANDOM = "java.util.Random";

    private static volatile ValueHook hook;

    /** {@code new Random()} from classes whose name starts with this is not delivered (ByteBuddy's RandomString). */
    private static volatile String skippedRandomCreators = "net.bytebuddy.";

    private static final AtomicLong ERRORS = new AtomicLong();

    private static final ThreadLocal<Guard> GUARD = new GuardLocal();

    private static final StackWalker WALKER = StackWalker.getInstance();

    private static final RandomCreator CREATOR = new RandomCreator();

    static {
        // load the stack walking machinery now, not inside the first advised new Random()
        WALKER.walk(CREATOR);
    }

    private Values() {
    }

    /**
     * Installs {@code newHook}; values start passing through it at once.
     *
     * @throws IllegalStateException if another hook is installed
     */
    public static synchronized void install(ValueHook newHook) {
        if (newHook == null) {
            throw new NullPointerException("hook");
        }
        if (hook != null) {
            throw new IllegalStateException("a ValueHook is already installed: " + hook);
        }
        hook = newHook;
    }

    /** Removes the installed hook, if any. Calls already running finish on the old hook. */
    public static synchronized void uninstall() {
        hook = null;
    }

    /** The installed hook, or {@code null}. */
    public static ValueHook installed() {
        return hook;
    }

    /** How many times a hook threw (or returned a {@code null} instant) since this class was loaded. */
    public static long errors() {
        return ERRORS.get();
    }

    /**
     * {@code new Random()} called from a class whose name starts with {@code classNamePrefix} is
     * not delivered to the hook (the instance keeps its real seed). The installer sets it to
     * ByteBuddy's package, wherever the agent relocated it: ByteBuddy creates {@code Random}s while
     * it transforms classes, at moments that differ between JVMs. Default {@code "net.bytebuddy."}.
     */
    public static void skipRandomsCreatedBy(String classNamePrefix) {
        if (classNamePrefix == null || classNamePrefix.isEmpty()) {
            throw new IllegalArgumentException("invalid class name prefix: value=" + classNamePrefix
                    + ", expected a package prefix such as net.bytebuddy.");
        }
        skippedRandomCreators = classNamePrefix;
    }

    /**
     * Runs {@code action} on the calling thread with delivery off: it gets real clock values and
     * real randomness, and the hook is not told. Agent threads wrap their run loop in this. Nests.
     */
    public static void suppressed(Runnable action) {
        Guard guard = GUARD.get();
        boolean wasActive = guard.active;
        guard.active = true;
        try {
            action.run();
        } finally {
            guard.active = wasActive;
        }
    }

    /** Whether values on the calling thread are currently not delivered. */
    public static boolean isSuppressed() {
        return GUARD.get().active;
    }

    // ---- dispatch, called by inlined advice and substituted call sites only ------------------

    /** Substitute for {@code System.currentTimeMillis()} at a call site. */
    public static long currentTimeMillis() {
        long real = System.currentTimeMillis();
        ValueHook h = hook;
        return h == null ? real : millis(h, real);
    }

    /** Substitute for {@code System.nanoTime()} at a call site. */
    public static long nanoTime() {
        long real = System.nanoTime();
        ValueHook h = hook;
        return h == null ? real : nanos(h, real);
    }

    /** Exit advice of {@code java.time.Clock.currentInstant()}: the instant to return instead of {@code real}. */
    public static Instant instant(Instant real) {
        ValueHook h = hook;
        return h == null ? real : instant(h, real);
    }

    /**
     * Exit advice of {@code new Random()}: the seed to give the new instance.
     *
     * @param real the new instance's seed, {@code [0, 2^48)}
     * @return {@code real}, or the seed the hook chose
     */
    public static long randomSeed(long real) {
        ValueHook h = hook;
        return h == null ? real : seed(h, real);
    }

    /**
     * Substitute for {@code seeder.getAndAdd(increment)} in {@code ThreadLocalRandom.localInit}:
     * draws from the JDK's seeder as the JDK would, then lets the hook decide the value the thread's
     * seed is made from.
     */
    public static long threadLocalRandomSeed(AtomicLong seeder, long increment) {
        long real = seeder.getAndAdd(increment);
        ValueHook h = hook;
        return h == null ? real : threadSeed(h, real);
    }

    /**
     * Substitute for {@code t.getId()} (JDK 17) or {@code t.threadId()} (JDK 19+) in
     * {@code ThreadLocalRandom.nextSeed()}, which adds {@code 2 * id} to the thread's seed at every
     * step: thread ids differ between JVMs, so while a hook is installed the step leaves the id out
     * (uses 0, the step of JDK 16 and earlier) and a thread's sequence depends only on the seed the
     * hook decided. The real id otherwise.
     */
    public static long threadLocalRandomId(Thread t) {
        return hook == null ? t.getId() : 0;
    }

    /**
     * Enter advice of {@code SecureRandom.nextBytes(byte[])}.
     *
     * @return {@link #SECURE_BYTES_REPLACED} (skip the body), {@link #SECURE_BYTES_OBSERVED} (run it,
     *         then call {@link #exitSecureBytes}) or {@link #SECURE_BYTES_REAL} (run it, nothing else:
     *         no hook, a suppressed thread, the hook's own call, or a call nested in an observed one)
     */
    public static int enterSecureBytes(byte[] bytes) {
        ValueHook h = hook;
        if (h == null || bytes == null) {
            return SECURE_BYTES_REAL;
        }
        Guard guard = GUARD.get();
        if (guard.active || guard.secureDepth > 0) {
            return SECURE_BYTES_REAL;
        }
        boolean replaced;
        guard.active = true;
        try {
            replaced = h.replaceSecureBytes(bytes);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            replaced = false; // the real generator overwrites whatever the hook wrote
        } finally {
            guard.active = false;
        }
        if (replaced) {
            return SECURE_BYTES_REPLACED;
        }
        guard.secureDepth++;
        return SECURE_BYTES_OBSERVED;
    }

    /**
     * Exit advice of {@code SecureRandom.nextBytes(byte[])}, after {@link #enterSecureBytes} returned
     * {@link #SECURE_BYTES_OBSERVED}, however the body ended.
     *
     * @param completed whether the body returned normally ({@code bytes} then holds its output)
     */
    public static void exitSecureBytes(byte[] bytes, boolean completed) {
        Guard guard = GUARD.get();
        if (guard.secureDepth > 0) {
            guard.secureDepth--;
        }
        ValueHook h = hook;
        if (!completed || h == null || guard.active || guard.secureDepth > 0) {
            return;
        }
        guard.active = true;
        try {
            h.onSecureBytes(bytes);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
        } finally {
            guard.active = false;
        }
    }

    // ---- slow paths: a hook is installed --------------------------------------------------

    private static long millis(ValueHook h, long real) {
        Guard guard = GUARD.get();
        if (guard.active) {
            return real;
        }
        guard.active = true;
        try {
            return h.currentTimeMillis(real);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return real;
        } finally {
            guard.active = false;
        }
    }

    private static long nanos(ValueHook h, long real) {
        Guard guard = GUARD.get();
        if (guard.active) {
            return real;
        }
        guard.active = true;
        try {
            return h.nanoTime(real);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return real;
        } finally {
            guard.active = false;
        }
    }

    private static Instant instant(ValueHook h, Instant real) {
        Guard guard = GUARD.get();
        if (guard.active) {
            return real;
        }
        guard.active = true;
        try {
            Instant chosen = h.instant(real);
            if (chosen == null) {
                ERRORS.incrementAndGet();
                return real;
            }
            return chosen;
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return real;
        } finally {
            guard.active = false;
        }
    }

    private static long seed(ValueHook h, long real) {
        Guard guard = GUARD.get();
        if (guard.active) {
            return real;
        }
        guard.active = true;
        try {
            String creator = WALKER.walk(CREATOR);
            if (creator.startsWith(skippedRandomCreators)) {
                return real;
            }
            return h.randomSeed(real);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return real;
        } finally {
            guard.active = false;
        }
    }

    private static long threadSeed(ValueHook h, long real) {
        Guard guard = GUARD.get();
        if (guard.active) {
            return real;
        }
        guard.active = true;
        try {
            return h.threadLocalRandomSeed(real);
        } catch (Throwable t) {
            ERRORS.incrementAndGet();
            return real;
        } finally {
            guard.active = false;
        }
    }

    /** The class that called {@code new Random()}: the first frame past this class and {@code Random}'s constructors. */
    private static final class RandomCreator implements Function<Stream<StackWalker.StackFrame>, String> {
        @Override
        public String apply(Stream<StackWalker.StackFrame> frames) {
            Iterator<StackWalker.StackFrame> it = frames.iterator();
            while (it.hasNext()) {
                StackWalker.StackFrame frame = it.next();
                String type = frame.getClassName();
                if (!type.equals(VALUES) && !type.equals(RANDOM)) {
                    return type;
                }
            }
            return "";
        }
    }

    /** Per-thread re-entrancy state; mutable so the fast path allocates nothing. */
    private static final class Guard {
        /** A hook call is running on this thread, or the thread is suppressed. */
        boolean active;
        /** Observed {@code SecureRandom.nextBytes} bodies running on this thread (nested calls are not reported). */
        int secureDepth;
    }

    /** A subclass rather than {@code ThreadLocal.withInitial}: no lambda bootstrap inside inlined code. */
    private static final class GuardLocal extends ThreadLocal<Guard> {
        @Override
        protected Guard initialValue() {
            return new Guard();
        }
    }
}
