package dev.understudy.netfilter.internal;

/**
 * Constants and struct layouts of {@code linux/tcp.h} (uapi) used by TCP_REPAIR and TCP_INFO.
 * Field names are the kernel's; offsets are byte offsets for x86_64 / any LP64 little-endian.
 *
 * <pre>
 * struct tcp_repair_window {          struct tcp_repair_opt {
 *   __u32 snd_wl1;     // 0             __u32 opt_code;  // 0
 *   __u32 snd_wnd;     // 4             __u32 opt_val;   // 4
 *   __u32 max_window;  // 8           };                 // 8 bytes
 *   __u32 rcv_wnd;     // 12
 *   __u32 rcv_wup;     // 16
 * };                   // 20 bytes
 * </pre>
 */
public final class LinuxTcp {
    // socket options at level IPPROTO_TCP (linux/tcp.h)
    public static final int TCP_NODELAY = 1;
    public static final int TCP_MAXSEG = 2;
    public static final int TCP_INFO = 11;
    public static final int TCP_REPAIR = 19;
    public static final int TCP_REPAIR_QUEUE = 20;
    public static final int TCP_QUEUE_SEQ = 21;
    public static final int TCP_REPAIR_OPTIONS = 22;
    public static final int TCP_TIMESTAMP = 24;
    public static final int TCP_REPAIR_WINDOW = 29;

    // TCP_REPAIR values
    public static final int TCP_REPAIR_ON = 1;
    public static final int TCP_REPAIR_OFF = 0;
    /** Turn repair off without sending a window probe (linux 4.19+). */
    public static final int TCP_REPAIR_OFF_NO_WP = -1;

    // TCP_REPAIR_QUEUE values (enum in linux/tcp.h)
    public static final int TCP_NO_QUEUE = 0;
    public static final int TCP_RECV_QUEUE = 1;
    public static final int TCP_SEND_QUEUE = 2;

    // TCP option kinds accepted by TCP_REPAIR_OPTIONS (net/tcp.h TCPOPT_*)
    public static final int TCPOPT_MSS = 2;
    public static final int TCPOPT_WINDOW = 3;
    public static final int TCPOPT_SACK_PERM = 4;
    public static final int TCPOPT_TIMESTAMP = 8;

    // struct tcp_repair_opt
    public static final int TCP_REPAIR_OPT_SIZE = 8;
    public static final int TCP_REPAIR_OPT_CODE = 0;
    public static final int TCP_REPAIR_OPT_VAL = 4;

    // struct tcp_repair_window
    public static final int TCP_REPAIR_WINDOW_SIZE = 20;
    public static final int TRW_SND_WL1 = 0;
    public static final int TRW_SND_WND = 4;
    public static final int TRW_MAX_WINDOW = 8;
    public static final int TRW_RCV_WND = 12;
    public static final int TRW_RCV_WUP = 16;

    /*
     * struct tcp_info: only the fields read here.
     *   __u8 tcpi_state;            0
     *   __u8 tcpi_ca_state;         1
     *   __u8 tcpi_retransmits;      2
     *   __u8 tcpi_probes;           3
     *   __u8 tcpi_backoff;          4
     *   __u8 tcpi_options;          5
     *   __u8 tcpi_snd_wscale:4, tcpi_rcv_wscale:4;   6 (snd in the low nibble)
     *   __u8 ...                    7
     *   __u32 tcpi_rto;             8
     *   __u32 tcpi_ato;             12
     *   __u32 tcpi_snd_mss;         16
     *   __u32 tcpi_rcv_mss;         20
     *   __u32 tcpi_unacked;         24
     *   ...
     *   __u32 tcpi_rtt;             68
     *   __u32 tcpi_rttvar;          72
     *   __u32 tcpi_snd_cwnd;        80
     *   __u32 tcpi_advmss;          84
     *   __u32 tcpi_rcv_space;       96
     *   __u64 tcpi_bytes_acked;     120
     *   __u64 tcpi_bytes_received;  128
     *   __u32 tcpi_notsent_bytes;   144
     */
    public static final int TCPI_STATE = 0;
    public static final int TCPI_OPTIONS = 5;
    public static final int TCPI_WSCALE = 6;
    public static final int TCPI_RTO = 8;
    public static final int TCPI_SND_MSS = 16;
    public static final int TCPI_RCV_MSS = 20;
    public static final int TCPI_UNACKED = 24;
    public static final int TCPI_RTT = 68;
    public static final int TCPI_RTTVAR = 72;
    public static final int TCPI_SND_CWND = 80;
    public static final int TCPI_ADVMSS = 84;
    public static final int TCPI_RCV_SPACE = 96;
    public static final int TCPI_BYTES_ACKED = 120;
    public static final int TCPI_BYTES_RECEIVED = 128;
    public static final int TCPI_NOTSENT_BYTES = 144;
    /** Bytes requested from TCP_INFO: enough for every field above (the kernel copies min(len, sizeof)). */
    public static final int TCP_INFO_SIZE = 232;

    // tcpi_options bits
    public static final int TCPI_OPT_TIMESTAMPS = 1;
    public static final int TCPI_OPT_SACK = 2;
    public static final int TCPI_OPT_WSCALE = 4;
    public static final int TCPI_OPT_ECN = 8;

    // tcp_states (net/tcp_states.h)
    public static final int TCP_ESTABLISHED = 1;
    public static final int TCP_CLOSE = 7;
    public static final int TCP_LISTEN = 10;

    private LinuxTcp() {
    }

    /** Option name for error messages, e.g. {@code TCP_REPAIR_WINDOW}. */
    public static String optionName(int level, int option) {
        if (level == LibC.IPPROTO_TCP) {
            switch (option) {
                case TCP_NODELAY: return "TCP_NODELAY";
                case TCP_MAXSEG: return "TCP_MAXSEG";
                case TCP_INFO: return "TCP_INFO";
                case TCP_REPAIR: return "TCP_REPAIR";
                case TCP_REPAIR_QUEUE: return "TCP_REPAIR_QUEUE";
                case TCP_QUEUE_SEQ: return "TCP_QUEUE_SEQ";
                case TCP_REPAIR_OPTIONS: return "TCP_REPAIR_OPTIONS";
                case TCP_TIMESTAMP: return "TCP_TIMESTAMP";
                case TCP_REPAIR_WINDOW: return "TCP_REPAIR_WINDOW";
                default: return "IPPROTO_TCP/" + option;
            }
        }
        if (level == LibC.SOL_SOCKET) {
            switch (option) {
                case LibC.SO_REUSEADDR: return "SO_REUSEADDR";
                case LibC.SO_SNDBUF: return "SO_SNDBUF";
                case LibC.SO_RCVBUF: return "SO_RCVBUF";
                default: return "SOL_SOCKET/" + option;
            }
        }
        if (level == LibC.IPPROTO_IP) {
            switch (option) {
                case LibC.IP_TRANSPARENT: return "IP_TRANSPARENT";
                case LibC.IP_FREEBIND: return "IP_FREEBIND";
                default: return "IPPROTO_IP/" + option;
            }
        }
        return level + "/" + option;
    }
}
