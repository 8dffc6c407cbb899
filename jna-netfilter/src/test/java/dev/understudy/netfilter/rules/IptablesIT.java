package dev.understudy.netfilter.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Installs and removes the capture, hold-all and guard rules with iptables-legacy in a lab node. */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class IptablesIT {
    @Test
    void shouldInstallIdempotentlyAndRemoveEveryRule() throws Exception {
        try (Lab lab = Lab.up(1)) {
            Iptables ipt = Iptables.inNamespace(lab.namespace("node1"));
            IptablesRule capture = IptablesRule.capture(Lab.VIP, 7000, 3);
            IptablesRule hold = IptablesRule.holdAll(Lab.VIP, 4);
            IptablesRule guard = IptablesRule.dropGuard(Lab.VIP, 7000);
            assertFalse(ipt.exists(capture));
            InstalledRule c1 = ipt.install(capture);
            InstalledRule c2 = ipt.install(capture);
            assertTrue(c1.added());
            assertFalse(c2.added(), "second install finds the rule (-C) and adds nothing");
            assertEquals(1, count(ipt.list("mangle"), "--queue-num 3"));
            try (InstalledRule h = ipt.install(hold); InstalledRule g = ipt.install(guard)) {
                List<String> mangle = ipt.list("mangle").lines().filter(l -> l.startsWith("-A PREROUTING")).toList();
                assertTrue(mangle.get(0).contains("--queue-num 4") && !mangle.get(0).contains("--dport"),
                    "hold-all goes first: " + mangle);
                assertTrue(ipt.list("filter").contains("-A INPUT -d 198.18.0.100/32 -p tcp -m tcp --dport 7000 -j DROP"),
                    ipt.list("filter"));
                assertTrue(h.added() && g.added());
            }
            assertFalse(ipt.exists(hold), "hold-all removed on close");
            assertFalse(ipt.exists(guard), "guard removed on close");
            c1.close();
            assertFalse(ipt.exists(capture), "capture removed");
            c2.close(); // already gone: no error
            assertEquals(0, ipt.remove(capture));
        }
    }

    @Test
    void shouldReplaceAStaleChainInOneCommitAndRemoveItWithItsJump() throws Exception {
        try (Lab lab = Lab.up(1)) {
            Iptables ipt = Iptables.inNamespace(lab.namespace("node1"));
            String chain = "UNDERSTUDY-GUARD-7";
            IptablesRule jump = IptablesRule.jumpFromOutput(Lab.VIP, chain);
            assertFalse(ipt.chainExists("filter", chain));
            assertFalse(ipt.removeChain("filter", chain, jump), "nothing to remove: no error");
            // a stale chain, as a killed process leaves it: other rules in it, the jump in place
            ipt.installChain("filter", chain, List.of(IptablesRule.closeGuard(chain, 7001, 0x75),
                IptablesRule.closeGuard(chain, 7002, 0x75)), jump);
            InstalledChain guard = ipt.installChain("filter", chain, List.of(IptablesRule.closeGuard(chain, 7000, 0x75)), jump);
            assertEquals(List.of("-N " + chain,
                "-A " + chain + " -p tcp -m tcp --sport 7000 ! --tcp-flags FIN,RST NONE -m mark ! --mark 0x75 -j DROP"),
                ipt.listChain("filter", chain).lines().toList(), "flushed and refilled");
            assertEquals(1, count(ipt.list("filter"), "-j " + chain), "one jump: " + ipt.list("filter"));
            assertTrue(ipt.list("filter").lines().filter(l -> l.startsWith("-A OUTPUT")).findFirst().orElse("")
                .equals("-A OUTPUT -s 198.18.0.100/32 -p tcp -j " + chain), ipt.list("filter"));
            guard.close();
            assertFalse(ipt.chainExists("filter", chain), "chain deleted");
            assertEquals(0, count(ipt.list("filter"), chain), ipt.list("filter"));
            guard.close(); // already gone: no error
            assertThrows(IllegalArgumentException.class, () -> ipt.installChain("filter", chain,
                List.of(IptablesRule.capture(Lab.VIP, 7000, 1)), jump), "a rule of another chain");
        }
    }

    private static long count(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).count();
    }
}
