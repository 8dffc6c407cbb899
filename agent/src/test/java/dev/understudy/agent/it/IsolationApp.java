package dev.understudy.agent.it;

import java.util.jar.JarFile;

import com.sun.jna.Library;
import com.sun.jna.Native;

import net.bytebuddy.ByteBuddy;

/**
 * An application that ships its own JNA and ByteBuddy (AgentIsolationIT puts JNA 5.13.0 and
 * ByteBuddy 1.14.18 on its class path) and uses both: a native call through JNA and a class
 * generated with ByteBuddy. Prints the versions it actually got.
 *
 * <p>Compiled against the agent module's versions; it only uses API present in both.
 */
public final class IsolationApp {
    private IsolationApp() {
    }

    /** {@code unistd.h}. */
    public interface CLib extends Library {
        /**
         * @return the process id.
         */
        int getpid();
    }

    public static void main(final String[] args) throws Exception {
        // From the jar actually loaded: Native.VERSION is a compile-time constant and would be inlined.
        final String jnaVersion = bundleVersion(Native.class);
        final CLib libc = Native.load("c", CLib.class);
        final boolean pidOk = libc.getpid() == ProcessHandle.current().pid();

        final Class<?> made = new ByteBuddy().subclass(Object.class).name("dev.understudy.agent.it.Generated")
            .make().load(IsolationApp.class.getClassLoader()).getLoaded();
        final String byteBuddyVersion = bundleVersion(ByteBuddy.class);

        System.out.println("isolation-app: jna=" + jnaVersion + " getpid-ok=" + pidOk
            + " jna-loader=" + Native.class.getClassLoader().getName());
        System.out.println("isolation-app: bytebuddy=" + byteBuddyVersion + " generated=" + made.getName()
            + " bytebuddy-loader=" + ByteBuddy.class.getClassLoader().getName());
        System.out.println("isolation-app: agent-visible=" + TinyApp.visible("dev.understudy.agent.Configuration"));
        System.out.println("isolation-app: done");
    }

    private static String bundleVersion(final Class<?> type) throws Exception {
        try (JarFile jar = new JarFile(type.getProtectionDomain().getCodeSource().getLocation().getPath())) {
            return jar.getManifest().getMainAttributes().getValue("Bundle-Version");
        }
    }
}
