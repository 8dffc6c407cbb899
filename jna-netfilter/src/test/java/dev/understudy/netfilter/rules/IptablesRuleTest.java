package dev.understudy.netfilter.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

class IptablesRuleTest {
    @Test
    void shouldBuildTheCaptureRuleOfKernelMd() {
        IptablesRule r = IptablesRule.capture("198.18.0.100", 7000, 3);
        assertEquals(List.of("-w", "5", "-t", "mangle", "-A", "PREROUTING", "-d", "198.18.0.100", "-p", "tcp", "--dport", "7000",
            "-j", "NFQUEUE", "--queue-num", "3"), r.arguments("-A"));
        assertEquals(List.of("-w", "5", "-t", "mangle", "-C", "PREROUTING", "-d", "198.18.0.100", "-p", "tcp", "--dport", "7000",
            "-j", "NFQUEUE", "--queue-num", "3"), r.arguments("-C"));
        assertFalse(r.insertFirst());
        assertFalse(r.spec().contains("--queue-bypass"), "never fail open");
    }

    @Test
    void shouldBalanceTheCaptureOverSeveralQueues() {
        IptablesRule r = IptablesRule.captureBalanced("198.18.0.100", 7000, 4, 3);
        assertEquals(List.of("-w", "5", "-t", "mangle", "-A", "PREROUTING", "-d", "198.18.0.100", "-p", "tcp", "--dport", "7000",
            "-j", "NFQUEUE", "--queue-balance", "4:6"), r.arguments("-A"));
        assertEquals(List.of("-w", "5", "-t", "mangle", "-D", "PREROUTING", "-d", "198.18.0.100", "-p", "tcp", "--dport", "7000",
            "-j", "NFQUEUE", "--queue-balance", "4:6"), r.arguments("-D"));
        assertFalse(r.insertFirst());
        assertFalse(r.spec().contains("--queue-bypass"), "never fail open");
        assertFalse(r.spec().contains("--queue-cpu-fanout"));
        assertEquals(IptablesRule.capture("198.18.0.100", 7000, 4), IptablesRule.captureBalanced("198.18.0.100", 7000, 4, 1));
        assertEquals("-t mangle -A PREROUTING -d 198.18.0.100 -p tcp --dport 7000 -j NFQUEUE --queue-balance 65534:65535",
            IptablesRule.captureBalanced("198.18.0.100", 7000, 65534, 2).toString());
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.captureBalanced("198.18.0.100", 7000, 4, 0));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.captureBalanced("198.18.0.100", 7000, 65535, 2));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.captureBalanced("198.18.0.100", 7000, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.captureBalanced("198.18.0.100; x", 7000, 4, 2));
    }

    @Test
    void shouldInsertHoldAllAndDropGuardFirst() {
        IptablesRule hold = IptablesRule.holdAll("198.18.0.100", 9);
        assertTrue(hold.insertFirst());
        assertEquals(List.of("-w", "5", "-t", "mangle", "-I", "PREROUTING", "1", "-d", "198.18.0.100", "-p", "tcp", "-j", "NFQUEUE",
            "--queue-num", "9"), hold.arguments("-I"));
        IptablesRule guard = IptablesRule.dropGuard("198.18.0.100", 80);
        assertEquals(List.of("-w", "5", "-t", "filter", "-D", "INPUT", "-d", "198.18.0.100", "-p", "tcp", "--dport", "80", "-j", "DROP"),
            guard.arguments("-D"));
        assertEquals("-t filter -I INPUT 1 -d 198.18.0.100 -p tcp -j DROP", IptablesRule.dropGuardAll("198.18.0.100").toString());
    }

    @Test
    void shouldBuildTheCloseGuardAndItsJump() {
        IptablesRule guard = IptablesRule.closeGuard("UNDERSTUDY-GUARD-1", 7000, 0x75);
        assertEquals(List.of("-w", "5", "-t", "filter", "-A", "UNDERSTUDY-GUARD-1", "-p", "tcp", "--sport", "7000", "!", "--tcp-flags",
            "FIN,RST", "NONE", "-m", "mark", "!", "--mark", "0x75", "-j", "DROP"), guard.arguments("-A"));
        assertFalse(guard.insertFirst());
        IptablesRule jump = IptablesRule.jumpFromOutput("198.18.0.100", "UNDERSTUDY-GUARD-1");
        assertEquals("-t filter -I OUTPUT 1 -s 198.18.0.100 -p tcp -j UNDERSTUDY-GUARD-1", jump.toString());
        assertEquals("-t filter -A UNDERSTUDY-GUARD-1 -p tcp --sport 7000 -j NFQUEUE --queue-num 201",
            IptablesRule.outputCommit("UNDERSTUDY-GUARD-1", 7000, 201).toString());
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.outputCommit("UNDERSTUDY-GUARD-1", 7000, 65536));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.closeGuard("UNDERSTUDY-GUARD-1", 0, 0x75));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.closeGuard("bad chain", 7000, 0x75));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> IptablesRule.jumpFromOutput("198.18.0.100", "A234567890123456789012345678x"));
        assertEquals("invalid iptables chain: value=A234567890123456789012345678x, expected [A-Za-z][A-Za-z0-9_-]{0,27}", e.getMessage());
    }

    @Test
    void shouldRejectValuesThatAreNotAddressesPortsOrQueues() {
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.capture("198.18.0.100; rm -rf /", 80, 1));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.capture("300.1.1.1", 80, 1));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.capture("198.18.0.100", 0, 1));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.capture("198.18.0.100", 65536, 1));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.capture("198.18.0.100", 80, -1));
        assertThrows(IllegalArgumentException.class, () -> IptablesRule.holdAll("198.18.0.100", 65536));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> IptablesRule.dropGuard("vip", 80));
        assertEquals("invalid IPv4 address: value=vip, expected a.b.c.d or a.b.c.d/len", e.getMessage());
        assertEquals("198.18.0.0/24", IptablesRule.holdAll("198.18.0.0/24", 1).spec().get(1));
    }

    @Test
    void shouldNameTheDebianPackageWhenIptablesLegacyIsMissing() throws IOException {
        Path empty = Files.createTempDirectory("no-iptables");
        try {
            IOException e = assertThrows(IOException.class, () -> Iptables.tool(empty.toString()));
            assertEquals("missing tool: iptables-legacy (install the Debian package 'iptables')", e.getMessage());
        } finally {
            Files.delete(empty);
        }
    }
}
