package dev.understudy.agent.bootstrap;

import java.io.IOException;
import java.io.InputStream;
import java.net.MalformedURLException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.jar.JarEntry;
import java.util.jar.JarFile;
import java.util.stream.Stream;

/**
 * Extracts the jars nested under {@value #LIB_PREFIX} in the agent jar to a cache directory
 * and returns their URLs for the {@link IsolatedClassLoader}.
 *
 * <h2>Cache</h2>
 * {@code ${java.io.tmpdir}/understudy-agent-<user>/<version>-<fingerprint>/}, where the
 * fingerprint is a SHA-256 over the nested entries' names, sizes and CRCs (read from the jar's
 * central directory, so nothing is decompressed to compute it). A directory is complete when
 * its {@value #COMPLETE_MARKER} file exists and every jar has the expected size; it is then
 * reused, so only the first start of a given build pays for extraction.
 *
 * <p>Concurrent JVMs extract into private temporary directories and publish with an atomic
 * rename; the loser of the race uses the winner's directory. The per-user directory is
 * created {@code rwx------}; if it exists but is not ours, is a symbolic link or is writable by
 * others (a planted directory in a shared {@code /tmp}), a fresh private temporary directory is
 * used instead and deleted at exit.
 *
 * <h2>In use, and pruning</h2>
 * Every JVM holds a shared {@link FileLock} on {@value #LOCK_FILE} in the directory it loads
 * from, for its whole life (one file descriptor). After extracting, {@link #prune} deletes every
 * other directory under the base whose lock it can take exclusively — old builds and abandoned
 * temporary directories that no running JVM uses — so the cache holds one copy per build in use.
 * (POSIX {@code fcntl} locks: released by the kernel when a JVM dies, even on SIGKILL.)
 *
 * <p>Thread-safety: safe from several threads and several JVMs at once.
 */
public final class NestedJars {
    /** Where the nested jars live inside the agent jar. */
    public static final String LIB_PREFIX = "META-INF/understudy/lib/";
    /** Written last into a complete cache directory. */
    public static final String COMPLETE_MARKER = ".complete";
    /** Every JVM using a cache directory holds a shared lock on this file in it. */
    public static final String LOCK_FILE = ".in-use";

    /** Channels whose shared locks mark the directories this JVM uses; never closed. */
    private static final List<FileChannel> HELD = new CopyOnWriteArrayList<>();

    private NestedJars() {
    }

    /**
     * Extracts (or finds already extracted) the nested jars of {@code agentJar}.
     *
     * @param agentJar the agent jar.
     * @param version  the agent version, part of the cache key.
     * @return the extracted jars, sorted by name.
     * @throws LaunchException if the jar has no nested jars or nothing can be written.
     */
    public static List<Path> extract(final Path agentJar, final String version) {
        final Path base;
        try {
            base = cacheBase();
        } catch (final IOException | RuntimeException e) {
            throw new LaunchException("cannot create the agent cache directory under " + System.getProperty("java.io.tmpdir") + ": " + e, e);
        }
        final List<Path> jars = extract(agentJar, version, base);
        if (!base.getFileName().toString().equals(sharedBaseName())) {
            // A private fallback directory: remove it at exit. deleteOnExit runs in reverse order
            // of registration, so the files go before their directories.
            base.toFile().deleteOnExit();
            jars.get(0).getParent().toFile().deleteOnExit();
            jars.forEach(j -> j.toFile().deleteOnExit());
            jars.get(0).getParent().resolve(COMPLETE_MARKER).toFile().deleteOnExit();
            jars.get(0).getParent().resolve(LOCK_FILE).toFile().deleteOnExit();
        }
        return jars;
    }

