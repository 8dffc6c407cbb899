package dev.understudy.netfilter.address;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.repair.lab.LabProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The VIP over rtnetlink and gratuitous ARP, checked against what iproute2 reads back from the kernel. */
@Privileged
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class AddressIT {
    @Test
    void shouldAddRemoveIdempotentlyAndMoveTheClientsArpEntryWithGratuitousArp() throws Exception {
        Path dir = Files.createTempDirectory("understudy-address-");
        try (Lab lab = Lab.up(2)) {
            LabProcess probe = LabProcess.start(lab, Lab.node(2), dir.resolve("probe.log"), AddressProbe.class);
            probe.await("READY", Duration.ofSeconds(30));
            String vip32 = Lab.VIP + "/32";

            assertFalse(addresses(lab, Lab.node(2)).contains(vip32));
            assertEquals("OK true", ask(probe, "add " + vip32 + " eth0"));
            assertTrue(addresses(lab, Lab.node(2)).contains(vip32), "the kernel has the VIP");
            assertEquals("OK false", ask(probe, "add " + vip32 + " eth0"), "EEXIST is idempotent success");
            assertEquals("OK true", ask(probe, "remove " + vip32 + " eth0"));
            assertFalse(addresses(lab, Lab.node(2)).contains(vip32), "the kernel dropped the VIP");
            assertEquals("OK false", ask(probe, "remove " + vip32 + " eth0"), "EADDRNOTAVAIL is idempotent success");
            assertEquals("FAIL if_nametoindex(nope0) ENODEV", ask(probe, "add " + vip32 + " nope0"));

            // the client believes the VIP is at some other MAC; one announcement from node2 moves it
            lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "ip", "neigh", "replace", Lab.VIP, "lladdr", "02:00:00:00:00:01",
                "dev", "eth0", "nud", "stale").check();
            String mac = ask(probe, "garp " + Lab.VIP + " eth0 3").substring(4);
            assertTrue(lab.exec(Lab.node(2), Duration.ofSeconds(10), "ip", "link", "show", "eth0").output().contains(mac),
                "SIOCGIFHWADDR read the interface's MAC " + mac);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String neigh = "";
            while (System.nanoTime() < deadline && !neigh.contains(mac)) {
                neigh = lab.exec(Lab.CLIENT, Duration.ofSeconds(10), "ip", "neigh", "show", Lab.VIP).output();
                Thread.sleep(20);
            }
            assertTrue(neigh.contains(mac), "client's ARP entry now points at node2: " + neigh);
            probe.send("exit");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** Sends a command and returns its one-line answer. */
    static String ask(LabProcess probe, String command) throws Exception {
        probe.send(command);
        String line = probe.await("", Duration.ofSeconds(10));
        return line;
    }

    static String addresses(Lab lab, String host) throws Exception {
        return lab.exec(host, Duration.ofSeconds(10), "ip", "-4", "addr", "show", "dev", "eth0").output();
    }
}
