package dev.understudy.agent.it;

import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Runs after the agent's {@code premain} and uses Chronicle Queue and an embedded Aeron media
 * driver <em>through the agent's isolated class loader</em> (reached via the bootstrap's
 * {@code Launcher.agentLoader()}, the one agent class the application can see), by reflection.
 * Both need the module grants (JVM.md): without them Chronicle fails in
 * {@code FileChannelImpl.map0} and Agrona in {@code jdk.internal.misc.Unsafe}.
 *
 * <p>Arguments: a scratch directory for the queue and the Aeron directory.
 */
public final class GrantsProbeApp {
    private GrantsProbeApp() {
    }

    public static void main(final String[] args) throws Exception {
        final Path scratch = Path.of(args[0]);
        final ClassLoader loader = (ClassLoader)Class.forName("dev.understudy.agent.bootstrap.Launcher")
            .getMethod("agentLoader").invoke(null);
        System.out.println("probe: loader=" + loader.getName());

        final Class<?> chronicleQueue = loader.loadClass("net.openhft.chronicle.queue.ChronicleQueue");
        final Object builder = chronicleQueue.getMethod("singleBuilder", String.class)
            .invoke(null, scratch.resolve("queue").toString());
        final Object queue = loader.loadClass("net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder")
            .getMethod("build").invoke(builder);
        final String read;
        try {
            final Object appender = chronicleQueue.getMethod("createAppender").invoke(queue);
            loader.loadClass("net.openhft.chronicle.wire.MarshallableOut")
                .getMethod("writeText", CharSequence.class).invoke(appender, "hello through the grants");
            final Object tailer = chronicleQueue.getMethod("createTailer").invoke(queue);
            read = (String)loader.loadClass("net.openhft.chronicle.wire.MarshallableIn").getMethod("readText").invoke(tailer);
        } finally {
            ((AutoCloseable)queue).close();
        }
        System.out.println("probe: chronicle=" + read);

        final Class<?> mediaDriver = loader.loadClass("io.aeron.driver.MediaDriver");
        final Class<?> context = loader.loadClass("io.aeron.driver.MediaDriver$Context");
        final Object ctx = context.getConstructor().newInstance();
        context.getMethod("aeronDirectoryName", String.class).invoke(ctx, scratch.resolve("aeron").toString());
        context.getMethod("dirDeleteOnStart", boolean.class).invoke(ctx, true);
        context.getMethod("dirDeleteOnShutdown", boolean.class).invoke(ctx, true);
        final Method launch = mediaDriver.getMethod("launchEmbedded", context);
        try (AutoCloseable driver = (AutoCloseable)launch.invoke(null, ctx)) {
            System.out.println("probe: aeron-driver=" + (driver != null && Files.isDirectory(scratch.resolve("aeron"))));
        }
        System.out.println("probe: done");
    }
}
