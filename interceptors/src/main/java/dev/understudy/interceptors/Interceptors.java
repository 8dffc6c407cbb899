package dev.understudy.interceptors;

import static net.bytebuddy.matcher.ElementMatchers.nameStartsWith;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static net.bytebuddy.matcher.ElementMatchers.not;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import dev.understudy.interceptors.hook.Hooks;
import dev.understudy.interceptors.hook.SocketHook;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.agent.builder.AgentBuilder;
import net.bytebuddy.dynamic.scaffold.MethodGraph;
import net.bytebuddy.agent.builder.ResettableClassFileTransformer;
import net.bytebuddy.asm.Advice;
import net.bytebuddy.asm.AsmVisitorWrapper;
import net.bytebuddy.description.method.MethodDescription;
import net.bytebuddy.description.type.TypeDescription;
import net.bytebuddy.dynamic.DynamicType;
import net.bytebuddy.utility.JavaModule;

/**
 * Installs the socket interceptors: inlined ByteBuddy advice on the JDK's own {@code sun.nio.ch}
 * classes that reports every socket read, write, accept, shutdown and close, keyed by fd number,
 * to a {@link SocketHook} (see {@link Target} for the exact methods). One set of advice covers
 * {@code Socket}/{@code ServerSocket}, NIO channels (blocking, Selector, socket adaptor,
 * scattering/gathering), {@code AsynchronousSocketChannel} and virtual threads, on JDK 17 to 25.
 *
 * <p><b>Precondition:</b> the hook jar ({@code understudy-interceptors-<version>-hook.jar}, the
 * package {@code dev.understudy.interceptors.hook} alone) must already be on the bootstrap class
 * path — {@link Instrumentation#appendToBootstrapClassLoaderSearch} — and no other loader may have
 * defined {@link Hooks} first: advice inlined into {@code java.base} can only see bootstrap classes.
 * {@link #install} checks this and throws otherwise.
 *
 * <p>Not covered (JDK paths that bypass {@code SocketDispatcher}): {@code FileChannel.transferTo}
 * to a socket (sendfile), JDK 17's {@code -Djdk.net.usePlainSocketImpl}, native transports.
 *
 * <p>Thread-safe; one installation per JVM at a time.
 */
public final class Interceptors {

    private static ResettableClassFileTransformer installed;
    private static Instrumentation installedOn;

    private Interceptors() {
    }

    /**
     * Instruments the targets for the running JDK and installs {@code hook} in {@link Hooks}.
     * Targets that cannot be found or transformed are reported, not thrown: the rest are still
     * installed, and {@link InstallReport#ok()} says whether the caller can rely on them.
     *
     * @throws IllegalStateException if {@link Hooks} is not loaded by the bootstrap class loader,
     *                               if the JVM cannot retransform classes, or if already installed
     */
    public static synchronized InstallReport install(Instrumentation inst, SocketHook hook) {
        if (inst == null || hook == null) {
            throw new NullPointerException(inst == null ? "inst" : "hook");
        }
        if (installed != null) {
            throw new IllegalStateException("interceptors already installed: call uninstall() first");
        }
        ClassLoader hooksLoader = Hooks.class.getClassLoader();
        if (hooksLoader != null) {
            throw new IllegalStateException("dev.understudy.interceptors.hook.Hooks is loaded by " + hooksLoader
                    + ", expected the bootstrap class loader: append understudy-interceptors-<version>-hook.jar with"
                    + " Instrumentation.appendToBootstrapClassLoaderSearch before the first use of that package");
        }
        if (!inst.isRetransformClassesSupported()) {
            throw new IllegalStateException("this JVM cannot retransform classes: Can-Retransform-Classes missing"
                    + " from the agent manifest?");
        }
        // Load (without initialising) everything the transformation touches before it is active:
        // a class first loaded while the transformer runs can otherwise end in ClassCircularityError.
        forceLoad(Hooks.class.getName(), SocketHook.class.getName());

        String jdk = Runtime.version().toString();
        List<String> expected = new ArrayList<>();
        Map<String, String> missing = new LinkedHashMap<>();
        Map<String, List<Resolved>> byType = new LinkedHashMap<>();
        List<Resolved> inOrder = new ArrayList<>();
        for (Target target : Target.all()) {
            Resolved resolved = resolve(target, missing);
            if (resolved != null) {
                expected.add(resolved.label());
                inOrder.add(resolved);
                byType.computeIfAbsent(resolved.type.getName(), k -> new ArrayList<>()).add(resolved);
            } else {
                expected.add(target.name());
            }
        }

        Recorder recorder = new Recorder();
        Advice.WithCustomMapping advice = CustomMappings.advice();
        // Advice on declared methods needs no method graph of the whole hierarchy: computing one for
        // each target (Thread, ThreadPoolExecutor, the sun.nio.ch classes) took most of the JVM's start
        AgentBuilder builder = new AgentBuilder.Default(new ByteBuddy().with(MethodGraph.Compiler.ForDeclaredMethods.INSTANCE))
                .disableClassFormatChanges()
                .with(AgentBuilder.RedefinitionStrategy.RETRANSFORMATION)
                // every target in one retransformation (one per class walks every loaded class each
                // time: seconds of start-up); a rejected batch is retried class by class, so the
                // rejected class names itself
                .with(AgentBuilder.RedefinitionStrategy.BatchAllocator.ForTotal.INSTANCE)
                .with(new AgentBuilder.RedefinitionStrategy.Listener.BatchReallocator(
                        AgentBuilder.RedefinitionStrategy.BatchAllocator.ForFixedSize.ofSize(1)))
                .with((AgentBuilder.RedefinitionStrategy.Listener) recorder)
                .with((AgentBuilder.Listener) recorder)
                // the default ignore() skips bootstrap classes and would instrument nothing, silently
                .ignore(not(nameStartsWith("sun.nio.ch.").or(named("java.util.concurrent.ThreadPoolExecutor"))
                        .or(nameStartsWith("java.util.concurrent.ScheduledThreadPoolExecutor"))
                        .or(named("java.lang.Thread"))));
        for (Map.Entry<String, List<Resolved>> e : byType.entrySet()) {
            List<Resolved> targets = e.getValue();
            builder = builder.type(named(e.getKey())).transform((b, type, loader, module, domain) -> {
                DynamicType.Builder<?> result = b;
                for (Resolved r : targets) {
                    AsmVisitorWrapper visitor = advice.to(r.target.advice()).on(r.target.methods());
                    result = result.visit(visitor);
                }
                return result;
            });
        }

        Hooks.install(hook);
        try {
            installed = builder.installOn(inst);
            installedOn = inst;
        } catch (RuntimeException | Error e) {
            Hooks.uninstall();
            throw e;
        }

        List<String> transformed = new ArrayList<>();
        for (Resolved r : inOrder) {
            String typeName = r.type.getName();
            String error = recorder.errors.get(typeName);
            if (error != null) {
                missing.put(r.label(), error);
            } else if (recorder.transformed.containsKey(typeName)) {
                transformed.add(r.label());
            } else {
                missing.put(r.label(), "class was not retransformed");
            }
        }
        return new InstallReport(jdk, expected, transformed, missing);
    }

