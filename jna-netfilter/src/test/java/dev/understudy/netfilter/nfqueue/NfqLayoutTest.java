package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.sun.jna.Pointer;
import com.sun.jna.Structure;
import dev.understudy.netfilter.internal.Netlink;
import dev.understudy.netfilter.internal.Nfnetlink;
import dev.understudy.netfilter.internal.NfnetlinkQueue;
import dev.understudy.netfilter.internal.Poll;
import dev.understudy.netfilter.internal.SysSocket;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Byte-for-byte checks of the netlink/nfnetlink_queue messages against the kernel's layouts
 * (linux/netlink.h, linux/netfilter/nfnetlink.h, linux/netfilter/nfnetlink_queue.h), and of
 * the libc structs against JNA's own layout rules for this platform.
 */
class NfqLayoutTest {
    @Test
    void shouldEncodeAVerdictExactlyAsTheKernelLaysItOut() {
        assumeTrue(NfqMessages.HOST_LITTLE_ENDIAN, "expected bytes are written for a little-endian host");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
        assertEquals(32, NfqMessages.putVerdict(b, 0, 3, false, 1, 0x01020304, 7));
        // nlmsghdr: len 32, type (3<<8)|1, flags NLM_F_REQUEST, seq 7, pid 0 (little-endian host)
        // nfgenmsg: AF_UNSPEC, v0, res_id htons(3); nlattr len 12 type NFQA_VERDICT_HDR; verdict NF_ACCEPT, id
        assertEquals("20000000" + "0103" + "0100" + "07000000" + "00000000"
                + "00" + "00" + "0003"
                + "0c00" + "0200" + "00000001" + "01020304",
            hex(b, 32));
        assertEquals(NfqMessages.VERDICT_MESSAGE_SIZE, 32);
    }

    @Test
    void shouldEncodeABatchVerdictWithItsOwnMessageType() {
        assumeTrue(NfqMessages.HOST_LITTLE_ENDIAN, "expected bytes are written for a little-endian host");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
        NfqMessages.putVerdict(b, 0, 0xABCD, true, 0, 0xFFFFFFFE, 1);
        assertEquals("20000000" + "0303" + "0100" + "01000000" + "00000000"
                + "00" + "00" + "abcd"
                + "0c00" + "0200" + "00000000" + "fffffffe",
            hex(b, 32));
    }

    @Test
    void shouldEncodeTheBindConfigWithPackedParamsAndNoFailOpen() {
        assumeTrue(NfqMessages.HOST_LITTLE_ENDIAN, "expected bytes are written for a little-endian host");
        ByteBuffer b = ByteBuffer.allocate(128).order(ByteOrder.BIG_ENDIAN);
        b.put(0, new byte[128]);
        int len = NfqMessages.putBindConfig(b, 0, 5, 2, NfnetlinkQueue.NFQNL_COPY_PACKET, 0xFFFF, 8192, false, 1);
        assertEquals(16 + 4 + 8 + 12 + 8 + 8 + 8, len);
        assertEquals("40000000" + "0203" + "0500" + "01000000" + "00000000"   // nlmsghdr: CONFIG, REQUEST|ACK
                + "00" + "00" + "0005"                                         // nfgenmsg queue 5
                + "0800" + "0100" + "01" + "00" + "0002"                       // NFQA_CFG_CMD {BIND, pad, htons(AF_INET)}
                + "0900" + "0200" + "0000ffff" + "02" + "000000"               // NFQA_CFG_PARAMS len 9 (5 packed) + 3 pad
                + "0800" + "0300" + "00002000"                                 // NFQA_CFG_QUEUE_MAXLEN 8192
                + "0800" + "0500" + "00000000"                                 // NFQA_CFG_FLAGS 0
                + "0800" + "0400" + "00000005",                                // NFQA_CFG_MASK FAIL_OPEN|GSO
            hex(b, len));
        NfqMessages.putBindConfig(b, 0, 5, 2, NfnetlinkQueue.NFQNL_COPY_PACKET, 0xFFFF, 8192, true, 1);
        assertEquals("0800" + "0500" + "00000004", hex(b, len).substring(2 * 48, 2 * 56), "NFQA_CFG_FLAGS = F_GSO");
    }

