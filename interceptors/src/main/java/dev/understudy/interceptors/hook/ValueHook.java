package dev.understudy.interceptors.hook;

import java.time.Instant;

/**
 * Decides every clock value and every piece of randomness the application is given, from advice
 * and call-site substitutions inlined into the JDK and the application (see
 * {@code dev.understudy.interceptors.Determinism} for the exact call sites). Each method receives
 * the real value, already produced by the JDK, and returns the value the application sees: a
 * primary records the real value and returns it; a clone returns the value the primary recorded
 * at the same place. The hook decides; the interceptors only deliver the call.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li><b>Threads.</b> Called on the thread that reads the value (platform or virtual), from any
 *       number of threads at once. Implementations must be thread-safe.</li>
 *   <li><b>Do not block long.</b> The application's thread waits for the answer, and
 *       {@link #instant} in particular runs on every {@code Instant.now()} of the JVM, logging
 *       included. A replaying hook that waits for a value not yet received must bound the wait.</li>
 *   <li><b>Not filtered.</b> Calls come for every reader at the covered call sites, not only the
 *       application's request handling: {@code Instant.now()} in a logger, {@code SecureRandom}
 *       in TLS, a {@code ThreadLocalRandom} first used by a JDK pool or by
 *       {@code ConcurrentHashMap}'s contended counter, the agent's own threads unless they run
 *       inside {@link Values#suppressed(Runnable)}. The hook tells the calls it must key (by turn)
 *       from the rest.</li>
 *   <li><b>Re-entrancy.</b> While a hook method runs on a thread, that thread's clock and random
 *       reads are not delivered to the hook: a hook that logs with a timestamp, draws from a
 *       {@code ThreadLocalRandom} or creates a {@code Random} gets real values.</li>
 *   <li><b>Exceptions</b> never reach the application: {@link Values} catches every
 *       {@code Throwable}, counts it in {@link Values#errors()} and gives the application the real
 *       value (a {@code null} from {@link #instant} counts and is replaced the same way).</li>
 *   <li><b>Clocks must advance.</b> Values handed back for {@link #nanoTime} and
 *       {@link #currentTimeMillis} should not stand still for long: application code that spins on
 *       {@code while (System.nanoTime() < deadline)} ends only when the returned clock passes the
 *       deadline.</li>
 * </ul>
 * Same meaning on JDK 17 and JDK 25.
 */
public interface ValueHook {

    /**
     * A substituted call site of {@code System.currentTimeMillis()} returned {@code real}.
     *
     * @return the milliseconds since the epoch the caller sees
     */
    long currentTimeMillis(long real);

    /**
     * A substituted call site of {@code System.nanoTime()} returned {@code real}.
     *
     * @return the monotonic nanoseconds the caller sees
     */
    long nanoTime(long real);

    /**
     * {@code java.time.Clock.currentInstant()} returned {@code real}: behind {@code Instant.now()},
     * {@code Clock.systemUTC().instant()}, {@code LocalDateTime.now()} and every {@code now()} of
     * {@code java.time} that uses the system clock.
     *
     * @return the instant the caller sees, not {@code null}
     */
    Instant instant(Instant real);

    /**
     * A {@code new Random()} (the no-argument constructor, also through a subclass's
     * {@code super()}) was seeded with {@code real}.
     *
     * @param real a seed in {@code [0, 2^48)} such that {@code new Random(real)} produces the same
     *             sequence as the new instance (a {@code Random} keeps 48 bits of its seed)
     * @return the seed the new instance is given, through {@code setSeed}, if it differs from {@code real}
     */
    long randomSeed(long real);

    /**
     * A thread's {@code ThreadLocalRandom} is being initialised ({@code ThreadLocalRandom.localInit},
     * on the thread's first use) with a value drawn from the JDK's seeder.
     *
     * @param real the value the seeder handed out; the thread's seed is a fixed function of it
     *             ({@code RandomSupport.mixMurmur64}), so returning a recorded value gives the thread
     *             the recorded sequence. On JDK 21+ a virtual thread's first use may draw twice, for
     *             itself and for its carrier.
     * @return the value the thread's seed is made from. While a hook is installed, the thread's
     *         sequence depends on nothing else: JDK 17+ add twice the thread's id to the seed at
     *         every step ({@code ThreadLocalRandom.nextSeed}), and ids differ between JVMs, so the
     *         interceptors leave the id out of the step (as JDK 16 and earlier did).
     */
    long threadLocalRandomSeed(long real);

    /**
     * {@code SecureRandom.nextBytes(bytes)} is about to run (covers {@code UUID.randomUUID()} and
     * the {@code nextInt}/{@code nextLong} of a {@code SecureRandom}).
     *
     * @param bytes the caller's array, to fill in full or not at all; do not keep it
     * @return {@code true} if the hook filled {@code bytes}: the real generator is skipped (its state
     *         does not advance); {@code false} to let it run, followed by {@link #onSecureBytes}
     */
    boolean replaceSecureBytes(byte[] bytes);

    /**
     * The real {@code SecureRandom.nextBytes} ran, after {@link #replaceSecureBytes} returned
     * {@code false}, and completed normally: {@code bytes} holds its output (what a primary
     * records). Calls the generator makes from inside its own {@code nextBytes} are not reported.
     *
     * @param bytes the caller's array; do not keep or change it
     */
    void onSecureBytes(byte[] bytes);
}
