package dev.understudy.interceptors;

import static net.bytebuddy.matcher.ElementMatchers.any;
import static net.bytebuddy.matcher.ElementMatchers.isConstructor;
import static net.bytebuddy.matcher.ElementMatchers.isDeclaredBy;
import static net.bytebuddy.matcher.ElementMatchers.isStatic;
import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.namedOneOf;
import static net.bytebuddy.matcher.ElementMatchers.none;
import static net.bytebuddy.matcher.ElementMatchers.not;
import static net.bytebuddy.matcher.ElementMatchers.takesArguments;

import java.io.IOException;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import dev.understudy.interceptors.hook.ValueHook;
import dev.understudy.interceptors.hook.Values;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.asm.MemberSubstitution;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.ClassFileLocator;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.matcher.ElementMatcher;
import net.bytebuddy.utility.JavaModule;

/**
 * Installs the value side of determinism: every clock value and every piece of randomness the
 * covered call sites give the application passes through a {@link ValueHook}, which records it on
 * a primary and hands the recorded value back on a clone (DESIGN.md "Determinism", JVM.md
 * "Controlling the clock and randomness"). The hook decides; this class only delivers the calls.
 *
 * <h2>Covered (JDK 17 and 25, same targets)</h2>
 * <ul>
 *   <li><b>{@code java.time.Clock.currentInstant()}</b> (package-private, static), exit advice: the
 *       instant it returns is {@link ValueHook#instant}'s. Behind {@code Instant.now()},
 *       {@code Clock.systemUTC().instant()}, {@code Clock.systemDefaultZone().instant()},
 *       {@code LocalDateTime.now()}, {@code ZonedDateTime.now()}, {@code OffsetDateTime.now()},
 *       {@code LocalDate.now()}, {@code LocalTime.now()} and the JDK HTTP server's {@code Date}
 *       header.</li>
 *   <li><b>{@code System.currentTimeMillis()} and {@code System.nanoTime()}</b>, which are native
 *       (advice has no body to run in; a native-method prefix on the loaded {@code System} is a class
 *       format change): their call sites are replaced ({@code MemberSubstitution}) by
 *       {@link Values#currentTimeMillis()} and {@link Values#nanoTime()}, which make the real call and
 *       pass the value through the hook, in
 *       <ul>
 *         <li>the application classes that {@code applicationTypes} selects, loaded by a class loader
 *             other than the bootstrap and platform loaders: transformed when they load,
 *             retransformed if they are already loaded;</li>
 *         <li>{@code java.util.Date} ({@code new Date()}), {@code java.time.Clock$SystemClock} and
 *             {@code java.time.Clock$SystemInstantSource} ({@code millis()} of
 *             {@code Clock.systemUTC()}, {@code systemDefaultZone()}, {@code InstantSource.system()}),
 *             {@code java.util.GregorianCalendar} ({@code new GregorianCalendar()}) and
 *             {@code sun.util.locale.provider.CalendarProviderImpl} ({@code Calendar.getInstance()}).
 *             Each must hold at least one call site, counted in its class file at install, or it is
 *             reported missing. {@code java.util.Calendar$Builder}, which JVM.md lists, holds none on
 *             17.0.15 or 25.0.3 ({@code build()} without an instant computes from the fields, not
 *             the clock) and is not a target.</li>
 *       </ul></li>
 *   <li><b>{@code new Random()}</b> (the no-argument constructor, also when a subclass's constructor
 *       calls it), exit advice: the real seed is read back from the constructed state (exact: a
 *       {@code Random} keeps 48 bits) and the instance re-seeded with {@link ValueHook#randomSeed}'s
 *       choice if it differs. {@code Random}s created by ByteBuddy itself (it creates some while it
 *       transforms classes) are not delivered. {@code new Random(seed)} is deterministic already.</li>
 *   <li><b>{@code SecureRandom.nextBytes(byte[])}</b>, enter advice that skips the body when
 *       {@link ValueHook#replaceSecureBytes} filled the array, exit advice that reports the real
 *       output otherwise ({@link ValueHook#onSecureBytes}). Covers {@code UUID.randomUUID()} and
 *       {@code SecureRandom}'s {@code nextInt}/{@code nextLong}/{@code nextDouble} (through
 *       {@code next(int)}), and TLS's randomness.</li>
 *   <li><b>{@code ThreadLocalRandom}'s per-thread sequences</b>: in {@code ThreadLocalRandom.localInit()}
 *       the call {@code seeder.getAndAdd(SEEDER_INCREMENT)} is replaced by
 *       {@link Values#threadLocalRandomSeed}, so {@link ValueHook#threadLocalRandomSeed} decides the
 *       value each thread's seed is made from, on the thread's first {@code ThreadLocalRandom.current()}.
 *       That alone is not enough (JVM.md says otherwise): on 17 and 25 {@code nextSeed()} adds twice
 *       the thread's id ({@code getId()}, {@code threadId()}) to the seed at every step, and ids differ
 *       between JVMs, so that call is replaced by {@link Values#threadLocalRandomId}, which gives 0
 *       while a hook is installed (the step of JDK 16 and earlier).</li>
 * </ul>
 *
 * <h2>Not covered</h2>
 * <ul>
 *   <li>Clock reads through reflection, {@code MethodHandles} lookups and method references
 *       ({@code System::nanoTime}, an {@code invokedynamic}: its handle would need rewriting), and
 *       {@code System.currentTimeMillis}/{@code nanoTime} call sites in classes that are neither
 *       application classes nor listed above (libraries the matcher does not select, the rest of
 *       the JDK).</li>
 *   <li>{@code Set.of}/{@code Map.of} iteration order (a salt fixed at VM start-up) and the
 *       {@code ThreadLocalRandom} seeder's own initial value and the probe and secondary seeds:
 *       fixed before premain; only what each thread draws from the seeder is decided.</li>
 *   <li>{@code SecureRandom.nextBytes(byte[], SecureRandomParameters)}, {@code generateSeed},
 *       {@code SecureRandom.getSeed}, {@code SplittableRandom} and the {@code RandomGenerator}
 *       factories ({@code RandomGeneratorFactory}).</li>
 *   <li>File times, CPU times ({@code ThreadMXBean}), {@code Runtime} uptime.</li>
 *   <li>Timeouts stay real on purpose (they bound waits, they are not values the application
 *       computes with): AQS {@code awaitNanos} and timed {@code tryAcquire}/{@code park},
 *       {@code ScheduledThreadPoolExecutor} trigger times, {@code java.util.Timer}, selector and poll
 *       waits, {@code Thread.sleep}, {@code Object.wait}, {@code Thread.join},
 *       {@code ReferenceQueue.remove}, the HTTP server's idle timers.</li>
 * </ul>
 *
 * <p><b>Precondition:</b> as for {@link Interceptors}, the hook jar must already be on the bootstrap
 * class path, and {@link Values} loaded from it; {@link #install} checks this and throws otherwise.
 * {@code applicationTypes} should select the application's own classes only: a library or the
 * agent selected by it reads the hook's clock too. ByteBuddy's classes and the hook package are
 * never transformed.
 *
 * <p>Independent of {@link Interceptors} (its own transformer, its own targets). Thread-safe; one
 * installation per JVM at a time.
 */