    /**
     * Removes the advice (retransforms the classes back) and the hook. Meant for tests; a running
     * agent keeps its interceptors for the life of the JVM. Does nothing when not installed.
     */
    public static synchronized void uninstall() {
        Hooks.uninstall();
        if (installed != null) {
            try {
                installed.reset(installedOn, AgentBuilder.RedefinitionStrategy.RETRANSFORMATION);
            } finally {
                installed = null;
                installedOn = null;
            }
        }
    }

    private static void forceLoad(String... extra) {
        List<String> names = new ArrayList<>(List.of(extra));
        for (Target target : Target.all()) {
            names.addAll(target.candidateTypes());
        }
        names.add("sun.nio.ch.IOUtil");
        names.add("sun.nio.ch.Net");
        for (String name : names) {
            try {
                Class.forName(name, false, null);
            } catch (ClassNotFoundException | LinkageError e) {
                // absent on this JDK: resolve() reports it if a target needed it
            }
        }
    }

    /** The first candidate type that declares a matching method, or {@code null} with the reason in {@code missing}. */
    private static Resolved resolve(Target target, Map<String, String> missing) {
        List<String> looked = new ArrayList<>();
        for (String typeName : target.candidateTypes()) {
            Class<?> type;
            try {
                type = Class.forName(typeName, false, null);
            } catch (ClassNotFoundException | LinkageError e) {
                looked.add(typeName + " absent");
                continue;
            }
            for (Method m : type.getDeclaredMethods()) {
                MethodDescription md = new MethodDescription.ForLoadedMethod(m);
                if (target.methods().matches(md)) {
                    return new Resolved(target, type, md);
                }
            }
            looked.add(typeName + " declares no match");
        }
        missing.put(target.name(), "not found on this JDK: " + String.join(", ", looked));
        return null;
    }

    private static final class Resolved {
        final Target target;
        final Class<?> type;
        final MethodDescription method;

        Resolved(Target target, Class<?> type, MethodDescription method) {
            this.target = target;
            this.type = type;
            this.method = method;
        }

        String label() {
            return target.name() + "=" + type.getName() + "." + method.getName();
        }
    }

    /** Collects what ByteBuddy transformed and what failed, from both listener interfaces. */
    private static final class Recorder extends AgentBuilder.Listener.Adapter
            implements AgentBuilder.RedefinitionStrategy.Listener {
        final Map<String, Boolean> transformed = new ConcurrentHashMap<>();
        final Map<String, String> errors = new ConcurrentHashMap<>();

        @Override
        public void onTransformation(TypeDescription typeDescription, ClassLoader classLoader, JavaModule module,
                                     boolean loaded, DynamicType dynamicType) {
            transformed.put(typeDescription.getName(), Boolean.TRUE);
        }

        @Override
        public void onError(String typeName, ClassLoader classLoader, JavaModule module, boolean loaded,
                            Throwable throwable) {
            errors.merge(typeName, describe(throwable), (a, b) -> a + "; " + b);
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
                errors.merge(type.getName(), "JVM rejected the retransformation: " + describe(throwable),
                        (a, b) -> a + "; " + b);
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
