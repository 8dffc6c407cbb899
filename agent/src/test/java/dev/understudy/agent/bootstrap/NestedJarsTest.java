package dev.understudy.agent.bootstrap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NestedJarsTest {
    @TempDir
    Path tmp;

    private Path agentJar(final String name, final String... nested) throws Exception {
        final Path jar = tmp.resolve(name);
        try (OutputStream os = Files.newOutputStream(jar); JarOutputStream out = new JarOutputStream(os)) {
            out.putNextEntry(new JarEntry("dev/understudy/agent/bootstrap/X.class"));
            out.write(1);
            for (final String n : nested) {
                out.putNextEntry(new JarEntry(NestedJars.LIB_PREFIX + n));
                out.write(("content of " + n).getBytes(StandardCharsets.UTF_8));
            }
        }
        return jar;
    }

    @Test
    void shouldExtractNestedJarsOnceAndReuseTheCache() throws Exception {
        final Path jar = agentJar("agent.jar", "b.jar", "a.jar");
        final Path cache = Files.createDirectory(tmp.resolve("cache"));
        final List<Path> first = NestedJars.extract(jar, "1.0", cache);
        assertEquals(2, first.size());
        assertEquals("a.jar", first.get(0).getFileName().toString());
        assertArrayEquals("content of b.jar".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(first.get(1)));
        assertTrue(first.get(0).getParent().getFileName().toString().startsWith("1.0-"));

        final FileTime old = FileTime.fromMillis(1_000_000L);
        Files.setLastModifiedTime(first.get(0), old);
        final List<Path> second = NestedJars.extract(jar, "1.0", cache);
        assertEquals(first, second);
        assertEquals(old, Files.getLastModifiedTime(second.get(0)), "a complete cache must be reused, not rewritten");
        try (var entries = Files.list(cache)) {
            assertEquals(1, entries.count(), "no temporary directory may be left behind");
        }
    }

    @Test
    void shouldReextractWhenTheCacheIsIncompleteOrTheContentChanges() throws Exception {
        final Path cache = Files.createDirectory(tmp.resolve("cache"));
        final List<Path> first = NestedJars.extract(agentJar("agent.jar", "a.jar"), "1.0", cache);
        Files.write(first.get(0), new byte[] {1});
        final List<Path> repaired = NestedJars.extract(agentJar("agent.jar", "a.jar"), "1.0", cache);
        assertArrayEquals("content of a.jar".getBytes(StandardCharsets.UTF_8), Files.readAllBytes(repaired.get(0)));

        final List<Path> other = NestedJars.extract(agentJar("agent2.jar", "a.jar", "c.jar"), "1.0", cache);
        assertNotEquals(first.get(0).getParent(), other.get(0).getParent());
    }

    @Test
    void shouldPruneExtractionsNoJvmUsesAndKeepThoseInUse() throws Exception {
        final Path cache = Files.createDirectory(tmp.resolve("cache"));
        final Path stale = Files.createDirectory(cache.resolve("0.9-00000000deadbeef"));
        Files.write(stale.resolve("old.jar"), new byte[] {1});
        Files.write(stale.resolve(NestedJars.COMPLETE_MARKER), new byte[] {1});
        final Path abandoned = Files.createDirectory(cache.resolve("0.9-00000000deadbeef.tmp-123"));
        final Path busy = Files.createDirectory(cache.resolve("0.8-00000000cafebabe"));
        Files.write(busy.resolve("busy.jar"), new byte[] {1});
        try (FileChannel holder = FileChannel.open(busy.resolve(NestedJars.LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            holder.lock(0, Long.MAX_VALUE, true);

            final List<Path> jars = NestedJars.extract(agentJar("agent.jar", "a.jar"), "1.0", cache);

            assertFalse(Files.exists(stale), "unused old build must be pruned");
            assertFalse(Files.exists(abandoned), "abandoned temporary directory must be pruned");
            assertTrue(Files.exists(busy.resolve("busy.jar")), "a directory in use must be kept");
            assertTrue(Files.exists(jars.get(0)));
            assertTrue(Files.exists(jars.get(0).getParent().resolve(NestedJars.LOCK_FILE)));
        }
    }

    @Test
    void shouldNotTrustASharedCacheDirectoryThatOthersCanWrite() throws Exception {
        final Path jar = agentJar("agent.jar", "a.jar");
        final Path fakeTmp = Files.createDirectory(tmp.resolve("tmp"));
        final Path shared = Files.createDirectory(fakeTmp.resolve("understudy-agent-" + System.getProperty("user.name")));
        Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwxrwxrwx"));
        final String saved = System.getProperty("java.io.tmpdir");
        System.setProperty("java.io.tmpdir", fakeTmp.toString());
        try {
            final List<Path> jars = NestedJars.extract(jar, "1.0");
            assertFalse(jars.get(0).startsWith(shared), jars.toString());
            assertTrue(jars.get(0).getParent().getParent().getFileName().toString().startsWith("understudy-agent-private-"), jars.toString());
            try (var entries = Files.list(shared)) {
                assertEquals(0, entries.count(), "nothing may be written into the untrusted directory");
            }
            Files.setPosixFilePermissions(shared, PosixFilePermissions.fromString("rwx------"));
            assertTrue(NestedJars.extract(jar, "1.0").get(0).startsWith(shared));
        } finally {
            System.setProperty("java.io.tmpdir", saved);
        }
    }

    @Test
    void shouldFailWithClearMessageWhenThereAreNoNestedJars() throws Exception {
        final Path jar = agentJar("empty.jar");
        final LaunchException e = assertThrows(LaunchException.class, () -> NestedJars.extract(jar, "1.0", tmp));
        assertEquals("no nested jars under META-INF/understudy/lib/ in " + jar, e.getMessage());
    }
}
