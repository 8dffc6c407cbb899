package dev.understudy.transport.record;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.transport.auth.FrameAuthenticator;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Seeded fuzzing of the decoders: garbage, truncated and mutated frames and records, with
 * authentication on and off. The decoders must never throw, must reject every damaged input, and
 * must count every rejection.
 */
@Timeout(120)
class RecordFuzzTest {
    private static final long SEED = 0x5EED_0F_F0A1L;
    private static final byte[] SECRET = "fuzzing-secret-0123456789".getBytes(StandardCharsets.US_ASCII);
    private static final int CAPACITY = 32 * 1024;

    private final Samples samples = new Samples();
    private final UnsafeBuffer original = new UnsafeBuffer(new byte[CAPACITY]);
    private final UnsafeBuffer work = new UnsafeBuffer(new byte[CAPACITY]);
    private final RecordBatchWriter writer = new RecordBatchWriter(3, original, 0, CAPACITY);
    private final FrameAuthenticator signer = FrameAuthenticator.withSecret(SECRET);

    private final DecodeCounters openCounters = new DecodeCounters();
    private final DecodeCounters securedCounters = new DecodeCounters();
    private final RecordBatchReader openReader = new RecordBatchReader(FrameAuthenticator.unsigned(), openCounters);
    private final RecordBatchReader securedReader =
        new RecordBatchReader(FrameAuthenticator.withSecret(SECRET), securedCounters);
    private final RecordCodec codec = new RecordCodec();

    private long cases;
    private long rejectedOpen;
    private long rejectedSecured;
    private long rejectedRecords;

    /** Writes a random valid frame into {@link #original}; returns its length. */
    private int randomFrame(SplittableRandom rnd, boolean signed) {
        int epoch = rnd.nextInt(1000);
        long sequence = rnd.nextLong(1L << 40);
        writer.reset(epoch);
        int n = 1 + rnd.nextInt(12);
        for (int i = 0; i < n; i++) {
            int type = RecordType.MIN + rnd.nextInt(RecordType.MAX - RecordType.MIN + 1);
            int at = writer.claim(Samples.MAX_LENGTH);
            if (at < 0) {
                break;
            }
            samples.encode(type, original, at, epoch, sequence + i, rnd.nextLong());
            writer.commit();
        }
        return writer.finish(signed ? signer : null);
    }

    private int read(RecordBatchReader reader, UnsafeBuffer buffer, int offset, int length) {
        int code = reader.wrap(buffer, offset, length);
        if (code == RecordErrors.OK) {
            int n = reader.forEach((b, o, l) -> {
                if (RecordHeader.length(b, o) != l) {
                    throw new AssertionError("accepted record with inconsistent length");
                }
            });
            assertEquals(reader.recordCount(), n);
        } else if (reader == openReader) {
            rejectedOpen++;
        } else {
            rejectedSecured++;
        }
        return code;
    }

    @Test
    void shouldNeverThrowAndRejectAndCountEveryDamagedInput() {
        SplittableRandom rnd = new SplittableRandom(SEED);
        for (int i = 0; i < 30_000; i++) {
            garbage(rnd);
        }
        for (int i = 0; i < 30_000; i++) {
            truncated(rnd);
        }
        for (int i = 0; i < 40_000; i++) {
            mutated(rnd);
        }
        for (int i = 0; i < 20_000; i++) {
            mutatedRecord(rnd);
        }
        assertTrue(cases >= 100_000, "cases: " + cases);
        assertEquals(rejectedOpen, openCounters.total());
        assertEquals(rejectedSecured, securedCounters.total());
        assertEquals(rejectedRecords, codec.counters().total());
        System.out.printf("fuzz: %d cases, rejected open=%d secured=%d records=%d; open %s; secured %s%n",
            cases, rejectedOpen, rejectedSecured, rejectedRecords, openCounters, securedCounters);
    }

