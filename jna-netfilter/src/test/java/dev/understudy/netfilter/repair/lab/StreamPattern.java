package dev.understudy.netfilter.repair.lab;

/**
 * The deterministic byte stream of one test connection: byte {@code p} of connection
 * {@code c} is a hash of (c, p), so a receiver checks any byte without keeping history and a
 * lost, repeated or reordered byte is caught at once.
 */
public final class StreamPattern {
    private StreamPattern() {
    }

    public static byte at(int connection, long position) {
        long z = position * 0x9E3779B97F4A7C15L + connection * 0xBF58476D1CE4E5B9L + 0x94D049BB133111EBL;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return (byte) (z ^ (z >>> 31));
    }

    public static void fill(int connection, long position, byte[] dst, int off, int len) {
        for (int i = 0; i < len; i++) {
            dst[off + i] = at(connection, position + i);
        }
    }

    /** Index of the first byte of {@code src[off, off+len)} that differs from the pattern at {@code position}, or -1. */
    public static int firstMismatch(int connection, long position, byte[] src, int off, int len) {
        for (int i = 0; i < len; i++) {
            if (src[off + i] != at(connection, position + i)) {
                return i;
            }
        }
        return -1;
    }
}
