package dev.understudy.transport.record;

import java.util.concurrent.atomic.AtomicLongArray;

/**
 * One counter per {@link RecordErrors} code.
 *
 * <p>Thread-safety: {@link #increment(int)} is meant for a single writer thread (the decoder's) and
 * publishes with release semantics; {@link #get(int)} and {@link #total()} may be called from any
 * thread (monitoring, tests). Several writers sharing one instance lose no update either, since
 * increments use an atomic add.
 */
public final class DecodeCounters {
    private final AtomicLongArray counts = new AtomicLongArray(RecordErrors.COUNT);

    /**
     * Counts one occurrence of {@code code}; {@link RecordErrors#OK} and unknown codes are ignored.
     *
     * @param code a {@link RecordErrors} code
     */
    public void increment(int code) {
        if (code > RecordErrors.OK && code < RecordErrors.COUNT) {
            counts.getAndIncrement(code);
        }
    }

    /**
     * @param code a {@link RecordErrors} code
     * @return how many times it was counted
     */
    public long get(int code) {
        return code >= 0 && code < RecordErrors.COUNT ? counts.get(code) : 0;
    }

    /** @return the sum over all error codes */
    public long total() {
        long sum = 0;
        for (int i = 1; i < RecordErrors.COUNT; i++) {
            sum += counts.get(i);
        }
        return sum;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("DecodeCounters{");
        boolean first = true;
        for (int i = 1; i < RecordErrors.COUNT; i++) {
            long v = counts.get(i);
            if (v != 0) {
                sb.append(first ? "" : ", ").append(RecordErrors.name(i)).append('=').append(v);
                first = false;
            }
        }
        return sb.append('}').toString();
    }
}
