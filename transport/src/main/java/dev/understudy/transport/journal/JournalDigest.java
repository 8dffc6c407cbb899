package dev.understudy.transport.journal;

import dev.understudy.transport.record.RecordHeader;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.agrona.DirectBuffer;

/**
 * Identity of a journal's content: SHA-256 over every record's bytes in order, the record count, and
 * the first and last sequence. Two journals holding the same records in the same order have equal
 * digests, whatever their cycle files look like. Compare a clone's with its peer's to check they
 * converged.
 *
 * <p>Immutable value; computing it reads the whole journal (allocation is not a concern here).
 */
public final class JournalDigest {
    private final byte[] sha256;
    private final long count;
    private final long firstSequence;
    private final long lastSequence;

    private JournalDigest(byte[] sha256, long count, long firstSequence, long lastSequence) {
        this.sha256 = sha256;
        this.count = count;
        this.firstSequence = firstSequence;
        this.lastSequence = lastSequence;
    }

    /** Digest of all records of an open journal, read with a tailer from its start. */
    public static JournalDigest of(Journal journal) {
        MessageDigest md = newSha256();
        byte[] scratch = new byte[RecordHeader.MAX_RECORD_LENGTH];
        long[] state = {0, Journal.NO_SEQUENCE, Journal.NO_SEQUENCE};
        try (JournalTailer tailer = journal.tailer(0)) {
            while (tailer.poll((DirectBuffer buffer, int offset, int length) -> {
                buffer.getBytes(offset, scratch, 0, length);
                md.update(scratch, 0, length);
                long seq = RecordHeader.sequence(buffer, offset);
                if (state[0] == 0) {
                    state[1] = seq;
                }
                state[2] = seq;
                state[0]++;
            }, 4096) > 0) {
                // keep reading
            }
        }
        return new JournalDigest(md.digest(), state[0], state[1], state[2]);
    }

    /** Digest of the journal in {@code config}'s directory, opened read-only for the purpose. */
    public static JournalDigest of(JournalConfig config) {
        try (Journal journal = Journal.open(config.toBuilder().readOnly(true).build())) {
            return of(journal);
        }
    }

    private static MessageDigest newSha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable in this JVM", e);
        }
    }

    /** @return a copy of the SHA-256 */
    public byte[] sha256() {
        return sha256.clone();
    }

    /** @return records digested */
    public long count() {
        return count;
    }

    /** @return first record's sequence, {@link Journal#NO_SEQUENCE} if none */
    public long firstSequence() {
        return firstSequence;
    }

    /** @return last record's sequence, {@link Journal#NO_SEQUENCE} if none */
    public long lastSequence() {
        return lastSequence;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof JournalDigest)) {
            return false;
        }
        JournalDigest d = (JournalDigest) o;
        return count == d.count && firstSequence == d.firstSequence && lastSequence == d.lastSequence
            && MessageDigest.isEqual(sha256, d.sha256);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(sha256);
    }

    @Override
    public String toString() {
        StringBuilder hex = new StringBuilder(64);
        for (byte b : sha256) {
            hex.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return "JournalDigest{count=" + count + ", first=" + firstSequence + ", last=" + lastSequence
            + ", sha256=" + hex + '}';
    }
}
