package dev.understudy.transport.journal;

import java.nio.file.Path;

/**
 * The journal's file system has no room for the next record. The journal is then unhealthy
 * ({@link Journal#healthy()} is false) and refuses further appends; everything appended before stays
 * intact and readable. Raised before anything of the refused record is written.
 */
public final class JournalFullException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    private final transient Path directory;
    private final long usableBytes;

    /**
     * @param directory   the journal directory
     * @param usableBytes usable bytes left on its file system when detected (-1 if unknown)
     * @param detail      what was being done
     * @param cause       the I/O error, if any
     */
    public JournalFullException(Path directory, long usableBytes, String detail, Throwable cause) {
        super("journal disk full: dir=" + directory + ", usable=" + usableBytes + " bytes, " + detail, cause);
        this.directory = directory;
        this.usableBytes = usableBytes;
    }

    /** @return the journal directory */
    public Path directory() {
        return directory;
    }

    /** @return usable bytes left when detected, -1 if unknown */
    public long usableBytes() {
        return usableBytes;
    }
}
