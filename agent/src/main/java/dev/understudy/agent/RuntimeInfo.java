package dev.understudy.agent;

import java.net.JarURLConnection;
import java.net.URL;
import java.net.URLConnection;
import java.util.jar.Attributes;
import java.util.jar.Manifest;

/**
 * Start-up check of the libraries the agent ships, as seen from its own class loader: their
 * versions, JNA's native library (extracted and loaded from inside the isolated loader) and
 * Agrona's access to {@code jdk.internal.misc.Unsafe} (which needs the module grants).
 *
 * <p>Never throws; a failed check is reported in the returned line.
 */
public final class RuntimeInfo {
    private RuntimeInfo() {
    }

    /**
     * @return one line, e.g. {@code byte-buddy 1.18.17, jna 5.19.1 (native ok), ... in class loader 'understudy'}.
     */
    public static String describe() {
        final StringBuilder sb = new StringBuilder();
        sb.append("byte-buddy ").append(version("net.bytebuddy.ByteBuddy"));
        sb.append(", jna ").append(version("com.sun.jna.Native")).append(" (native ").append(checkJnaNative()).append(')');
        sb.append(", aeron ").append(version("io.aeron.Aeron"));
        sb.append(", agrona ").append(version("org.agrona.DirectBuffer")).append(" (unsafe ").append(checkAgronaUnsafe()).append(')');
        sb.append(", chronicle-queue ").append(version("net.openhft.chronicle.queue.ChronicleQueue"));
        final ClassLoader loader = RuntimeInfo.class.getClassLoader();
        sb.append(" in class loader '").append(loader == null ? "bootstrap" : loader.getName()).append('\'');
        return sb.toString();
    }

    /**
     * Forces JNA's {@code Native} class initialisation, which extracts and loads
     * {@code libjnidispatch} and calls into it.
     *
     * @return {@code "ok"} or {@code "FAILED: <error>"}.
     */
    static String checkJnaNative() {
        try {
            final int pointerSize = com.sun.jna.Native.POINTER_SIZE;
            return pointerSize == 4 || pointerSize == 8 ? "ok" : "FAILED: pointer size " + pointerSize;
        } catch (final Throwable t) {
            return "FAILED: " + oneLine(t);
        }
    }

    /**
     * Calls Agrona's {@code UnsafeApi}, which fails with {@code IllegalAccessError} unless
     * {@code java.base/jdk.internal.misc} is exported to our loader.
     *
     * @return {@code "ok"} or {@code "FAILED: <error>"}.
     */
    static String checkAgronaUnsafe() {
        try {
            final int size = org.agrona.UnsafeApi.addressSize();
            return size == 4 || size == 8 ? "ok" : "FAILED: address size " + size;
        } catch (final Throwable t) {
            return "FAILED: " + oneLine(t);
        }
    }

    /**
     * The version of the jar that holds {@code className} in our loader, from its manifest
     * ({@code Bundle-Version}, else {@code Implementation-Version}). The class is not
     * initialised.
     *
     * @param className a class in the jar.
     * @return the version, or {@code "?"} / {@code "missing"}.
     */
    static String version(final String className) {
        try {
            final ClassLoader loader = RuntimeInfo.class.getClassLoader();
            final URL url = loader.getResource(className.replace('.', '/') + ".class");
            if (url == null) {
                return "missing";
            }
            final URLConnection connection = url.openConnection();
            if (connection instanceof JarURLConnection) {
                connection.setUseCaches(false);
                final Manifest manifest = ((JarURLConnection)connection).getManifest();
                if (manifest != null) {
                    final Attributes main = manifest.getMainAttributes();
                    final String bundle = main.getValue("Bundle-Version");
                    if (bundle != null) {
                        return bundle;
                    }
                    final String impl = main.getValue("Implementation-Version");
                    if (impl != null) {
                        return impl;
                    }
                }
            }
            return "?";
        } catch (final Throwable t) {
            return "? (" + oneLine(t) + ")";
        }
    }

    static String oneLine(final Throwable t) {
        return String.valueOf(t).replace('\n', ' ').replace('\r', ' ');
    }
}
