package dev.understudy.agent.it;

import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.record.RecordBatchWriter;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.SegmentFlyweight;
import io.aeron.Publication;
import java.nio.ByteBuffer;
import org.agrona.concurrent.UnsafeBuffer;

/**
 * An attacker for {@link EpochForgeryIT}: joins the replication data channel with its own Aeron
 * publication (node id 60) and sends 10 unsigned record frames of epoch 2, each one SEGMENT far
 * ahead of the real primary's sequences. Bounded: 20 s.
 *
 * <pre>
 * java ... EpochForger RUN ADDRESS
 * </pre>
 * Prints {@code forged=N} on exit.
 */
public final class EpochForger {
    private EpochForger() {
    }

    public static void main(String[] argv) throws Exception {
        ReplicationConfig config = ReplicationConfig.fromSystemProperties(60, argv[0] + "epoch-forger")
            .address(argv[1]).primaryAddress(argv[1]).conclude();
        long deadline = System.nanoTime() + 20_000_000_000L;
        int sent = 0;
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(config);
             Publication pub = driver.aeron().addPublication(config.dataChannel(), ReplicationConfig.DATA_STREAM)) {
            while (!pub.isConnected() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
            RecordBatchWriter writer = new RecordBatchWriter(config.nodeId(), frame, 0, 4096, new RecordCodec());
            SegmentFlyweight seg = new SegmentFlyweight();
            long seq = 10_000_000;
            while (sent < 10 && System.nanoTime() < deadline) {
                writer.reset(2);
                int at = writer.claim(SegmentFlyweight.lengthFor(8));
                seg.wrapForEncode(frame, at, 2, seq++).payloadLength(8);
                writer.commit();
                int len = writer.finish();
                if (pub.offer(frame, 0, len) > 0) {
                    sent++;
                }
                Thread.sleep(10);
            }
            Thread.sleep(3000);
        }
        System.out.println("forged=" + sent);
    }
}
