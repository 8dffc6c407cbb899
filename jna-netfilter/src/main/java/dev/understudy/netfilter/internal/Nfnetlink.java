package dev.understudy.netfilter.internal;

/**
 * Constants and layouts from {@code linux/netfilter/nfnetlink.h}.
 *
 * <pre>
 * struct nfgenmsg {            // 4 bytes, follows the nlmsghdr
 *     __u8  nfgen_family;      // 0 AF_xxx
 *     __u8  version;           // 1 NFNETLINK_V0
 *     __be16 res_id;           // 2 resource id (the queue number), network byte order
 * };
 * nlmsg_type = (subsystem &lt;&lt; 8) | message
 * </pre>
 */
public final class Nfnetlink {
    public static final int NFNETLINK_V0 = 0;
    public static final int NFGENMSG_SIZE = 4;
    public static final int NFGEN_FAMILY_OFFSET = 0;
    public static final int NFGEN_VERSION_OFFSET = 1;
    public static final int NFGEN_RES_ID_OFFSET = 2;

    public static final int NFNL_SUBSYS_NONE = 0;
    public static final int NFNL_SUBSYS_CTNETLINK = 1;
    public static final int NFNL_SUBSYS_CTNETLINK_EXP = 2;
    public static final int NFNL_SUBSYS_QUEUE = 3;
    public static final int NFNL_SUBSYS_ULOG = 4;

    private Nfnetlink() {
    }

    /** NFNL_SUBSYS_ID(type). */
    public static int subsysId(int nlmsgType) {
        return (nlmsgType & 0xFF00) >> 8;
    }

    /** NFNL_MSG_TYPE(type). */
    public static int msgType(int nlmsgType) {
        return nlmsgType & 0x00FF;
    }

    /** The nlmsg_type for a message of a subsystem. */
    public static int type(int subsys, int msg) {
        return (subsys << 8) | msg;
    }
}