public final class Determinism {

    private static final String HOOK_PACKAGE = "dev.understudy.interceptors.hook.";
    private static final String SYSTEM = "java/lang/System";
    private static final int MAX_FAILURES_KEPT = 64;

    private static ResettableClassFileTransformer installed;
    private static Instrumentation installedOn;
    private static volatile Recorder recorder;

    private Determinism() {
    }

    /**
     * Instruments the clock and randomness targets for the running JDK, and the application classes
     * {@code applicationTypes} selects, and installs {@code hook} in {@link Values}. Targets that
     * cannot be found or transformed are reported, not thrown: the rest are still installed, and
     * {@link InstallReport#ok()} says whether the caller can rely on them. The report names every
     * JDK target ({@code name=class.method}) and every application class retransformed at install
     * ({@code application=class}); classes that load later are counted by
     * {@link #applicationTypesTransformed()}.
     *
     * @throws IllegalStateException if {@link Values} is not loaded by the bootstrap class loader, if
     *                               the JVM cannot retransform classes, or if already installed
     */
    public static synchronized InstallReport install(Instrumentation inst, ValueHook hook,
                                                     ElementMatcher<? super TypeDescription> applicationTypes) {
        if (inst == null || hook == null || applicationTypes == null) {
            throw new NullPointerException(inst == null ? "inst" : hook == null ? "hook" : "applicationTypes");
        }
        if (installed != null) {
            throw new IllegalStateException("determinism interceptors already installed: call uninstall() first");
        }
        ClassLoader valuesLoader = Values.class.getClassLoader();
        if (valuesLoader != null) {
            throw new IllegalStateException("dev.understudy.interceptors.hook.Values is loaded by " + valuesLoader
                    + ", expected the bootstrap class loader: append understudy-interceptors-<version>-hook.jar with"
                    + " Instrumentation.appendToBootstrapClassLoaderSearch before the first use of that package");
        }
        if (!inst.isRetransformClassesSupported()) {
            throw new IllegalStateException("this JVM cannot retransform classes: Can-Retransform-Classes missing"
                    + " from the agent manifest?");
        }
        forceLoad();
        // ByteBuddy's package wherever the agent relocated it: its own new Random() is not delivered
        String byteBuddy = ByteBuddy.class.getPackageName() + ".";
        Values.skipRandomsCreatedBy(byteBuddy);

        String jdk = Runtime.version().toString();
        List<String> expected = new ArrayList<>();
        Map<String, String> missing = new LinkedHashMap<>();
        Map<String, String> labels = new LinkedHashMap<>(); // JDK type name -> report label
        resolveJdkTargets(expected, missing, labels);

        Recorder rec = new Recorder(labels.keySet());
        AsmVisitorWrapper clockSites = clockSubstitution().on(any());
        // ByteBuddy ignores synthetic methods by default: lambda bodies would keep the real clock
        // (and only declared methods are visited: no method graph of the whole hierarchy, which would
        // dominate the JVM's start — every application class is transformed)
        AgentBuilder.Identified.Extendable builder = new AgentBuilder.Default(new ByteBuddy().ignore(none())
                .with(net.bytebuddy.dynamic.scaffold.MethodGraph.Compiler.ForDeclaredMethods.INSTANCE))
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                // every target in one retransformation (one per class walks every loaded class each
                // time: seconds of start-up); a rejected batch is retried class by class, so the
                // rejected class names itself
                .with(AgentBuilder.RedefinitionStrategy.BatchAllocator.ForTotal.INSTANCE)
                .with(new AgentBuilder.RedefinitionStrategy.Listener.BatchReallocator(
                        AgentBuilder.RedefinitionStrategy.BatchAllocator.ForFixedSize.ofSize(1)))
                .with((AgentBuilder.RedefinitionStrategy.Listener) rec)
                .with((AgentBuilder.Listener) rec)
                // replaces the default ignore(), which skips bootstrap classes and would instrument no
                // JDK target, silently: the JDK is ignored but for the named targets
                .ignore(not(namedOneOf(labels.keySet().toArray(new String[0]))), new JdkLoaders())
                .or(nameStartsWith(byteBuddy))
                .or(nameStartsWith(HOOK_PACKAGE))
                .type(new ApplicationTypes(applicationTypes), new ApplicationLoaders())
                .transform((b, type, loader, module, domain) -> b.visit(clockSites));
        for (String typeName : labels.keySet()) {
            AsmVisitorWrapper visitor = visitorFor(typeName, clockSites);
            builder = builder.type(named(typeName)).transform((b, type, loader, module, domain) -> b.visit(visitor));
        }

        Values.install(hook);
        try {
            recorder = rec;
            installed = builder.installOn(inst);
            installedOn = inst;
        } catch (RuntimeException | Error e) {
            Values.uninstall();
            recorder = null;
            throw e;
        } finally {
            rec.installing = false;
        }

        List<String> transformed = new ArrayList<>();
        for (Map.Entry<String, String> e : labels.entrySet()) {
            String error = rec.errors.get(e.getKey());
            if (error != null) {
                missing.put(e.getValue(), error);
            } else if (rec.transformedJdk.containsKey(e.getKey())) {
                transformed.add(e.getValue());
            } else {
                missing.put(e.getValue(), "class was not retransformed");
            }
        }
        for (String type : rec.applicationAtInstall) {
            String label = "application=" + type;
            expected.add(label);
            String error = rec.applicationFailures.get(type);
            if (error != null) {
                missing.put(label, error);
            } else {
                transformed.add(label);
            }
        }
        return new InstallReport(jdk, expected, transformed, missing);
    }

