package dev.understudy.netfilter.internal;

/**
 * Layouts and constants of {@code linux/if_packet.h}, {@code linux/if_ether.h},
 * {@code linux/if_arp.h} and {@code linux/if.h} used to send gratuitous ARP.
 *
 * <pre>
 * struct sockaddr_ll {                  ARP packet for Ethernet/IPv4 (RFC 826), 28 bytes,
 *   unsigned short sll_family;   // 0   network order:
 *   __be16         sll_protocol; // 2     __be16 ar_hrd;  // 0  ARPHRD_ETHER = 1
 *   int            sll_ifindex;  // 4     __be16 ar_pro;  // 2  ETH_P_IP = 0x0800
 *   unsigned short sll_hatype;   // 8     __u8   ar_hln;  // 4  6
 *   unsigned char  sll_pkttype;  // 10    __u8   ar_pln;  // 5  4
 *   unsigned char  sll_halen;    // 11    __be16 ar_op;   // 6  ARPOP_REQUEST = 1
 *   unsigned char  sll_addr[8];  // 12    __u8   ar_sha[6]; // 8
 * };                             // 20    __u8   ar_sip[4]; // 14
 *                                         __u8   ar_tha[6]; // 18
 * struct ifreq {                          __u8   ar_tip[4]; // 24
 *   char ifr_name[16];           // 0
 *   struct sockaddr ifr_hwaddr;  // 16 (sa_family 2 bytes, then sa_data: the MAC)
 * };                             // 40 (the union is 24 bytes)
 * </pre>
 */
public final class IfPacket {
    public static final int ETH_P_IP = 0x0800;
    public static final int ETH_P_ARP = 0x0806;
    public static final int ETH_P_ALL = 0x0003;
    public static final int ETH_ALEN = 6;
    public static final int ARPHRD_ETHER = 1;
    public static final int ARPOP_REQUEST = 1;
    public static final int ARPOP_REPLY = 2;

    public static final int SOCKADDR_LL_SIZE = 20;
    public static final int SLL_FAMILY = 0;
    public static final int SLL_PROTOCOL = 2;
    public static final int SLL_IFINDEX = 4;
    public static final int SLL_HATYPE = 8;
    public static final int SLL_PKTTYPE = 10;
    public static final int SLL_HALEN = 11;
    public static final int SLL_ADDR = 12;

    /** sll_pkttype values */
    public static final int PACKET_HOST = 0;
    public static final int PACKET_BROADCAST = 1;
    public static final int PACKET_OUTGOING = 4;

    public static final int ARP_PACKET_SIZE = 28;
    public static final int AR_HRD = 0;
    public static final int AR_PRO = 2;
    public static final int AR_HLN = 4;
    public static final int AR_PLN = 5;
    public static final int AR_OP = 6;
    public static final int AR_SHA = 8;
    public static final int AR_SIP = 14;
    public static final int AR_THA = 18;
    public static final int AR_TIP = 24;

    public static final int IFNAMSIZ = 16;
    public static final int IFREQ_SIZE = 40;
    public static final int IFR_NAME = 0;
    public static final int IFR_HWADDR = 16;
    /** Offset of the MAC inside ifr_hwaddr (after sa_family). */
    public static final int IFR_HWADDR_DATA = 18;

    private IfPacket() {
    }

    /** htons for a 16-bit value. */
    public static short htons(int v) {
        return (short) (((v & 0xff) << 8) | ((v >>> 8) & 0xff));
    }
}
