package dev.understudy.agent.bootstrap;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Builds the isolated world of the real agent and hands over to it.
 *
 * <h2>Isolation: a class loader, not relocation</h2>
 * Every dependency is shipped unmodified as a nested jar under
 * {@value NestedJars#LIB_PREFIX}, extracted once to a per-user cache ({@link NestedJars}) and
 * loaded by an {@link IsolatedClassLoader} whose parent is the platform loader. We chose this
 * over maven-shade relocation because:
 * <ul>
 *   <li>JNA must not be relocated (its native loader and {@code libjnidispatch} JNI symbols
 *       are bound to the {@code com.sun.jna} package name, STYLE.md rule 8) — only a separate
 *       class loader isolates it; once we need a loader for JNA, one loader for everything is
 *       the simplest consistent rule.</li>
 *   <li>Chronicle and Aeron find classes and resources by name (reflection, generated code,
 *       {@code ServiceLoader}); relocation breaks some of that silently, unmodified jars
 *       cannot.</li>
 *   <li>JNA extracts {@code libjnidispatch.so} from its own jar in the isolated loader into
 *       {@code jna.tmpdir} (default: a per-user directory under {@code java.io.tmpdir}) exactly
 *       as it does on a plain class path; the application's own JNA, if any, loads its own
 *       copy from its own class loader. Two JNAs coexist because JNI libraries are per class
 *       loader and each extraction is a separate file.</li>
 *   <li>The application class loader sees only {@code dev.understudy.agent.bootstrap}, which
 *       depends on the JDK alone.</li>
 * </ul>
 * The JVM-wide leftovers are system properties: {@code AgentBootstrap.ATTACHED_PROP}, and
 * {@code chronicle.analytics.disable=true} (set unless already set; the analytics jar is not
 * shipped either).
 *
 * <p>Module grants ({@link ModuleGrants}) are applied to the isolated loader's unnamed module
 * before any agent class is initialised.
 *
 * <p>Known limitation: on JDK 22+ the JVM prints its one-time "restricted method
 * {@code System::load} called by {@code com.sun.jna.Native}" warning when JNA loads its native
 * library. Native access can only be granted to named modules or to {@code ALL-UNNAMED}
 * (which would include the application), so the agent leaves it to the operator:
 * {@code --enable-native-access=ALL-UNNAMED} silences it. Loading our jars as a named module
 * layer would fix it properly.
 *
 * <p>The handover to {@code dev.understudy.agent.Agent#start(String, Instrumentation, Map)}
 * and {@code dev.understudy.agent.AgentCli#run(String[])} uses JDK types only, so no class of
 * ours is shared between the two loaders.
 */
public final class Launcher {
    /** The real agent's entry class, inside the isolated loader. */
    public static final String AGENT_CLASS = "dev.understudy.agent.Agent";
    /** The real command line's entry class, inside the isolated loader. */
    public static final String CLI_CLASS = "dev.understudy.agent.AgentCli";

    /** Kept for the life of the JVM: agent threads will hold classes of this loader. */
    private static volatile IsolatedClassLoader agentLoader;

    private Launcher() {
    }

    /**
     * Called by {@code AgentBootstrap} for {@code premain}/{@code agentmain}. May throw; the
     * caller turns any failure into one line on stderr.
     *
     * @param agentArgs the agent argument string, or {@code null}.
     * @param inst      the instrumentation handle.
     * @param how       {@code "premain"} or {@code "agentmain"}.
     * @param version   the agent version.
     * @throws Throwable whatever failed.
     */
    public static void launch(final String agentArgs, final Instrumentation inst, final String how, final String version)
        throws Throwable {
        final long start = System.nanoTime();
        System.getProperties().putIfAbsent("chronicle.analytics.disable", "true");
        final Path jar = agentJar();
        final List<Path> all = NestedJars.extract(jar, version);
        // The interceptors' hook jar goes to the bootstrap class path (inlined advice in java.base
        // calls it), never into the isolated loader: one copy of its classes in the JVM.
        final List<Path> jars = new java.util.ArrayList<>();
        Path hookJar = null;
        for (final Path p : all) {
            if (isHookJar(p)) {
                hookJar = p;
            } else {
                jars.add(p);
            }
        }
        final IsolatedClassLoader loader = new IsolatedClassLoader(NestedJars.urls(jars));
        agentLoader = loader;
        final ModuleGrants.Result grants = ModuleGrants.apply(inst, loader.getUnnamedModule());

        final Map<String, String> boot = new LinkedHashMap<>();
        boot.put("version", version);
        boot.put("attach", how);
        boot.put("agent.jar", jar.toString());
        boot.put("lib.dir", jars.get(0).getParent().toString());
        boot.put("lib.count", Integer.toString(jars.size()));
        boot.put("module.grants", grants.summary());
        boot.put("bootstrap.start.nanos", Long.toString(start));
        if (hookJar != null) {
            boot.put("hook.jar", hookJar.toString());
        }

        final Method startMethod = Class.forName(AGENT_CLASS, false, loader)
            .getMethod("start", String.class, Instrumentation.class, Map.class);
        invokeWithLoader(loader, startMethod, agentArgs, inst, boot);
    }

    /**
     * Called by {@code AgentBootstrap#main} for everything but {@code --version}.
     *
     * @param args    command-line arguments.
     * @param version the agent version.
     * @return the exit status.
     * @throws Throwable whatever failed.
     */
    public static int main(final String[] args, final String version) throws Throwable {
        final List<Path> jars = new java.util.ArrayList<>(NestedJars.extract(agentJar(), version));
        jars.removeIf(Launcher::isHookJar);
        final IsolatedClassLoader loader = new IsolatedClassLoader(NestedJars.urls(jars));
        agentLoader = loader;
        final Method run = Class.forName(CLI_CLASS, false, loader).getMethod("run", String[].class);
        return (Integer)invokeWithLoader(loader, run, (Object)args);
    }

    /**
     * For diagnostics and tests only ({@code AgentModuleGrantsIT} reaches Chronicle and Aeron
     * through it); production code never hands the loader to the application.
     *
     * @return the isolated loader of the running agent, or {@code null} before launch.
     */
    public static ClassLoader agentLoader() {
        return agentLoader;
    }

    private static Object invokeWithLoader(final ClassLoader loader, final Method method, final Object... args) throws Throwable {
        final Thread thread = Thread.currentThread();
        final ClassLoader previous = thread.getContextClassLoader();
        // Chronicle and ServiceLoader look at the context loader; the application's must not leak in.
        thread.setContextClassLoader(loader);
        try {
            return method.invoke(null, args);
        } catch (final InvocationTargetException e) {
            throw e.getCause();
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    /** The interceptors' hook jar ({@code understudy-interceptors-VERSION-hook.jar}). */
    static boolean isHookJar(final Path p) {
        final String name = p.getFileName().toString();
        return name.startsWith("understudy-interceptors-") && name.endsWith("-hook.jar");
    }

    private static Path agentJar() {
        try {
            return Path.of(Launcher.class.getProtectionDomain().getCodeSource().getLocation().toURI());
        } catch (final URISyntaxException | RuntimeException e) {
            throw new LaunchException("cannot locate the agent jar: " + e, e);
        }
    }
}