    /**
     * As {@link #extract(Path, String)}, into an explicit cache base directory (tests).
     *
     * @param agentJar the agent jar.
     * @param version  the agent version, part of the cache key.
     * @param base     an existing directory owned by this user.
     * @return the extracted jars, sorted by name.
     * @throws LaunchException if the jar has no nested jars or nothing can be written.
     */
    public static List<Path> extract(final Path agentJar, final String version, final Path base) {
        try (JarFile jar = new JarFile(agentJar.toFile(), false)) {
            final List<JarEntry> libs = new ArrayList<>();
            jar.stream()
                .filter(e -> !e.isDirectory() && e.getName().startsWith(LIB_PREFIX) && e.getName().endsWith(".jar"))
                .sorted(Comparator.comparing(JarEntry::getName))
                .forEach(libs::add);
            if (libs.isEmpty()) {
                throw new LaunchException("no nested jars under " + LIB_PREFIX + " in " + agentJar, null);
            }
            final Path dir = base.resolve(safe(version) + "-" + fingerprint(libs));
            if (lockShared(dir) && isComplete(dir, libs)) {
                prune(base, dir);
                return jarsIn(dir, libs);
            }
            final Path tmp = Files.createTempDirectory(base, dir.getFileName() + ".tmp-");
            // Locked before it is filled; the lock (on the open file) survives the rename below.
            final FileChannel tmpLock = lockSharedOrThrow(tmp);
            for (final JarEntry e : libs) {
                try (InputStream in = jar.getInputStream(e)) {
                    Files.copy(in, tmp.resolve(fileName(e)), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            Files.write(tmp.resolve(COMPLETE_MARKER), version.getBytes(StandardCharsets.UTF_8));
            boolean published;
            try {
                Files.move(tmp, dir, StandardCopyOption.ATOMIC_MOVE);
                published = true;
            } catch (final IOException e) {
                // EEXIST/ENOTEMPTY from rename(2): another JVM published first (or a broken
                // leftover is in the way; the next prune removes it once nobody uses it).
                published = false;
            }
            if (published) {
                prune(base, dir);
                return jarsIn(dir, libs);
            }
            if (lockShared(dir) && isComplete(dir, libs)) {
                release(tmpLock);
                deleteTree(tmp);
                return jarsIn(dir, libs);
            }
            return jarsIn(tmp, libs);
        } catch (final LaunchException e) {
            throw e;
        } catch (final Exception e) {
            throw new LaunchException("cannot extract nested jars of " + agentJar + ": " + e, e);
        }
    }

    /**
     * @param jars extracted jars.
     * @return their {@code file:} URLs.
     */
    public static URL[] urls(final List<Path> jars) {
        final URL[] urls = new URL[jars.size()];
        for (int i = 0; i < urls.length; i++) {
            try {
                urls[i] = jars.get(i).toUri().toURL();
            } catch (final MalformedURLException e) {
                throw new LaunchException("bad path " + jars.get(i), e);
            }
        }
        return urls;
    }

    /**
     * Takes a shared lock on {@code dir}'s {@value #LOCK_FILE} and keeps it for the life of the
     * JVM: {@link #prune} in another JVM only deletes directories it can lock exclusively.
     *
     * @return whether the lock is held; {@code false} if the directory does not exist.
     */
    private static boolean lockShared(final Path dir) throws IOException {
        if (!Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
            return false;
        }
        try {
            lockSharedOrThrow(dir);
            return true;
        } catch (final NoSuchFileException e) {
            return false;
        }
    }

    private static FileChannel lockSharedOrThrow(final Path dir) throws IOException {
        final FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        try {
            // Blocks only while a pruner holds its exclusive lock, i.e. while it deletes.
            channel.lock(0, Long.MAX_VALUE, true);
        } catch (final OverlappingFileLockException e) {
            // This JVM already holds it (a second extract of the same build): fine.
            channel.close();
            return null;
        } catch (final IOException | RuntimeException e) {
            channel.close();
            throw e;
        }
        HELD.add(channel);
        return channel;
    }

    private static void release(final FileChannel channel) {
        if (channel != null) {
            HELD.remove(channel);
            try {
                channel.close();
            } catch (final IOException ignore) {
                // closing releases the lock; nothing else to do
            }
        }
    }

    /**
     * Deletes the other extractions under {@code base} that no JVM uses (no shared lock held):
     * old builds and abandoned temporary directories. Best effort: never throws.
     *
     * @param base the cache base directory.
     * @param keep the directory this JVM uses.
     */
    public static void prune(final Path base, final Path keep) {
        try (Stream<Path> entries = Files.list(base)) {
            for (final Path dir : (Iterable<Path>)entries::iterator) {
                if (dir.equals(keep) || !Files.isDirectory(dir, LinkOption.NOFOLLOW_LINKS)) {
                    continue;
                }
                try (FileChannel channel = FileChannel.open(dir.resolve(LOCK_FILE),
                    StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
                    final FileLock lock = channel.tryLock(0, Long.MAX_VALUE, false);
                    if (lock != null) {
                        // The marker goes first: a JVM that locks after us sees "incomplete".
                        Files.deleteIfExists(dir.resolve(COMPLETE_MARKER));
                        deleteTree(dir);
                    }
                } catch (final OverlappingFileLockException | IOException e) {
                    // in use by this JVM, or vanished, or not ours to delete: leave it
                }
            }
        } catch (final IOException | RuntimeException ignore) {
            // pruning is housekeeping; extraction already succeeded
        }
    }

    private static void deleteTree(final Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            for (final Path p : (Iterable<Path>)files::iterator) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }

    private static List<Path> jarsIn(final Path dir, final List<JarEntry> libs) {
        final List<Path> paths = new ArrayList<>(libs.size());
        for (final JarEntry e : libs) {
            paths.add(dir.resolve(fileName(e)));
        }
        return paths;
    }

    private static boolean isComplete(final Path dir, final List<JarEntry> libs) throws IOException {
        if (!Files.isRegularFile(dir.resolve(COMPLETE_MARKER))) {
            return false;
        }
        for (final JarEntry e : libs) {
            final Path p = dir.resolve(fileName(e));
            if (!Files.isRegularFile(p) || Files.size(p) != e.getSize()) {
                return false;
            }
        }
        return true;
    }

    private static String fileName(final JarEntry e) {
        return e.getName().substring(e.getName().lastIndexOf('/') + 1);
    }

    private static String fingerprint(final List<JarEntry> libs) throws Exception {
        final MessageDigest sha = MessageDigest.getInstance("SHA-256");
        for (final JarEntry e : libs) {
            sha.update((e.getName() + '\0' + e.getSize() + '\0' + e.getCrc() + '\n').getBytes(StandardCharsets.UTF_8));
        }
        final byte[] d = sha.digest();
        final StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 8; i++) {
            sb.append(String.format("%02x", d[i] & 0xff));
        }
        return sb.toString();
    }

    private static String safe(final String s) {
        return s.replaceAll("[^A-Za-z0-9._-]", "_");
    }

    private static String sharedBaseName() {
        return "understudy-agent-" + safe(System.getProperty("user.name", "user"));
    }

    private static Path cacheBase() throws IOException {
        final Path tmpdir = Path.of(System.getProperty("java.io.tmpdir"));
        final Path base = tmpdir.resolve(sharedBaseName());
        final Set<PosixFilePermission> owner = PosixFilePermissions.fromString("rwx------");
        try {
            Files.createDirectory(base, PosixFilePermissions.asFileAttribute(owner));
        } catch (final FileAlreadyExistsException ignore) {
            // checked below
        } catch (final UnsupportedOperationException e) {
            Files.createDirectories(base);
            return base;
        }
        final boolean usable = Files.isDirectory(base, LinkOption.NOFOLLOW_LINKS)
            && Collections.disjoint(Files.getPosixFilePermissions(base, LinkOption.NOFOLLOW_LINKS),
                EnumSet.of(PosixFilePermission.GROUP_WRITE, PosixFilePermission.OTHERS_WRITE))
            && Files.getOwner(base, LinkOption.NOFOLLOW_LINKS).equals(currentUser(tmpdir));
        if (!usable) {
            return Files.createTempDirectory(tmpdir, "understudy-agent-private-");
        }
        return base;
    }

    /** The owner of a file this process creates: the current user, without a name lookup. */
    private static UserPrincipal currentUser(final Path tmpdir) throws IOException {
        final Path probe = Files.createTempFile(tmpdir, "understudy-agent-", ".owner");
        try {
            return Files.getOwner(probe);
        } finally {
            Files.deleteIfExists(probe);
        }
    }
}
