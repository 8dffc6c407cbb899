package dev.understudy.netfilter.nfqueue;

import dev.understudy.netfilter.internal.Netlink;
import dev.understudy.netfilter.internal.Nfnetlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import java.nio.ByteBuffer;

/** Test helper: NFQNL_MSG_PACKET messages as the kernel builds them (nfqnl_build_packet_message). */
final class NfqTestMessages {
    private NfqTestMessages() {
    }

    /**
     * Writes a packet message at {@code off}: nlmsghdr, nfgenmsg(AF_INET, queue), NFQA_PACKET_HDR,
     * NFQA_IFINDEX_INDEV, NFQA_HWADDR-like filler, NFQA_PAYLOAD.
     *
     * @return the aligned length written
     */
    static int packet(ByteBuffer b, int off, int queue, int id, int hook, byte[] ip) {
        int p = off + Netlink.NLMSG_HDRLEN;
        NfqMessages.putNfgen(b, p, 2, queue);
        p += Nfnetlink.NFGENMSG_SIZE;
        int q = NfqMessages.putAttrHeader(b, p, NfnetlinkQueue.NFQNL_MSG_PACKET_HDR_SIZE, NfnetlinkQueue.NFQA_PACKET_HDR);
        b.putInt(q, id);
        b.putShort(q + 4, (short) 0x0800);
        b.put(q + 6, (byte) hook);
        b.put(q + 7, (byte) 0);
        p += 12;
        q = NfqMessages.putAttrHeader(b, p, 4, NfnetlinkQueue.NFQA_IFINDEX_INDEV | Netlink.NLA_F_NET_BYTEORDER);
        b.putInt(q, 2);
        p += 8;
        q = NfqMessages.putAttrHeader(b, p, ip.length, NfnetlinkQueue.NFQA_PAYLOAD);
        b.put(q, ip);
        p += Netlink.nlaAlign(4 + ip.length);
        int len = p - off;
        NfqMessages.putHeader(b, off, len, Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_PACKET), 0, 0);
        return len;
    }

    /** Writes an NLMSG_ERROR for {@code seq} with {@code -errno} (0: ack). */
    static int error(ByteBuffer b, int off, int seq, int errno) {
        int len = Netlink.NLMSG_HDRLEN + Netlink.NLMSGERR_SIZE;
        NfqMessages.putHeader(b, off, len, Netlink.NLMSG_ERROR, 0, seq);
        NfqMessages.putHostInt(b, off + Netlink.NLMSG_HDRLEN, -errno);
        NfqMessages.putHeader(b, off + Netlink.NLMSG_HDRLEN + 4, 40, 0x0302, 5, seq);
        return len;
    }
}
