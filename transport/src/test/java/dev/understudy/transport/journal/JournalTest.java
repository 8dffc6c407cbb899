package dev.understudy.transport.journal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHeader;
import dev.understudy.transport.record.RecordType;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(120)
class JournalTest {
    private Path dir;
    private final TestRecords records = new TestRecords();

    @BeforeEach
    void createDir() throws IOException {
        dir = Files.createTempDirectory("journal-test");
    }

    @AfterEach
    void deleteDir() throws IOException {
        TestRecords.deleteRecursively(dir);
    }

    private JournalConfig.Builder config(Path d) {
        return JournalConfig.builder(d).minFreeBytes(0);
    }

    @Test
    void shouldAppendAMillionSmallRecordsAndReadThemBackInOrder() {
        int n = 1_000_000;
        try (Journal journal = Journal.open(config(dir).build())) {
            assertEquals(Journal.NO_SEQUENCE, journal.lastSequence());
            for (long s = 1; s <= n; s++) {
                int len = records.appRead(s);
                assertEquals(s, journal.append(records.buffer, 0, len));
            }
            assertEquals(n, journal.lastSequence());
            assertEquals(n, journal.durablePosition());
            assertEquals(1, journal.firstSequence());
            AtomicLong expected = new AtomicLong(1);
            AppReadFlyweight read = new AppReadFlyweight();
            try (JournalTailer tailer = journal.tailer(0)) {
                int got;
                do {
                    got = tailer.poll((buffer, offset, length) -> {
                        long s = expected.getAndIncrement();
                        read.wrap(buffer, offset);
                        if (read.sequence() != s || read.type() != RecordType.APP_READ || length != AppReadFlyweight.LENGTH
                            || read.readOrder() != s * 3 || read.connectionId() != s % 7) {
                            throw new AssertionError("record " + s + " read back as " + read);
                        }
                    }, 10_000);
                } while (got > 0);
                assertEquals(0, tailer.counters().total());
            }
            assertEquals(n + 1, expected.get());
            assertTrue(journal.healthy());
        }
    }

    @Test
    void shouldResumeAfterReopenWithoutGap() {
        try (Journal journal = Journal.open(config(dir).build())) {
            for (long s = 10; s < 20; s++) {
                assertEquals(s, journal.append(records.buffer, 0, records.segment(s, 100)));
            }
        }
        try (Journal journal = Journal.open(config(dir).build())) {
            assertEquals(19, journal.lastSequence());
            assertEquals(10, journal.firstSequence());
            assertEquals(Journal.STALE, journal.append(records.buffer, 0, records.segment(19, 100)));
            assertEquals(Journal.GAP, journal.append(records.buffer, 0, records.segment(21, 100)));
            assertEquals(20, journal.append(records.buffer, 0, records.segment(20, 100)));
            assertEquals(1, journal.staleCount());
            assertEquals(1, journal.gapCount());
            long[] seen = new long[32];
            int[] count = {0};
            try (JournalTailer tailer = journal.tailer(0)) {
                while (tailer.poll((b, o, l) -> seen[count[0]++] = RecordHeader.sequence(b, o), 100) > 0) {
                    // drain
                }
            }
            assertEquals(11, count[0]);
            for (int i = 0; i < 11; i++) {
                assertEquals(10 + i, seen[i]);
            }
        }
    }

    @Test
    void shouldRefuseCorruptRecordsAndWriteNothing() {
        try (Journal journal = Journal.open(config(dir).build())) {
            int len = records.appRead(1);
            records.buffer.putByte(30, (byte) (records.buffer.getByte(30) ^ 1));
            assertEquals(Journal.INVALID, journal.append(records.buffer, 0, len));
            assertEquals(1, journal.counters().get(RecordErrors.BAD_CRC));
            assertEquals(Journal.INVALID, journal.append(records.buffer, 0, 10));
            assertEquals(Journal.NO_SEQUENCE, journal.lastSequence());
        }
        try (Journal journal = Journal.open(config(dir).verifyOnAppend(false).build())) {
            int len = records.appRead(1);
            assertEquals(Journal.INVALID, journal.append(records.buffer, 0, len + 8));
            assertEquals(Journal.INVALID, journal.append(records.buffer, records.buffer.capacity() - 30, len));
            assertEquals(1, journal.append(records.buffer, 0, len));
        }
    }

