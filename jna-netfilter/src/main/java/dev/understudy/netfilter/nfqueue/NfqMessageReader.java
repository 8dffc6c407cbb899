package dev.understudy.netfilter.nfqueue;

import static dev.understudy.netfilter.internal.Netlink.NLA_HDRLEN;
import static dev.understudy.netfilter.internal.Netlink.NLA_TYPE_MASK;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_HDRLEN;
import static dev.understudy.netfilter.internal.Netlink.nlaAlign;
import static dev.understudy.netfilter.internal.Netlink.nlmsgAlign;

import dev.understudy.netfilter.internal.Netlink;
import dev.understudy.netfilter.internal.Nfnetlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import java.nio.ByteBuffer;

/**
 * Walks the netlink messages of one received datagram and reports what it finds to a
 * {@link Sink}: queued packets (id, hook, where the IPv4 packet lies), netlink errors/acks,
 * and malformed messages. Never throws on any input bytes: every bound is checked before a
 * read, and a malformed message ends the walk of its datagram.
 *
 * <p>Thread-safety: stateless; the sink decides.
 */
final class NfqMessageReader {
    /** Malformed reasons passed to {@link Sink#onMalformed}. */
    static final int BAD_NLMSG_LENGTH = 0;
    static final int BAD_ATTRIBUTE = 1;
    static final int NO_PACKET_HEADER = 2;
    static final int NO_PAYLOAD = 3;
    static final int TRUNCATED = 4;
    static final int BAD_ERROR_MESSAGE = 5;
    static final int MALFORMED_REASONS = 6;

    private static final int PACKET_TYPE = Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_PACKET);

    interface Sink {
        /** A queued packet: the IPv4 packet is at {@code buf[offset, offset + length)}. */
        void onPacket(int packetId, int hook, ByteBuffer buf, int offset, int length);

        /**
         * A message that cannot be handled. {@code packetId} is the id when the packet
         * header was readable ({@code hasId}), so that the packet can still be dropped.
         */
        void onMalformed(int reason, boolean hasId, int packetId);

        /** NLMSG_ERROR: {@code errno} 0 is an ack; else the positive errno of the request {@code seq}. */
        void onError(int seq, int errno);
    }

    private NfqMessageReader() {
    }

    /**
     * Walks {@code buf[off, off + len)}.
     *
     * @param truncated the datagram was cut (MSG_TRUNC): its last message is reported as truncated
     * @return the number of messages seen
     */
    static int read(ByteBuffer buf, int off, int len, boolean truncated, Sink sink) {
        int end = off + len;
        if (off < 0 || len < 0 || end > buf.capacity() || end < off) {
            sink.onMalformed(BAD_NLMSG_LENGTH, false, 0);
            return 0;
        }
        int count = 0;
        int pos = off;
        while (end - pos >= NLMSG_HDRLEN) {
            int msgLen = NfqMessages.hostInt(buf, pos + Netlink.NLMSG_LEN_OFFSET);
            int type = NfqMessages.hostShort(buf, pos + Netlink.NLMSG_TYPE_OFFSET);
            count++;
            if (msgLen < NLMSG_HDRLEN) {
                sink.onMalformed(BAD_NLMSG_LENGTH, false, 0);
                return count;
            }
            boolean cut = msgLen > end - pos;
            int avail = cut ? end - pos : msgLen;
            if (type == PACKET_TYPE) {
                readPacket(buf, pos, avail, cut, truncated, sink);
            } else if (type == Netlink.NLMSG_ERROR) {
                if (cut || avail < NLMSG_HDRLEN + Netlink.NLMSGERR_SIZE) {
                    sink.onMalformed(BAD_ERROR_MESSAGE, false, 0);
                } else {
                    int error = NfqMessages.hostInt(buf, pos + NLMSG_HDRLEN);
                    int seq = NfqMessages.hostInt(buf, pos + NLMSG_HDRLEN + 4 + Netlink.NLMSG_SEQ_OFFSET);
                    sink.onError(seq, error == Integer.MIN_VALUE ? Integer.MAX_VALUE : -error);
                }
            }
            // NLMSG_NOOP, NLMSG_DONE, other subsystems: nothing to do.
            if (cut) {
                if (type != PACKET_TYPE) {
                    sink.onMalformed(truncated ? TRUNCATED : BAD_NLMSG_LENGTH, false, 0);
                }
                return count;
            }
            int next = nlmsgAlign(msgLen);
            if (next <= 0 || next > end - pos) {
                return count;
            }
            pos += next;
        }
        return count;
    }

    private static void readPacket(ByteBuffer buf, int msg, int avail, boolean cut, boolean truncated, Sink sink) {
        int pos = msg + NLMSG_HDRLEN + Nfnetlink.NFGENMSG_SIZE;
        int end = msg + avail;
        boolean hasId = false;
        int id = 0;
        int hook = 0;
        int payloadOffset = -1;
        int payloadLength = 0;
        boolean badAttr = false;
        if (pos > end) {
            sink.onMalformed(cut ? (truncated ? TRUNCATED : BAD_NLMSG_LENGTH) : NO_PACKET_HEADER, false, 0);
            return;
        }
        while (end - pos >= NLA_HDRLEN) {
            int attrLen = NfqMessages.hostShort(buf, pos);
            int attrType = NfqMessages.hostShort(buf, pos + 2) & NLA_TYPE_MASK;
            if (attrLen < NLA_HDRLEN || attrLen > end - pos) {
                badAttr = true;
                // A payload attribute cut by MSG_TRUNC still tells us the id came first.
                break;
            }
            int data = pos + NLA_HDRLEN;
            int dataLen = attrLen - NLA_HDRLEN;
            if (attrType == NfnetlinkQueue.NFQA_PACKET_HDR) {
                if (dataLen < NfnetlinkQueue.NFQNL_MSG_PACKET_HDR_SIZE) {
                    badAttr = true;
                    break;
                }
                id = buf.getInt(data + NfnetlinkQueue.PACKET_HDR_ID_OFFSET);
                hook = buf.get(data + NfnetlinkQueue.PACKET_HDR_HOOK_OFFSET) & 0xFF;
                hasId = true;
            } else if (attrType == NfnetlinkQueue.NFQA_PAYLOAD) {
                payloadOffset = data;
                payloadLength = dataLen;
            }
            int step = nlaAlign(attrLen);
            if (step > end - pos) {
                break;
            }
            pos += step;
        }
        if (cut) {
            sink.onMalformed(truncated ? TRUNCATED : BAD_NLMSG_LENGTH, hasId, id);
        } else if (!hasId) {
            sink.onMalformed(badAttr ? BAD_ATTRIBUTE : NO_PACKET_HEADER, false, 0);
        } else if (badAttr) {
            sink.onMalformed(BAD_ATTRIBUTE, true, id);
        } else if (payloadOffset < 0) {
            sink.onMalformed(NO_PAYLOAD, true, id);
        } else {
            sink.onPacket(id, hook, buf, payloadOffset, payloadLength);
        }
    }
}
