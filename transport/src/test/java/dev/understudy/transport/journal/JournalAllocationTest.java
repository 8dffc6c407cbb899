package dev.understudy.transport.journal;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Appending to the journal and tailing it allocate nothing per record once warm (JDK 17 and 25). */
@Timeout(120)
class JournalAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    private long sink;

    @Test
    void shouldAppendAndTailWithoutAllocatingPerRecord() throws IOException {
        Path dir = Files.createTempDirectory("journal-alloc");
        TestRecords records = new TestRecords();
        try (Journal journal = Journal.open(JournalConfig.builder(dir).minFreeBytes(0).build());
             JournalTailer tailer = journal.tailer(0)) {
            long s = 1;
            for (; s <= 50_000; s++) {
                journal.append(records.buffer, 0, records.appRead(s));
            }
            while (tailer.poll((b, o, l) -> sink += l, 1000) > 0) {
                // warm up the tailer
            }
            int n = 200_000;
            long before = THREADS.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < n; i++, s++) {
                records.buffer.putLong(16, s, java.nio.ByteOrder.LITTLE_ENDIAN);
                journal.append(records.buffer, 0, records.appRead(s));
            }
            long appendBytes = THREADS.getCurrentThreadAllocatedBytes() - before;
            before = THREADS.getCurrentThreadAllocatedBytes();
            int read = 0;
            int got;
            while ((got = tailer.poll((b, o, l) -> sink += l, 1000)) > 0) {
                read += got;
            }
            long tailBytes = THREADS.getCurrentThreadAllocatedBytes() - before;
            System.out.printf("journal allocation: append %d bytes / %d records, tail %d bytes / %d records%n",
                appendBytes, n, tailBytes, read);
            assertTrue(read == n, "read " + read);
            // the smallest object is 16 bytes: under one byte per record means no per-record allocation (what
            // remains is Chronicle's per-chunk bookkeeping: ~1.4 KB on JDK 17, ~36 KB on JDK 25 per 200k records)
            assertTrue(appendBytes < n, "append allocated " + appendBytes + " bytes for " + n + " records");
            assertTrue(tailBytes < n, "tail allocated " + tailBytes + " bytes for " + n + " records");
        } finally {
            TestRecords.deleteRecursively(dir);
        }
    }
}
