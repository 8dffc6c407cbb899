package dev.understudy.agent.failover;

import dev.understudy.agent.election.DurableState;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.CRC32C;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link DurableStateFile}: what is written is read back by a new instance (a restart), a temporary
 * file left by a crash mid-write is ignored, and a corrupt file stops the start with its path named.
 *
 * <p>Mutation check: with {@code read()} returning {@link DurableState#INITIAL} for a file whose CRC
 * does not match (a "silent reset"), {@link #shouldRefuseACorruptFileNamingItsPath} failed; restored.
 */
class DurableStateFileTest {
    @TempDir
    Path dir;

    private DurableStateFile file() {
        return new DurableStateFile(dir.resolve("node.election"));
    }

    @Test
    void shouldReadTheInitialStateWhenNoFileWasEverWritten() {
        assertEquals(DurableState.INITIAL, file().read());
    }

    @Test
    void shouldReadBackTheLastStateWrittenAfterARestart() throws IOException {
        DurableStateFile f = file();
        f.write(new DurableState(1, 0));
        f.write(new DurableState(2, 3));
        f.write(new DurableState(1L << 40, 64));
        assertEquals(new DurableState(1L << 40, 64), file().read(), "a new instance reads what the old one wrote");
        assertEquals(3, f.writes());
        assertEquals(DurableStateFile.LENGTH, fileBytes().length);
        try (var list = Files.list(dir)) {
            assertEquals(1, list.count(), "no temporary file left after a write");
        }
    }

    @Test
    void shouldLayTheStateOutLittleEndianWithItsChecksum() {
        file().write(new DurableState(0x0102030405060708L, 9));
        ByteBuffer b = ByteBuffer.wrap(fileBytes()).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals('U', b.get(0));
        assertEquals('D', b.get(1));
        assertEquals('S', b.get(2));
        assertEquals('F', b.get(3));
        assertEquals(1, b.getShort(4));
        assertEquals(0x0102030405060708L, b.getLong(8));
        assertEquals(9, b.getInt(16));
        CRC32C crc = new CRC32C();
        crc.update(fileBytes(), 0, 20);
        assertEquals((int) crc.getValue(), b.getInt(20));
    }

    @Test
    void shouldIgnoreATemporaryFileLeftBehindByACrashDuringAWrite() throws IOException {
        DurableStateFile f = file();
        f.write(new DurableState(4, 2));
        byte[] good = fileBytes();
        // the crash: a newer state half written to the temporary file, never renamed
        Path temp = dir.resolve("node.election.tmp");
        Files.write(temp, new byte[] {0x55, 0x44, 0x53});
        assertEquals(new DurableState(4, 2), file().read(), "the state under the file's name is the state");
        assertFalse(Files.exists(temp), "the leftover is removed");
        assertArrayEquals(good, fileBytes());
        // and with a complete temporary file (crash between fsync and rename): still the old state
        Files.write(temp, new byte[DurableStateFile.LENGTH]);
        assertEquals(new DurableState(4, 2), file().read());
        // a crash before the first rename ever: no state yet
        Files.delete(dir.resolve("node.election"));
        Files.write(temp, new byte[] {1, 2, 3});
        assertEquals(DurableState.INITIAL, file().read());
    }

    @Test
    void shouldRefuseACorruptFileNamingItsPath() throws IOException {
        DurableStateFile f = file();
        f.write(new DurableState(5, 1));
        byte[] good = fileBytes();
        Path path = dir.resolve("node.election");

        byte[] flipped = good.clone();
        flipped[8] ^= 1; // epoch 5 -> 4: the CRC no longer matches
        assertCorrupt(path, flipped, "CRC-32C");

        assertCorrupt(path, new byte[0], "length 0");
        assertCorrupt(path, java.util.Arrays.copyOf(good, 23), "length 23");
        assertCorrupt(path, java.util.Arrays.copyOf(good, 25), "length 25");

        byte[] magic = good.clone();
        magic[0] = 'X';
        assertCorrupt(path, magic, "magic");

        assertCorrupt(path, withCrc(good, 4, (byte) 2), "version 2");
        assertCorrupt(path, withCrc(good, 19, (byte) 0x80), "expected both >= 0"); // vote < 0
        assertCorrupt(path, withCrc(good, 15, (byte) 0x80), "expected both >= 0"); // epoch < 0
    }

    @Test
    void shouldLiveBesideTheJournalDirectoryNamedAfterIt() {
        Path journal = dir.resolve("understudy-2").resolve("journal");
        assertEquals(dir.resolve("understudy-2").resolve("journal.election").toAbsolutePath(),
            DurableStateFile.nextTo(journal).path());
        assertTrue(!DurableStateFile.nextTo(dir.resolve("a")).path().equals(DurableStateFile.nextTo(dir.resolve("b")).path()),
            "two journals in one directory, two states");
    }

    @Test
    void shouldFailLoudlyWhenTheStateCannotBeWritten() {
        DurableStateFile f = new DurableStateFile(dir.resolve("missing-dir").resolve("node.election"));
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> f.write(new DurableState(1, 1)));
        assertTrue(e.getMessage().contains("missing-dir"), e.getMessage());
    }

    private void assertCorrupt(Path path, byte[] content, String what) throws IOException {
        Files.write(path, content);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> file().read(), what);
        assertTrue(e.getMessage().contains(path.toAbsolutePath().toString()), "names the path: " + e.getMessage());
        assertTrue(e.getMessage().contains(what), "says what is wrong (" + what + "): " + e.getMessage());
    }

    /** {@code good} with one byte changed and the CRC recomputed: well formed but invalid. */
    private static byte[] withCrc(byte[] good, int index, byte value) {
        byte[] b = good.clone();
        b[index] = value;
        CRC32C crc = new CRC32C();
        crc.update(b, 0, 20);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(20, (int) crc.getValue());
        return b;
    }

    private byte[] fileBytes() {
        try {
            return Files.readAllBytes(dir.resolve("node.election"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
