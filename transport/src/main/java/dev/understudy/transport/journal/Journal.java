package dev.understudy.transport.journal;

import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHeader;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.bytes.PointerBytesStore;
import net.openhft.chronicle.queue.ExcerptAppender;
import net.openhft.chronicle.queue.ExcerptTailer;
import net.openhft.chronicle.queue.TailerDirection;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueue;
import net.openhft.chronicle.queue.impl.single.SingleChronicleQueueBuilder;
import net.openhft.chronicle.wire.DocumentContext;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * A clone's journal: every received log record, in sequence order, in a Chronicle Queue
 * ({@link SingleChronicleQueue}) directory.
 *
 * <p><b>Format.</b> One Chronicle excerpt holds exactly one record, as its raw bytes
 * ({@link RecordHeader} layout, no padding). Records are appended in strictly consecutive sequence
 * order: the first record of an empty journal may have any sequence, every later one must carry
 * {@link #lastSequence()} + 1. Heartbeats are not journaled.
 *
 * <p><b>Durability.</b> {@link #append} returns once the record is in the memory-mapped cycle file
 * (it survives the JVM dying; the OS flushes it to disk). {@link #durablePosition()} is the highest
 * sequence so appended: what the clone acknowledges.
 *
 * <p><b>Disk full.</b> The current cycle file is allocated {@code headroomBytes} ahead of the write
 * position with plain writes, and a new cycle is only started with {@code minFreeBytes} usable, so that
 * running out of space is detected as an I/O error before Chronicle writes into an unallocated page
 * (which would fault). Then {@link #append} throws {@link JournalFullException} naming the directory,
 * {@link #healthy()} becomes false, and nothing already appended is harmed.
 *
 * <p><b>Retention.</b> When a new cycle file starts, cycle files beyond {@code retainCycles} newest, then
 * the oldest beyond {@code retainBytes}, are deleted; the current file never is.
 *
 * <p><b>Threads.</b> {@link #append} and {@link #close()} from one thread at a time (the receiver's);
 * {@link #lastSequence()}, {@link #durablePosition()}, {@link #healthy()} from any thread. Each
 * {@link JournalTailer} is confined to one thread at a time. Appending allocates nothing.
 */
public final class Journal implements AutoCloseable {
    /** {@link #lastSequence()} of an empty journal. */
    public static final long NO_SEQUENCE = -1;
    /** {@link #append} result: the bytes are not one valid record (counted in {@link #counters()}). */
    public static final long INVALID = -1;
    /** {@link #append} result: the sequence is not above {@link #lastSequence()} (a duplicate or an old record). */
    public static final long STALE = -2;
    /** {@link #append} result: the sequence is above {@link #lastSequence()} + 1 (records are missing). */
    public static final long GAP = -3;

    private static final int ZERO_CHUNK = 64 * 1024;
    private static final int PAGE = 4096;

    private final JournalConfig config;
    private final Path directory;
    private final SingleChronicleQueue queue;
    private final ExcerptAppender appender;
    private final RecordCodec codec;
    private final PointerBytesStore pointer = new PointerBytesStore();
    private final long indexMargin;
    private final AtomicLong staleCount = new AtomicLong();
    private final AtomicLong gapCount = new AtomicLong();
    private final AtomicLong deletedFiles = new AtomicLong();

    private volatile long lastSequence = NO_SEQUENCE;
    private volatile long firstSequence = NO_SEQUENCE;
    private volatile boolean healthy = true;
    private volatile String fault;
    private volatile boolean closed;

    // preallocation state, appender thread only
    private ByteBuffer zeros;
    private int trackedCycle = Integer.MIN_VALUE;
    private File trackedFile;
    private FileChannel trackedChannel;
    private long filePosition;
    private long allocatedUpTo;

    private Journal(JournalConfig config, SingleChronicleQueue queue, int indexCount) {
        this.config = config;
        this.directory = config.directory();
        this.queue = queue;
        this.codec = new RecordCodec(new DecodeCounters());
        // Chronicle may allocate an index array (indexCount longs) and an index-to-index array inside an append
        this.indexMargin = 2L * indexCount * Long.BYTES + PAGE;
        if (config.readOnly()) {
            this.appender = null;
        } else {
            this.appender = queue.createAppender();
            this.appender.singleThreadedCheckDisabled(true);
        }
    }

    /**
     * Opens (creating if needed) the journal and recovers {@link #lastSequence()} from its tail.
     *
     * @throws JournalFullException if opened for writing with less than {@code minFreeBytes} usable
     * @throws UncheckedIOException if the directory cannot be created or read
     */
    public static Journal open(JournalConfig config) {
        Path dir = config.directory();
        try {
            if (!config.readOnly()) {
                Files.createDirectories(dir);
                long usable = Files.getFileStore(dir).getUsableSpace();
                if (usable < config.minFreeBytes()) {
                    throw new JournalFullException(dir, usable, "cannot open for writing: minFreeBytes="
                        + config.minFreeBytes(), null);
                }
            } else if (!Files.isDirectory(dir)) {
                throw new IOException("journal directory missing: dir=" + dir);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open journal: dir=" + dir, e);
        }
        SingleChronicleQueueBuilder builder = SingleChronicleQueueBuilder.binary(dir)
            .rollCycle(ChronicleSupport.rollCycle(config.rollCycle()))
            .blockSize(config.blockSize())
            .readOnly(config.readOnly());
        if (config.clock() != null) {
            builder.timeProvider(config.clock()::getAsLong);
        }
        SingleChronicleQueue queue = builder.build();
        Journal journal;
        try {
            journal = new Journal(config, queue, builder.indexCount());
            journal.recover();
        } catch (RuntimeException | Error e) {
            queue.close();
            throw e;
        }
        return journal;
    }

    private void recover() {
        queue.refreshDirectoryListing();
        lastSequence = edgeSequence(TailerDirection.BACKWARD);
        firstSequence = edgeSequence(TailerDirection.FORWARD);
    }

    /** Sequence of the first valid record read from one end, or NO_SEQUENCE. */
    private long edgeSequence(TailerDirection direction) {
        try (ExcerptTailer tailer = queue.createTailer()) {
            tailer.singleThreadedCheckDisabled(true);
            if (direction == TailerDirection.BACKWARD) {
                tailer.direction(TailerDirection.BACKWARD).toEnd();
            } else {
                tailer.toStart();
            }
            UnsafeBuffer view = new UnsafeBuffer(0, 0);
            while (true) {
                try (DocumentContext dc = tailer.readingDocument()) {
                    if (!dc.isPresent()) {
                        return NO_SEQUENCE;
                    }
                    Bytes<?> bytes = dc.wire().bytes();
                    int len = (int) bytes.readRemaining();
                    if (len >= RecordHeader.HEADER_LENGTH) {
                        view.wrap(bytes.addressForRead(bytes.readPosition()), len);
                        if (codec.validate(view, 0, len) == RecordErrors.OK) {
                            return RecordHeader.sequence(view, 0);
                        }
                    } else {
                        codec.counters().increment(RecordErrors.TRUNCATED);
                    }
                }
            }
        }
    }

    /** @return the configuration */
    public JournalConfig config() {
        return config;
    }

    /** @return the journal directory */
    public Path directory() {
        return directory;
    }

    /**
     * Appends one record. With {@code verifyOnAppend} the record is validated first (length field
     * equal to {@code length}, CRC, layout); without, only its bounds and length field are checked.
     *
     * @param buffer holds the record
     * @param offset where it starts
     * @param length its length (its header's length field)
     * @return the record's sequence (&gt;= 0) once it is in the journal; or {@link #INVALID},
     *     {@link #STALE} or {@link #GAP}, with nothing written
     * @throws JournalFullException when the file system is full (then and afterwards)
     * @throws IllegalStateException when read-only, closed or unhealthy for another reason
     */
    public long append(DirectBuffer buffer, int offset, int length) {
        if (appender == null) {
            throw new IllegalStateException("journal is read-only: dir=" + directory);
        }
        if (closed) {
            // writing through a closed (unmapped) queue would crash the JVM, not throw
            throw new IllegalStateException("journal closed: dir=" + directory);
        }
        if (!healthy) {
            throw unhealthy();
        }
        if (config.verifyOnAppend()) {
            int code = codec.validate(buffer, offset, length);
            if (code != RecordErrors.OK) {
                return INVALID;
            }
            if (RecordHeader.length(buffer, offset) != length) {
                codec.counters().increment(RecordErrors.BAD_LENGTH);
                return INVALID;
            }
        } else if (length < RecordHeader.HEADER_LENGTH || length > RecordHeader.MAX_RECORD_LENGTH || offset < 0
            || (long) offset + length > buffer.capacity() || RecordHeader.length(buffer, offset) != length) {
            // even unverified, never copy outside the buffer nor store a record its reader would drop
            codec.counters().increment(RecordErrors.BAD_LENGTH);
            return INVALID;
        }
        long sequence = RecordHeader.sequence(buffer, offset);
        long last = lastSequence;
        if (last != NO_SEQUENCE) {
            if (sequence <= last) {
                staleCount.incrementAndGet();
                return STALE;
            }
            if (sequence != last + 1) {
                gapCount.incrementAndGet();
                return GAP;
            }
        } else if (sequence < 0) {
            codec.counters().increment(RecordErrors.BAD_BODY);
            return INVALID;
        }
        ensureRoom(length);
        DocumentContext dc = appender.writingDocument();
        try {
            Bytes<?> bytes = dc.wire().bytes();
            byte[] array = buffer.byteArray();
            if (array != null) {
                bytes.write(array, buffer.wrapAdjustment() + offset, length);
            } else {
                pointer.set(buffer.addressOffset() + offset, length);
                bytes.write(pointer, 0L, (long) length);
            }
            filePosition = bytes.writePosition();
        } catch (RuntimeException | Error e) {
            dc.rollbackOnClose();
            markUnhealthy("append failed: " + e);
            throw new IllegalStateException("journal append failed: dir=" + directory + ", sequence=" + sequence, e);
        } finally {
            dc.close();
        }
        if (last == NO_SEQUENCE) {
            firstSequence = sequence;
        }
        lastSequence = sequence;
        if (appender.cycle() != trackedCycle) {
            onNewCycle();
        }
        return sequence;
    }

    /** Guarantees allocated space for the next excerpt, or throws JournalFullException writing nothing. */
    private void ensureRoom(int length) {
        if (queue.cycle() != trackedCycle) {
            // this append starts a cycle file (or is this session's first): Chronicle writes its header and
            // index arrays before we can allocate anything, so require usable space instead
            long usable = usableSpace();
            if (usable >= 0 && usable < config.minFreeBytes()) {
                throw markFull(usable, "cannot start a cycle file: minFreeBytes=" + config.minFreeBytes(), null);
            }
            return;
        }
        if (allocatedUpTo - filePosition < length + indexMargin) {
            preallocate(filePosition + config.headroomBytes(), "allocating " + config.headroomBytes()
                + " bytes ahead in " + trackedFile);
        }
    }

    private void onNewCycle() {
        closeTrackedChannel();
        trackedCycle = appender.cycle();
        trackedFile = appender.currentFile();
        allocatedUpTo = 0;
        try {
            if (trackedFile != null) {
                trackedChannel = FileChannel.open(trackedFile.toPath(), StandardOpenOption.WRITE);
            }
            applyRetention();
            preallocate(filePosition + config.headroomBytes(), "allocating the new cycle file " + trackedFile);
        } catch (JournalFullException e) {
            // the record just appended is complete; the next append reports the condition
        } catch (IOException e) {
            markUnhealthy("cannot open cycle file " + trackedFile + ": " + e);
        }
    }

    private void preallocate(long target, String what) {
        if (trackedChannel == null) {
            return;
        }
        long pos = Math.max(allocatedUpTo, (filePosition + PAGE - 1) & -PAGE);
        if (target <= pos) {
            return;
        }
        if (zeros == null) {
            zeros = ByteBuffer.allocateDirect(ZERO_CHUNK);
        }
        try {
            // the region is beyond everything Chronicle has written (it writes sequentially from filePosition),
            // so writing zeros changes no content; it makes the file system allocate the blocks now
            while (pos < target) {
                zeros.clear();
                zeros.limit((int) Math.min(ZERO_CHUNK, target - pos));
                while (zeros.hasRemaining()) {
                    pos += trackedChannel.write(zeros, pos);
                }
                allocatedUpTo = pos;
            }
        } catch (IOException e) {
            throw markFull(usableSpace(), what, e);
        }
    }

    private void applyRetention() {
        int keep = config.retainCycles();
        long maxBytes = config.retainBytes();
        if (keep == 0 && maxBytes == 0) {
            return;
        }
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "*.cq4")) {
            for (Path p : ds) {
                files.add(p);
            }
        } catch (IOException e) {
            return; // retention is best effort; the next roll retries
        }
        // cycle file names are the roll cycle's date format: lexicographic order is time order
        Collections.sort(files);
        String current = trackedFile == null ? null : trackedFile.getName();
        int deletable = files.size() - 1; // never the newest
        int deleteUpTo = keep > 0 ? Math.max(0, files.size() - keep) : 0;
        long total = 0;
        long[] sizes = new long[files.size()];
        for (int i = 0; i < files.size(); i++) {
            try {
                sizes[i] = Files.size(files.get(i));
            } catch (IOException e) {
                sizes[i] = 0;
            }
            total += sizes[i];
        }
        boolean deleted = false;
        for (int i = 0; i < deletable; i++) {
            boolean tooMany = i < deleteUpTo;
            boolean tooBig = maxBytes > 0 && total > maxBytes;
            if (!tooMany && !tooBig) {
                break;
            }
            Path p = files.get(i);
            if (p.getFileName().toString().equals(current)) {
                break;
            }
            try {
                if (Files.deleteIfExists(p)) {
                    deletedFiles.incrementAndGet();
                    deleted = true;
                }
            } catch (IOException e) {
                break;
            }
            total -= sizes[i];
        }
        if (deleted) {
            queue.refreshDirectoryListing();
            firstSequence = edgeSequence(TailerDirection.FORWARD);
        }
    }

    private long usableSpace() {
        try {
            return Files.getFileStore(directory).getUsableSpace();
        } catch (IOException e) {
            return -1;
        }
    }

    private JournalFullException markFull(long usable, String what, Throwable cause) {
        JournalFullException e = new JournalFullException(directory, usable, what, cause);
        fault = e.getMessage();
        healthy = false;
        return e;
    }

    private void markUnhealthy(String why) {
        fault = why;
        healthy = false;
    }

    private RuntimeException unhealthy() {
        String why = fault;
        if (why != null && why.startsWith("journal disk full")) {
            return new JournalFullException(directory, usableSpace(), "journal refuses appends after: " + why, null);
        }
        return new IllegalStateException("journal unhealthy: dir=" + directory + ", cause=" + why);
    }

    /**
     * Opens a tailer positioned at the first record whose sequence is {@code >= fromSequence}
     * (0 or {@link #NO_SEQUENCE} for the start). The tailer also sees records appended later.
     */
    public JournalTailer tailer(long fromSequence) {
        if (closed) {
            throw new IllegalStateException("journal closed: dir=" + directory);
        }
        return new JournalTailer(this, queue, fromSequence);
    }

    /** @return the highest sequence in the journal, {@link #NO_SEQUENCE} if empty */
    public long lastSequence() {
        return lastSequence;
    }

    /** @return the lowest sequence still in the journal (after retention), {@link #NO_SEQUENCE} if empty */
    public long firstSequence() {
        return firstSequence;
    }

    /** @return the highest sequence whose record is completely in the journal: what to acknowledge */
    public long durablePosition() {
        return lastSequence;
    }

    boolean isClosed() {
        return closed;
    }

    /** @return false after disk full or another write fault; appends are then refused */
    public boolean healthy() {
        return healthy && !closed;
    }

    /** @return why the journal is unhealthy, or null */
    public String fault() {
        return fault;
    }

    /** @return records refused as invalid, per {@link RecordErrors} code (and corrupt records met on recovery) */
    public DecodeCounters counters() {
        return codec.counters();
    }

    /** @return appends refused as {@link #STALE} */
    public long staleCount() {
        return staleCount.get();
    }

    /** @return appends refused as {@link #GAP} */
    public long gapCount() {
        return gapCount.get();
    }

    /** @return cycle files deleted by retention since open */
    public long deletedFileCount() {
        return deletedFiles.get();
    }

    /** @return cycle files ({@code *.cq4}) currently in the directory */
    public int cycleFileCount() {
        int n = 0;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "*.cq4")) {
            for (Path ignored : ds) {
                n++;
            }
        } catch (IOException e) {
            return -1;
        }
        return n;
    }

    private void closeTrackedChannel() {
        if (trackedChannel != null) {
            try {
                trackedChannel.close();
            } catch (IOException ignored) {
                // nothing was written through it that is not also in the mapping
            }
            trackedChannel = null;
        }
    }

    /** Closes the appender and the queue. Tailers must be closed first. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        closeTrackedChannel();
        if (appender != null) {
            appender.close();
        }
        queue.close();
    }

    @Override
    public String toString() {
        return "Journal{dir=" + directory + ", first=" + firstSequence + ", last=" + lastSequence + ", healthy="
            + healthy + '}';
    }
}
