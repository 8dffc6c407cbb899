package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.repair.lab.EchoClient;
import dev.understudy.netfilter.repair.lab.EchoNode;
import dev.understudy.netfilter.repair.lab.LabProcess;
import dev.understudy.netfilter.repair.lab.SegmentCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Failover without the old node: node1's server JVM is SIGKILLed (never snapshotted) and
 * node2 rebuilds all 50 connections from what was shipped while node1 was alive.
 *
 * <ul>
 * <li>Capture: {@link SegmentCapture}, an AF_PACKET socket in node1's namespace (it sees each
 *     inbound packet before node1's IP stack, so every byte node1 ACKed is captured), records
 *     every client segment to VIP:port with its payload. (Not the NFQUEUE capture package:
 *     this test exercises the repair half on its own.)</li>
 * <li>Shipped while alive: node1's TCP_INFO per connection (receive window shift, options)
 *     and a TCP_TIMESTAMP reading.</li>
 * <li>Death of node1, simulated so that its kernel emits nothing: iptables in node1 drops
 *     all output from the VIP and all input to it, then the JVM gets SIGKILL (its kernel
 *     sockets would otherwise send FIN/RST), then the capture is drained and stopped, the VIP
 *     removed and node1's link set down.</li>
 * <li>node2 derives each state with {@link DerivedStateBuilder} from the captured segments,
 *     regenerates the unacknowledged output (echo: output = input from the client's ACK on),
 *     restores, takes the VIP (rtnetlink + gratuitous ARP) and continues echoing.</li>
 * </ul>
 * The client checks every byte end to end and reports any reset, EOF or mismatch.
 */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DerivedStateIT {
    static final int PORT = 7000;
    static final int CONNECTIONS = 50;
    static final Pattern PROGRESS = Pattern.compile("PROGRESS (\\d+) .*");

    @Test
    void shouldResumeAllConnectionsOnNode2FromCapturedSegmentsAfterNode1IsKilled() throws Exception {
        Path dir = Files.createTempDirectory("understudy-derived-");
        long started = System.nanoTime();
        try (Lab lab = Lab.up(2)) {
            Path capture = dir.resolve("capture.bin");
            Path tcpInfo = dir.resolve("tcpinfo.bin");
            LabProcess node1 = LabProcess.start(lab, Lab.node(1), dir.resolve("node1.log"), EchoNode.class,
                Lab.VIP, String.valueOf(PORT), Lab.INTERFACE);
            LabProcess node2 = LabProcess.start(lab, Lab.node(2), dir.resolve("node2.log"), EchoNode.class,
                Lab.VIP, String.valueOf(PORT), Lab.INTERFACE);
            LabProcess capturer = LabProcess.start(lab, Lab.node(1), dir.resolve("capture.log"), SegmentCapture.class,
                Lab.VIP, String.valueOf(PORT), Lab.INTERFACE, capture.toString());
            node1.await("READY", Duration.ofSeconds(30));
            node2.await("READY", Duration.ofSeconds(30));
            capturer.await("CAPTURING", Duration.ofSeconds(30));
            LabProcess client = LabProcess.start(lab, Lab.CLIENT, dir.resolve("client.log"), EchoClient.class,
                Lab.VIP, String.valueOf(PORT), String.valueOf(CONNECTIONS), "2048", "20", "25", "150");
            client.await("CONNECTED", Duration.ofSeconds(30));
            MigrationIT.awaitProgress(client, 1_000_000);
            node1.send("tcpinfo " + tcpInfo);
            assertEquals("TCPINFO " + CONNECTIONS, node1.await("TCPINFO", Duration.ofSeconds(10)));
            MigrationIT.awaitProgress(client, 300_000); // traffic goes on after the TCP_INFO was shipped

            // node1 dies: its kernel must emit nothing from the VIP, and stops taking input
            lab.exec(Lab.node(1), Duration.ofSeconds(10), "iptables", "-I", "OUTPUT", "-s", Lab.VIP, "-j", "DROP").check();
            lab.exec(Lab.node(1), Duration.ofSeconds(10), "iptables", "-I", "INPUT", "-d", Lab.VIP, "-j", "DROP").check();
            node1.kill();
            capturer.send("stop");
            String stopped = capturer.await("STOPPED", Duration.ofSeconds(20));
            assertTrue(stopped.endsWith(" drops=0"), "the capture lost nothing: " + stopped);
            lab.removeVip(Lab.node(1));
            lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "link", "set", Lab.INTERFACE, "down").check();

            node2.send("derive " + tcpInfo + " " + capture);
            String derived = node2.await("DERIVED", Duration.ofSeconds(30));
            String restored = node2.await("RESTORED", Duration.ofSeconds(30));
            System.out.println(stopped + " | " + derived + " | " + restored);
            assertTrue(derived.startsWith("DERIVED " + CONNECTIONS + " "), derived);
            assertTrue(!derived.endsWith("regenerated=0"), "some connections had output to regenerate: " + derived);
            assertTrue(restored.startsWith("RESTORED " + CONNECTIONS + " "), restored);
            MigrationIT.awaitProgress(client, 1_000_000);

            client.send("stop");
            String result = client.await("RESULT", Duration.ofSeconds(40));
            client.send("exit");
            System.out.println(result + "; wall " + (System.nanoTime() - started) / 1_000_000 + " ms");
            assertTrue(result.startsWith("RESULT ok"), result);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }
}
