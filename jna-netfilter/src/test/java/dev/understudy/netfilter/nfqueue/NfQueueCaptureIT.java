package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.understudy.lab.Host;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import dev.understudy.lab.junit.Privileged;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * NFQUEUE capture on a real kernel path: client namespace → VIP on node1, the capture JVM in
 * node1 (sink server + capture rule + {@link NfQueue}), the client a separate JVM.
 */
@Privileged
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NfQueueCaptureIT {
    private static final long FIFTY_MB = 50L * 1024 * 1024;
    private static final Pattern UNACKED = Pattern.compile("unacked:(\\d+)");

    private static Lab lab;
    private static Path logs;

    @BeforeAll
    static void up() throws IOException {
        lab = Lab.up(1);
        logs = Files.createTempDirectory("nfqueue-it");
    }

    @AfterAll
    static void down() throws IOException {
        if (lab != null) {
            lab.close();
        }
        if (logs != null) {
            try (var files = Files.walk(logs)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shouldSeeEveryClientByteOnceAndInOrderWhileServerGetsThemIntact() throws Exception {
        int port = 7001;
        int queue = 1;
        Path nodeLog = logs.resolve("capture-node.log");
        Process node = lab.spawn("node1", Lab.java(List.of("-Xmx512m"), CaptureNodeMain.class.getName(), Lab.VIP,
            Integer.toString(port), Integer.toString(queue), Long.toString(FIFTY_MB + (1 << 20)), "accept"), nodeLog);
        LabApps.awaitLine(nodeLog, "READY", node, Duration.ofSeconds(30));
        Path clientLog = logs.resolve("capture-client.log");
        long t0 = System.nanoTime();
        Process client = lab.spawn(Lab.CLIENT, Lab.java(List.of("-Xmx256m"), StreamClientMain.class.getName(), Lab.VIP,
            Integer.toString(port), Long.toString(FIFTY_MB), "20261126"), clientLog);
        String clientResult = LabApps.awaitLine(clientLog, "RESULT ", client, Duration.ofSeconds(90));
        String nodeResult = LabApps.awaitLine(nodeLog, "RESULT ", node, Duration.ofSeconds(30));
        System.out.println("capture client: " + clientResult + " (" + (System.nanoTime() - t0) / 1_000_000 + " ms)");
        System.out.println("capture node:   " + nodeResult);

        String sentSha = field(clientResult, "sentSha");
        assertEquals(Long.toString(FIFTY_MB), field(clientResult, "sent"));
        assertEquals(sentSha, field(clientResult, "serverSha"), "client vs server digest");
        assertEquals(sentSha, field(nodeResult, "serverSha"), "server digest as computed in node1");
        assertEquals(Long.toString(FIFTY_MB), field(nodeResult, "serverBytes"));
        assertEquals(sentSha, field(nodeResult, "captureSha"), "captured stream digest");
        assertEquals(Long.toString(FIFTY_MB), field(nodeResult, "captureContiguous"), "captured contiguous bytes");
        assertEquals(Long.toString(FIFTY_MB), field(nodeResult, "newBytes"), "every byte seen once as new");
        assertEquals("0", field(nodeResult, "duplicateMismatches"), "retransmitted bytes identical");
        assertEquals("true", field(nodeResult, "finSeen"));
        assertEquals("0", field(nodeResult, "parse_failures"));
        assertEquals("0", field(nodeResult, "malformed_messages"));
        long kernelDrops = Long.parseLong(field(nodeResult, "queueDropped")) + Long.parseLong(field(nodeResult, "userDropped"));
        if (kernelDrops == 0) {
            // Nothing was dropped before the queue: segments must have arrived strictly in order.
            assertEquals("0", field(nodeResult, "outOfOrderSegments"), "in-order arrival without kernel drops");
        }
        assertTrue(Long.parseLong(field(nodeResult, "batch_verdict_messages")) > 0, "batch verdicts used");
        // The client's real SYN as Linux sent it over the lab's 1500-byte veth: MSS 1460, SACK-permitted,
        // timestamps, a window scale; data segments echo the server's timestamps.
        assertEquals("1460", field(nodeResult, "synMss"), "MSS of a real SYN");
        assertEquals("true", field(nodeResult, "synSackPermitted"));
        assertEquals("true", field(nodeResult, "synTimestamps"));
        assertTrue(Integer.parseInt(field(nodeResult, "synWindowScale")) >= 0, "window scale present");
        assertEquals("true", field(nodeResult, "dataTsEcrSeen"), "TSecr of data segments parsed");
        String syn = field(nodeResult, "synHex");
        assertEquals("45", syn.substring(0, 2), "IPv4, IHL 5");
        assertEquals("c6120002" + "c6120064", syn.substring(24, 40), "198.18.0.2 -> 198.18.0.100 in the real header bytes");
        assertEquals("1b59", syn.substring(44, 48), "destination port 7001 in the real TCP header");
        assertTrue(node.waitFor(10, TimeUnit.SECONDS), "capture node exits");
        assertTrue(client.waitFor(10, TimeUnit.SECONDS), "client exits");
    }

    @Test
    void shouldKeepHeldSegmentsUnacknowledgedUntilReleased() throws Exception {
        int port = 7002;
        int queue = 2;
        long bytes = 256 * 1024;
        Path nodeLog = logs.resolve("hold-node.log");
        Process node = lab.spawn("node1", Lab.java(List.of("-Xmx256m"), CaptureNodeMain.class.getName(), Lab.VIP,
            Integer.toString(port), Integer.toString(queue), Long.toString(bytes + 4096), "hold"), nodeLog);
        LabApps.awaitLine(nodeLog, "READY", node, Duration.ofSeconds(30));
        Path clientLog = logs.resolve("hold-client.log");
        Process client = lab.spawn(Lab.CLIENT, Lab.java(List.of("-Xmx128m"), StreamClientMain.class.getName(), Lab.VIP,
            Integer.toString(port), Long.toString(bytes), "7", "6000"), clientLog); // keeps the connection open 6 s after writing
        LabApps.awaitLine(clientLog, "CONNECTED", client, Duration.ofSeconds(30));

        // While held: the client's bytes stay unacknowledged and the server reads nothing.
        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(600);
        int maxUnacked = 0;
        while (System.nanoTime() < until || maxUnacked == 0) {
            int unacked = unacked(port);
            assertTrue(unacked != 0 || System.nanoTime() < until, "client has unacked segments while the capture holds");
            maxUnacked = Math.max(maxUnacked, unacked);
            Thread.sleep(50);
            if (System.nanoTime() - until > TimeUnit.SECONDS.toNanos(10)) {
                fail("no unacked segments seen within 10 s: " + ss(port));
            }
        }
        for (int i = 0; i < 10; i++) {
            int unacked = unacked(port);
            assertTrue(unacked > 0, "still unacked while held: " + ss(port));
            Thread.sleep(100);
        }
        OutputStream control = node.getOutputStream();
        control.write("status\n".getBytes(StandardCharsets.US_ASCII));
        control.flush();
        String status = LabApps.awaitLine(nodeLog, "STATUS ", node, Duration.ofSeconds(10));
        System.out.println("held: " + status + " max unacked " + maxUnacked);
        assertEquals("0", field(status, "serverBytes"), "server read nothing while held");
        assertTrue(Integer.parseInt(field(status, "held")) > 0, "capture reports held packets");

        control.write("release\n".getBytes(StandardCharsets.US_ASCII));
        control.flush();
        LabApps.awaitLine(nodeLog, "RELEASED", node, Duration.ofSeconds(10));
        // After release: the connection is still open (the client waits before closing), its send queue is
        // empty and nothing is unacked — every byte written has been acknowledged. One ss sample per check.
        long releasedAt = System.nanoTime();
        String after = ss(port);
        while (!allAcknowledged(after)) {
            assertTrue(System.nanoTime() - releasedAt < TimeUnit.SECONDS.toNanos(4), "unacked drops to 0 after release: " + after);
            Thread.sleep(20);
            after = ss(port);
        }
        System.out.println("unacked 0 after release in " + (System.nanoTime() - releasedAt) / 1_000_000 + " ms: " + after.trim());
        assertTrue(client.isAlive(), "the client connection is still open when unacked reaches 0");
        String clientResult = LabApps.awaitLine(clientLog, "RESULT ", client, Duration.ofSeconds(30));
        String nodeResult = LabApps.awaitLine(nodeLog, "RESULT ", node, Duration.ofSeconds(30));
        System.out.println("hold client: " + clientResult);
        System.out.println("hold node:   " + nodeResult);
        String sentSha = field(clientResult, "sentSha");
        assertEquals(sentSha, field(clientResult, "serverSha"), "data intact after release");
        assertEquals(sentSha, field(nodeResult, "captureSha"), "captured stream intact");
        assertEquals("0", field(nodeResult, "held_now"), "nothing left held");
        assertTrue(Long.parseLong(field(nodeResult, "released")) > 0, "held packets were released");
        assertTrue(node.waitFor(10, TimeUnit.SECONDS), "capture node exits");
    }

    @Test
    void shouldDeliverIntactWhenHeldSegmentsAreReleasedOutOfOrderFromAnotherThread() throws Exception {
        mixed(7003, 3, 0);
    }

    @Test
    void shouldDeliverIntactWithHeldSegmentsReleasedFromAnotherThreadWhenVerdictsWaitForACoalescingDelay() throws Exception {
        String nodeResult = mixed(7004, 4, 200);
        assertTrue(Long.parseLong(field(nodeResult, "gather_waits")) > 0, "coalescing delay used");
    }

    private String mixed(int port, int queue, int gatherMicros) throws Exception {
        long bytes = 8L * 1024 * 1024;
        Path nodeLog = logs.resolve("mixed-node-" + queue + ".log");
        Process node = lab.spawn("node1", Lab.java(List.of("-Xmx256m"), CaptureNodeMain.class.getName(), Lab.VIP,
            Integer.toString(port), Integer.toString(queue), Long.toString(bytes + 4096), "mixed", Integer.toString(gatherMicros)), nodeLog);
        LabApps.awaitLine(nodeLog, "READY", node, Duration.ofSeconds(30));
        Path clientLog = logs.resolve("mixed-client-" + queue + ".log");
        Process client = lab.spawn(Lab.CLIENT, Lab.java(List.of("-Xmx128m"), StreamClientMain.class.getName(), Lab.VIP,
            Integer.toString(port), Long.toString(bytes), "99"), clientLog);
        String clientResult = LabApps.awaitLine(clientLog, "RESULT ", client, Duration.ofSeconds(60));
        String nodeResult = LabApps.awaitLine(nodeLog, "RESULT ", node, Duration.ofSeconds(30));
        System.out.println("mixed client: " + clientResult);
        System.out.println("mixed node:   " + nodeResult);
        String sentSha = field(clientResult, "sentSha");
        assertEquals(sentSha, field(clientResult, "serverSha"), "server got every byte intact");
        assertEquals(sentSha, field(nodeResult, "captureSha"), "capture saw every byte");
        assertEquals("0", field(nodeResult, "duplicateMismatches"), "retransmissions identical");
        assertTrue(Long.parseLong(field(nodeResult, "released")) > 10, "held packets released");
        assertTrue(Long.parseLong(field(nodeResult, "dropped")) > 2, "some packets dropped and resent");
        assertTrue(Long.parseLong(field(nodeResult, "verdict_messages")) > 0, "single verdicts used while packets are held");
        assertEquals("0", field(nodeResult, "verdict_errors"), "no verdict named an id the kernel did not hold");
        assertEquals("0", field(nodeResult, "unknown_releases"));
        assertTrue(node.waitFor(10, TimeUnit.SECONDS), "capture node exits");
        return nodeResult;
    }

    /** True when ss shows the connection ESTABLISHED with Send-Q 0 and no unacked segments. */
    private static boolean allAcknowledged(String ss) {
        Matcher m = Pattern.compile("ESTAB\\s+\\d+\\s+(\\d+)").matcher(ss);
        return m.find() && m.group(1).equals("0") && !UNACKED.matcher(ss).find();
    }

    /** unacked:N of the client's connection to VIP:port, 0 when none is listed. */
    private static int unacked(int port) throws IOException {
        Matcher m = UNACKED.matcher(ss(port));
        return m.find() ? Integer.parseInt(m.group(1)) : 0;
    }

    private static String ss(int port) throws IOException {
        Host.Result r = lab.exec(Lab.CLIENT, Duration.ofSeconds(5), "ss", "-tin", "dst", Lab.VIP + ":" + port);
        return r.output();
    }

    /** A field of a flat one-line JSON object (string or number). */
    static String field(String line, String name) {
        Matcher m = Pattern.compile("\"" + Pattern.quote(name) + "\":\"?([^\",}]*)").matcher(line);
        if (!m.find()) {
            fail("no field " + name + " in " + line);
        }
        return m.group(1);
    }
}
