package dev.understudy.apps;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

/**
 * The state behind the sample servers: a sorted map of string keys to string values, shared
 * by every connection of a server.
 *
 * <p>Keys are 1..{@value #MAX_KEY} printable ASCII characters without spaces (0x21..0x7E).
 * Values are 1..{@value #MAX_VALUE} characters, none of them CR, LF or NUL (spaces are
 * allowed). Counters are values that parse as a signed 64-bit decimal.
 *
 * <p>The digest ({@link #dump()}) is SHA-256 over the entries in ascending key order, each
 * entry encoded as {@code UTF-8(key) 0x00 UTF-8(value) 0x0A}; the empty store digests the
 * empty input. Since keys and values never contain NUL or LF the encoding is unambiguous,
 * so two stores have the same digest exactly when they hold the same entries.
 *
 * <p>Thread-safety: every method is atomic (one lock); the store may be shared by any number
 * of connection threads.
 */
public final class KvStore {
    public static final int MAX_KEY = 250;
    public static final int MAX_VALUE = 1 << 20;

    private final TreeMap<String, String> map = new TreeMap<>();

    /** Null when {@code key} is a valid key; else why not. */
    public static String checkKey(String key) {
        if (key == null || key.isEmpty()) {
            return "missing key";
        }
        if (key.length() > MAX_KEY) {
            return "key too long";
        }
        for (int i = 0; i < key.length(); i++) {
            char c = key.charAt(i);
            if (c < 0x21 || c > 0x7E) {
                return "invalid key";
            }
        }
        return null;
    }

    /** Null when {@code value} is a valid value; else why not. */
    public static String checkValue(String value) {
        if (value == null || value.isEmpty()) {
            return "missing value";
        }
        if (value.length() > MAX_VALUE) {
            return "value too long";
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == 0) {
                return "invalid value";
            }
        }
        return null;
    }

    /** Sets {@code key} to {@code value}. Arguments must have passed {@link #checkKey}/{@link #checkValue}. */
    public synchronized void set(String key, String value) {
        map.put(key, value);
    }

    /** The value of {@code key}, or null. */
    public synchronized String get(String key) {
        return map.get(key);
    }

    /**
     * Adds one to the counter at {@code key} (an absent key counts as 0).
     *
     * @return the new value, or null when the current value is not a 64-bit decimal or would overflow
     */
    public synchronized Long incr(String key) {
        String current = map.get(key);
        long n;
        if (current == null) {
            n = 0;
        } else {
            try {
                n = Long.parseLong(current);
            } catch (NumberFormatException e) {
                return null;
            }
        }
        if (n == Long.MAX_VALUE) {
            return null;
        }
        n++;
        map.put(key, Long.toString(n));
        return n;
    }

    /**
     * Appends {@code suffix} to the value at {@code key} (an absent key counts as empty).
     *
     * @return the new length in characters, or -1 when it would exceed {@value #MAX_VALUE}
     */
    public synchronized int append(String key, String suffix) {
        String current = map.getOrDefault(key, "");
        if ((long) current.length() + suffix.length() > MAX_VALUE) {
            return -1;
        }
        String next = current + suffix;
        map.put(key, next);
        return next.length();
    }

    /** Removes {@code key}; true when it was present. */
    public synchronized boolean del(String key) {
        return map.remove(key) != null;
    }

    /** The number of keys. */
    public synchronized int size() {
        return map.size();
    }

    /** Count and digest of the whole state, taken atomically. */
    public Digest dump() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is mandatory in every JDK", e);
        }
        int count;
        synchronized (this) {
            count = map.size();
            for (Map.Entry<String, String> e : map.entrySet()) {
                sha.update(e.getKey().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) 0);
                sha.update(e.getValue().getBytes(StandardCharsets.UTF_8));
                sha.update((byte) '\n');
            }
        }
        return new Digest(count, HexFormat.of().formatHex(sha.digest()));
    }

    /** Count of entries and lowercase hex SHA-256, as in the {@code DUMP} reply. */
    public record Digest(int count, String sha256) {
        @Override
        public String toString() {
            return count + " " + sha256;
        }
    }
}
