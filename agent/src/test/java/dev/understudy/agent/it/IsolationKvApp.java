package dev.understudy.agent.it;

import com.sun.jna.Native;
import dev.understudy.apps.NioKvServer;
import net.bytebuddy.ByteBuddy;
import net.bytebuddy.implementation.FixedValue;
import net.bytebuddy.matcher.ElementMatchers;

/**
 * A server that ships its own JNA and ByteBuddy ({@link AgentIsolationPrimaryIT} puts JNA 5.13.0
 * and ByteBuddy 1.14.18 on its class path) and uses both before it serves: a native call through
 * JNA and a ByteBuddy subclass whose method it calls; then it runs {@link NioKvServer} on the
 * port given. Prints what it got, one {@code isolation-kv-app:} line each.
 *
 * <p>Compiled against the agent module's versions; it only uses API present in both.
 */
public final class IsolationKvApp {
    private IsolationKvApp() {
    }

    public static void main(final String[] args) throws Exception {
        final IsolationApp.CLib libc = Native.load("c", IsolationApp.CLib.class);
        final boolean pidOk = libc.getpid() == ProcessHandle.current().pid();
        final Object made = new ByteBuddy().subclass(Object.class).name("dev.understudy.agent.it.GeneratedKv")
            .method(ElementMatchers.named("toString")).intercept(FixedValue.value("made-by-app-bytebuddy"))
            .make().load(IsolationKvApp.class.getClassLoader()).getLoaded().getDeclaredConstructor().newInstance();
        System.out.println("isolation-kv-app: jna=" + jarVersion(Native.class) + " getpid-ok=" + pidOk
            + " jna-loader=" + Native.class.getClassLoader().getName());
        System.out.println("isolation-kv-app: bytebuddy=" + jarVersion(ByteBuddy.class) + " generated=" + made
            + " bytebuddy-loader=" + ByteBuddy.class.getClassLoader().getName());
        System.out.println("isolation-kv-app: agent-visible=" + TinyApp.visible("dev.understudy.agent.Configuration"));
        System.out.flush();
        NioKvServer.main(args);
    }

    private static String jarVersion(final Class<?> type) throws Exception {
        try (java.util.jar.JarFile jar = new java.util.jar.JarFile(type.getProtectionDomain().getCodeSource().getLocation().getPath())) {
            return jar.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }
}
