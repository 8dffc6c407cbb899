package dev.understudy.netfilter.repair;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.repair.lab.EchoClient;
import dev.understudy.netfilter.repair.lab.EchoNode;
import dev.understudy.netfilter.repair.lab.LabProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Live migration of 50 streaming connections between two lab nodes, 20 times (node1 → node2 →
 * node1 …), between one server JVM per node.
 *
 * <p>Per migration: hold inbound traffic on the source with an iptables DROP for the VIP's
 * port in the source namespace (the client's segments are dropped and retransmitted later, so
 * every migration costs the client one RTO); the source {@link EchoNode} snapshots every
 * socket, retires it silently (no FIN/RST), ships states + unechoed application bytes in a
 * file, removes the VIP over rtnetlink and listens again; the target {@link EchoNode} (pre-started, listening
 * on VIP:port with IP_FREEBIND) rebuilds every socket in repair mode, adds the VIP over
 * rtnetlink, sends gratuitous ARP, switches repair off, writes the unacknowledged output and
 * adopts each socket under a SocketChannel's fd with dup2; then the DROP rule is removed.
 * The client ({@link EchoClient}) checks every echoed byte against the seeded stream and
 * reports any IOException, EOF or mismatch. TCP timestamps are on (Linux default).
 *
 * <p>Two holds are exercised: the iptables DROP on the source (20 migrations, each costs
 * the client a retransmission) and an NFQUEUE hold on the target with the capture package's
 * {@code NfQueue} (10 migrations, {@link #shouldMigrateWithInboundHeldInNfqueueOnTheTarget}).
 * Counts: {@code -Dunderstudy.migrations}, {@code -Dunderstudy.nfqueue.migrations}.
 */
@Privileged
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MigrationIT {
    static final int PORT = 7000;
    static final int CONNECTIONS = 50;
    static final int MIGRATIONS = Integer.getInteger("understudy.migrations", 20);
    static final Pattern SNAPSHOT = Pattern.compile("SNAPSHOT (\\d+) sendq=(\\d+) recvq=(\\d+) app=(\\d+) ts=(\\d+) ms=(\\d+)");
    static final Pattern PROGRESS = Pattern.compile("PROGRESS (\\d+) .*");

    @Test
    void shouldMigrateFiftyStreamingConnectionsTwentyTimesWithoutResetLossOrRepetition() throws Exception {
        Path dir = Files.createTempDirectory("understudy-migration-");
        long started = System.nanoTime();
        try (Lab lab = Lab.up(2)) {
            LabProcess current = node(lab, 1, dir);
            current.await("READY", Duration.ofSeconds(30));
            LabProcess client = LabProcess.start(lab, Lab.CLIENT, dir.resolve("client.log"), EchoClient.class,
                Lab.VIP, String.valueOf(PORT), String.valueOf(CONNECTIONS), "2048", "20", "25", "200");
            client.await("CONNECTED", Duration.ofSeconds(30));
            LabProcess next = node(lab, 2, dir);
            next.await("READY", Duration.ofSeconds(30));
            awaitProgress(client, 500_000);

            int withSendQueue = 0;
            int withRecvQueue = 0;
            int withAppBytes = 0;
            for (int i = 0; i < MIGRATIONS; i++) {
                String source = Lab.node(1 + i % 2);
                String target = Lab.node(1 + (i + 1) % 2);
                Path file = dir.resolve("states-" + i + ".bin");
                hold(lab, source, true);
                current.send("snapshot " + file);
                Matcher m = SNAPSHOT.matcher(current.await("SNAPSHOT", Duration.ofSeconds(20)));
                assertTrue(m.matches());
                assertEquals(CONNECTIONS, Integer.parseInt(m.group(1)), "every connection snapshotted");
                assertEquals(CONNECTIONS, Integer.parseInt(m.group(5)), "TCP timestamps on (Linux default) on every connection");
                withSendQueue += Integer.parseInt(m.group(2));
                withRecvQueue += Integer.parseInt(m.group(3));
                withAppBytes += Integer.parseInt(m.group(4));
                next.send("restore " + file);
                String restored = next.await("RESTORED", Duration.ofSeconds(20));
                assertTrue(restored.startsWith("RESTORED " + CONNECTIONS + " "), restored);
                hold(lab, source, false);
                System.out.println("migration " + (i + 1) + " " + source + "->" + target + ": " + m.group() + " | " + restored);
                LabProcess swap = current;
                current = next;
                next = swap; // the source JVM listens again and takes the connections back next time
                awaitProgress(client, 200_000);
            }
            client.send("stop");
            String result = client.await("RESULT", Duration.ofSeconds(40));
            System.out.println(result);
            if (!result.startsWith("RESULT ok")) {
                current.send("stats");
                next.send("stats");
                Thread.sleep(1000);
                for (String stuck : client.grep("STUCK")) {
                    System.out.println(stuck);
                    Matcher pm = Pattern.compile("<-> [0-9.]+:(\\d+)|198.18.0.2:(\\d+)").matcher(stuck);
                }
                for (String st : current.grep("STATS")) {
                    System.out.println("current " + st);
                }
                for (String st : next.grep("STATS")) {
                    System.out.println("next " + st);
                }
                for (String host : new String[] {Lab.CLIENT, Lab.node(1), Lab.node(2)}) {
                    System.out.println("--- ss " + host + "\n" + lab.exec(host, Duration.ofSeconds(10), "ss", "-tnio").output());
                    System.out.println("--- nstat " + host + "\n" + lab.exec(host, Duration.ofSeconds(10), "nstat", "-az",
                        "TcpExtPAWS*", "TcpExtTCPACKSkipped*", "TcpExtTCPChallengeACK", "TcpExtTCPSACKReneging", "TcpExtTCPWinProbe",
                        "TcpExtTCPZeroWindowDrop", "TcpExtTCPRcvQDrop", "TcpExtTCPOFODrop", "TcpExtOutOfWindowIcmps", "TcpExtTCPDSACK*",
                        "TcpExtTCPTimeouts", "TcpExtTCPACKSkippedSeq", "TcpExtTCPSpuriousRTOs", "TcpExtTCPAbort*", "TcpInErrs",
                        "TcpExtTCPBacklogDrop", "TcpExtTCPRcvCoalesce").output());
                }
            }
            client.send("exit");
            assertTrue(result.startsWith("RESULT ok"), result);
            System.out.println("snapshots with unacked output: " + withSendQueue + ", with unread input: " + withRecvQueue
                + ", with application bytes: " + withAppBytes + "; wall " + (System.nanoTime() - started) / 1_000_000 + " ms");
            assertTrue(withSendQueue > 0, "some connections had unacknowledged output in flight at a snapshot");
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /**
     * The same migration with the hold on the target instead of a DROP on the source: the
     * target binds an NFQUEUE (the capture package's {@code NfQueue}, handler = HOLD) behind a
     * hold-all rule for the VIP; the source gives up the VIP (rtnetlink), the target takes it
     * (rtnetlink + gratuitous ARP) so the client's packets are held there; the source
     * snapshots and retires its sockets, the target restores them and releases the held packets
     * into them. Nothing is dropped on purpose; packets sent in the moment between the source
     * losing the VIP and the client learning the new MAC are lost on the wire and retransmitted.
     */
    @Test
    void shouldMigrateWithInboundHeldInNfqueueOnTheTarget() throws Exception {
        int migrations = Integer.getInteger("understudy.nfqueue.migrations", 10);
        Path dir = Files.createTempDirectory("understudy-migration-nfq-");
        long started = System.nanoTime();
        String queue = "7";
        List<String> rule = List.of("-t", "mangle", "PREROUTING", "-d", Lab.VIP, "-p", "tcp", "-j", "NFQUEUE", "--queue-num", queue);
        try (Lab lab = Lab.up(2)) {
            LabProcess current = node(lab, 1, dir);
            LabProcess next = node(lab, 2, dir);
            current.await("READY", Duration.ofSeconds(30));
            next.await("READY", Duration.ofSeconds(30));
            LabProcess client = LabProcess.start(lab, Lab.CLIENT, dir.resolve("client.log"), EchoClient.class,
                Lab.VIP, String.valueOf(PORT), String.valueOf(CONNECTIONS), "2048", "20", "25", "200");
            client.await("CONNECTED", Duration.ofSeconds(30));
            awaitProgress(client, 500_000);
            long held = 0;
            for (int i = 0; i < migrations; i++) {
                String source = Lab.node(1 + i % 2);
                String target = Lab.node(1 + (i + 1) % 2);
                Path file = dir.resolve("states-" + i + ".bin");
                next.send("hold " + queue);
                next.await("HOLDING", Duration.ofSeconds(20));
                iptables(lab, target, "-I", rule);
                current.send("unvip");
                current.await("UNVIP", Duration.ofSeconds(20));
                next.send("vip");
                next.await("VIP", Duration.ofSeconds(20));
                current.send("snapshot " + file);
                Matcher m = SNAPSHOT.matcher(current.await("SNAPSHOT", Duration.ofSeconds(20)));
                assertTrue(m.matches());
                assertEquals(CONNECTIONS, Integer.parseInt(m.group(1)));
                next.send("restore " + file);
                String restored = next.await("RESTORED", Duration.ofSeconds(20));
                next.send("release");
                String released = next.await("RELEASED", Duration.ofSeconds(20));
                assertTrue(released.endsWith(" still=0"), released);
                held += Long.parseLong(released.replaceAll(".*held=(\\d+).*", "$1"));
                iptables(lab, target, "-D", rule);
                next.send("unhold");
                next.await("UNHELD", Duration.ofSeconds(20));
                System.out.println("nfqueue migration " + (i + 1) + " " + source + "->" + target + ": " + m.group() + " | "
                    + restored + " | " + released);
                LabProcess swap = current;
                current = next;
                next = swap;
                awaitProgress(client, 200_000);
            }
            client.send("stop");
            String result = client.await("RESULT", Duration.ofSeconds(40));
            client.send("exit");
            System.out.println(result + "; packets held on targets: " + held + "; wall " + (System.nanoTime() - started) / 1_000_000 + " ms");
            assertTrue(result.startsWith("RESULT ok"), result);
        } finally {
            try (Stream<Path> files = Files.walk(dir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    /** iptables-legacy (the kernel has the xt NFQUEUE target) in a lab host: {@code op} is -I or -D. */
    static void iptables(Lab lab, String host, String op, List<String> rule) throws Exception {
        List<String> cmd = new java.util.ArrayList<>(List.of("iptables-legacy", rule.get(0), rule.get(1), op, rule.get(2)));
        cmd.addAll(rule.subList(3, rule.size()));
        lab.exec(host, Duration.ofSeconds(10), cmd.toArray(new String[0])).check();
    }

    static LabProcess node(Lab lab, int n, Path dir) throws Exception {
        return LabProcess.start(lab, Lab.node(n), dir.resolve("node" + n + "-" + System.nanoTime() + ".log"), EchoNode.class,
            Lab.VIP, String.valueOf(PORT), Lab.INTERFACE);
    }

    static void hold(Lab lab, String host, boolean on) throws Exception {
        lab.exec(host, Duration.ofSeconds(10), "iptables", on ? "-I" : "-D", "INPUT", "-d", Lab.VIP, "-p", "tcp",
            "--dport", String.valueOf(PORT), "-j", "DROP").check();
    }

    /** Waits until the client has verified {@code bytes} more echoed bytes: the stream is flowing again. */
    static void awaitProgress(LabProcess client, long bytes) throws Exception {
        long base = progress(client);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            if (progress(client) - base >= bytes) {
                return;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("client stream stalled at " + progress(client) + " (wanted +" + bytes + " over " + base + "): "
            + client.last("PROGRESS"));
    }

    static long progress(LabProcess client) throws Exception {
        String line = client.last("PROGRESS");
        if (line == null) {
            return 0;
        }
        Matcher m = PROGRESS.matcher(line);
        if (m.matches() && !line.endsWith("errors=0")) {
            throw new AssertionError("client reports errors: " + line);
        }
        return m.matches() ? Long.parseLong(m.group(1)) : 0;
    }
}
