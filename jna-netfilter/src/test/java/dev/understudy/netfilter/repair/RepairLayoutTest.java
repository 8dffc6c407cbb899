package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.jna.Memory;
import dev.understudy.netfilter.internal.LinuxIn;
import dev.understudy.netfilter.internal.LinuxIn6;
import dev.understudy.netfilter.internal.LinuxTcp;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/** TCP_REPAIR structs and socket addresses byte for byte against linux/tcp.h and linux/in.h, in6.h. */
class RepairLayoutTest {
    @Test
    void shouldMatchTcpRepairStructSizesAndOffsets() {
        assertEquals(20, LinuxTcp.TCP_REPAIR_WINDOW_SIZE);
        assertEquals(0, LinuxTcp.TRW_SND_WL1);
        assertEquals(4, LinuxTcp.TRW_SND_WND);
        assertEquals(8, LinuxTcp.TRW_MAX_WINDOW);
        assertEquals(12, LinuxTcp.TRW_RCV_WND);
        assertEquals(16, LinuxTcp.TRW_RCV_WUP);
        assertEquals(8, LinuxTcp.TCP_REPAIR_OPT_SIZE);
        assertEquals(0, LinuxTcp.TCP_REPAIR_OPT_CODE);
        assertEquals(4, LinuxTcp.TCP_REPAIR_OPT_VAL);
        // uapi values the kernel checks
        assertEquals(19, LinuxTcp.TCP_REPAIR);
        assertEquals(20, LinuxTcp.TCP_REPAIR_QUEUE);
        assertEquals(21, LinuxTcp.TCP_QUEUE_SEQ);
        assertEquals(22, LinuxTcp.TCP_REPAIR_OPTIONS);
        assertEquals(24, LinuxTcp.TCP_TIMESTAMP);
        assertEquals(29, LinuxTcp.TCP_REPAIR_WINDOW);
    }

    @Test
    void shouldWriteSockaddrInInNetworkOrder() {
        assertEquals(16, LinuxIn.SOCKADDR_IN_SIZE);
        try (Memory m = new Memory(16)) {
            m.setLong(8, -1L);
            LinuxIn.putSockaddrIn(m, 0, LinuxIn.parse("198.18.0.100"), 7000);
            assertEquals("0200" + "1b58" + "c6120064" + "0000000000000000", HexFormat.of().formatHex(m.getByteArray(0, 16)));
            assertEquals(7000, LinuxIn.port(m, 0));
            assertEquals(0xC6120064, LinuxIn.address(m, 0));
        }
    }

    @Test
    void shouldWriteIpv4MappedSockaddrIn6() {
        assertEquals(28, LinuxIn6.SOCKADDR_IN6_SIZE);
        try (Memory m = new Memory(28)) {
            LinuxIn6.putMapped(m, 0, LinuxIn.parse("198.18.0.2"), 40000);
            assertEquals("0a00" + "9c40" + "00000000" + "00000000000000000000ffff" + "c6120002" + "00000000",
                HexFormat.of().formatHex(m.getByteArray(0, 28)));
            assertTrue(LinuxIn6.isMapped(m, 0));
            assertEquals(0xC6120002, LinuxIn6.mappedAddress(m, 0));
            assertEquals(40000, LinuxIn6.port(m, 0));
            m.setByte(LinuxIn6.SIN6_ADDR + 10, (byte) 0);
            assertFalse(LinuxIn6.isMapped(m, 0));
        }
    }

    @Test
    void shouldParseAndPrintDottedQuads() {
        assertEquals("198.18.0.100", LinuxIn.toString(LinuxIn.parse("198.18.0.100")));
        assertEquals("255.255.255.255", LinuxIn.toString(LinuxIn.parse("255.255.255.255")));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> LinuxIn.parse("300.1.1.1"));
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class, () -> LinuxIn.parse("1.2.3"));
    }
}
