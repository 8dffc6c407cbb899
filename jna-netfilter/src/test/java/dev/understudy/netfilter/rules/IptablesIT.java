package dev.understudy.netfilter.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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

    private static long count(String text, String needle) {
        return text.lines().filter(l -> l.contains(needle)).count();
    }
}
