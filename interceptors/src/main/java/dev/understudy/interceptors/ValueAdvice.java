package dev.understudy.interceptors;

import java.time.Instant;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;

import dev.understudy.interceptors.hook.Values;
import net.bytebuddy.asm.Advice;

/**
 * The advice of {@link Determinism}, one nested class per intercepted method. Each is inlined into
 * a {@code java.base} class, so its code may reference only the JDK and {@link Values} (loaded by
 * the bootstrap loader); it makes one static call and swallows anything thrown
 * ({@code suppress = Throwable.class}). The clock call sites are not advice but
 * {@code MemberSubstitution}s to {@link Values#currentTimeMillis()} and {@link Values#nanoTime()}.
 */
final class ValueAdvice {

    /** {@code java.util.Random}'s multiplier: {@code setSeed(s)} keeps {@code (s ^ MULTIPLIER) & MASK}. */
    static final long RANDOM_MULTIPLIER = 0x5DEECE66DL;
    /** {@code java.util.Random} keeps 48 bits of state. */
    static final long RANDOM_MASK = (1L << 48) - 1;

    private ValueAdvice() {
    }

    /** {@code static Instant java.time.Clock.currentInstant()}: the instant returned is the hook's. */
    static final class CurrentInstant {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.Return(readOnly = false) Instant instant) {
            instant = Values.instant(instant);
        }
    }

    /**
     * {@code public java.util.Random()}, on return (also when a subclass's constructor called it):
     * the real seed is read back from the constructed state, which is exact, since
     * {@code Random(long)} stored {@code (seed ^ MULTIPLIER) & MASK} and {@code setSeed} of the value
     * derived here stores the same again. The instance is re-seeded only when the hook chose another
     * seed, through the virtual {@code setSeed}, exactly as {@code Random(long)} itself seeds a
     * subclass.
     */
    static final class NewRandom {
        @Advice.OnMethodExit(suppress = Throwable.class)
        static void exit(@Advice.This Random self, @Advice.FieldValue("seed") AtomicLong seed) {
            long real = (seed.get() ^ RANDOM_MULTIPLIER) & RANDOM_MASK;
            long chosen = Values.randomSeed(real);
            if (chosen != real) {
                self.setSeed(chosen);
            }
        }
    }

    /**
     * {@code java.security.SecureRandom.nextBytes(byte[])}: the body is skipped when the hook filled
     * the array; otherwise the hook is told the real output when the body returns normally.
     */
    static final class SecureBytes {
        @Advice.OnMethodEnter(skipOn = Advice.OnNonDefaultValue.class, suppress = Throwable.class)
        static boolean enter(@Advice.Argument(0) byte[] bytes, @Advice.Local("observed") boolean observed) {
            int decision = Values.enterSecureBytes(bytes);
            observed = decision == Values.SECURE_BYTES_OBSERVED;
            return decision == Values.SECURE_BYTES_REPLACED;
        }

        @Advice.OnMethodExit(onThrowable = Throwable.class, suppress = Throwable.class)
        static void exit(@Advice.Argument(0) byte[] bytes, @Advice.Local("observed") boolean observed,
                         @Advice.Thrown Throwable thrown) {
            if (observed) {
                Values.exitSecureBytes(bytes, thrown == null);
            }
        }
    }
}
