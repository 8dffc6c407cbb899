package dev.understudy.agent.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.understudy.agent.bootstrap.NestedJars;

/**
 * Cache pruning across processes: an extraction another JVM is using (it holds the shared lock)
 * survives; once that JVM is gone (the kernel drops its lock), the next prune removes it.
 */
@Timeout(60)
class NestedJarsPruneIT {
    @TempDir
    Path tmp;

    @Test
    void shouldKeepAnExtractionAnotherJvmUsesAndPruneItAfterThatJvmExits() throws Exception {
        final Path keep = Files.createDirectory(tmp.resolve("1.0-1111111111111111"));
        final Path used = Files.createDirectory(tmp.resolve("0.9-2222222222222222"));
        Files.write(used.resolve("a.jar"), new byte[] {1});
        Files.write(used.resolve(NestedJars.COMPLETE_MARKER), new byte[] {1});

        final Process holder = new ProcessBuilder(Jvm.JAVA_17.toString(), "-cp", Jvm.testClasses().toString(),
            LockHolderApp.class.getName(), used.resolve(NestedJars.LOCK_FILE).toString())
            .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            final BufferedReader out = new BufferedReader(new InputStreamReader(holder.getInputStream(), StandardCharsets.UTF_8));
            assertEquals("locked", out.readLine());

            NestedJars.prune(tmp, keep);
            assertTrue(Files.exists(used.resolve("a.jar")), "in use by another JVM: must be kept");
            assertTrue(Files.exists(used.resolve(NestedJars.COMPLETE_MARKER)));

            holder.getOutputStream().close();
            assertTrue(holder.waitFor(30, TimeUnit.SECONDS));
            NestedJars.prune(tmp, keep);
            assertFalse(Files.exists(used), "no JVM uses it any more: must be pruned");
            assertTrue(Files.exists(keep));
        } finally {
            holder.destroyForcibly();
            holder.waitFor(10, TimeUnit.SECONDS);
        }
    }
}