    @Test
    void shouldEncodeUnbindAsABareCommand() {
        assumeTrue(NfqMessages.HOST_LITTLE_ENDIAN, "expected bytes are written for a little-endian host");
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.BIG_ENDIAN);
        int len = NfqMessages.putConfigCommand(b, 0, 1, NfnetlinkQueue.NFQNL_CFG_CMD_UNBIND, 2, 9, false);
        assertEquals("1c000000" + "0203" + "0100" + "09000000" + "00000000" + "00000001" + "0800" + "0100" + "02000002", hex(b, len));
    }

    @Test
    void shouldMatchTheKernelConstantsAndAlignment() {
        assertEquals(16, Netlink.NLMSG_HDRLEN);
        assertEquals(4, Nfnetlink.NFGENMSG_SIZE);
        assertEquals(7, NfnetlinkQueue.NFQNL_MSG_PACKET_HDR_SIZE);
        assertEquals(8, NfnetlinkQueue.NFQNL_MSG_VERDICT_HDR_SIZE);
        assertEquals(5, NfnetlinkQueue.NFQNL_MSG_CONFIG_PARAMS_SIZE);
        assertEquals(12, Netlink.nlaAlign(9));
        assertEquals(8, Netlink.nlaAlign(8));
        assertEquals(20, Netlink.nlmsgAlign(17));
        assertEquals(0x0300, Nfnetlink.type(Nfnetlink.NFNL_SUBSYS_QUEUE, NfnetlinkQueue.NFQNL_MSG_PACKET));
        assertEquals(3, Nfnetlink.subsysId(0x0303));
        assertEquals(3, Nfnetlink.msgType(0x0303));
        assertEquals(0x3FFF, Netlink.NLA_TYPE_MASK);
    }

    /** Exposes JNA's computed field offsets. */
    public abstract static class Layout extends Structure {
        public int offset(String field) {
            return fieldOffset(field);
        }
    }

    @Structure.FieldOrder({"iov_base", "iov_len"})
    public static class Iovec extends Layout {
        public Pointer iov_base;
        public long iov_len;
    }

    @Structure.FieldOrder({"msg_name", "msg_namelen", "msg_iov", "msg_iovlen", "msg_control", "msg_controllen", "msg_flags"})
    public static class Msghdr extends Layout {
        public Pointer msg_name;
        public int msg_namelen;
        public Pointer msg_iov;
        public long msg_iovlen;
        public Pointer msg_control;
        public long msg_controllen;
        public int msg_flags;
    }

    @Structure.FieldOrder({"msg_hdr", "msg_len"})
    public static class Mmsghdr extends Layout {
        public Msghdr msg_hdr;
        public int msg_len;
    }

    @Structure.FieldOrder({"fd", "events", "revents"})
    public static class Pollfd extends Layout {
        public int fd;
        public short events;
        public short revents;
    }

    @Structure.FieldOrder({"nl_family", "nl_pad", "nl_pid", "nl_groups"})
    public static class SockaddrNl extends Layout {
        public short nl_family;
        public short nl_pad;
        public int nl_pid;
        public int nl_groups;
    }

    @Structure.FieldOrder({"nlmsg_len", "nlmsg_type", "nlmsg_flags", "nlmsg_seq", "nlmsg_pid"})
    public static class Nlmsghdr extends Layout {
        public int nlmsg_len;
        public short nlmsg_type;
        public short nlmsg_flags;
        public int nlmsg_seq;
        public int nlmsg_pid;
    }

    @Test
    void shouldAgreeWithJnaOnTheLibcStructLayouts() {
        Iovec iov = new Iovec();
        assertEquals(SysSocket.IOVEC_SIZE, iov.size());
        assertEquals(SysSocket.IOV_LEN_OFFSET, iov.offset("iov_len"));
        Msghdr m = new Msghdr();
        assertEquals(SysSocket.MSGHDR_SIZE, m.size());
        assertEquals(SysSocket.MSG_NAMELEN_OFFSET, m.offset("msg_namelen"));
        assertEquals(SysSocket.MSG_IOV_OFFSET, m.offset("msg_iov"));
        assertEquals(SysSocket.MSG_IOVLEN_OFFSET, m.offset("msg_iovlen"));
        assertEquals(SysSocket.MSG_CONTROL_OFFSET, m.offset("msg_control"));
        assertEquals(SysSocket.MSG_CONTROLLEN_OFFSET, m.offset("msg_controllen"));
        assertEquals(SysSocket.MSG_FLAGS_OFFSET, m.offset("msg_flags"));
        Mmsghdr mm = new Mmsghdr();
        assertEquals(SysSocket.MMSGHDR_SIZE, mm.size());
        assertEquals(SysSocket.MMSG_LEN_OFFSET, mm.offset("msg_len"));
        Pollfd p = new Pollfd();
        assertEquals(Poll.POLLFD_SIZE, p.size());
        assertEquals(Poll.POLLFD_EVENTS_OFFSET, p.offset("events"));
        assertEquals(Poll.POLLFD_REVENTS_OFFSET, p.offset("revents"));
        SockaddrNl sa = new SockaddrNl();
        assertEquals(Netlink.SOCKADDR_NL_SIZE, sa.size());
        Nlmsghdr h = new Nlmsghdr();
        assertEquals(Netlink.NLMSG_HDRLEN, h.size());
        assertEquals(Netlink.NLMSG_TYPE_OFFSET, h.offset("nlmsg_type"));
        assertEquals(Netlink.NLMSG_FLAGS_OFFSET, h.offset("nlmsg_flags"));
        assertEquals(Netlink.NLMSG_SEQ_OFFSET, h.offset("nlmsg_seq"));
        assertEquals(Netlink.NLMSG_PID_OFFSET, h.offset("nlmsg_pid"));
    }

    static String hex(ByteBuffer b, int len) {
        byte[] out = new byte[len];
        b.get(0, out);
        return HexFormat.of().formatHex(out);
    }
}