    private void garbage(SplittableRandom rnd) {
        cases++;
        int length = rnd.nextInt(4096);
        int offset = rnd.nextInt(CAPACITY - 4096) & ~7;
        for (int i = 0; i < length; i++) {
            work.putByte(offset + i, (byte) rnd.nextInt(256));
        }
        if (rnd.nextBoolean() && length >= RecordBatch.HEADER_LENGTH) {
            // plausible header, to get past the first checks
            work.putInt(offset, rnd.nextBoolean() ? length : rnd.nextInt(), RecordHeader.ORDER);
            work.putByte(offset + RecordBatch.VERSION_OFFSET, (byte) RecordBatch.CURRENT_VERSION);
            work.putByte(offset + RecordBatch.FLAGS_OFFSET, (byte) rnd.nextInt(2));
            work.putShort(offset + RecordBatch.RESERVED_OFFSET, (short) 0);
            if (length >= RecordBatch.HEADER_LENGTH + RecordHeader.HEADER_LENGTH) {
                int at = offset + RecordBatch.HEADER_LENGTH;
                work.putInt(at, rnd.nextInt(length - RecordBatch.HEADER_LENGTH + 1), RecordHeader.ORDER);
                work.putByte(at + RecordHeader.VERSION_OFFSET, (byte) RecordHeader.CURRENT_VERSION);
                work.putByte(at + RecordHeader.TYPE_OFFSET, (byte) (RecordType.MIN + rnd.nextInt(RecordType.MAX)));
            }
        }
        // a random offset/length pair may even point outside the buffer: still a code, not an exception
        int claimed = rnd.nextInt(10) == 0 ? length + rnd.nextInt(CAPACITY) : length;
        assertNotEquals(RecordErrors.OK, read(openReader, work, offset, claimed));
        assertNotEquals(RecordErrors.OK, read(securedReader, work, offset, claimed));
        if (codec.validate(work, offset + RecordBatch.HEADER_LENGTH, Math.max(0, claimed - 32)) != RecordErrors.OK) {
            rejectedRecords++;
        }
    }

    private void truncated(SplittableRandom rnd) {
        cases++;
        boolean signed = rnd.nextBoolean();
        int length = randomFrame(rnd, signed);
        int cut = rnd.nextInt(length);
        work.putBytes(0, original, 0, length);
        assertNotEquals(RecordErrors.OK, read(signed ? securedReader : openReader, work, 0, cut));
        assertEquals(RecordErrors.OK, read(signed ? securedReader : openReader, work, 0, length));
    }

    private void mutated(SplittableRandom rnd) {
        cases++;
        boolean signed = rnd.nextBoolean();
        int length = randomFrame(rnd, signed);
        work.putBytes(0, original, 0, length);
        int flips = 1 + rnd.nextInt(4);
        boolean onlyUnchecked = true;
        for (int i = 0; i < flips; i++) {
            int at = rnd.nextInt(length);
            work.putByte(at, (byte) (work.getByte(at) ^ (1 + rnd.nextInt(255))));
            // without a secret nothing checks the MAC, nor the sender id (records repeat the epoch and
            // sequences, and carry CRCs; nothing repeats the sender): only the MAC protects those bytes
            boolean inMac = signed && at >= length - RecordBatch.MAC_LENGTH;
            boolean inSender = at >= RecordBatch.SENDER_OFFSET && at < RecordBatch.SENDER_OFFSET + 2;
            onlyUnchecked &= inMac || inSender;
        }
        boolean changed = false;
        for (int i = 0; i < length && !changed; i++) {
            changed = work.getByte(i) != original.getByte(i);
        }
        int secured = read(securedReader, work, 0, length);
        int open = read(openReader, work, 0, length);
        if (changed) {
            assertNotEquals(RecordErrors.OK, secured, "mutated frame accepted with authentication");
            // without a secret, only a mutation confined to the MAC or the sender id may pass
            if (!onlyUnchecked) {
                assertNotEquals(RecordErrors.OK, open, "mutated frame accepted without authentication");
            }
        }
    }

    private void mutatedRecord(SplittableRandom rnd) {
        cases++;
        int type = RecordType.MIN + rnd.nextInt(RecordType.MAX - RecordType.MIN + 1);
        int length = samples.encode(type, original, 0, rnd.nextInt(50), rnd.nextLong(1L << 50), rnd.nextLong());
        codec.seal(original, 0);
        work.putBytes(0, original, 0, length);
        int at = rnd.nextInt(length);
        work.putByte(at, (byte) (work.getByte(at) ^ (1 + rnd.nextInt(255))));
        int available = rnd.nextInt(4) == 0 ? rnd.nextInt(length + 1) : length;
        int code = codec.validate(work, 0, available);
        assertNotEquals(RecordErrors.OK, code);
        rejectedRecords++;
    }
}
