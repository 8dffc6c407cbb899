package dev.understudy.transport.node;

import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.auth.FrameAuthenticator;
import dev.understudy.transport.record.RecordBatchWriter;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.SegmentFlyweight;
import io.aeron.Publication;
import org.agrona.concurrent.UnsafeBuffer;

import java.net.DatagramPacket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.MulticastSocket;
import java.net.NetworkInterface;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;

/**
 * An attacker for the authentication IT, run in the lab's {@code client} namespace: joins the
 * primary's multicast data stream with its own Aeron publication (same channel, same stream id)
 * and sends {@code frames} record frames with sequences that collide with the primary's — half
 * signed with a wrong secret, half unsigned — then {@code garbage} raw UDP datagrams of random
 * bytes to the group. Every loop is bounded in count and in time (30 s).
 *
 * <pre>
 * java ... dev.understudy.transport.node.FrameForger run=RUN address=198.18.0.2 frames=1000 garbage=1000
 * </pre>
 * Prints {@code forged=N garbage=M} on exit.
 */
public final class FrameForger {
    private FrameForger() {
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (String a : argv) {
            int eq = a.indexOf('=');
            args.put(a.substring(0, eq), a.substring(eq + 1));
        }
        int frames = Integer.parseInt(args.getOrDefault("frames", "1000"));
        int garbage = Integer.parseInt(args.getOrDefault("garbage", "1000"));
        ReplicationConfig config = ReplicationConfig.fromSystemProperties(60, args.get("run") + "forger")
            .address(args.get("address")).primaryAddress(args.get("address")).conclude();
        long deadline = System.nanoTime() + 30_000_000_000L;
        int forged = 0;
        try (EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(config);
             Publication pub = driver.aeron().addPublication(config.dataChannel(), ReplicationConfig.DATA_STREAM)) {
            while (!pub.isConnected() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            FrameAuthenticator wrong = FrameAuthenticator.withSecret("not-the-secret-0123456789".getBytes(StandardCharsets.US_ASCII));
            UnsafeBuffer frame = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
            RecordBatchWriter writer = new RecordBatchWriter(config.nodeId(), frame, 0, 4096, new RecordCodec());
            SegmentFlyweight seg = new SegmentFlyweight();
            long seq = 1;
            for (int i = 0; i < frames && System.nanoTime() < deadline; ) {
                writer.reset(1);
                for (int r = 0; r < 8; r++) {
                    int at = writer.claim(SegmentFlyweight.lengthFor(8));
                    seg.wrapForEncode(frame, at, 1, seq++).payloadLength(8);
                    frame.putLong(seg.payloadOffset(), 0x6666666666666666L);
                    writer.commit();
                }
                int len = i % 2 == 0 ? writer.finish(wrong) : writer.finish();
                if (pub.offer(frame, 0, len) > 0) {
                    i++;
                    forged++;
                } else {
                    Thread.onSpinWait();
                }
            }
            // let the driver send (and retransmit) everything before it closes: bounded wait
            long until = System.nanoTime() + 3_000_000_000L;
            while (System.nanoTime() < until && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
        }
        int sent = 0;
        try (MulticastSocket socket = new MulticastSocket()) {
            socket.setNetworkInterface(NetworkInterface.getByInetAddress(InetAddress.getByName(args.get("address"))));
            InetSocketAddress group = new InetSocketAddress(System.getProperty(ReplicationConfig.GROUP_PROP, ReplicationConfig.GROUP_DEFAULT),
                Integer.getInteger(ReplicationConfig.DATA_PORT_PROP, ReplicationConfig.DATA_PORT_DEFAULT));
            Random random = new Random(42);
            byte[] junk = new byte[1200];
            for (int i = 0; i < garbage && System.nanoTime() < deadline; i++) {
                random.nextBytes(junk);
                socket.send(new DatagramPacket(junk, 16 + random.nextInt(junk.length - 16), group));
                sent++;
            }
        }
        System.out.println("forged=" + forged + " garbage=" + sent);
    }
}
