package dev.understudy.transport.journal;

import dev.understudy.transport.record.RecordHeader;
import java.nio.file.Path;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * Configuration of a {@link Journal}: an immutable value built with {@link #builder(Path)}, validated
 * by {@link Builder#build()} (exceptions name the key and the value).
 *
 * <table>
 *   <caption>keys</caption>
 *   <tr><th>key</th><th>default</th><th>meaning</th></tr>
 *   <tr><td>directory</td><td>(required)</td><td>the Chronicle Queue directory, created if missing</td></tr>
 *   <tr><td>rollCycle</td><td>{@value #ROLL_CYCLE_DEFAULT}</td><td>name of a Chronicle {@code RollCycles}
 *       (or {@code TestRollCycles}) constant: how often a new cycle file starts</td></tr>
 *   <tr><td>retainCycles</td><td>{@value #RETAIN_CYCLES_DEFAULT}</td><td>keep the newest N cycle files,
 *       delete older ones when a cycle rolls; 0 keeps all</td></tr>
 *   <tr><td>retainBytes</td><td>{@value #RETAIN_BYTES_DEFAULT}</td><td>then also delete the oldest cycle
 *       files while the files' total size exceeds this; the current file is never deleted; 0 = no limit</td></tr>
 *   <tr><td>blockSize</td><td>{@value #BLOCK_SIZE_DEFAULT}</td><td>Chronicle mapping block size, at least
 *       {@value #MIN_BLOCK_SIZE} (a record must fit in a block's overlap, a quarter block)</td></tr>
 *   <tr><td>headroomBytes</td><td>{@value #HEADROOM_BYTES_DEFAULT}</td><td>bytes of the current cycle file
 *       allocated ahead of the write position, so that running out of disk is an
 *       {@link JournalFullException} and not a fault inside a memory-mapped write</td></tr>
 *   <tr><td>minFreeBytes</td><td>{@value #MIN_FREE_BYTES_DEFAULT}</td><td>usable bytes required on the
 *       file system to open for writing and to start a new cycle file</td></tr>
 *   <tr><td>verifyOnAppend</td><td>true</td><td>validate length, CRC and layout of each appended record</td></tr>
 *   <tr><td>readOnly</td><td>false</td><td>open for reading only (replay, digest, catch-up serving from a
 *       file system that is full)</td></tr>
 *   <tr><td>clock</td><td>system time</td><td>milliseconds clock deciding cycles (tests)</td></tr>
 * </table>
 */
public final class JournalConfig {
    public static final String ROLL_CYCLE_DEFAULT = "FAST_HOURLY";
    public static final int RETAIN_CYCLES_DEFAULT = 0;
    public static final long RETAIN_BYTES_DEFAULT = 0;
    public static final long BLOCK_SIZE_DEFAULT = 16L << 20;
    public static final long MIN_BLOCK_SIZE = 4L * RecordHeader.MAX_RECORD_LENGTH;
    public static final long HEADROOM_BYTES_DEFAULT = 2L << 20;
    public static final long MIN_FREE_BYTES_DEFAULT = 8L << 20;

    private final Path directory;
    private final String rollCycle;
    private final int retainCycles;
    private final long retainBytes;
    private final long blockSize;
    private final long headroomBytes;
    private final long minFreeBytes;
    private final boolean verifyOnAppend;
    private final boolean readOnly;
    private final LongSupplier clock;

    private JournalConfig(Builder b) {
        directory = b.directory;
        rollCycle = b.rollCycle;
        retainCycles = b.retainCycles;
        retainBytes = b.retainBytes;
        blockSize = b.blockSize;
        headroomBytes = b.headroomBytes;
        minFreeBytes = b.minFreeBytes;
        verifyOnAppend = b.verifyOnAppend;
        readOnly = b.readOnly;
        clock = b.clock;
    }

    /** @return a builder with defaults for {@code directory} */
    public static Builder builder(Path directory) {
        return new Builder(directory);
    }

    /** @return a builder pre-filled from this configuration */
    public Builder toBuilder() {
        Builder b = new Builder(directory);
        b.rollCycle = rollCycle;
        b.retainCycles = retainCycles;
        b.retainBytes = retainBytes;
        b.blockSize = blockSize;
        b.headroomBytes = headroomBytes;
        b.minFreeBytes = minFreeBytes;
        b.verifyOnAppend = verifyOnAppend;
        b.readOnly = readOnly;
        b.clock = clock;
        return b;
    }

    public Path directory() {
        return directory;
    }

    public String rollCycle() {
        return rollCycle;
    }

    public int retainCycles() {
        return retainCycles;
    }

    public long retainBytes() {
        return retainBytes;
    }

    public long blockSize() {
        return blockSize;
    }

    public long headroomBytes() {
        return headroomBytes;
    }

    public long minFreeBytes() {
        return minFreeBytes;
    }

    public boolean verifyOnAppend() {
        return verifyOnAppend;
    }

    public boolean readOnly() {
        return readOnly;
    }

    /** @return the cycle clock, or null for system time */
    public LongSupplier clock() {
        return clock;
    }

    @Override
    public String toString() {
        return "JournalConfig{directory=" + directory + ", rollCycle=" + rollCycle + ", retainCycles=" + retainCycles
            + ", retainBytes=" + retainBytes + ", blockSize=" + blockSize + ", headroomBytes=" + headroomBytes
            + ", minFreeBytes=" + minFreeBytes + ", verifyOnAppend=" + verifyOnAppend + ", readOnly=" + readOnly + '}';
    }

    /** Mutable builder; {@link #build()} validates. */
    public static final class Builder {
        private final Path directory;
        private String rollCycle = ROLL_CYCLE_DEFAULT;
        private int retainCycles = RETAIN_CYCLES_DEFAULT;
        private long retainBytes = RETAIN_BYTES_DEFAULT;
        private long blockSize = BLOCK_SIZE_DEFAULT;
        private long headroomBytes = HEADROOM_BYTES_DEFAULT;
        private long minFreeBytes = MIN_FREE_BYTES_DEFAULT;
        private boolean verifyOnAppend = true;
        private boolean readOnly;
        private LongSupplier clock;

        private Builder(Path directory) {
            this.directory = Objects.requireNonNull(directory, "journal directory");
        }

        public Builder rollCycle(String value) {
            rollCycle = value;
            return this;
        }

        public Builder retainCycles(int value) {
            retainCycles = value;
            return this;
        }

        public Builder retainBytes(long value) {
            retainBytes = value;
            return this;
        }

        public Builder blockSize(long value) {
            blockSize = value;
            return this;
        }

        public Builder headroomBytes(long value) {
            headroomBytes = value;
            return this;
        }

        public Builder minFreeBytes(long value) {
            minFreeBytes = value;
            return this;
        }

        public Builder verifyOnAppend(boolean value) {
            verifyOnAppend = value;
            return this;
        }

        public Builder readOnly(boolean value) {
            readOnly = value;
            return this;
        }

        public Builder clock(LongSupplier value) {
            clock = value;
            return this;
        }

        /** @return the validated configuration */
        public JournalConfig build() {
            ChronicleSupport.rollCycle(rollCycle); // throws naming the value
            if (retainCycles < 0) {
                throw new IllegalArgumentException("invalid journal retainCycles: value=" + retainCycles + ", expected >= 0");
            }
            if (retainBytes < 0) {
                throw new IllegalArgumentException("invalid journal retainBytes: value=" + retainBytes + ", expected >= 0");
            }
            if (blockSize < MIN_BLOCK_SIZE || Long.bitCount(blockSize) != 1) {
                throw new IllegalArgumentException("invalid journal blockSize: value=" + blockSize
                    + ", expected a power of two >= " + MIN_BLOCK_SIZE);
            }
            if (headroomBytes < 2L * RecordHeader.MAX_RECORD_LENGTH) {
                throw new IllegalArgumentException("invalid journal headroomBytes: value=" + headroomBytes
                    + ", expected >= " + 2L * RecordHeader.MAX_RECORD_LENGTH);
            }
            if (minFreeBytes < 0) {
                throw new IllegalArgumentException("invalid journal minFreeBytes: value=" + minFreeBytes + ", expected >= 0");
            }
            return new JournalConfig(this);
        }
    }
}
