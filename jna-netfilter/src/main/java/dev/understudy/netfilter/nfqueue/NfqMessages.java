package dev.understudy.netfilter.nfqueue;

import static dev.understudy.netfilter.internal.Netlink.NLA_HDRLEN;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_FLAGS_OFFSET;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_HDRLEN;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_LEN_OFFSET;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_PID_OFFSET;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_SEQ_OFFSET;
import static dev.understudy.netfilter.internal.Netlink.NLMSG_TYPE_OFFSET;
import static dev.understudy.netfilter.internal.Netlink.NLM_F_ACK;
import static dev.understudy.netfilter.internal.Netlink.NLM_F_REQUEST;
import static dev.understudy.netfilter.internal.Netlink.nlaAlign;

import dev.understudy.netfilter.internal.Nfnetlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * Encoders and field readers for the nfnetlink_queue messages, over a {@link ByteOrder#BIG_ENDIAN}
 * buffer. Netlink header fields ({@code nlmsghdr}, {@code nlattr}) are in host byte order and
 * are byte-swapped here when the host is little-endian; netfilter payload fields
 * ({@code res_id}, verdict, id, copy range, ...) are big-endian as the kernel defines them.
 *
 * <pre>
 * verdict / batch verdict (32 bytes):
 *   nlmsghdr{len=32, type=(3&lt;&lt;8)|1 or |3, flags=NLM_F_REQUEST, seq, pid=0}   16
 *   nfgenmsg{AF_UNSPEC, NFNETLINK_V0, htons(queue)}                           4
 *   nlattr{len=12, NFQA_VERDICT_HDR} nfqnl_msg_verdict_hdr{be32 verdict, be32 id} 12
 * config (NLM_F_REQUEST|NLM_F_ACK):
 *   nlmsghdr + nfgenmsg{AF_UNSPEC, 0, htons(queue)}
 *   nlattr{8,  NFQA_CFG_CMD}          {u8 cmd, u8 pad, be16 pf}
 *   nlattr{9,  NFQA_CFG_PARAMS}       {be32 copy_range, u8 copy_mode} + 3 pad bytes
 *   nlattr{8,  NFQA_CFG_QUEUE_MAXLEN} be32
 *   nlattr{8,  NFQA_CFG_FLAGS}        be32 (0 or F_GSO)    nlattr{8, NFQA_CFG_MASK} be32 (FAIL_OPEN|GSO)
 * </pre>
 *
 * <p>Thread-safety: stateless.
 */
public final class NfqMessages {
    static final boolean HOST_LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

    /** AF_UNSPEC from sys/socket.h: nfgen_family of verdict and config messages. */
    public static final int AF_UNSPEC = 0;

    /** Size of one verdict or batch-verdict message. */
    public static final int VERDICT_MESSAGE_SIZE = NLMSG_HDRLEN + Nfnetlink.NFGENMSG_SIZE + NLA_HDRLEN
        + NfnetlinkQueue.NFQNL_MSG_VERDICT_HDR_SIZE;

    private NfqMessages() {
    }

    // --- host-order accessors on a big-endian buffer -------------------------------------

    public static int hostInt(ByteBuffer b, int off) {
        int v = b.getInt(off);
        return HOST_LITTLE_ENDIAN ? Integer.reverseBytes(v) : v;
    }

    public static int hostShort(ByteBuffer b, int off) {
        short v = b.getShort(off);
        return (HOST_LITTLE_ENDIAN ? Short.reverseBytes(v) : v) & 0xFFFF;
    }

    public static void putHostInt(ByteBuffer b, int off, int v) {
        b.putInt(off, HOST_LITTLE_ENDIAN ? Integer.reverseBytes(v) : v);
    }

    public static void putHostShort(ByteBuffer b, int off, int v) {
        short s = (short) v;
        b.putShort(off, HOST_LITTLE_ENDIAN ? Short.reverseBytes(s) : s);
    }

    // --- writers --------------------------------------------------------------------------

    /** Writes an nlmsghdr at {@code off}. */
    public static void putHeader(ByteBuffer b, int off, int len, int type, int flags, int seq) {
        putHostInt(b, off + NLMSG_LEN_OFFSET, len);
        putHostShort(b, off + NLMSG_TYPE_OFFSET, type);
        putHostShort(b, off + NLMSG_FLAGS_OFFSET, flags);
        putHostInt(b, off + NLMSG_SEQ_OFFSET, seq);
        putHostInt(b, off + NLMSG_PID_OFFSET, 0);
    }

    /** Writes an nfgenmsg at {@code off}. */
    public static void putNfgen(ByteBuffer b, int off, int family, int queue) {
        b.put(off + Nfnetlink.NFGEN_FAMILY_OFFSET, (byte) family);
        b.put(off + Nfnetlink.NFGEN_VERSION_OFFSET, (byte) Nfnetlink.NFNETLINK_V0);
        b.putShort(off + Nfnetlink.NFGEN_RES_ID_OFFSET, (short) queue);
    }

    /** Writes an nlattr header; returns the offset of its payload. */
    public static int putAttrHeader(ByteBuffer b, int off, int payloadLen, int type) {
        putHostShort(b, off, NLA_HDRLEN + payloadLen);
        putHostShort(b, off + 2, type);
        return off + NLA_HDRLEN;
    }

    /**
     * Writes a NFQNL_MSG_VERDICT ({@code batch == false}) or NFQNL_MSG_VERDICT_BATCH message.
     *
     * @return the bytes written ({@link #VERDICT_MESSAGE_SIZE})
     */
    public static int putVerdict(ByteBuffer b, int off, int queue, boolean batch, int verdict, int id, int seq) {
        int type = Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE,
            batch ? NfnetlinkQueue.NFQNL_MSG_VERDICT_BATCH : NfnetlinkQueue.NFQNL_MSG_VERDICT);
        putHeader(b, off, VERDICT_MESSAGE_SIZE, type, NLM_F_REQUEST, seq);
        putNfgen(b, off + NLMSG_HDRLEN, AF_UNSPEC, queue);
        int p = putAttrHeader(b, off + NLMSG_HDRLEN + Nfnetlink.NFGENMSG_SIZE, NfnetlinkQueue.NFQNL_MSG_VERDICT_HDR_SIZE,
            NfnetlinkQueue.NFQA_VERDICT_HDR);
        b.putInt(p + NfnetlinkQueue.VERDICT_HDR_VERDICT_OFFSET, verdict);
        b.putInt(p + NfnetlinkQueue.VERDICT_HDR_ID_OFFSET, id);
        return VERDICT_MESSAGE_SIZE;
    }

    /**
     * Writes a NFQNL_MSG_CONFIG message with only a command (e.g. UNBIND).
     *
     * @return bytes written
     */
    public static int putConfigCommand(ByteBuffer b, int off, int queue, int command, int pf, int seq, boolean ack) {
        int p = off + NLMSG_HDRLEN;
        putNfgen(b, p, AF_UNSPEC, queue);
        p += Nfnetlink.NFGENMSG_SIZE;
        p = putCmd(b, p, command, pf);
        int len = p - off;
        putHeader(b, off, len, Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_CONFIG),
            NLM_F_REQUEST | (ack ? NLM_F_ACK : 0), seq);
        return len;
    }

    /**
     * Writes the one NFQNL_MSG_CONFIG message that binds a queue: CMD_BIND(pf), PARAMS(copy
     * mode, range), QUEUE_MAXLEN, and FLAGS = {@code gso ? F_GSO : 0} under MASK = FAIL_OPEN|GSO
     * (FAIL_OPEN is always cleared). With NLM_F_ACK.
     *
     * @return bytes written
     */
    public static int putBindConfig(ByteBuffer b, int off, int queue, int pf, int copyMode, int copyRange, int maxLen, boolean gso,
                                    int seq) {
        int p = off + NLMSG_HDRLEN;
        putNfgen(b, p, AF_UNSPEC, queue);
        p += Nfnetlink.NFGENMSG_SIZE;
        p = putCmd(b, p, NfnetlinkQueue.NFQNL_CFG_CMD_BIND, pf);
        int q = putAttrHeader(b, p, NfnetlinkQueue.NFQNL_MSG_CONFIG_PARAMS_SIZE, NfnetlinkQueue.NFQA_CFG_PARAMS);
        b.putInt(q, copyRange);
        b.put(q + 4, (byte) copyMode);
        for (int i = q + NfnetlinkQueue.NFQNL_MSG_CONFIG_PARAMS_SIZE; i < p + nlaAlign(NLA_HDRLEN + NfnetlinkQueue.NFQNL_MSG_CONFIG_PARAMS_SIZE); i++) {
            b.put(i, (byte) 0);
        }
        p += nlaAlign(NLA_HDRLEN + NfnetlinkQueue.NFQNL_MSG_CONFIG_PARAMS_SIZE);
        p = putBe32Attr(b, p, NfnetlinkQueue.NFQA_CFG_QUEUE_MAXLEN, maxLen);
        p = putBe32Attr(b, p, NfnetlinkQueue.NFQA_CFG_FLAGS, gso ? NfnetlinkQueue.NFQA_CFG_F_GSO : 0);
        p = putBe32Attr(b, p, NfnetlinkQueue.NFQA_CFG_MASK, NfnetlinkQueue.NFQA_CFG_F_FAIL_OPEN | NfnetlinkQueue.NFQA_CFG_F_GSO);
        int len = p - off;
        putHeader(b, off, len, Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_CONFIG),
            NLM_F_REQUEST | NLM_F_ACK, seq);
        return len;
    }

    private static int putCmd(ByteBuffer b, int p, int command, int pf) {
        int q = putAttrHeader(b, p, NfnetlinkQueue.NFQNL_MSG_CONFIG_CMD_SIZE, NfnetlinkQueue.NFQA_CFG_CMD);
        b.put(q, (byte) command);
        b.put(q + 1, (byte) 0);
        b.putShort(q + 2, (short) pf);
        return p + nlaAlign(NLA_HDRLEN + NfnetlinkQueue.NFQNL_MSG_CONFIG_CMD_SIZE);
    }

    private static int putBe32Attr(ByteBuffer b, int p, int type, int value) {
        int q = putAttrHeader(b, p, 4, type);
        b.putInt(q, value);
        return p + NLA_HDRLEN + 4;
    }
}
