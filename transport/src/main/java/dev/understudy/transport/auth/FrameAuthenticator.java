package dev.understudy.transport.auth;

import dev.understudy.transport.internal.log.BufferFeeder;
import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordBatch;
import dev.understudy.transport.record.RecordErrors;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

/**
 * Signs and verifies frames ({@link RecordBatch}) with a MAC derived from a shared secret.
 *
 * <p>The MAC is HMAC-SHA256 truncated to {@link #MAC_LENGTH} (16) bytes, over the frame bytes
 * {@code [0, frameLength - MAC_LENGTH)}: the header (epoch and first/last sequence included, so a
 * replayed old frame verifies but is recognised by its sequence range) and the records. The HMAC key
 * is derived from the secret: {@code HMAC-SHA256(key = "understudy/frame-mac/v1", secret)}.
 *
 * <p>Policy:
 * <ul>
 *   <li>without a secret ({@link #unsigned()}): frames are sent unsigned and every frame is accepted,
 *       signed or not (the MAC is then not checked);</li>
 *   <li>with a secret: frames are signed; an unsigned frame is rejected as
 *       {@link RecordErrors#UNAUTHENTICATED}, one whose MAC does not verify as {@link RecordErrors#BAD_MAC}.
 *       Both are counted in {@link #counters()}.</li>
 * </ul>
 *
 * <p>Not thread-safe (it owns a {@link Mac}): use one instance per thread, e.g. one for the sender
 * and one for the receiver. The JDK's {@code Mac.doFinal} allocates its 32-byte result once per frame;
 * nothing is allocated per record.
 */
public final class FrameAuthenticator {
    /** Bytes of MAC appended to a signed frame. */
    public static final int MAC_LENGTH = RecordBatch.MAC_LENGTH;
    /** Shortest secret accepted, in bytes. */
    public static final int MIN_SECRET_LENGTH = 16;

    private static final String ALGORITHM = "HmacSHA256";
    private static final byte[] KDF_LABEL = "understudy/frame-mac/v1".getBytes(StandardCharsets.US_ASCII);

    private final Mac mac;
    private final BufferFeeder feeder = new BufferFeeder();
    private final DecodeCounters counters;

    private FrameAuthenticator(Mac mac, DecodeCounters counters) {
        this.mac = mac;
        this.counters = counters;
    }

    /** @return an authenticator without secret: signs nothing, accepts everything */
    public static FrameAuthenticator unsigned() {
        return new FrameAuthenticator(null, new DecodeCounters());
    }

    /**
     * @param secret the shared secret, at least {@link #MIN_SECRET_LENGTH} bytes (copied, not retained)
     * @return an authenticator signing with, and requiring, that secret
     */
    public static FrameAuthenticator withSecret(byte[] secret) {
        return withSecret(secret, new DecodeCounters());
    }

    /**
     * @param secret   the shared secret, at least {@link #MIN_SECRET_LENGTH} bytes
     * @param counters where rejections are counted (may be shared with a reader)
     * @return an authenticator signing with, and requiring, that secret
     */
    public static FrameAuthenticator withSecret(byte[] secret, DecodeCounters counters) {
        if (secret == null || secret.length < MIN_SECRET_LENGTH) {
            throw new IllegalArgumentException("invalid frame secret: length=" + (secret == null ? "null" : secret.length)
                + ", expected at least " + MIN_SECRET_LENGTH + " bytes");
        }
        try {
            Mac kdf = Mac.getInstance(ALGORITHM);
            kdf.init(new SecretKeySpec(KDF_LABEL, ALGORITHM));
            byte[] key = kdf.doFinal(secret);
            Mac mac = Mac.getInstance(ALGORITHM);
            mac.init(new SecretKeySpec(key, ALGORITHM));
            Arrays.fill(key, (byte) 0);
            return new FrameAuthenticator(mac, counters);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable in this JVM", e);
        }
    }

    /** @return whether a secret is configured (frames are signed and signatures required) */
    public boolean signs() {
        return mac != null;
    }

    /** @return rejection counters: {@link RecordErrors#UNAUTHENTICATED}, {@link RecordErrors#BAD_MAC}, {@link RecordErrors#TRUNCATED} */
    public DecodeCounters counters() {
        return counters;
    }

    /**
     * Signs the frame of {@code length} bytes at {@code offset}: sets {@link RecordBatch#FLAG_SIGNED},
     * sets the frame length to {@code length + MAC_LENGTH} and writes the MAC after the frame. The
     * buffer must have {@link #MAC_LENGTH} bytes of room after it. Without a secret, does nothing.
     *
     * @return the new frame length ({@code length} if unsigned)
     */
    public int sign(MutableDirectBuffer buffer, int offset, int length) {
        if (mac == null) {
            return length;
        }
        if (length < RecordBatch.HEADER_LENGTH || (long) offset + length + MAC_LENGTH > buffer.capacity()) {
            throw new IllegalArgumentException("cannot sign frame: offset=" + offset + ", length=" + length
                + ", buffer capacity=" + buffer.capacity() + ", expected room for " + MAC_LENGTH + " bytes of MAC");
        }
        int signedLength = length + MAC_LENGTH;
        buffer.putByte(offset + RecordBatch.FLAGS_OFFSET,
            (byte) (RecordBatch.flags(buffer, offset) | RecordBatch.FLAG_SIGNED));
        buffer.putInt(offset + RecordBatch.FRAME_LENGTH_OFFSET, signedLength, java.nio.ByteOrder.LITTLE_ENDIAN);
        byte[] digest = compute(buffer, offset, length);
        buffer.putBytes(offset + length, digest, 0, MAC_LENGTH);
        return signedLength;
    }

    /**
     * @return whether the frame of {@code length} bytes at {@code offset} is acceptable under this
     *     authenticator's policy; rejections are counted
     */
    public boolean verify(DirectBuffer buffer, int offset, int length) {
        return check(buffer, offset, length) == RecordErrors.OK;
    }

    /**
     * Like {@link #verify} but says why.
     *
     * @return {@link RecordErrors#OK}, {@link RecordErrors#UNAUTHENTICATED}, {@link RecordErrors#BAD_MAC}
     *     or {@link RecordErrors#TRUNCATED}; non-OK results are counted
     */
    public int check(DirectBuffer buffer, int offset, int length) {
        if (mac == null) {
            return RecordErrors.OK;
        }
        int code;
        if (offset < 0 || length < RecordBatch.HEADER_LENGTH || (long) offset + length > buffer.capacity()) {
            code = RecordErrors.TRUNCATED;
        } else if ((RecordBatch.flags(buffer, offset) & RecordBatch.FLAG_SIGNED) == 0) {
            code = RecordErrors.UNAUTHENTICATED;
        } else if (length < RecordBatch.HEADER_LENGTH + MAC_LENGTH) {
            code = RecordErrors.BAD_MAC;
        } else {
            byte[] digest = compute(buffer, offset, length - MAC_LENGTH);
            int diff = 0;
            int macAt = offset + length - MAC_LENGTH;
            for (int i = 0; i < MAC_LENGTH; i++) {
                diff |= digest[i] ^ buffer.getByte(macAt + i); // constant time: no early exit
            }
            code = diff == 0 ? RecordErrors.OK : RecordErrors.BAD_MAC;
        }
        counters.increment(code);
        return code;
    }

    private byte[] compute(DirectBuffer buffer, int offset, int length) {
        feeder.update(mac, buffer, offset, length);
        return mac.doFinal();
    }
}