    /**
     * Removes the advice and substitutions (retransforms the classes back, application classes
     * included) and the hook. Meant for tests; a running agent keeps them for the life of the JVM.
     * Does nothing when not installed.
     */
    public static synchronized void uninstall() {
        Values.uninstall();
        if (installed != null) {
            try {
                installed.reset(installedOn, AgentBuilder.RedefinitionStrategy.RETRANSFORMATION);
            } finally {
                installed = null;
                installedOn = null;
                recorder = null;
            }
        }
    }

    /** Application classes given clock substitutions since {@link #install} (at install and as they loaded); 0 when not installed. */
    public static long applicationTypesTransformed() {
        Recorder rec = recorder;
        return rec == null ? 0 : rec.applicationTransformed.get();
    }

    /**
     * Application classes ByteBuddy or the JVM refused to transform since {@link #install}, with the
     * reason (the first {@value #MAX_FAILURES_KEPT}); those classes run with the real clock.
     */
    public static Map<String, String> applicationTypeFailures() {
        Recorder rec = recorder;
        return rec == null ? Map.of() : Collections.unmodifiableMap(new LinkedHashMap<>(rec.applicationFailures));
    }

    // ---- targets -------------------------------------------------------------------------------

    /** Clock call sites: each group needs one class that exists and calls the clock. */
    private static final List<List<String>> CLOCK_SITE_GROUPS = List.of(
            List.of("java.util.Date"),
            List.of("java.time.Clock$SystemClock", "java.time.Clock$SystemInstantSource"),
            List.of("java.util.GregorianCalendar"),
            List.of("sun.util.locale.provider.CalendarProviderImpl"));

