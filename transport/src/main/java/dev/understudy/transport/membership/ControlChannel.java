package dev.understudy.transport.membership;

import dev.understudy.transport.internal.net.FrameSigner;
import io.aeron.Publication;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Election messages ({@link ElectionFrame}) on the heartbeat stream, beside the heartbeats: the
 * same publication (multicast, or manual MDC to every other node), the same subscription, the same
 * signing. A node has one, whatever its role ({@code ReplicationPrimary.control()},
 * {@code ReplicationClone.control()}), owned by its {@link Heartbeater}.
 *
 * <p>Sending: {@link #encoder()} gives a frame wrapped over this channel's send buffer,
 * {@link #offer()} signs and offers it. Every frame goes to every node; one meant for a single node
 * names it in {@link ElectionFrame#to()}. Delivery is best effort (the election tolerates loss):
 * a frame Aeron does not take is counted in {@link #offerFailures()}, not retried.
 *
 * <p>Receiving: frames arrive while the heartbeater polls (inside
 * {@code ReplicationPrimary.doWork} / {@code ReplicationClone.doWork}); each one whose MAC verifies
 * (when a secret is set), that {@link ElectionFrame#validate validates}, that another node sent and
 * that is for every node or for this one goes to the {@link Handler}. Unsigned, forged and
 * malformed frames are counted ({@link #rejected()}, and in the heartbeater's
 * {@link Heartbeater#rejected()}) and dropped.
 *
 * <p>Runs on the node's duty-cycle thread; not thread-safe. No allocation per frame.
 */
public final class ControlChannel {
    /**
     * Receives election frames. Called on the duty-cycle thread from inside the heartbeater's poll:
     * the frame is valid only during the call, and the handler must not close the channel's owner.
     */
    @FunctionalInterface
    public interface Handler {
        void onElectionFrame(ElectionFrame frame);
    }

    private final int nodeId;
    private final FrameSigner signer;
    private final Publication publication;
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
    private final ElectionFrame encoder = new ElectionFrame();
    private final ElectionFrame decoder = new ElectionFrame();
    private Handler handler;
    private long sent;
    private long offerFailures;
    private long received;
    private long rejected;
    private long notForUs;
    private long unhandled;

    ControlChannel(int nodeId, FrameSigner signer, Publication publication) {
        this.nodeId = nodeId;
        this.signer = signer;
        this.publication = publication;
    }

    /** Where received frames go; {@code null} drops them (counted in {@link #unhandled()}). */
    public void handler(Handler h) {
        this.handler = h;
    }

    /**
     * Starts a frame from this node in the send buffer: the header written, the body zeroed, the kind
     * set. Fill in the fields of {@code kind}, then {@link #offer()}.
     */
    public ElectionFrame encoder(int kind) {
        return encoder.wrapForEncode(out, 0, nodeId, kind);
    }

    /**
     * Signs the frame {@link #encoder} started and offers it to every node.
     *
     * @return the new stream position (&gt; 0) or Aeron's {@link Publication#NOT_CONNECTED},
     *         {@link Publication#BACK_PRESSURED}, {@link Publication#ADMIN_ACTION},
     *         {@link Publication#CLOSED} (counted in {@link #offerFailures()})
     */
    public long offer() {
        int len = signer.sign(out, 0, ElectionFrame.LENGTH);
        long r = publication.offer(out, 0, len);
        if (r > 0) {
            sent++;
        } else {
            offerFailures++;
        }
        return r;
    }

    /**
     * A frame of the election type whose MAC verified ({@code plain} bytes without it).
     *
     * @return false if it was malformed (the caller counts it as rejected too)
     */
    boolean onFrame(DirectBuffer buf, int off, int plain) {
        ElectionFrame f = decoder.wrap(buf, off);
        if (f.validate(plain) != ElectionFrame.OK) {
            rejected++;
            return false;
        }
        if (f.sender() == nodeId) {
            return true; // our own, back through multicast or IPC
        }
        int to = f.to();
        if (to != 0 && to != nodeId) {
            notForUs++;
            return true;
        }
        received++;
        if (handler != null) {
            handler.onElectionFrame(f);
        } else {
            unhandled++;
        }
        return true;
    }

    /** Frames offered and taken by Aeron. */
    public long sent() {
        return sent;
    }

    /** Frames Aeron did not take (not connected, back-pressured, closed). */
    public long offerFailures() {
        return offerFailures;
    }

    /** Well-formed frames from other nodes for this one, handed to the handler. */
    public long received() {
        return received;
    }

    /** Malformed election frames (signature failures are counted by the heartbeater, before the type is known). */
    public long rejected() {
        return rejected;
    }

    /** Well-formed frames addressed to another node. */
    public long notForUs() {
        return notForUs;
    }

    /** Frames received while no handler was set. */
    public long unhandled() {
        return unhandled;
    }
}
