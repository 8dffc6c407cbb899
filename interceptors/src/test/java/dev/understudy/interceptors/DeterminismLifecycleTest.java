package dev.understudy.interceptors;

import static dev.understudy.interceptors.DeterminismTest.onReplayThread;
import static net.bytebuddy.matcher.ElementMatchers.named;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLClassLoader;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import dev.understudy.interceptors.ScriptedValueHook.Mode;
import dev.understudy.interceptors.hook.ValueHook;
import dev.understudy.interceptors.hook.Values;
import net.bytebuddy.matcher.ElementMatcher;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Install, uninstall, install again; and the refusal when the hook package is not on the bootstrap loader. */
// three installs and uninstalls, each a retransformation of the JDK targets: seconds each on a loaded 2-core machine
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DeterminismLifecycleTest {

    /** One value of each kind, on the calling thread. */
    static List<Object> oneOfEach() {
        List<Object> out = new ArrayList<>();
        out.add(ThreadLocalRandom.current().nextLong());
        out.add(Instant.now());
        out.add(new Date().getTime());
        out.add(ClockApp.millis());
        out.add(ClockApp.nanos());
        out.add(new Random().nextLong());
        out.add(UUID.randomUUID());
        out.add(new SecureRandom().nextInt());
        return out;
    }

    // Mutation check (done once, JDK 17): with uninstall() only removing the hook (no reset of the
    // transformer), the hook installed into Values directly afterwards was still called and the
    // "nothing reaches" assertion failed.
    @Test
    void shouldGiveRealValuesAfterUninstallAndTheHooksAgainAfterReinstall() throws Exception {
        Instrumentation inst = BootstrapHookJar.instrumentation();
        ScriptedValueHook hook = new ScriptedValueHook();
        InstallReport first = Determinism.install(inst, hook, named(ClockApp.class.getName()));
        List<Object> scripted;
        try {
            assertTrue(first.ok(), first.describe());
            hook.reset(Mode.SCRIPT, 4);
            scripted = onReplayThread("replay-life-1", DeterminismLifecycleTest::oneOfEach);
            assertEquals(8, hook.log().size(), hook.log().toString());
            assertEquals(hook.returned("instant").get(0), scripted.get(1));
            assertEquals(hook.returned("millis"), List.of(scripted.get(2), scripted.get(3)));
        } finally {
            Determinism.uninstall();
        }
        assertNull(Values.installed());
        assertEquals(0, Determinism.applicationTypesTransformed());

        // the classes themselves are back: a hook put straight into Values is never called
        Values.install(hook);
        try {
            hook.reset(Mode.SCRIPT, 4);
            long wallBefore = System.currentTimeMillis();
            List<Object> real = onReplayThread("replay-life-2", DeterminismLifecycleTest::oneOfEach);
            assertEquals(List.of(), hook.log(), "nothing reaches the hook after uninstall");
            assertTrue(((Instant) real.get(1)).toEpochMilli() >= wallBefore, "real instant: " + real.get(1));
            assertTrue((Long) real.get(3) >= wallBefore, "real ClockApp.millis: " + real.get(3));
        } finally {
            Values.uninstall();
        }

        InstallReport again = Determinism.install(inst, hook, named(ClockApp.class.getName()));
        try {
            assertTrue(again.ok(), again.describe());
            assertEquals(first.expected(), again.expected());
            hook.reset(Mode.SCRIPT, 4);
            assertEquals(scripted, onReplayThread("replay-life-3", DeterminismLifecycleTest::oneOfEach),
                    "the same script gives the same values after a reinstall");
        } finally {
            Determinism.uninstall();
        }
    }

    @Test
    void shouldRefuseASecondInstall() {
        Instrumentation inst = BootstrapHookJar.instrumentation();
        ElementMatcher<Object> noApplication = type -> false;
        Determinism.install(inst, new ScriptedValueHook(), noApplication);
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> Determinism.install(inst, new ScriptedValueHook(), noApplication));
            assertTrue(e.getMessage().contains("already installed"), e.getMessage());
        } finally {
            Determinism.uninstall();
        }
        assertNull(Values.installed());
    }

    // Mutation check (done once, JDK 17): with the class-loader check removed from install(), this
    // test failed: install went ahead with a Values the inlined code could never reach.
    @Test
    void shouldRefuseToInstallWhenValuesIsNotLoadedByTheBootstrapLoader() throws Exception {
        URL classes = Determinism.class.getProtectionDomain().getCodeSource().getLocation();
        try (ChildFirst loader = new ChildFirst(new URL[] {classes}, DeterminismLifecycleTest.class.getClassLoader())) {
            Class<?> determinism = loader.loadClass(Determinism.class.getName());
            Class<?> hookType = loader.loadClass(ValueHook.class.getName());
            Object hook = java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {hookType},
                    (proxy, method, args) -> null);
            Method install = determinism.getMethod("install", Instrumentation.class, hookType, ElementMatcher.class);
            ElementMatcher<Object> none = type -> false;
            InvocationTargetException e = assertThrows(InvocationTargetException.class,
                    () -> install.invoke(null, BootstrapHookJar.instrumentation(), hook, none));
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("expected the bootstrap class loader"), e.getCause().getMessage());
        }
        assertNull(Values.installed(), "nothing installed");
    }

    /** Defines its own copies of our packages (ByteBuddy and the JDK come from the parent). */
    private static final class ChildFirst extends URLClassLoader {
        ChildFirst(URL[] urls, ClassLoader parent) {
            super(urls, parent);
        }

        @Override
        protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
            if (!name.startsWith("dev.understudy.interceptors.")) {
                return super.loadClass(name, resolve);
            }
            synchronized (getClassLoadingLock(name)) {
                Class<?> c = findLoadedClass(name);
                if (c == null) {
                    c = findClass(name);
                }
                return c;
            }
        }
    }
}
