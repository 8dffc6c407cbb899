package dev.understudy.agent.bootstrap;

import java.net.URL;
import java.net.URLClassLoader;

/**
 * The class loader of the real agent and every dependency it ships: ByteBuddy, Aeron, Agrona,
 * Chronicle, JNA and our own {@code interceptors}, {@code jna-netfilter} and
 * {@code transport} modules.
 *
 * <p>Its parent is the <em>platform</em> class loader, not the application class loader, so
 * that nothing on the application's class path (its own ByteBuddy, JNA, Agrona...) is ever
 * visible to the agent, and nothing of ours is visible to the application. Parent-first
 * delegation is therefore safe: the parent holds only JDK modules.
 *
 * <p>The loader's name is {@value #NAME}; it shows in stack traces and in
 * {@code ClassLoader#getName()}. Thread-safety: parallel capable, like {@link URLClassLoader}.
 */
public final class IsolatedClassLoader extends URLClassLoader {
    /** Name of every isolated loader the agent creates. */
    public static final String NAME = "understudy";

    static {
        ClassLoader.registerAsParallelCapable();
    }

    /**
     * @param urls the extracted nested jars.
     */
    public IsolatedClassLoader(final URL[] urls) {
        super(NAME, urls, ClassLoader.getPlatformClassLoader());
    }
}
