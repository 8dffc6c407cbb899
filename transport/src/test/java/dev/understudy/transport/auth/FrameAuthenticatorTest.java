package dev.understudy.transport.auth;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.DecodeCounters;
import dev.understudy.transport.record.RecordBatch;
import dev.understudy.transport.record.RecordBatchReader;
import dev.understudy.transport.record.RecordBatchWriter;
import dev.understudy.transport.record.RecordErrors;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class FrameAuthenticatorTest {
    private static final byte[] SECRET = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
    private static final byte[] OTHER = "another shared secret, not ours".getBytes(StandardCharsets.UTF_8);

    private final AppReadFlyweight appRead = new AppReadFlyweight();

    private int frame(MutableDirectBuffer buffer, FrameAuthenticator signer, int epoch, long first, int count) {
        RecordBatchWriter writer = new RecordBatchWriter(1, buffer, 0, 4096);
        writer.reset(epoch);
        for (long s = first; s < first + count; s++) {
            int at = writer.claim(AppReadFlyweight.LENGTH);
            appRead.wrapForEncode(buffer, at, epoch, s).connectionId(1).readOrder(s).byteCount(10);
            writer.commit();
        }
        return writer.finish(signer);
    }

    @Test
    void shouldAcceptFramesSignedWithTheSharedSecret() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        int length = frame(buffer, FrameAuthenticator.withSecret(SECRET), 3, 10, 5);
        assertEquals(RecordBatch.HEADER_LENGTH + 5 * AppReadFlyweight.LENGTH + RecordBatch.MAC_LENGTH, length);
        assertEquals(RecordBatch.FLAG_SIGNED, RecordBatch.flags(buffer, 0));
        FrameAuthenticator receiver = FrameAuthenticator.withSecret(SECRET);
        assertTrue(receiver.verify(buffer, 0, length));
        RecordBatchReader reader = new RecordBatchReader(receiver, new DecodeCounters());
        assertEquals(RecordErrors.OK, reader.wrap(buffer, 0, length));
        assertTrue(reader.signed());
        assertEquals(5, reader.forEach((b, o, l) -> { }));
    }

    @Test
    void shouldVerifyOverEveryBufferKind() {
        UnsafeBuffer heap = new UnsafeBuffer(new byte[4096]);
        int length = frame(heap, FrameAuthenticator.withSecret(SECRET), 1, 1, 3);
        FrameAuthenticator receiver = FrameAuthenticator.withSecret(SECRET);
        UnsafeBuffer direct = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
        direct.putBytes(64, heap, 0, length);
        UnsafeBuffer offsetArray = new UnsafeBuffer(new byte[4096], 40, 2048);
        offsetArray.putBytes(8, heap, 0, length);
        assertTrue(receiver.verify(direct, 64, length));
        assertTrue(receiver.verify(offsetArray, 8, length));
    }

    @Test
    void shouldRejectForgedCorruptedAndForeignFramesAndCountThem() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        int length = frame(buffer, FrameAuthenticator.withSecret(SECRET), 3, 10, 2);
        FrameAuthenticator receiver = FrameAuthenticator.withSecret(SECRET);
        int flipped = 0;
        for (int i = 0; i < length; i++) {
            if (i == RecordBatch.FLAGS_OFFSET) {
                continue; // clearing the flag makes it unsigned, checked below
            }
            byte b = buffer.getByte(i);
            buffer.putByte(i, (byte) (b ^ 0x20));
            assertFalse(receiver.verify(buffer, 0, length), "flip at " + i);
            buffer.putByte(i, b);
            flipped++;
        }
        assertEquals(flipped, receiver.counters().get(RecordErrors.BAD_MAC));

        UnsafeBuffer foreign = new UnsafeBuffer(new byte[4096]);
        int foreignLength = frame(foreign, FrameAuthenticator.withSecret(OTHER), 3, 10, 2);
        RecordBatchReader reader = new RecordBatchReader(receiver, new DecodeCounters());
        assertEquals(RecordErrors.BAD_MAC, reader.wrap(foreign, 0, foreignLength));
        assertEquals(0, reader.recordCount());
    }

    @Test
    void shouldRejectUnsignedFramesWhenASecretIsConfigured() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        int length = frame(buffer, FrameAuthenticator.unsigned(), 1, 1, 2);
        assertEquals(0, RecordBatch.flags(buffer, 0));
        FrameAuthenticator receiver = FrameAuthenticator.withSecret(SECRET);
        RecordBatchReader reader = new RecordBatchReader(receiver, new DecodeCounters());
        assertEquals(RecordErrors.UNAUTHENTICATED, reader.wrap(buffer, 0, length));
        assertEquals(1, receiver.counters().get(RecordErrors.UNAUTHENTICATED));
        assertEquals(1, reader.counters().get(RecordErrors.UNAUTHENTICATED));
    }

    @Test
    void shouldAcceptUnsignedFramesWithoutSecret() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        int length = frame(buffer, null, 1, 1, 2);
        FrameAuthenticator receiver = FrameAuthenticator.unsigned();
        assertFalse(receiver.signs());
        assertTrue(receiver.verify(buffer, 0, length));
        RecordBatchReader reader = new RecordBatchReader(receiver, new DecodeCounters());
        assertEquals(RecordErrors.OK, reader.wrap(buffer, 0, length));
        assertFalse(reader.signed());
    }

    @Test
    void shouldExposeTheSequenceRangeOfAReplayedFrame() {
        UnsafeBuffer buffer = new UnsafeBuffer(new byte[4096]);
        FrameAuthenticator signer = FrameAuthenticator.withSecret(SECRET);
        int length = frame(buffer, signer, 2, 40, 3);
        RecordBatchReader reader = new RecordBatchReader(FrameAuthenticator.withSecret(SECRET), new DecodeCounters());
        // a replayed frame is authentic, so the receiver recognises it by its covered, unforgeable range
        assertEquals(RecordErrors.OK, reader.wrap(buffer, 0, length));
        assertEquals(40, reader.firstSequence());
        assertEquals(42, reader.lastSequence());
        buffer.putLong(RecordBatch.FIRST_SEQUENCE_OFFSET, 43, java.nio.ByteOrder.LITTLE_ENDIAN);
        buffer.putLong(RecordBatch.LAST_SEQUENCE_OFFSET, 45, java.nio.ByteOrder.LITTLE_ENDIAN);
        assertEquals(RecordErrors.BAD_MAC, reader.wrap(buffer, 0, length));
    }

    @Test
    void shouldRefuseShortSecrets() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> FrameAuthenticator.withSecret(new byte[4]));
        assertTrue(e.getMessage().contains("length=4"), e.getMessage());
    }
}