    @Test
    void shouldStartTailerInTheMiddle() {
        try (Journal journal = Journal.open(config(dir).build())) {
            for (long s = 1; s <= 50_000; s++) {
                journal.append(records.buffer, 0, records.appRead(s));
            }
            for (long from : new long[] {1, 2, 25_000, 49_999, 50_000}) {
                try (JournalTailer tailer = journal.tailer(from)) {
                    long[] first = {-1};
                    int got = tailer.poll((b, o, l) -> {
                        if (first[0] < 0) {
                            first[0] = RecordHeader.sequence(b, o);
                        }
                    }, 100);
                    assertEquals(from, first[0]);
                    assertEquals(Math.min(100, 50_000 - from + 1), got);
                }
            }
            try (JournalTailer tailer = journal.tailer(50_001)) {
                assertEquals(0, tailer.poll((b, o, l) -> { }, 10));
                journal.append(records.buffer, 0, records.appRead(50_001));
                long[] got = {-1};
                assertEquals(1, tailer.poll((b, o, l) -> got[0] = RecordHeader.sequence(b, o), 10));
                assertEquals(50_001, got[0]);
            }
        }
    }

    @Test
    void shouldDeleteCycleFilesBeyondRetention() {
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        JournalConfig cfg = config(dir).rollCycle("TEST4_SECONDLY").retainCycles(3).clock(clock::get).build();
        try (Journal journal = Journal.open(cfg)) {
            long s = 1;
            for (int cycle = 0; cycle < 8; cycle++) {
                for (int i = 0; i < 10; i++) {
                    assertEquals(s, journal.append(records.buffer, 0, records.appRead(s)));
                    s++;
                }
                clock.addAndGet(1000);
            }
            journal.append(records.buffer, 0, records.appRead(s)); // opens the 9th cycle, applies retention
            assertEquals(3, journal.cycleFileCount());
            assertEquals(6, journal.deletedFileCount());
            assertEquals(61, journal.firstSequence());
            long[] first = {-1};
            try (JournalTailer tailer = journal.tailer(0)) {
                tailer.poll((b, o, l) -> first[0] = RecordHeader.sequence(b, o), 1);
            }
            assertEquals(61, first[0]);
        }
    }

