package dev.understudy.transport.membership;

import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.internal.net.FrameSigner;
import dev.understudy.transport.internal.net.Framing;
import dev.understudy.transport.internal.net.Wire;
import io.aeron.Aeron;
import io.aeron.Publication;
import io.aeron.Subscription;
import io.aeron.logbuffer.FragmentHandler;
import io.aeron.logbuffer.Header;
import org.agrona.CloseHelper;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;

/**
 * Sends this node's heartbeat (node id, role, epoch, journal position, durable position,
 * health, control address) on the heartbeat stream every heartbeat interval (multicast, or with
 * unicast destinations one manual multi-destination-cast publication with every other node's
 * control endpoint as a destination: {@link ReplicationConfig#heartbeatDestinations()}), reads
 * everybody else's into a {@link Membership}, and reports lost/rejoined members through it.
 *
 * <p>Heartbeats are signed like every other frame when a secret is set; unsigned or forged ones
 * are counted in {@link #rejected()} and ignored.
 *
 * <p>The same stream carries the election's messages: {@link #control()} sends them and hands the
 * ones received (while {@link #doWork} polls) to its handler; unsigned, forged and malformed ones
 * are counted in {@link #rejected()} too.
 *
 * <p>Runs on the node's duty-cycle thread; not thread-safe. No allocation per heartbeat.
 */
public final class Heartbeater implements AutoCloseable {
    private final ReplicationConfig config;
    private final FrameSigner signer;
    private final Publication publication;
    private final Subscription subscription;
    private final Membership membership;
    private final ControlChannel control;
    private final UnsafeBuffer out = new UnsafeBuffer(ByteBuffer.allocateDirect(256));
    private final int[] addresses = new int[ReplicationConfig.MAX_NODE_ID + 1];
    private final int selfAddress;
    private final FragmentHandler handler = this::onFragment;
    private long nextSendNs;
    private long nowNs;
    private long rejected;
    private long received;
    private long sent;

    /**
     * Heartbeats are signed and verified with {@code config}'s secret (unsigned without one).
     *
     * @param listener told about joined/lost/rejoined nodes; may be {@code null}
     */
    public Heartbeater(Aeron aeron, ReplicationConfig config, MemberListener listener) {
        this.config = config;
        this.signer = new Framing(config).controlSigner();
        this.membership = new Membership(config.nodeId(), ReplicationConfig.MAX_NODE_ID, config.memberTimeoutNs(), listener);
        this.selfAddress = config.ipc() ? 0 : Wire.ipv4(config.address());
        this.publication = aeron.addPublication(config.heartbeatChannel(), ReplicationConfig.HEARTBEAT_STREAM);
        try {
            // manual MDC: the destinations are fixed (the node list), so they are added once, here, and a
            // node that is down costs one datagram per interval (MDC's default flow control is max, so it
            // never holds the others' heartbeats back)
            for (String destination : config.heartbeatDestinations()) {
                publication.addDestination(destination);
            }
            this.subscription = aeron.addSubscription(config.heartbeatSubscriptionChannel(), ReplicationConfig.HEARTBEAT_STREAM);
            this.control = new ControlChannel(config.nodeId(), signer, publication);
        } catch (RuntimeException e) {
            CloseHelper.quietClose(publication);
            throw e;
        }
    }

    /**
     * Sends a heartbeat when due, reads the ones that arrived, and reports timeouts.
     *
     * @return work done
     */
    public int doWork(long now, Role role, long epoch, long journalPosition, long durablePosition, boolean healthy) {
        this.nowNs = now;
        int work = 0;
        if (now - nextSendNs >= 0) {
            Wire.header(out, 0, Wire.HB_LENGTH, Wire.TYPE_HEARTBEAT, config.nodeId(), selfAddress);
            out.putByte(Wire.HB_ROLE_OFFSET, (byte) role.code());
            out.putByte(Wire.HB_HEALTHY_OFFSET, (byte) (healthy ? 1 : 0));
            out.putShort(Wire.HB_HANDOFF_OFFSET, (short) handOffTo, Wire.LE);
            out.putLong(Wire.HB_EPOCH_OFFSET, epoch, Wire.LE);
            out.putLong(Wire.HB_JOURNAL_OFFSET, journalPosition, Wire.LE);
            out.putLong(Wire.HB_DURABLE_OFFSET, durablePosition, Wire.LE);
            out.putLong(Wire.HB_TIME_OFFSET, now, Wire.LE);
            int len = signer.sign(out, 0, Wire.HB_LENGTH);
            if (publication.offer(out, 0, len) > 0) {
                sent++;
            }
            // not connected / back-pressured: the next one is due soon anyway
            nextSendNs = now + config.heartbeatIntervalNs();
            work++;
        }
        work += subscription.poll(handler, 16);
        work += membership.poll(now);
        return work;
    }

    private void onFragment(DirectBuffer buf, int off, int len, Header header) {
        int plain = signer.verify(buf, off, len);
        int type = plain < 0 ? -1 : Wire.type(buf, off, plain);
        if (type == Wire.TYPE_ELECTION) {
            if (!control.onFrame(buf, off, plain)) {
                rejected++;
            }
            return;
        }
        if (type != Wire.TYPE_HEARTBEAT || plain < Wire.HB_LENGTH) {
            rejected++;
            return;
        }
        int sender = Wire.sender(buf, off);
        if (sender == config.nodeId()) {
            return;
        }
        Role role = Role.fromCode(buf.getByte(off + Wire.HB_ROLE_OFFSET) & 0xFF);
        if (role == null) {
            rejected++;
            return;
        }
        received++;
        if (sender > 0 && sender < addresses.length) {
            addresses[sender] = Wire.session(buf, off);
        }
        membership.onHeartbeat(sender, role,
            buf.getLong(off + Wire.HB_EPOCH_OFFSET, Wire.LE),
            buf.getLong(off + Wire.HB_JOURNAL_OFFSET, Wire.LE),
            buf.getLong(off + Wire.HB_DURABLE_OFFSET, Wire.LE),
            buf.getByte(off + Wire.HB_HEALTHY_OFFSET) != 0,
            nowNs);
        membership.handOffTo(sender, buf.getShort(off + Wire.HB_HANDOFF_OFFSET, Wire.LE) & 0xFFFF);
    }

    /**
     * From the next heartbeat on, says that this node (a primary) hands over to {@code nodeId} in a
     * planned switchover; 0 takes it back.
     */
    public void handOffTo(int nodeId) {
        if (nodeId < 0 || nodeId > 0xFFFF) {
            throw new IllegalArgumentException("invalid hand-off target: value=" + nodeId + ", expected 0..65535");
        }
        handOffTo = nodeId;
        nextSendNs = nowNs; // at once
    }

    private int handOffTo;

    public Membership membership() {
        return membership;
    }

    /** Election messages on this heartbeat stream (same thread as {@link #doWork}). */
    public ControlChannel control() {
        return control;
    }

    /** The control address (IPv4 as int) a node announced, 0 if unknown. */
    public int address(int nodeId) {
        return nodeId > 0 && nodeId < addresses.length ? addresses[nodeId] : 0;
    }

    public long rejected() {
        return rejected;
    }

    public long received() {
        return received;
    }

    public long sent() {
        return sent;
    }

    @Override
    public void close() {
        CloseHelper.quietCloseAll(publication, subscription);
    }
}
