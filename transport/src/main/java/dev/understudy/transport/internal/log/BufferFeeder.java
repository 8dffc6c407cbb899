package dev.understudy.transport.internal.log;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;
import javax.crypto.Mac;
import org.agrona.DirectBuffer;

/**
 * Feeds a region of an Agrona {@link DirectBuffer} to a {@link CRC32C} or a {@link Mac} without
 * allocating: array-backed buffers pass their array; buffers over a {@link ByteBuffer} pass a reused
 * duplicate of it (one duplicate is made when a new underlying ByteBuffer is first seen); buffers over
 * raw memory are copied through a small scratch array.
 *
 * <p>Not thread-safe: one instance per thread, like the checksum it feeds.
 */
public final class BufferFeeder {
    private static final int SCRATCH_LENGTH = 512;

    private ByteBuffer source;
    private ByteBuffer view;
    private byte[] scratch;

    /** Updates {@code crc} with {@code length} bytes of {@code buffer} from {@code offset}. */
    public void update(CRC32C crc, DirectBuffer buffer, int offset, int length) {
        if (length <= 0) {
            return;
        }
        byte[] array = buffer.byteArray();
        if (array != null) {
            crc.update(array, buffer.wrapAdjustment() + offset, length);
            return;
        }
        ByteBuffer bb = view(buffer, offset, length);
        if (bb != null) {
            crc.update(bb);
            return;
        }
        byte[] tmp = scratch();
        int done = 0;
        while (done < length) {
            int n = Math.min(SCRATCH_LENGTH, length - done);
            buffer.getBytes(offset + done, tmp, 0, n);
            crc.update(tmp, 0, n);
            done += n;
        }
    }

    /** Updates {@code mac} with {@code length} bytes of {@code buffer} from {@code offset}. */
    public void update(Mac mac, DirectBuffer buffer, int offset, int length) {
        if (length <= 0) {
            return;
        }
        byte[] array = buffer.byteArray();
        if (array != null) {
            mac.update(array, buffer.wrapAdjustment() + offset, length);
            return;
        }
        ByteBuffer bb = view(buffer, offset, length);
        if (bb != null) {
            mac.update(bb);
            return;
        }
        byte[] tmp = scratch();
        int done = 0;
        while (done < length) {
            int n = Math.min(SCRATCH_LENGTH, length - done);
            buffer.getBytes(offset + done, tmp, 0, n);
            mac.update(tmp, 0, n);
            done += n;
        }
    }

    private ByteBuffer view(DirectBuffer buffer, int offset, int length) {
        ByteBuffer bb = buffer.byteBuffer();
        if (bb == null) {
            return null;
        }
        if (bb != source) {
            source = bb;
            view = bb.duplicate();
        }
        int start = buffer.wrapAdjustment() + offset;
        view.clear();
        view.position(start);
        view.limit(start + length);
        return view;
    }

    private byte[] scratch() {
        if (scratch == null) {
            scratch = new byte[SCRATCH_LENGTH];
        }
        return scratch;
    }
}
