package dev.understudy.netfilter.address;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.sun.jna.Memory;
import dev.understudy.netfilter.internal.IfPacket;
import dev.understudy.netfilter.internal.LinuxIn;
import dev.understudy.netfilter.internal.Rtnetlink;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** rtnetlink and ARP messages byte for byte against the kernel layouts (linux/netlink.h, if_addr.h, RFC 826). */
class AddressLayoutTest {
    static String hex(Memory m, int len) {
        return HexFormat.of().formatHex(m.getByteArray(0, len));
    }

    @Test
    void shouldEncodeRtmNewaddrAsNlmsghdrIfaddrmsgAndTwoAddressAttributes() {
        assertEquals(16, Rtnetlink.NLMSGHDR_SIZE);
        assertEquals(8, Rtnetlink.IFADDRMSG_SIZE);
        assertEquals(4, Rtnetlink.RTATTR_SIZE);
        assertEquals(12, Rtnetlink.SOCKADDR_NL_SIZE);
        assertEquals(40, InterfaceAddresses.REQUEST_SIZE);
        try (Memory m = new Memory(40)) {
            InterfaceAddresses.encode(m, Rtnetlink.RTM_NEWADDR,
                Rtnetlink.NLM_F_REQUEST | Rtnetlink.NLM_F_ACK | Rtnetlink.NLM_F_CREATE | Rtnetlink.NLM_F_EXCL,
                0x01020304, 3, LinuxIn.parse("198.18.0.100"), 32);
            assertEquals(
                "28000000" + "1400" + "0506" + "04030201" + "00000000"   // nlmsghdr: len 40, RTM_NEWADDR, flags 0x605, seq, pid
                + "02" + "20" + "00" + "00" + "03000000"                // ifaddrmsg: AF_INET, /32, flags, scope, ifindex 3
                + "0800" + "0200" + "c6120064"                          // rtattr IFA_LOCAL
                + "0800" + "0100" + "c6120064",                         // rtattr IFA_ADDRESS
                hex(m, 40));
        }
    }

    @Test
    void shouldEncodeTheGratuitousArpAnnouncement() {
        assertEquals(28, IfPacket.ARP_PACKET_SIZE);
        assertEquals(20, IfPacket.SOCKADDR_LL_SIZE);
        assertEquals(40, IfPacket.IFREQ_SIZE);
        byte[] mac = HexFormat.of().parseHex("020000aabbcc");
        try (Memory m = new Memory(28)) {
            GratuitousArp.encode(m, mac, LinuxIn.parse("198.18.0.100"));
            assertEquals("0001" + "0800" + "06" + "04" + "0001" + "020000aabbcc" + "c6120064" + "000000000000" + "c6120064",
                hex(m, 28));
        }
    }
}
