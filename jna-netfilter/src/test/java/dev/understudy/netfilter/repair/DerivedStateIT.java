package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.repair.lab.EchoClient;
import dev.understudy.netfilter.repair.lab.EchoNode;
import dev.understudy.netfilter.repair.lab.LabProcess;
import dev.understudy.netfilter.repair.lab.SegmentLog;
import dev.understudy.netfilter.rules.InstalledRule;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
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
 * <li>Capture, the real path (shared DESIGN.md): node1's server JVM binds an
 *     {@link dev.understudy.netfilter.nfqueue.NfQueue} whose handler ({@link SegmentLog.Recorder})
 *     writes every client segment to VIP:port — seq, ack, window, flags, TS values, the SYN's
 *     options, payload — into the capture file and only then returns ACCEPT, behind the capture
 *     rule {@link IptablesRule#capture} installed with iptables-legacy in node1's namespace. So
 *     node1's kernel ACKs only bytes that are in the file; the capture dies with the JVM, and the
 *     kernel then drops what was queued (no fail-open).</li>
 * <li>Shipped while alive: node1's TCP_INFO per connection (receive window shift, options)
 *     and a TCP_TIMESTAMP reading.</li>
 * <li>Death of node1: the capture's counters are read while the stream flows; the JVM is
 *     frozen (SIGSTOP: the instant of death, capture included, in the middle of the stream);
 *     iptables in node1 drops all output from the VIP and all input to it, so that its kernel
 *     emits nothing; the JVM gets SIGKILL (its kernel sockets would otherwise send FIN/RST),
 *     the VIP is removed and node1's link set down. Because the capture dies mid-stream, a
 *     handler that accepted a segment before its record was out of the JVM would leave node2
 *     without bytes the client saw acknowledged: the client's stream would stall.</li>
 * <li>node2 derives each state with {@link DerivedStateBuilder} from the captured segments only,
 *     regenerates the unacknowledged output (echo: output = input from the client's ACK on),
 *     restores, takes the VIP (rtnetlink + gratuitous ARP) and continues echoing.</li>
 * </ul>
 * The capture must have seen every packet the kernel queued (packet ids 1.. without a gap, no
 * parse failure, no drop by the kernel or the handler) and every segment the builder needed
 * (every connection's SYN, no sequence gap). The client checks every byte end to end and
 * reports any reset, EOF or mismatch.
 */
@Privileged
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DerivedStateIT {
    static final int PORT = 7000;
    static final int CONNECTIONS = 50;
    static final int QUEUE = 5;
    static final Pattern DERIVED = Pattern.compile("DERIVED (\\d+) segments=(\\d+) firstId=(\\d+) lastId=(\\d+) gaps=(\\d+)"
        + " truncated=(true|false) orphans=(\\d+) outOfOrder=(\\d+) ts=(\\d+) regenerated=(\\d+)");

    @Test
    void shouldResumeAllConnectionsOnNode2FromNfqueueCapturedSegmentsAfterNode1IsKilled() throws Exception {
        Path dir = Files.createTempDirectory("understudy-derived-");
        long started = System.nanoTime();
        try (Lab lab = Lab.up(2)) {
            Path capture = dir.resolve("capture.bin");
            Path tcpInfo = dir.resolve("tcpinfo.bin");
            LabProcess node1 = LabProcess.start(lab, Lab.node(1), dir.resolve("node1.log"), EchoNode.class,
                Lab.VIP, String.valueOf(PORT), Lab.INTERFACE);
            LabProcess node2 = LabProcess.start(lab, Lab.node(2), dir.resolve("node2.log"), EchoNode.class,
                Lab.VIP, String.valueOf(PORT), Lab.INTERFACE);
            node1.await("READY", Duration.ofSeconds(30));
            node2.await("READY", Duration.ofSeconds(30));
            node1.send("capture " + QUEUE + " " + capture);
            node1.await("CAPTURING", Duration.ofSeconds(20));
            try (InstalledRule rule = Iptables.inNamespace(lab.namespace(Lab.node(1)))
                .install(IptablesRule.capture(Lab.VIP, PORT, QUEUE))) {
                assertTrue(rule.added(), "capture rule added in node1's fresh namespace: " + rule);
                LabProcess client = LabProcess.start(lab, Lab.CLIENT, dir.resolve("client.log"), EchoClient.class,
                    Lab.VIP, String.valueOf(PORT), String.valueOf(CONNECTIONS), "2048", "20", "25", "150");
                client.await("CONNECTED", Duration.ofSeconds(30));
                MigrationIT.awaitProgress(client, 1_000_000);
                node1.send("tcpinfo " + tcpInfo);
                assertEquals("TCPINFO " + CONNECTIONS, node1.await("TCPINFO", Duration.ofSeconds(10)));
                MigrationIT.awaitProgress(client, 300_000); // traffic goes on after the TCP_INFO was shipped

                node1.send("capturestats");
                String stats = node1.await("CAPTURE ", Duration.ofSeconds(10));
                // node1 dies. The JVM first: frozen mid-stream, the capture with it (whatever it accepted
                // without having written would now be lost, though node1's kernel has ACKed it). Then
                // its kernel must emit nothing from the VIP and stop taking input, and the JVM is
                // killed (its sockets would otherwise send FIN/RST).
                node1.freeze();
                lab.exec(Lab.node(1), Duration.ofSeconds(10), "iptables", "-I", "OUTPUT", "-s", Lab.VIP, "-j", "DROP").check();
                lab.exec(Lab.node(1), Duration.ofSeconds(10), "iptables", "-I", "INPUT", "-d", Lab.VIP, "-j", "DROP").check();
                node1.kill();
                String kernelQueues = lab.exec(Lab.node(1), Duration.ofSeconds(10), "cat", "/proc/net/netfilter/nfnetlink_queue")
                    .check().output();
                lab.removeVip(Lab.node(1));
                lab.exec(Lab.node(1), Duration.ofSeconds(10), "ip", "link", "set", Lab.INTERFACE, "down").check();

                node2.send("derive " + tcpInfo + " " + capture);
                String derived = node2.await("DERIVED", Duration.ofSeconds(30));
                String restored = node2.await("RESTORED", Duration.ofSeconds(30));
                System.out.println(stats + "\n" + derived + " | " + restored);

                // the capture was the real NFQUEUE path and lost nothing while node1 was alive
                assertEquals(0, stat(stats, "foreign"), "only VIP:port reached the queue: " + stats);
                for (String zero : new String[] {"queue_dropped", "user_dropped", "parse_failures", "malformed_messages",
                    "handler_errors", "dropped", "enobufs", "verdict_errors", "held_now"}) {
                    assertEquals(0, stat(stats, zero), zero + " in " + stats);
                }
                long recordedAlive = stat(stats, "records");
                assertTrue(recordedAlive > 0 && stat(stats, "packets") >= recordedAlive, "the handler recorded segments: " + stats);
                assertTrue(!kernelQueues.matches("(?s)(^|.*\\n)\\s*" + QUEUE + "\\s.*"),
                    "queue " + QUEUE + " unbound once node1's JVM is gone (the rule now fails closed): " + kernelQueues);

                // node2 built every connection from those segments only, and they were all there
                Matcher d = DERIVED.matcher(derived);
                assertTrue(d.matches(), derived);
                assertEquals(CONNECTIONS, Integer.parseInt(d.group(1)), "a state per connection (every SYN captured): " + derived);
                long segments = Long.parseLong(d.group(2));
                assertTrue(segments >= recordedAlive, "the file holds every record counted while alive: " + derived + " vs " + stats);
                assertEquals(1, Long.parseLong(d.group(3)), "ids start at the queue's first packet: " + derived);
                assertEquals(segments, Long.parseLong(d.group(4)), "ids 1..n: every packet the kernel queued was recorded: " + derived);
                assertEquals(0, Long.parseLong(d.group(5)), "no gap in the packet ids: " + derived);
                assertEquals(0, Long.parseLong(d.group(7)), "no segment without its connection's SYN: " + derived);
                assertEquals(0, Long.parseLong(d.group(8)), "no sequence gap in any client stream: " + derived);
                assertEquals(CONNECTIONS, Integer.parseInt(d.group(9)), "TCP timestamps on (Linux default) in every derived state");
                assertTrue(Integer.parseInt(d.group(10)) > 0, "some connections had output to regenerate: " + derived);
                assertTrue(restored.startsWith("RESTORED " + CONNECTIONS + " "), restored);
                MigrationIT.awaitProgress(client, 1_000_000);

                client.send("stop");
                String result = client.await("RESULT", Duration.ofSeconds(40));
                client.send("exit");
                System.out.println(result + "; wall " + (System.nanoTime() - started) / 1_000_000 + " ms");
                assertTrue(result.startsWith("RESULT ok"), result);
            }
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** {@code name=value} from a {@code CAPTURE ...} line. */
    static long stat(String line, String name) {
        Matcher m = Pattern.compile("(?:^|\\s)" + Pattern.quote(name) + "=(-?\\d+)").matcher(line);
        assertTrue(m.find(), "no " + name + " in " + line);
        return Long.parseLong(m.group(1));
    }
}