    @Test
    void shouldDeliverRecordsInOrderToATailerOnAnotherThreadWhileAppending() throws Exception {
        int n = 200_000;
        try (Journal journal = Journal.open(config(dir).build())) {
            java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
            long[] seen = {0};
            Thread replayer = new Thread(() -> {
                try (JournalTailer tailer = journal.tailer(1)) {
                    long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
                    while (seen[0] < n && System.nanoTime() < deadline) {
                        tailer.poll((b, o, l) -> {
                            long s = RecordHeader.sequence(b, o);
                            if (s != seen[0] + 1) {
                                throw new AssertionError("expected " + (seen[0] + 1) + " got " + s);
                            }
                            seen[0] = s;
                        }, 1000);
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "journal-test-replayer");
            replayer.start();
            TestRecords own = new TestRecords();
            for (long s = 1; s <= n; s++) {
                assertEquals(s, journal.append(own.buffer, 0, own.segment(s, (int) (s % 200))));
            }
            replayer.join(70_000);
            assertFalse(replayer.isAlive());
            if (failure.get() != null) {
                throw new AssertionError("replayer failed", failure.get());
            }
            assertEquals(n, seen[0]);
        }
    }

    @Test
    void shouldSeekAcrossCycleFilesAndResumeInTheLastOne() {
        AtomicLong clock = new AtomicLong(1_700_000_000_000L);
        JournalConfig cfg = config(dir).rollCycle("TEST4_SECONDLY").clock(clock::get).build();
        try (Journal journal = Journal.open(cfg)) {
            long s = 1;
            for (int cycle = 0; cycle < 6; cycle++) {
                for (int i = 0; i < 100 + cycle; i++) {
                    assertEquals(s, journal.append(records.buffer, 0, records.appRead(s)));
                    s++;
                }
                clock.addAndGet(1000);
            }
            assertEquals(6, journal.cycleFileCount());
            long last = s - 1;
            for (long from = 1; from <= last; from += 37) {
                try (JournalTailer tailer = journal.tailer(from)) {
                    long[] seen = {-1, 0};
                    while (tailer.poll((b, o, l) -> {
                        long q = RecordHeader.sequence(b, o);
                        if (seen[0] < 0) {
                            seen[0] = q;
                        }
                        seen[1]++;
                    }, 1000) > 0) {
                        // drain
                    }
                    assertEquals(from, seen[0]);
                    assertEquals(last - from + 1, seen[1]);
                }
            }
        }
        clock.addAndGet(1000);
        try (Journal journal = Journal.open(cfg)) {
            assertEquals(615, journal.lastSequence());
            assertEquals(616, journal.append(records.buffer, 0, records.appRead(616)));
        }
    }

    @Test
    void shouldProduceEqualDigestsForEqualContentAndDifferentOtherwise() throws IOException {
        Path other = Files.createTempDirectory("journal-test-peer");
        try {
            try (Journal a = Journal.open(config(dir).build());
                 Journal b = Journal.open(config(other).rollCycle("FAST_DAILY").build())) {
                for (long s = 1; s <= 5000; s++) {
                    int len = records.segment(s, (int) (s % 300));
                    a.append(records.buffer, 0, len);
                    b.append(records.buffer, 0, len);
                }
                JournalDigest da = JournalDigest.of(a);
                JournalDigest db = JournalDigest.of(b);
                assertEquals(da, db);
                assertEquals(5000, da.count());
                assertEquals(1, da.firstSequence());
                assertEquals(5000, da.lastSequence());
                b.append(records.buffer, 0, records.segment(5001, 10));
                assertNotEquals(da, JournalDigest.of(b));
            }
            assertEquals(JournalDigest.of(config(dir).build()), JournalDigest.of(config(dir).build()));
        } finally {
            TestRecords.deleteRecursively(other);
        }
    }

    @Test
    void shouldRefuseAppendsWhenReadOnly() {
        try (Journal journal = Journal.open(config(dir).build())) {
            journal.append(records.buffer, 0, records.appRead(1));
        }
        try (Journal journal = Journal.open(config(dir).readOnly(true).build())) {
            assertEquals(1, journal.lastSequence());
            assertThrows(IllegalStateException.class, () -> journal.append(records.buffer, 0, records.appRead(2)));
        }
    }

    @Test
    void shouldRefuseUseAfterCloseWithAnExceptionInsteadOfACrash() {
        Journal journal = Journal.open(config(dir).build());
        journal.append(records.buffer, 0, records.appRead(1));
        JournalTailer tailer = journal.tailer(0);
        tailer.close();
        journal.close();
        assertFalse(journal.healthy());
        assertThrows(IllegalStateException.class, () -> journal.append(records.buffer, 0, records.appRead(2)));
        assertThrows(IllegalStateException.class, () -> journal.tailer(0));
        journal.close();
    }

    @Test
    void shouldRejectInvalidConfigurationNamingTheValue() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> JournalConfig.builder(dir).rollCycle("HOURLYISH").build());
        assertTrue(e.getMessage().contains("HOURLYISH"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> JournalConfig.builder(dir).blockSize(1000).build());
        assertFalse(JournalConfig.builder(dir).build().readOnly());
    }

    @Test
    void shouldAppendRecordsFromDirectBuffers() {
        UnsafeBuffer direct = new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(4096));
        try (Journal journal = Journal.open(config(dir).build())) {
            for (long s = 1; s <= 100; s++) {
                int len = records.segment(s, 1000);
                direct.putBytes(8, records.buffer, 0, len);
                assertEquals(s, journal.append(direct, 8, len));
            }
        }
        JournalDigest d = JournalDigest.of(config(dir).build());
        assertEquals(100, d.count());
    }
}
