package dev.understudy.interceptors;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.instrument.Instrumentation;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.jar.JarFile;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;

import net.bytebuddy.agent.ByteBuddyAgent;
import org.junit.platform.launcher.LauncherSession;
import org.junit.platform.launcher.LauncherSessionListener;

/**
 * Does in the test JVM what the agent does at start-up: gets an {@link Instrumentation}
 * (self-attach) and appends a jar of {@code dev.understudy.interceptors.hook} to the bootstrap
 * class path, <em>before</em> JUnit loads any test class (a test class referencing
 * {@code SocketHook} would otherwise have it defined by the application loader). Registered in
 * {@code META-INF/services}; must not reference the hook package itself.
 */
public final class BootstrapHookJar implements LauncherSessionListener {

    private static Instrumentation instrumentation;
    private static Path jar;

    @Override
    public void launcherSessionOpened(LauncherSession session) {
        instrumentation();
    }

    /** The test JVM's instrumentation, with the hook jar already on the bootstrap class path. */
    static synchronized Instrumentation instrumentation() {
        if (instrumentation == null) {
            Instrumentation inst = ByteBuddyAgent.install();
            try {
                jar = buildHookJar();
                inst.appendToBootstrapClassLoaderSearch(new JarFile(jar.toFile()));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            instrumentation = inst;
        }
        return instrumentation;
    }

    /** A temporary jar of target/classes/dev/understudy/interceptors/hook, deleted when the JVM exits. */
    private static Path buildHookJar() throws IOException {
        String pkg = "dev/understudy/interceptors/hook/";
        URL hooks = BootstrapHookJar.class.getClassLoader().getResource(pkg + "Hooks.class");
        if (hooks == null || !"file".equals(hooks.getProtocol())) {
            throw new IllegalStateException("hook classes not found as files: " + hooks);
        }
        Path dir;
        try {
            dir = Paths.get(hooks.toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
        Path out = Files.createTempFile("understudy-hook-", ".jar");
        out.toFile().deleteOnExit();
        try (JarOutputStream jos = new JarOutputStream(Files.newOutputStream(out));
             Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                jos.putNextEntry(new ZipEntry(pkg + p.getFileName()));
                jos.write(Files.readAllBytes(p));
                jos.closeEntry();
            }
        }
        return out;
    }
}
