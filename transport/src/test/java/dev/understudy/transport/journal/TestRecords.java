package dev.understudy.transport.journal;

import dev.understudy.transport.record.AppReadFlyweight;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.SegmentFlyweight;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import org.agrona.concurrent.UnsafeBuffer;

/** Encodes deterministic records for journal tests. */
final class TestRecords {
    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[SegmentFlyweight.lengthFor(2048)]);
    private final AppReadFlyweight appRead = new AppReadFlyweight();
    private final SegmentFlyweight segment = new SegmentFlyweight();
    private final RecordCodec codec = new RecordCodec();
    private final byte[] payload = new byte[2048];

    /** An APP_READ whose fields derive from the sequence; returns its length. */
    int appRead(long sequence) {
        appRead.wrapForEncode(buffer, 0, 1, sequence).connectionId(sequence % 7).streamOffset(sequence * 5)
            .readOrder(sequence * 3).byteCount((int) (sequence % 1000) + 1);
        return codec.seal(buffer, 0);
    }

    /** A SEGMENT with {@code payloadLength} bytes derived from the sequence; returns its length. */
    int segment(long sequence, int payloadLength) {
        for (int i = 0; i < payloadLength; i++) {
            payload[i] = (byte) (sequence * 31 + i);
        }
        segment.wrapForEncode(buffer, 0, 1, sequence).connectionId(sequence % 5).seq(sequence * 1000)
            .ack(77).window(65535).payload(payload, 0, payloadLength);
        return codec.seal(buffer, 0);
    }

    static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        Files.walkFileTree(dir, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException exc) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
