package dev.understudy.agent.failover;

import dev.understudy.agent.election.DurableState;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The election's {@link DurableState} (highest epoch seen, vote in it) on disk, in a small file
 * next to the journal, so that a node that restarts never votes twice in one epoch (invariant 6;
 * Raft's {@code currentTerm}/{@code votedFor}).
 *
 * <h2>Layout</h2>
 * 24 bytes, little-endian:
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                  magic "UDSF" (0x46534455)                     |  0
 *  +-------------------------------+-------------------------------+
 *  |          version 1 (u16)      |              0                |  4
 *  +-------------------------------+-------------------------------+
 *  |                        epoch (i64)                            |  8
 *  +---------------------------------------------------------------+
 *  |                 voted for (i32, 0 = none)                     | 16
 *  +---------------------------------------------------------------+
 *  |                CRC-32C of bytes 0..19 (u32)                   | 20
 *  +---------------------------------------------------------------+
 * </pre>
 *
 * <h2>Crash safety</h2>
 * {@link #write} writes the whole state to {@code <name>.tmp}, forces it to disk, renames it over
 * the file atomically ({@code rename(2)}), and forces the directory so the rename itself is
 * durable: a crash at any point leaves either the old state or the new one under the file's name,
 * never a mix. A temporary file left behind by a crash is ignored (and removed) by {@link #read}.
 * A file that exists but is not a valid state (wrong length, magic, version or CRC, a negative
 * value) is an {@link IllegalStateException} naming the path: the node does not start rather than
 * forget a vote. Only a missing file reads as {@link DurableState#INITIAL}.
 *
 * <p>Not thread-safe: one thread (the election's) reads once at start and then writes.
 */
public final class DurableStateFile {
    /** Suffix of the file next to a journal directory: {@code <journal dir>.election}. */
    public static final String SUFFIX = ".election";
    static final int MAGIC = 0x46534455; // "UDSF" little-endian
    static final int VERSION = 1;
    static final int LENGTH = 24;

    private final Path path;
    private final Path temp;
    private final ByteBuffer buffer = ByteBuffer.allocate(LENGTH).order(ByteOrder.LITTLE_ENDIAN);
    private final CRC32C crc = new CRC32C();
    private long writes;

    /** The state file at {@code path} (its directory must exist). */
    public DurableStateFile(Path path) {
        this.path = path.toAbsolutePath();
        this.temp = this.path.resolveSibling(this.path.getFileName() + ".tmp");
    }

    /**
     * The state file of the node whose journal is {@code journalDirectory}: beside it, not inside
     * (the journal directory belongs to Chronicle), named after it, so nodes whose journals share a
     * parent directory do not share a state.
     */
    public static DurableStateFile nextTo(Path journalDirectory) {
        Path dir = journalDirectory.toAbsolutePath().normalize();
        return new DurableStateFile(dir.resolveSibling(dir.getFileName() + SUFFIX));
    }

    public Path path() {
        return path;
    }

    /**
     * The state last {@link #write written}; {@link DurableState#INITIAL} if there is no file.
     *
     * @throws IllegalStateException if the file exists but does not hold a valid state
     * @throws UncheckedIOException  if it cannot be read
     */
    public DurableState read() {
        try {
            Files.deleteIfExists(temp); // an interrupted write: the file under our name is the state
            byte[] bytes;
            try {
                bytes = Files.readAllBytes(path);
            } catch (NoSuchFileException e) {
                return DurableState.INITIAL;
            }
            if (bytes.length != LENGTH) {
                throw corrupt("length " + bytes.length + ", expected " + LENGTH);
            }
            ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            if (b.getInt(0) != MAGIC) {
                throw corrupt("magic 0x" + Integer.toHexString(b.getInt(0)) + ", expected 0x" + Integer.toHexString(MAGIC));
            }
            crc.reset();
            crc.update(bytes, 0, LENGTH - 4);
            int stored = b.getInt(LENGTH - 4);
            if (stored != (int) crc.getValue()) {
                throw corrupt("CRC-32C 0x" + Integer.toHexString(stored) + ", expected 0x"
                    + Integer.toHexString((int) crc.getValue()));
            }
            int version = b.getShort(4) & 0xFFFF;
            if (version != VERSION || b.getShort(6) != 0) {
                throw corrupt("version " + version + ", expected " + VERSION);
            }
            long epoch = b.getLong(8);
            int votedFor = b.getInt(16);
            if (epoch < 0 || votedFor < 0) {
                throw corrupt("epoch " + epoch + ", vote " + votedFor + ", expected both >= 0");
            }
            return new DurableState(epoch, votedFor);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read election state: path=" + path, e);
        }
    }

    /**
     * Makes {@code state} durable: on disk, synced, under the file's name, when this returns.
     *
     * @throws UncheckedIOException if it cannot (the caller must not send what it records)
     */
    public void write(DurableState state) {
        buffer.clear();
        buffer.putInt(0, MAGIC);
        buffer.putShort(4, (short) VERSION);
        buffer.putShort(6, (short) 0);
        buffer.putLong(8, state.epoch());
        buffer.putInt(16, state.votedFor());
        crc.reset();
        crc.update(buffer.array(), 0, LENGTH - 4);
        buffer.putInt(LENGTH - 4, (int) crc.getValue());
        try {
            try (FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
                buffer.position(0).limit(LENGTH);
                while (buffer.hasRemaining()) {
                    ch.write(buffer);
                }
                ch.force(true);
            }
            try {
                Files.move(temp, path, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                throw new IOException("atomic rename not supported for " + temp + " -> " + path, e);
            }
            // the rename is durable only once the directory entry is (fsync(2) on the directory)
            try (FileChannel dir = FileChannel.open(path.getParent(), StandardOpenOption.READ)) {
                dir.force(true);
            }
            writes++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write election state: path=" + path + ", value=" + state, e);
        }
    }

    /** States written since construction. */
    public long writes() {
        return writes;
    }

    private IllegalStateException corrupt(String what) {
        return new IllegalStateException("corrupt election state file: path=" + path + ", " + what
            + "; refusing to start without the vote it held (restore it, or delete it only if this node's vote "
            + "in its last epoch cannot matter)");
    }
}
