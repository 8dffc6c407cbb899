package dev.understudy.interceptors;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URL;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.understudy.interceptors.hook.Hooks;
import dev.understudy.interceptors.hook.SocketHook;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Install, uninstall, install again; and the refusal when the hook package is not on the bootstrap loader. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class InstallLifecycleTest {

    private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();

    /** One ServerSocket exchange; returns the client's local port. */
    private static int exchange(byte[] request) throws Exception {
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (ServerSocket server = new ServerSocket(0, 50, LOOPBACK)) {
            Future<byte[]> served = pool.submit(() -> {
                try (Socket s = server.accept(); InputStream in = s.getInputStream()) {
                    ByteArrayOutputStream out = new ByteArrayOutputStream();
                    in.transferTo(out);
                    return out.toByteArray();
                }
            });
            int port;
            try (Socket client = new Socket(LOOPBACK, server.getLocalPort())) {
                port = client.getLocalPort();
                client.getOutputStream().write(request);
            }
            assertArrayEquals(request, served.get(30, TimeUnit.SECONDS));
            return port;
        } finally {
            pool.shutdownNow();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    // Mutation check (done once, JDK 17): with uninstall() not resetting the transformer (only
    // Hooks.uninstall), the re-install threw "interceptors already installed".
    @Test
    void shouldStopReportingAfterUninstallAndReportAgainAfterReinstall() throws Exception {
        Instrumentation inst = BootstrapHookJar.instrumentation();
        RecordingHook first = new RecordingHook();
        assertTrue(Interceptors.install(inst, first).ok());
        try {
            int port = exchange(SocketInterceptionTest.data(30, 10_000));
            assertEquals(10_000, first.awaitAccepted(port).readBytes().length);
        } finally {
            Interceptors.uninstall();
        }
        assertNull(Hooks.installed());
        int accepted = first.accepted().size();
        exchange(SocketInterceptionTest.data(31, 10_000));
        assertEquals(accepted, first.accepted().size(), "nothing reported after uninstall");

        RecordingHook second = new RecordingHook();
        InstallReport again = Interceptors.install(inst, second);
        try {
            assertTrue(again.ok(), again.describe());
            int port = exchange(SocketInterceptionTest.data(32, 20_000));
            assertArrayEquals(SocketInterceptionTest.data(32, 20_000), second.awaitAccepted(port).readBytes());
        } finally {
            Interceptors.uninstall();
        }
    }

    // Mutation check (done once, JDK 17): with the class-loader check removed from install(), this
    // test failed: install went ahead with a Hooks the inlined advice could never reach.
    @Test
    void shouldRefuseToInstallWhenHooksIsNotLoadedByTheBootstrapLoader() throws Exception {
        URL classes = Interceptors.class.getProtectionDomain().getCodeSource().getLocation();
        // child-first for our own packages, so this loader defines its own Interceptors and Hooks
        try (ChildFirst loader = new ChildFirst(new URL[] {classes}, InstallLifecycleTest.class.getClassLoader())) {
            Class<?> interceptors = loader.loadClass(Interceptors.class.getName());
            Class<?> hookType = loader.loadClass(SocketHook.class.getName());
            Object hook = java.lang.reflect.Proxy.newProxyInstance(loader, new Class<?>[] {hookType},
                    (proxy, method, args) -> null);
            Method install = interceptors.getMethod("install", Instrumentation.class, hookType);
            InvocationTargetException e = org.junit.jupiter.api.Assertions.assertThrows(InvocationTargetException.class,
                    () -> install.invoke(null, BootstrapHookJar.instrumentation(), hook));
            assertTrue(e.getCause() instanceof IllegalStateException, String.valueOf(e.getCause()));
            assertTrue(e.getCause().getMessage().contains("expected the bootstrap class loader"), e.getCause().getMessage());
        }
        assertNull(Hooks.installed(), "nothing installed");
    }

    private static final class ChildFirst extends java.net.URLClassLoader {
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