    private static final String CLOCK = "java.time.Clock";
    private static final String RANDOM = "java.util.Random";
    private static final String SECURE_RANDOM = "java.security.SecureRandom";
    private static final String THREAD_LOCAL_RANDOM = "java.util.concurrent.ThreadLocalRandom";

    /** Checks each JDK target on the running JDK; found ones go to {@code labels}, the rest to {@code missing}. */
    private static void resolveJdkTargets(List<String> expected, Map<String, String> missing,
                                          Map<String, String> labels) {
        String instant = "instant";
        try {
            Method m = Class.forName(CLOCK, false, null).getDeclaredMethod("currentInstant");
            if (Modifier.isStatic(m.getModifiers()) && m.getReturnType() == Instant.class) {
                accept(instant, CLOCK, "currentInstant", expected, labels);
            } else {
                reject(instant, "java.time.Clock.currentInstant() is not a static method returning Instant", expected, missing);
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            reject(instant, "not found on this JDK: " + e, expected, missing);
        }

        for (List<String> group : CLOCK_SITE_GROUPS) {
            String name = "clock call sites";
            List<String> looked = new ArrayList<>();
            int found = 0;
            for (String typeName : group) {
                int sites = clockSites(typeName);
                if (sites > 0) {
                    accept(name, typeName, null, expected, labels);
                    found++;
                } else {
                    looked.add(typeName + (sites < 0 ? " absent" : " calls neither currentTimeMillis nor nanoTime"));
                }
            }
            if (found == 0) {
                reject(name + "(" + String.join("|", group) + ")", "not found on this JDK: " + String.join(", ", looked),
                        expected, missing);
            }
        }

        String seed = "random seed";
        try {
            Class<?> random = Class.forName(RANDOM, false, null);
            random.getDeclaredConstructor();
            Field f = random.getDeclaredField("seed");
            if (f.getType() == AtomicLong.class) {
                accept(seed, RANDOM, "<init>()", expected, labels);
            } else {
                reject(seed, "java.util.Random.seed is a " + f.getType().getName() + ", expected AtomicLong", expected, missing);
            }
        } catch (ReflectiveOperationException | LinkageError e) {
            reject(seed, "not found on this JDK: " + e, expected, missing);
        }

        String bytes = "secure bytes";
        try {
            Class.forName(SECURE_RANDOM, false, null).getDeclaredMethod("nextBytes", byte[].class);
            accept(bytes, SECURE_RANDOM, "nextBytes", expected, labels);
        } catch (ReflectiveOperationException | LinkageError e) {
            reject(bytes, "not found on this JDK: " + e, expected, missing);
        }

        // one class, two call sites: both must be there, or the thread's sequence is not decided
        String tlr = "thread-local random seed";
        int draws = count(THREAD_LOCAL_RANDOM, "localInit", "java/util/concurrent/atomic/AtomicLong", "getAndAdd", "(J)J");
        int ids = count(THREAD_LOCAL_RANDOM, "nextSeed", "java/lang/Thread", "getId", "()J")
                + count(THREAD_LOCAL_RANDOM, "nextSeed", "java/lang/Thread", "threadId", "()J");
        if (draws > 0 && ids > 0) {
            accept(tlr, THREAD_LOCAL_RANDOM, "localInit+nextSeed", expected, labels);
        } else if (draws < 0) {
            reject(tlr, "java.util.concurrent.ThreadLocalRandom absent", expected, missing);
        } else {
            reject(tlr, draws == 0 ? "ThreadLocalRandom.localInit does not call AtomicLong.getAndAdd (the seeder)"
                    : "ThreadLocalRandom.nextSeed calls neither Thread.getId nor Thread.threadId", expected, missing);
        }
    }

    private static void accept(String name, String typeName, String method, List<String> expected,
                               Map<String, String> labels) {
        String label = name + "=" + typeName + (method == null ? "" : "." + method);
        expected.add(label);
        labels.put(typeName, label);
    }

    private static void reject(String name, String reason, List<String> expected, Map<String, String> missing) {
        expected.add(name);
        missing.put(name, reason);
    }

    /** Call sites of {@code System.currentTimeMillis()} and {@code System.nanoTime()} in a JDK class; -1 if absent. */
    private static int clockSites(String typeName) {
        int millis = count(typeName, null, SYSTEM, "currentTimeMillis", "()J");
        return millis < 0 ? -1 : millis + count(typeName, null, SYSTEM, "nanoTime", "()J");
    }

    /** Invocations of {@code owner.name descriptor} in the JDK class's file; -1 if the class is absent. */
    private static int count(String typeName, String inMethod, String owner, String name, String descriptor) {
        try {
            ClassFileLocator.Resolution resolution = ClassFileLocator.ForClassLoader.ofBootLoader().locate(typeName);
            if (!resolution.isResolved()) {
                return -1;
            }
            return CallSites.count(resolution.resolve(), inMethod, owner, name, descriptor);
        } catch (IOException | RuntimeException e) {
            return -1;
        }
    }

    private static MemberSubstitution clockSubstitution() {
        try {
            // Resolving each call instruction's target through a method graph of its owner's whole
            // hierarchy (the default) took most of a JVM's start: every application class is
            // transformed. The two targets are declared by System, which the declared methods find;
            // any other call is left alone (relaxed), as it was.
            return MemberSubstitution.relaxed()
                    .with(net.bytebuddy.dynamic.scaffold.MethodGraph.Compiler.ForDeclaredMethods.INSTANCE)
                    .method(named("currentTimeMillis").and(takesArguments(0)).and(isDeclaredBy(System.class)))
                    .replaceWith(Values.class.getMethod("currentTimeMillis"))
                    .method(named("nanoTime").and(takesArguments(0)).and(isDeclaredBy(System.class)))
                    .replaceWith(Values.class.getMethod("nanoTime"));
        } catch (NoSuchMethodException e) {
            throw new IllegalStateException("hook jar does not match the interceptors: " + e.getMessage(), e);
        }
    }

    private static AsmVisitorWrapper visitorFor(String typeName, AsmVisitorWrapper clockSites) {
        switch (typeName) {
            case CLOCK:
                return Advice.to(ValueAdvice.CurrentInstant.class)
                        .on(named("currentInstant").and(isStatic()).and(takesArguments(0)));
            case RANDOM:
                return Advice.to(ValueAdvice.NewRandom.class).on(isConstructor().and(takesArguments(0)));
            case SECURE_RANDOM:
                return Advice.to(ValueAdvice.SecureBytes.class).on(named("nextBytes").and(takesArguments(byte[].class)));
            case THREAD_LOCAL_RANDOM:
                try {
                    return new AsmVisitorWrapper.Compound(
                            MemberSubstitution.relaxed()
                                    .method(named("getAndAdd").and(takesArguments(long.class))
                                            .and(isDeclaredBy(AtomicLong.class)))
                                    .replaceWith(Values.class.getMethod("threadLocalRandomSeed", AtomicLong.class, long.class))
                                    .on(named("localInit")),
                            MemberSubstitution.relaxed()
                                    .method(namedOneOf("getId", "threadId").and(takesArguments(0))
                                            .and(isDeclaredBy(Thread.class)))
                                    .replaceWith(Values.class.getMethod("threadLocalRandomId", Thread.class))
                                    .on(named("nextSeed")));
                } catch (NoSuchMethodException e) {
                    throw new IllegalStateException("hook jar does not match the interceptors: " + e.getMessage(), e);
                }
            default:
                return clockSites;
        }
    }

    /**
     * Loads (and for the hook package, initialises) everything the transformation and the inlined
     * code touch before the transformer is active: a class first loaded while it runs can otherwise
     * end in {@code ClassCircularityError}.
     */
    private static void forceLoad() {
        Set<String> names = new LinkedHashSet<>(List.of(
                ValueHook.class.getName(), Values.class.getName(), Instant.class.getName(), AtomicLong.class.getName(),
                CLOCK, RANDOM, SECURE_RANDOM, THREAD_LOCAL_RANDOM, "java.lang.StackWalker"));
        for (List<String> group : CLOCK_SITE_GROUPS) {
            names.addAll(group);
        }
        for (String name : names) {
            try {
                Class.forName(name, name.startsWith(HOOK_PACKAGE), null);
            } catch (ClassNotFoundException | LinkageError e) {
                // absent on this JDK: resolveJdkTargets() reports it if a target needed it
            }
        }
        Values.installed(); // Values' static initialiser has loaded its guards and the stack walker
    }

    /** The JDK's loaders: bootstrap ({@code null}) and platform. */
    private static final class JdkLoaders implements ElementMatcher<ClassLoader> {
        private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

        @Override
        public boolean matches(ClassLoader loader) {
            return loader == null || loader == platform;
        }
    }

    /** Any loader but the JDK's: application classes never include the JDK, whatever the matcher says. */
    private static final class ApplicationLoaders implements ElementMatcher<ClassLoader> {
        private final JdkLoaders jdk = new JdkLoaders();

        @Override
        public boolean matches(ClassLoader loader) {
            return !jdk.matches(loader);
        }
    }

    /** The caller's matcher, typed for {@code AgentBuilder.type}. */
    private static final class ApplicationTypes implements ElementMatcher<TypeDescription> {
        private final ElementMatcher<? super TypeDescription> delegate;

        ApplicationTypes(ElementMatcher<? super TypeDescription> delegate) {
            this.delegate = delegate;
        }

        @Override
        public boolean matches(TypeDescription type) {
            return delegate.matches(type);
        }
    }

    /** Collects what ByteBuddy transformed and what failed, JDK targets apart from application classes. */
    private static final class Recorder extends AgentBuilder.Listener.Adapter
            implements AgentBuilder.RedefinitionStrategy.Listener {
        final Set<String> jdkTypes;
        final Map<String, Boolean> transformedJdk = new ConcurrentHashMap<>();
        final Map<String, String> errors = new ConcurrentHashMap<>();
        final Set<String> applicationAtInstall = Collections.synchronizedSet(new LinkedHashSet<>());
        final Map<String, String> applicationFailures = new ConcurrentHashMap<>();
        final AtomicLong applicationTransformed = new AtomicLong();
        volatile boolean installing = true;

        Recorder(Set<String> jdkTypes) {
            this.jdkTypes = Set.copyOf(jdkTypes);
        }

        @Override
        public void onTransformation(TypeDescription typeDescription, ClassLoader classLoader, JavaModule module,
                                     boolean loaded, DynamicType dynamicType) {
            String name = typeDescription.getName();
            if (jdkTypes.contains(name) && classLoader == null) {
                transformedJdk.put(name, Boolean.TRUE);
            } else {
                applicationTransformed.incrementAndGet();
                if (installing) {
                    applicationAtInstall.add(name);
                }
            }
        }

        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
                            Throwable throwable) {
            failed(typeName, classLoader == null, describe(throwable));
        }

        private void failed(String typeName, boolean bootstrap, String reason) {
            if (jdkTypes.contains(typeName) && bootstrap) {
                errors.merge(typeName, reason, (a, b) -> a + "; " + b);
                return;
            }
            if (installing) {
                applicationAtInstall.add(typeName);
            }
            if (applicationFailures.size() < MAX_FAILURES_KEPT || applicationFailures.containsKey(typeName)) {
                applicationFailures.merge(typeName, reason, (a, b) -> a + "; " + b);
            }
        }

        @Override
        public void onBatch(int index, List<Class<?>> batch, List<Class<?>> types) {
        }

        @Override
        public Iterable<? extends List<Class<?>>> onError(int index, List<Class<?>> batch, Throwable throwable,
                                                          List<Class<?>> types) {
            // the JVM rejected the retransformed bytes (e.g. VerifyError); a batch of several is
            // retried class by class (BatchReallocator), and only a class rejected alone is failed
            if (batch.size() > 1) {
                return List.of();
            }
            for (Class<?> type : batch) {
                failed(type.getName(), type.getClassLoader() == null,
                        "JVM rejected the retransformation: " + describe(throwable));
            }
            return List.of();
        }

        @Override
        public void onComplete(int amount, List<Class<?>> types, Map<List<Class<?>>, Throwable> failures) {
        }

        private static String describe(Throwable t) {
            return t.getClass().getName() + ": " + t.getMessage();
        }
    }
}
