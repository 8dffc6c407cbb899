package dev.understudy.netfilter.internal;

/**
 * Constants and layouts from {@code linux/netlink.h}, with the kernel's names.
 *
 * <pre>
 * struct nlmsghdr {            // 16 bytes, host byte order
 *     __u32 nlmsg_len;         // 0  length of message including header
 *     __u16 nlmsg_type;        // 4
 *     __u16 nlmsg_flags;       // 6
 *     __u32 nlmsg_seq;         // 8
 *     __u32 nlmsg_pid;         // 12 sending process port ID
 * };
 * struct nlmsgerr { int error; struct nlmsghdr msg; };   // NLMSG_ERROR payload, error = -errno or 0 (ack)
 * struct nlattr  { __u16 nla_len; __u16 nla_type; };     // 4 bytes, payload follows, NLA_ALIGNTO = 4
 * struct sockaddr_nl {         // 12 bytes
 *     __kernel_sa_family_t nl_family;  // 0  AF_NETLINK
 *     unsigned short nl_pad;           // 2
 *     __u32 nl_pid;                    // 4  port ID (0: kernel assigns)
 *     __u32 nl_groups;                 // 8  multicast groups mask
 * };
 * </pre>
 */
public final class Netlink {
    public static final int NETLINK_ROUTE = 0;
    public static final int NETLINK_NETFILTER = 12;

    public static final int NLMSG_ALIGNTO = 4;
    public static final int NLMSG_HDRLEN = 16;
    public static final int NLMSG_LEN_OFFSET = 0;
    public static final int NLMSG_TYPE_OFFSET = 4;
    public static final int NLMSG_FLAGS_OFFSET = 6;
    public static final int NLMSG_SEQ_OFFSET = 8;
    public static final int NLMSG_PID_OFFSET = 12;

    public static final int NLM_F_REQUEST = 0x01;
    public static final int NLM_F_MULTI = 0x02;
    public static final int NLM_F_ACK = 0x04;
    public static final int NLM_F_ECHO = 0x08;

    public static final int NLMSG_NOOP = 0x1;
    public static final int NLMSG_ERROR = 0x2;
    public static final int NLMSG_DONE = 0x3;
    public static final int NLMSG_OVERRUN = 0x4;
    /** Types below this are reserved control messages. */
    public static final int NLMSG_MIN_TYPE = 0x10;

    /** sizeof(struct nlmsgerr) without the echoed request payload: int error + nlmsghdr. */
    public static final int NLMSGERR_SIZE = 4 + NLMSG_HDRLEN;

    public static final int NLA_ALIGNTO = 4;
    public static final int NLA_HDRLEN = 4;
    public static final int NLA_F_NESTED = 1 << 15;
    public static final int NLA_F_NET_BYTEORDER = 1 << 14;
    public static final int NLA_TYPE_MASK = ~(NLA_F_NESTED | NLA_F_NET_BYTEORDER) & 0xFFFF;

    public static final int SOCKADDR_NL_SIZE = 12;

    public static final int SOL_NETLINK = 270;
    public static final int NETLINK_ADD_MEMBERSHIP = 1;
    public static final int NETLINK_DROP_MEMBERSHIP = 2;
    public static final int NETLINK_PKTINFO = 3;
    public static final int NETLINK_BROADCAST_ERROR = 4;
    public static final int NETLINK_NO_ENOBUFS = 5;
    public static final int NETLINK_CAP_ACK = 10;
    public static final int NETLINK_EXT_ACK = 11;

    private Netlink() {
    }

    /** NLMSG_ALIGN(len): rounds up to a multiple of 4. */
    public static int nlmsgAlign(int len) {
        return (len + NLMSG_ALIGNTO - 1) & ~(NLMSG_ALIGNTO - 1);
    }

    /** NLA_ALIGN(len): rounds up to a multiple of 4. */
    public static int nlaAlign(int len) {
        return (len + NLA_ALIGNTO - 1) & ~(NLA_ALIGNTO - 1);
    }
}
