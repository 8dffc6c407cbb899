package dev.understudy.transport.record;

/**
 * Result codes of decoding a record or a frame. Decoders never throw on bad input: they return one of
 * these codes and bump the matching counter in a {@link DecodeCounters}.
 *
 * <p>Codes are small non-negative ints so they can index a counter array; {@link #OK} is zero.
 */
public final class RecordErrors {
    /** The record or frame is well formed (and authentic, where that applies). */
    public static final int OK = 0;
    /** Fewer bytes are available than the header or the declared length needs. */
    public static final int TRUNCATED = 1;
    /** The declared length is smaller than a header, larger than {@link RecordHeader#MAX_RECORD_LENGTH}, or not aligned where it must be. */
    public static final int BAD_LENGTH = 2;
    /** Unknown record or frame version. */
    public static final int BAD_VERSION = 3;
    /** Unknown record type. */
    public static final int BAD_TYPE = 4;
    /** The CRC-32C stored in the record does not match its bytes. */
    public static final int BAD_CRC = 5;
    /**
     * The record's length does not match its type's layout (e.g. SEGMENT payload length), or a body
     * field is outside the range its layout allows (e.g. an APP_READ byte count of 0, an unknown TURN
     * kind, a CLOCK or RANDOM source).
     */
    public static final int BAD_BODY = 6;
    /** The frame header is inconsistent with its content (record count, padding, flags). */
    public static final int BAD_FRAME = 7;
    /** A record in a frame does not carry the epoch and the next sequence the frame header announces. */
    public static final int BAD_SEQUENCE = 8;
    /** The receiver requires signed frames and the frame is unsigned. */
    public static final int UNAUTHENTICATED = 9;
    /** The frame's MAC does not verify: forged, corrupted, or signed with another secret. */
    public static final int BAD_MAC = 10;
    /** Number of codes, for sizing counter arrays. */
    public static final int COUNT = 11;

    private static final String[] NAMES = {
        "OK", "TRUNCATED", "BAD_LENGTH", "BAD_VERSION", "BAD_TYPE", "BAD_CRC", "BAD_BODY", "BAD_FRAME",
        "BAD_SEQUENCE", "UNAUTHENTICATED", "BAD_MAC"
    };

    private RecordErrors() {
    }

    /**
     * @param code a result code
     * @return its name, or {@code "UNKNOWN(code)"} for a value outside the table
     */
    public static String name(int code) {
        return code >= 0 && code < COUNT ? NAMES[code] : "UNKNOWN(" + code + ")";
    }
}
