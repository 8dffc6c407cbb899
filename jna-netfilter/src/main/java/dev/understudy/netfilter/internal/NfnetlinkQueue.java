package dev.understudy.netfilter.internal;

/**
 * Constants and layouts from {@code linux/netfilter/nfnetlink_queue.h}.
 *
 * <pre>
 * struct nfqnl_msg_packet_hdr {     // 7 bytes, packed, NFQA_PACKET_HDR
 *     __be32 packet_id;             // 0 unique ID of packet in queue
 *     __be16 hw_protocol;           // 4 hw protocol (network order)
 *     __u8   hook;                  // 6 netfilter hook
 * } __attribute__ ((packed));
 * struct nfqnl_msg_verdict_hdr {    // 8 bytes, NFQA_VERDICT_HDR
 *     __be32 verdict;               // 0
 *     __be32 id;                    // 4
 * };
 * struct nfqnl_msg_config_cmd {     // 4 bytes, NFQA_CFG_CMD
 *     __u8  command;                // 0 nfqnl_msg_config_cmds
 *     __u8  _pad;                   // 1
 *     __be16 pf;                    // 2 AF_xxx for PF_[UN]BIND
 * };
 * struct nfqnl_msg_config_params {  // 5 bytes, packed, NFQA_CFG_PARAMS
 *     __be32 copy_range;            // 0
 *     __u8  copy_mode;              // 4 enum nfqnl_config_mode
 * } __attribute__ ((packed));
 * </pre>
 */
public final class NfnetlinkQueue {
    // enum nfqnl_msg_types
    public static final int NFQNL_MSG_PACKET = 0;
    public static final int NFQNL_MSG_VERDICT = 1;
    public static final int NFQNL_MSG_CONFIG = 2;
    public static final int NFQNL_MSG_VERDICT_BATCH = 3;

    // enum nfqnl_attr_type
    public static final int NFQA_UNSPEC = 0;
    public static final int NFQA_PACKET_HDR = 1;
    public static final int NFQA_VERDICT_HDR = 2;
    public static final int NFQA_MARK = 3;
    public static final int NFQA_TIMESTAMP = 4;
    public static final int NFQA_IFINDEX_INDEV = 5;
    public static final int NFQA_IFINDEX_OUTDEV = 6;
    public static final int NFQA_IFINDEX_PHYSINDEV = 7;
    public static final int NFQA_IFINDEX_PHYSOUTDEV = 8;
    public static final int NFQA_HWADDR = 9;
    public static final int NFQA_PAYLOAD = 10;
    public static final int NFQA_CT = 11;
    public static final int NFQA_CT_INFO = 12;
    public static final int NFQA_CAP_LEN = 13;
    public static final int NFQA_SKB_INFO = 14;

    public static final int NFQNL_MSG_PACKET_HDR_SIZE = 7;
    public static final int PACKET_HDR_ID_OFFSET = 0;
    public static final int PACKET_HDR_HW_PROTOCOL_OFFSET = 4;
    public static final int PACKET_HDR_HOOK_OFFSET = 6;

    public static final int NFQNL_MSG_VERDICT_HDR_SIZE = 8;
    public static final int VERDICT_HDR_VERDICT_OFFSET = 0;
    public static final int VERDICT_HDR_ID_OFFSET = 4;

    // enum nfqnl_msg_config_cmds
    public static final int NFQNL_CFG_CMD_NONE = 0;
    public static final int NFQNL_CFG_CMD_BIND = 1;
    public static final int NFQNL_CFG_CMD_UNBIND = 2;
    public static final int NFQNL_CFG_CMD_PF_BIND = 3;
    public static final int NFQNL_CFG_CMD_PF_UNBIND = 4;
    public static final int NFQNL_MSG_CONFIG_CMD_SIZE = 4;

    // enum nfqnl_config_mode
    public static final int NFQNL_COPY_NONE = 0;
    public static final int NFQNL_COPY_META = 1;
    public static final int NFQNL_COPY_PACKET = 2;
    public static final int NFQNL_MSG_CONFIG_PARAMS_SIZE = 5;

    // enum nfqnl_attr_config
    public static final int NFQA_CFG_UNSPEC = 0;
    public static final int NFQA_CFG_CMD = 1;
    public static final int NFQA_CFG_PARAMS = 2;
    public static final int NFQA_CFG_QUEUE_MAXLEN = 3;
    public static final int NFQA_CFG_MASK = 4;
    public static final int NFQA_CFG_FLAGS = 5;

    // Flags for NFQA_CFG_FLAGS. FAIL_OPEN is listed for completeness and never set by Understudy:
    // it would let the kernel accept (and ACK) bytes no clone has.
    public static final int NFQA_CFG_F_FAIL_OPEN = 1;
    public static final int NFQA_CFG_F_CONNTRACK = 1 << 1;
    public static final int NFQA_CFG_F_GSO = 1 << 2;
    public static final int NFQA_CFG_F_UID_GID = 1 << 3;
    public static final int NFQA_CFG_F_SECCTX = 1 << 4;

    /** Largest copy range the kernel accepts (it clamps to this). */
    public static final int NFQNL_MAX_COPY_RANGE = 0xFFFF;

    private NfnetlinkQueue() {
    }
}
