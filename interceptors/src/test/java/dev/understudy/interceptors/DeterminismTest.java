package dev.understudy.interceptors;

import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.instrument.Instrumentation;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.Date;
import java.util.GregorianCalendar;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import dev.understudy.interceptors.ScriptedValueHook.Given;
import dev.understudy.interceptors.ScriptedValueHook.Mode;
import dev.understudy.interceptors.hook.Values;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The clock and randomness interceptors in this JVM, no mocks of the JDK: what the application
 * gets is what the hook decided. The hook acts on "replay-" threads only (the other threads of the
 * test JVM get real values), so each scenario runs on a fresh thread of that name.
 *
 * <p>Mutation checks (done once, JDK 17; a target left out of the install, a substitution emptied or
 * a check in {@code Values} removed, then restored) are noted at each test.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class DeterminismTest {

    static final String LATE_APP = "dev.understudy.interceptors.LateClockApp";
    static ScriptedValueHook hook;
    static InstallReport report;
    static boolean lateLoadedBeforeInstall;

    @BeforeAll
    static void install() throws Exception {
        Instrumentation inst = BootstrapHookJar.instrumentation();
        ClockApp.millis(); // loaded (and initialised) before the install: retransformed
        lateLoadedBeforeInstall = isLoaded(inst, LATE_APP);
        hook = new ScriptedValueHook();
        report = Determinism.install(inst, hook, namedOneOf(ClockApp.class.getName(), LATE_APP));
        // warm up every path once with real values, so the replays below do not include one-time JDK
        // initialisation (SecureRandom providers, time zones, calendar providers)
        onReplayThread("replay-warmup", DeterminismTest::scenario);
    }

    @AfterAll
    static void uninstall() {
        Determinism.uninstall();
    }

    static boolean isLoaded(Instrumentation inst, String name) {
        for (Class<?> c : inst.getAllLoadedClasses()) {
            if (c.getName().equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Runs {@code body} on a fresh thread named {@code name} and returns its result (or rethrows). */
    static <T> T onReplayThread(String name, Callable<T> body) throws Exception {
        AtomicReference<T> result = new AtomicReference<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                result.set(body.call());
            } catch (Throwable e) {
                failure.set(e);
            }
        }, name);
        t.start();
        t.join(TimeUnit.SECONDS.toMillis(30));
        assertFalse(t.isAlive(), name + " did not finish");
        if (failure.get() instanceof Exception e) {
            throw e;
        }
        if (failure.get() != null) {
            throw new AssertionError(failure.get());
        }
        return result.get();
    }

    /** Everything the application can read, in a fixed order; ThreadLocalRandom first, so it is this thread's first use. */
    static List<Object> scenario() {
        List<Object> out = new ArrayList<>();
        out.add(ThreadLocalRandom.current().nextLong());
        out.add(ThreadLocalRandom.current().nextLong());
        out.add(Instant.now());
        out.add(Clock.systemUTC().instant());
        out.add(LocalDateTime.now());
        out.add(new Date().getTime());
        out.add(Clock.systemUTC().millis());
        out.add(Calendar.getInstance().getTimeInMillis());
        out.add(new GregorianCalendar().getTimeInMillis());
        out.add(ClockApp.millis());
        out.add(ClockApp.millisInLambda());
        out.add(ClockApp.nanos());
        out.add(new Random().nextLong());
        out.add(UUID.randomUUID());
        byte[] bytes = new byte[20];
        new SecureRandom().nextBytes(bytes);
        out.add(Arrays.toString(bytes));
        out.add(new SecureRandom().nextLong());
        return out;
    }

    /** The kinds and values the hook handed out (byte arrays by content), without the real values. */
    static List<String> returnedValues(List<Given> log) {
        List<String> out = new ArrayList<>();
        for (Given g : log) {
            out.add(g.kind() + "=" + (g.returned() instanceof byte[] b ? Arrays.toString(b) : String.valueOf(g.returned())));
        }
        return out;
    }

    static List<Object> replay(String name, Mode mode, long script) throws Exception {
        hook.reset(mode, script);
        return onReplayThread(name, DeterminismTest::scenario);
    }

    // Mutation check (done once, JDK 17): with each JDK target left out of the install in turn
    // (Clock, Date, the two system clocks, GregorianCalendar, CalendarProviderImpl, Random,
    // SecureRandom), this test failed naming it "class was not retransformed". (An application
    // transform that substitutes nothing still counts as transformed here: the tests below catch it.)
    @Test
    void shouldReportEveryTargetTransformed() {
        assertTrue(report.ok(), report.describe());
        assertFalse(lateLoadedBeforeInstall, "LateClockApp must load after the install for this test to mean anything");
        List<String> expected = report.expected();
        for (String label : List.of("instant=java.time.Clock.currentInstant",
                "clock call sites=java.util.Date",
                "clock call sites=java.time.Clock$SystemClock",
                "clock call sites=java.time.Clock$SystemInstantSource",
                "clock call sites=java.util.GregorianCalendar",
                "clock call sites=sun.util.locale.provider.CalendarProviderImpl",
                "random seed=java.util.Random.<init>()",
                "secure bytes=java.security.SecureRandom.nextBytes",
                "thread-local random seed=java.util.concurrent.ThreadLocalRandom.localInit+nextSeed",
                "application=" + ClockApp.class.getName())) {
            assertTrue(expected.contains(label), label + " in " + expected);
            assertTrue(report.transformed().contains(label), label + " transformed: " + report.describe());
        }
        assertEquals(expected.size(), report.transformed().size());
    }

    // Mutation checks (done once, JDK 17), each disabled alone, each made this test fail: the
    // Clock.currentInstant advice, the Date, system-clock, GregorianCalendar and CalendarProviderImpl
    // substitutions, the application substitution, the Random advice, the SecureRandom advice (the
    // replays' results differed, or a value count fell short); the ThreadLocalRandom seeder
    // substitution and, alone, the thread-id substitution in nextSeed (the first two values, from
    // ThreadLocalRandom, differed between the replays).
    @Test
    void shouldHandTheApplicationTheHooksValuesSoThatTwoReplaysAreIdentical() throws Exception {
        List<Object> first = replay("replay-1", Mode.SCRIPT, 1);
        List<Given> given = hook.log();
        List<Object> instants = hook.returned("instant");
        List<Object> millis = hook.returned("millis");
        List<Object> nanos = hook.returned("nanos");
        List<Object> seeds = hook.returned("seed");
        List<Object> secure = hook.returned("secure");
        List<Object> second = replay("replay-2", Mode.SCRIPT, 1);
        assertEquals(returnedValues(given), returnedValues(hook.log()), "same calls, same order, same values");
        assertEquals(first, second, "same script, same application results");

        assertEquals(3, instants.size(), "Instant.now, Clock.instant, LocalDateTime.now: " + given);
        assertEquals(instants.get(0), first.get(2));
        assertEquals(instants.get(1), first.get(3));
        assertEquals(LocalDateTime.ofInstant((Instant) instants.get(2), ZoneId.systemDefault()), first.get(4));
        assertEquals(6, millis.size(), "Date, Clock.millis, Calendar, GregorianCalendar, ClockApp x2: " + given);
        for (int i = 0; i < 6; i++) {
            assertEquals(millis.get(i), first.get(5 + i), "millis " + i);
        }
        assertEquals(List.of(first.get(11)), nanos);
        assertEquals(1, seeds.size(), given::toString);
        assertEquals(new Random((Long) seeds.get(0)).nextLong(), first.get(12), "new Random() seeded by the hook");
        // UUID.randomUUID (16 bytes), nextBytes (20), SecureRandom.nextLong (next(32) twice: 4 bytes each)
        assertEquals(4, secure.size(), given::toString);
        assertEquals(Arrays.toString((byte[]) secure.get(1)), first.get(14));
        byte[] uuid = ((byte[]) secure.get(0)).clone();
        uuid[6] = (byte) ((uuid[6] & 0x0f) | 0x40); // as UUID.randomUUID sets version 4
        uuid[8] = (byte) ((uuid[8] & 0x3f) | 0x80); // and the IETF variant
        UUID u = (UUID) first.get(13);
        assertEquals(java.nio.ByteBuffer.wrap(uuid).getLong(0), u.getMostSignificantBits());
        assertEquals(java.nio.ByteBuffer.wrap(uuid).getLong(8), u.getLeastSignificantBits());
        assertEquals(1, hook.returned("tlr").size(), "one seeder draw for a fresh platform thread: " + given);

        List<Object> other = replay("replay-3", Mode.SCRIPT, 2);
        for (int i = 0; i < first.size(); i++) {
            assertNotEquals(first.get(i), other.get(i), "another script gives another value at " + i);
        }
    }

    // Mutation checks (done once, JDK 17): with Values.currentTimeMillis passing 0 instead of the real
    // clock, the "real millis" assertion failed; with any one target disabled (advice or
    // substitution, JDK or application, ThreadLocalRandom's seeder), one of the counts of what the
    // hook saw fell short.
    @Test
    void shouldGiveRealValuesThatMoveWhenTheHookPassesThemThrough() throws Exception {
        hook.reset(Mode.PASS, 0);
        long wallBefore = System.currentTimeMillis(); // this test class is not an application class: real
        List<Object> a = onReplayThread("replay-pass-a", () -> {
            List<Object> out = scenario();
            Thread.sleep(20);
            out.addAll(scenario());
            return out;
        });
        long wallAfter = System.currentTimeMillis();
        int n = a.size() / 2;
        for (int i : new int[] {2, 3}) {
            long ms = ((Instant) a.get(i)).toEpochMilli();
            assertTrue(ms >= wallBefore && ms <= wallAfter, "real instant " + a.get(i) + " in [" + wallBefore + ", " + wallAfter + "]");
            assertTrue(((Instant) a.get(n + i)).isAfter((Instant) a.get(i)), "time moves");
        }
        for (int i = 5; i <= 10; i++) {
            long ms = (Long) a.get(i);
            assertTrue(ms >= wallBefore && ms <= wallAfter, "real millis at " + i + ": " + ms);
            assertTrue((Long) a.get(n + i) >= ms + 20, "millis move at " + i);
        }
        assertTrue((Long) a.get(n + 11) - (Long) a.get(11) >= TimeUnit.MILLISECONDS.toNanos(20), "nanoTime moves");
        for (int i : new int[] {0, 12, 13, 14, 15}) {
            assertNotEquals(a.get(i), a.get(n + i), "fresh randomness at " + i);
        }
        // the hook saw every value, twice over: a primary records them all
        assertEquals(2 * 3, hook.returned("instant").size(), hook.log().toString());
        assertEquals(2 * 6, hook.returned("millis").size());
        assertEquals(2, hook.returned("nanos").size());
        assertEquals(2, hook.returned("seed").size());
        assertEquals(2 * 4, hook.returned("secure").size());
        assertEquals(1, hook.returned("tlr").size());
        for (Given g : hook.log()) {
            if (g.real() instanceof byte[] real) {
                assertArrayEquals(real, (byte[]) g.returned(), g.kind());
            } else {
                assertEquals(g.real(), g.returned(), g.kind());
            }
        }
        List<Object> b = onReplayThread("replay-pass-b", DeterminismTest::scenario);
        assertNotEquals(a.get(0), b.get(0), "another thread, another ThreadLocalRandom seed");
        assertEquals(2, hook.returned("tlr").size(), "one seeder draw per fresh thread: " + hook.log());
    }

    // Mutation check (done once, JDK 17): with Values.instant calling the hook without its
    // try/catch, the advice's own suppress = Throwable still kept the exception from the caller (the
    // instant stayed real), but nothing counted it and the "every throw counted" assertion failed.
    @Test
    void shouldNeverLetTheHooksExceptionsReachTheApplication() throws Exception {
        long errorsBefore = Values.errors();
        long callsBefore = hook.calls();
        long wallBefore = System.currentTimeMillis();
        List<Object> a = replay("replay-throw", Mode.THROW, 0);
        long wallAfter = System.currentTimeMillis();
        long calls = hook.calls() - callsBefore;
        // every value delivered: 3 instants, 6 millis, 1 nanos, 1 seed, 1 tlr, 4 secure (each enter
        // throws, the real body runs, then the exit throws too)
        assertEquals(3 + 6 + 1 + 1 + 1 + 4 * 2, calls);
        assertEquals(calls, Values.errors() - errorsBefore, "every throw counted");
        long ms = ((Instant) a.get(2)).toEpochMilli();
        assertTrue(ms >= wallBefore && ms <= wallAfter, "the real instant instead: " + a.get(2));
        assertTrue((Long) a.get(9) >= wallBefore && (Long) a.get(9) <= wallAfter, "the real millis instead");

        errorsBefore = Values.errors();
        hook.reset(Mode.NULL_INSTANT, 0);
        Instant now = onReplayThread("replay-null", Instant::now);
        assertTrue(now.toEpochMilli() >= wallBefore, "a null instant is replaced by the real one: " + now);
        assertEquals(1, Values.errors() - errorsBefore, "and counted");
    }

    // Mutation check (done once, JDK 17): with the guard check removed from Values.instant, the
    // hook's own Instant.now() re-entered it (recursing until a StackOverflowError, caught and
    // counted), and the application's instant was no longer the script's first: this test failed.
    @Test
    void shouldNotReenterTheHookForItsOwnClockAndRandomReads() throws Exception {
        long errorsBefore = Values.errors();
        Values.uninstall();
        ScriptedValueHook inner = new ScriptedValueHook();
        List<Object> seenInside = new ArrayList<>();
        Values.install(new DelegatingValueHook(inner) {
            @Override
            public Instant instant(Instant real) {
                seenInside.add(Instant.now());          // would recurse without the guard
                seenInside.add(new Random().nextInt()); // would be delivered without the guard
                seenInside.add(UUID.randomUUID());
                return super.instant(real);
            }
        });
        try {
            inner.reset(Mode.SCRIPT, 5);
            Instant now = onReplayThread("replay-reentrant", Instant::now);
            assertEquals(Instant.ofEpochSecond(2_000_000_000L + 5 * 1_000, 123_456_789), now, "k = 0: nothing else delivered first");
            assertEquals(1, inner.log().size(), "only the outer call delivered: " + inner.log());
            assertEquals(3, seenInside.size());
            assertEquals(errorsBefore, Values.errors());
        } finally {
            Values.uninstall();
            Values.install(hook);
        }
    }

    // Mutation check (done once, JDK 17): with Values.seed not skipping ByteBuddy's callers, the
    // transformation of LateClockApp as it loaded delivered RandomString's new Random() and this
    // test failed.
    @Test
    void shouldTransformApplicationClassesAsTheyLoadWithoutDeliveringByteBuddysOwnRandoms() throws Exception {
        long before = Determinism.applicationTypesTransformed();
        hook.reset(Mode.SCRIPT, 9);
        long[] late = onReplayThread("replay-late", () -> {
            Class<?> type = Class.forName(LATE_APP, true, DeterminismTest.class.getClassLoader());
            return new long[] {(Long) type.getDeclaredMethod("millis").invoke(null),
                (Long) type.getDeclaredMethod("nanos").invoke(null)};
        });
        assertEquals(List.of(late[0]), hook.returned("millis"), hook.log().toString());
        assertEquals(List.of(late[1]), hook.returned("nanos"));
        assertEquals(List.of(), hook.returned("seed"), "ByteBuddy's Randoms are not delivered: " + hook.log());
        assertEquals(before + 1, Determinism.applicationTypesTransformed());
        assertEquals(java.util.Map.of(), Determinism.applicationTypeFailures());
    }

    // Documents a limit (Determinism's "Not covered"); no advice to disable.
    @Test
    void shouldLeaveMethodReferencesToTheClockReal() throws Exception {
        hook.reset(Mode.SCRIPT, 3);
        long realBefore = System.nanoTime();
        long viaReference = onReplayThread("replay-ref", ClockApp::nanosThroughMethodReference);
        assertTrue(viaReference >= realBefore, "documented as not covered: the real nanoTime");
        assertEquals(List.of(), hook.log());
    }
}
