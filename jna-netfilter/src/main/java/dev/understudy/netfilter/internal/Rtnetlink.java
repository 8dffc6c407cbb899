package dev.understudy.netfilter.internal;

/**
 * Layouts and constants of {@code linux/netlink.h}, {@code linux/rtnetlink.h} and
 * {@code linux/if_addr.h} used to add and remove interface addresses. All fields are host
 * order (little-endian on x86_64) except addresses inside attributes, which are network order.
 *
 * <pre>
 * struct nlmsghdr {            struct ifaddrmsg {          struct rtattr {
 *   __u32 nlmsg_len;   // 0      __u8  ifa_family;    // 0   unsigned short rta_len;  // 0
 *   __u16 nlmsg_type;  // 4      __u8  ifa_prefixlen; // 1   unsigned short rta_type; // 2
 *   __u16 nlmsg_flags; // 6      __u8  ifa_flags;     // 2 };  // 4, payload follows, padded to 4
 *   __u32 nlmsg_seq;   // 8      __u8  ifa_scope;     // 3
 *   __u32 nlmsg_pid;   // 12     __u32 ifa_index;     // 4
 * };                   // 16   };                     // 8
 *
 * struct sockaddr_nl { __kernel_sa_family_t nl_family; // 0
 *                      unsigned short nl_pad;          // 2
 *                      __u32 nl_pid;                   // 4
 *                      __u32 nl_groups; };             // 8, 12 bytes
 * struct nlmsgerr { int error; struct nlmsghdr msg; }  // error is -errno, 0 for an ACK
 * </pre>
 */
public final class Rtnetlink {
    public static final int NETLINK_ROUTE = 0;

    public static final int NLMSGHDR_SIZE = 16;
    public static final int NLMSG_LEN = 0;
    public static final int NLMSG_TYPE = 4;
    public static final int NLMSG_FLAGS = 6;
    public static final int NLMSG_SEQ = 8;
    public static final int NLMSG_PID = 12;

    public static final int IFADDRMSG_SIZE = 8;
    public static final int IFA_FAMILY = 0;
    public static final int IFA_PREFIXLEN = 1;
    public static final int IFA_FLAGS_OFF = 2;
    public static final int IFA_SCOPE = 3;
    public static final int IFA_INDEX = 4;

    public static final int RTATTR_SIZE = 4;
    public static final int RTA_LEN = 0;
    public static final int RTA_TYPE = 2;

    public static final int SOCKADDR_NL_SIZE = 12;
    public static final int NL_FAMILY = 0;
    public static final int NL_PID = 4;
    public static final int NL_GROUPS = 8;

    public static final int NLMSGERR_ERROR = 0;

    // message types
    public static final int NLMSG_NOOP = 1;
    public static final int NLMSG_ERROR = 2;
    public static final int NLMSG_DONE = 3;
    public static final int RTM_NEWADDR = 20;
    public static final int RTM_DELADDR = 21;

    // flags
    public static final int NLM_F_REQUEST = 0x1;
    public static final int NLM_F_ACK = 0x4;
    public static final int NLM_F_REPLACE = 0x100;
    public static final int NLM_F_EXCL = 0x200;
    public static final int NLM_F_CREATE = 0x400;

    // if_addr.h attribute types
    public static final int IFA_ADDRESS = 1;
    public static final int IFA_LOCAL = 2;

    // rtnetlink.h scopes
    public static final int RT_SCOPE_UNIVERSE = 0;

    private Rtnetlink() {
    }

    /** NLMSG_ALIGN / RTA_ALIGN: round up to a multiple of 4. */
    public static int align(int len) {
        return (len + 3) & ~3;
    }
}
