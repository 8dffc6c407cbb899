package dev.understudy.transport.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Host;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.SegmentFlyweight;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A journal on a real, small tmpfs that fills up: the append that does not fit fails with a clear
 * {@link JournalFullException} naming the directory, the journal turns unhealthy, and every record
 * appended before decodes intact after reopening. Needs root (mount).
 */
@Privileged
@Timeout(180)
class JournalDiskFullIT {
    private static final int PAYLOAD = 1000;

    @Test
    void shouldFailCleanlyOnFullDiskAndKeepEverythingWrittenBefore() throws Exception {
        Path mount = Files.createTempDirectory("journal-tmpfs");
        Host.run(Duration.ofSeconds(20), "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()).check();
        try {
            Path dir = mount.resolve("journal");
            JournalConfig config = JournalConfig.builder(dir).rollCycle("FAST_DAILY").blockSize(512 * 1024)
                .headroomBytes(256 * 1024).minFreeBytes(512 * 1024).build();
            TestRecords records = new TestRecords();
            long last = Journal.NO_SEQUENCE;
            JournalFullException full = null;
            try (Journal journal = Journal.open(config)) {
                for (long s = 1; s < 100_000; s++) {
                    int len = records.segment(s, PAYLOAD);
                    try {
                        assertEquals(s, journal.append(records.buffer, 0, len));
                        last = s;
                    } catch (JournalFullException e) {
                        full = e;
                        break;
                    }
                }
                assertNotNull(full, "a 4 MiB tmpfs never filled");
                assertTrue(full.getMessage().contains(dir.toString()), full.getMessage());
                assertEquals(dir, full.directory());
                assertFalse(journal.healthy());
                assertEquals(last, journal.lastSequence());
                assertEquals(last, journal.durablePosition());
                final long next = last + 1;
                assertThrows(JournalFullException.class,
                    () -> journal.append(records.buffer, 0, records.segment(next, PAYLOAD)));
                assertEquals(last, journal.lastSequence());
            }
            assertTrue(last > 1000, "records before full: " + last);
            System.out.println("disk full after " + last + " records: " + full.getMessage());

            JournalConfig readOnly = config.toBuilder().readOnly(true).build();
            RecordCodec codec = new RecordCodec();
            SegmentFlyweight segment = new SegmentFlyweight();
            long[] expected = {1};
            try (Journal journal = Journal.open(readOnly); JournalTailer tailer = journal.tailer(0)) {
                assertEquals(last, journal.lastSequence());
                while (tailer.poll((buffer, offset, length) -> {
                    long s = expected[0]++;
                    assertEquals(RecordErrors.OK, codec.validate(buffer, offset, length));
                    segment.wrap(buffer, offset);
                    assertEquals(s, segment.sequence());
                    assertEquals(PAYLOAD, segment.payloadLength());
                    assertEquals((byte) (s * 31 + PAYLOAD - 1), buffer.getByte(segment.payloadOffset() + PAYLOAD - 1));
                    assertEquals(RecordHeader.length(buffer, offset), length);
                }, 1000) > 0) {
                    // drain
                }
                assertEquals(0, tailer.counters().total());
            }
            assertEquals(last + 1, expected[0]);
            assertEquals(last, JournalDigest.of(config).count());

            // reopening for writing on the still-full file system is refused with the same clear error
            JournalFullException reopen = assertThrows(JournalFullException.class, () -> Journal.open(config));
            assertTrue(reopen.getMessage().contains(dir.toString()), reopen.getMessage());
        } finally {
            Host.Result r = Host.run(Duration.ofSeconds(20), "umount", mount.toString());
            if (r.exitCode() != 0) {
                Host.run(Duration.ofSeconds(20), "umount", "-l", mount.toString());
            }
            deleteQuietly(mount);
        }
    }

    @Test
    void shouldRefuseToStartACycleFileOnAFullDiskAndResumeOnceSpaceIsFreed() throws Exception {
        Path mount = Files.createTempDirectory("journal-tmpfs");
        Host.run(Duration.ofSeconds(20), "mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", mount.toString()).check();
        try {
            Path dir = mount.resolve("journal");
            AtomicLong clock = new AtomicLong(1_700_000_000_000L);
            JournalConfig config = JournalConfig.builder(dir).rollCycle("TEST4_SECONDLY").clock(clock::get)
                .blockSize(512 * 1024).headroomBytes(256 * 1024).minFreeBytes(1024 * 1024).build();
            TestRecords records = new TestRecords();
            Path filler = mount.resolve("filler");
            try (Journal journal = Journal.open(config)) {
                for (long s = 1; s <= 100; s++) {
                    assertEquals(s, journal.append(records.buffer, 0, records.segment(s, PAYLOAD)));
                }
                long written = fill(filler);
                assertTrue(written > 0);
                clock.addAndGet(1000); // the next append starts a new cycle file: refused, nothing written
                JournalFullException e = assertThrows(JournalFullException.class,
                    () -> journal.append(records.buffer, 0, records.segment(101, PAYLOAD)));
                assertTrue(e.getMessage().contains(dir.toString()) && e.getMessage().contains("cycle"), e.getMessage());
                assertFalse(journal.healthy());
                assertEquals(100, journal.lastSequence());
            }
            Files.delete(filler);
            try (Journal journal = Journal.open(config)) {
                assertTrue(journal.healthy());
                assertEquals(100, journal.lastSequence());
                for (long s = 101; s <= 150; s++) {
                    assertEquals(s, journal.append(records.buffer, 0, records.segment(s, PAYLOAD)));
                }
                long[] next = {1};
                RecordCodec codec = new RecordCodec();
                try (JournalTailer tailer = journal.tailer(0)) {
                    while (tailer.poll((b, o, l) -> {
                        assertEquals(RecordErrors.OK, codec.validate(b, o, l));
                        assertEquals(next[0]++, RecordHeader.sequence(b, o));
                    }, 1000) > 0) {
                        // drain
                    }
                }
                assertEquals(151, next[0]);
                assertEquals(2, journal.cycleFileCount());
            }
        } finally {
            Host.Result r = Host.run(Duration.ofSeconds(20), "umount", mount.toString());
            if (r.exitCode() != 0) {
                Host.run(Duration.ofSeconds(20), "umount", "-l", mount.toString());
            }
            deleteQuietly(mount);
        }
    }

    /** Writes {@code file} until the file system is full; returns the bytes written. */
    private static long fill(Path file) throws IOException {
        byte[] chunk = new byte[16 * 1024];
        long written = 0;
        try (java.io.OutputStream out = Files.newOutputStream(file)) {
            while (true) {
                out.write(chunk);
                written += chunk.length;
            }
        } catch (IOException full) {
            return written; // ENOSPC: the point
        }
    }

    private static void deleteQuietly(Path dir) {
        try {
            TestRecords.deleteRecursively(dir);
        } catch (IOException e) {
            System.err.println("could not remove " + dir + ": " + e);
        }
    }
}
