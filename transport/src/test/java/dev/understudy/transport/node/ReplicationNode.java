package dev.understudy.transport.node;

import dev.understudy.transport.aeron.DurabilityListener;
import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationClone;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.aeron.ReplicationPrimary;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.journal.JournalTailer;
import dev.understudy.transport.membership.MemberListener;
import dev.understudy.transport.membership.Role;
import dev.understudy.transport.record.RecordCodec;
import dev.understudy.transport.record.RecordErrors;
import dev.understudy.transport.record.RecordHandler;
import dev.understudy.transport.record.RecordHeader;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * A runnable replication node (one per lab namespace in the ITs and benchmarks): an embedded
 * media driver, a Chronicle journal and a {@link ReplicationPrimary} or {@link ReplicationClone},
 * driven by one duty-cycle thread.
 *
 * <pre>
 * java [--add-opens ... -Dchronicle.analytics.disable=true] dev.understudy.transport.node.ReplicationNode \
 *   role=primary|clone node=N run=RUN address=198.18.0.1N primary=198.18.0.11 journal=DIR status=FILE \
 *   [secret=HEX] [size=80] [epoch=1] [maxK=2] [durableLog=FILE] [rate=0]
 * </pre>
 * Other settings come from {@code understudy.transport.*} system properties ({@link ReplicationConfig}).
 *
 * <p>A test program (test scope, not in any jar a user runs); the benchmarks launch it from the
 * transport test-jar. Uses only the public API: {@link ReplicationPrimary#create}, {@link ReplicationClone#create}.
 * The primary encodes each synthetic record straight into its frame ({@link ReplicationPrimary#claim}).
 *
 * <p>Commands on stdin, one per line: {@code publish N} (primary: publish N more synthetic records
 * of {@code size} bytes, at most {@code rate}/s if rate &gt; 0), {@code publish N RATE} (same, and set the rate), {@code stop} (verify the journal,
 * write the final status, exit 0). End of stdin = stop.
 *
 * <p>The status file ({@code key=value} lines, replaced atomically every 100 ms and at the end)
 * carries positions and counters; at stop it adds {@code verified} (records read back from the
 * journal with consecutive sequences, valid CRC and the expected synthetic payload),
 * {@code verifyErrors} and {@code stopped=true}.
 */
public final class ReplicationNode {
    private final Map<String, String> args;
    private final ConcurrentLinkedQueue<String> commands = new ConcurrentLinkedQueue<>();
    private final Path statusFile;
    private final boolean primaryRole;
    private final int size;
    private long rate;
    private final long[] durableLog;
    private int durableLogCount;
    private final long startNs = System.nanoTime();
    private final StringBuilder events = new StringBuilder();

    private ReplicationNode(Map<String, String> args) {
        this.args = args;
        this.statusFile = Path.of(require("status"));
        this.primaryRole = "primary".equals(require("role"));
        this.size = Integer.parseInt(args.getOrDefault("size", String.valueOf(SyntheticRecords.MIN_LENGTH)));
        this.rate = Long.parseLong(args.getOrDefault("rate", "0"));
        this.durableLog = args.containsKey("durableLog") ? new long[3 * 2_000_000] : null;
    }

    private String require(String key) {
        String v = args.get(key);
        if (v == null) {
            throw new IllegalArgumentException("missing argument: " + key + "=...");
        }
        return v;
    }

    public static void main(String[] argv) throws Exception {
        Map<String, String> args = new HashMap<>();
        for (String a : argv) {
            int eq = a.indexOf('=');
            if (eq <= 0) {
                throw new IllegalArgumentException("invalid argument: value=" + a + ", expected key=value");
            }
            args.put(a.substring(0, eq), a.substring(eq + 1));
        }
        System.exit(new ReplicationNode(args).run());
    }

    private int run() throws Exception {
        int nodeId = Integer.parseInt(require("node"));
        ReplicationConfig config = ReplicationConfig.fromSystemProperties(nodeId, require("run"))
            .address(args.get("address"))
            .primaryAddress(args.get("primary"));
        if (args.containsKey("secret")) {
            config.secret(HexFormat.of().parseHex(args.get("secret")));
        }
        config.conclude();
        int epoch = Integer.parseInt(args.getOrDefault("epoch", "1"));
        log("starting " + config);

        Thread stdin = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                    commands.add(line.trim());
                }
            } catch (IOException ignored) {
                // treated as end of input
            }
            commands.add("stop");
        }, "stdin");
        stdin.setDaemon(true);
        stdin.start();

        EmbeddedMediaDriver driver = EmbeddedMediaDriver.launch(config);
        Journal journal = null;
        ReplicationPrimary primary = null;
        ReplicationClone clone = null;
        try {
            // records are not re-verified on append: the channel appends only what it sealed or checked
            journal = Journal.open(JournalConfig.builder(Path.of(require("journal"))).verifyOnAppend(false).build());
            log("journal opened, lastSequence=" + lastSequence(journal));
            MemberListener members = new MemberListener() {
                @Override
                public void onJoined(int id, Role role, long ep) {
                    log("member joined: node" + id + " " + role + " epoch " + ep);
                }

                @Override
                public void onLost(int id, long lastSeenNs) {
                    log("member lost: node" + id);
                }

                @Override
                public void onRejoined(int id, Role role, long ep) {
                    log("member rejoined: node" + id + " " + role);
                }
            };
            int maxK = Integer.parseInt(args.getOrDefault("maxK", "2"));
            if (primaryRole) {
                DurabilityListener listener = durableLog == null ? null : this::onDurable;
                primary = ReplicationPrimary.create(driver.aeron(), config, epoch, journal, maxK, listener, members);
            } else {
                clone = ReplicationClone.create(driver.aeron(), config, epoch, journal, members);
            }
            loop(config, primary, clone, journal, driver);
            CloseHelper.quietCloseAll(primary, clone);
            long[] verify = verify(journal);
            writeStatus(primary, clone, journal, "verified=" + verify[0] + "\nverifyErrors=" + verify[1]
                + "\nfirstError=" + verify[2] + "\nstopped=true\n");
            log("stopped: verified=" + verify[0] + " errors=" + verify[1]);
            return 0;
        } finally {
            CloseHelper.quietCloseAll(primary, clone, journal);
            driver.close();
        }
    }

    private void onDurable(int k, long sequence) {
        if (durableLogCount + 3 <= durableLog.length) {
            durableLog[durableLogCount++] = k;
            durableLog[durableLogCount++] = sequence;
            durableLog[durableLogCount++] = System.nanoTime() - startNs;
        }
    }

    /** The journal's last sequence, 0 when empty (the channel's sequences start at 1). */
    private static long lastSequence(Journal journal) {
        return Math.max(0, journal.lastSequence());
    }

    private void loop(ReplicationConfig config, ReplicationPrimary primary, ReplicationClone clone, Journal journal,
                      EmbeddedMediaDriver driver) throws IOException {
        IdleStrategy idle = EmbeddedMediaDriver.idle(config.idle());
        SyntheticRecords synthetic = new SyntheticRecords();
        long toPublish = 0;
        long published = 0;
        long rateStartNs = 0;
        long rateBase = 0;
        long nextStatusNs = 0;
        while (true) {
            String cmd = commands.poll();
            if (cmd != null) {
                if (cmd.equals("stop")) {
                    return;
                } else if (cmd.startsWith("publish ") && primary != null) {
                    String[] f = cmd.substring(8).trim().split("\\s+");
                    toPublish += Long.parseLong(f[0]);
                    if (f.length > 1) {
                        rate = Long.parseLong(f[1]);
                    }
                    rateStartNs = System.nanoTime();
                    rateBase = published;
                    log("publishing up to " + toPublish);
                } else if (!cmd.isEmpty()) {
                    log("unknown command: " + cmd);
                }
            }
            long now = System.nanoTime();
            int work;
            if (primary != null) {
                work = primary.doWork(now);
                long allowed = toPublish;
                if (rate > 0) {
                    allowed = Math.min(toPublish, rateBase + (now - rateStartNs) * rate / 1_000_000_000L + 1);
                }
                for (int i = 0; i < 256 && published < allowed; i++) {
                    int at = primary.claim(size);
                    if (at < 0) {
                        break; // back-pressured: doWork, then retry
                    }
                    synthetic.encode(primary.claimBuffer(), at, primary.lastSequence() + 1, size);
                    if (primary.commitClaim(size) < 0) {
                        break;
                    }
                    published++;
                    work++;
                }
            } else {
                work = clone.doWork(now);
            }
            if (now - nextStatusNs >= 0) {
                if (driver.aeron().isClosed()) {
                    throw new IllegalStateException("Aeron client closed (fatal error above): node cannot replicate");
                }
                writeStatus(primary, clone, journal, "published=" + published + "\ninvalidPackets=" + driver.invalidPackets() + "\n");
                nextStatusNs = now + TimeUnit.MILLISECONDS.toNanos(100);
            }
            idle.idle(work);
        }
    }

    /** Reads the whole journal back: {verified, errors, first bad sequence}. */
    private static long[] verify(Journal journal) {
        long[] result = new long[3];
        RecordCodec codec = new RecordCodec();
        long[] expected = {1};
        try (JournalTailer reader = journal.tailer(1)) {
            RecordHandler h = (buf, off, len) -> {
                long seq = RecordHeader.sequence(buf, off);
                boolean ok = seq == expected[0] && codec.verify(buf, off, len) == RecordErrors.OK
                    && SyntheticRecords.matches(buf, off, len);
                if (ok) {
                    result[0]++;
                } else if (result[1]++ == 0) {
                    result[2] = seq;
                }
                expected[0] = seq + 1;
            };
            while (reader.poll(h, 4096) > 0) {
                // counted in h
            }
        }
        return result;
    }

    private void writeStatus(ReplicationPrimary primary, ReplicationClone clone, Journal journal, String extra)
        throws IOException {
        StringBuilder sb = new StringBuilder(512);
        sb.append("role=").append(primaryRole ? "primary" : "clone").append('\n');
        sb.append("last=").append(lastSequence(journal)).append('\n');
        sb.append("healthy=").append(journal.healthy()).append('\n');
        sb.append("uptimeMs=").append((System.nanoTime() - startNs) / 1_000_000).append('\n');
        if (primary != null) {
            sb.append("durable1=").append(primary.durableSequence(1)).append('\n');
            sb.append("durable2=").append(primary.durableSequence(2)).append('\n');
            sb.append("acks=").append(primary.acksReceived()).append('\n');
            sb.append("framesSent=").append(primary.framesSent()).append('\n');
            sb.append("connected=").append(primary.isConnected()).append('\n');
            sb.append("rejected=").append(primary.rejectedFrames()).append('\n');
            sb.append("staleAcks=").append(primary.staleAcks()).append('\n');
            sb.append("catchupServed=").append(primary.catchupRecordsServed()).append('\n');
            sb.append("catchupSessions=").append(primary.catchupSessionsStarted()).append('\n');
            sb.append("alive=").append(primary.membership().aliveCount()).append('\n');
        } else {
            sb.append("appendedLive=").append(clone.appendedLive()).append('\n');
            sb.append("appendedCatchup=").append(clone.appendedCatchup()).append('\n');
            sb.append("duplicates=").append(clone.duplicates()).append('\n');
            sb.append("aheadDropped=").append(clone.aheadDropped()).append('\n');
            sb.append("rejectedAuth=").append(clone.rejectedAuth()).append('\n');
            sb.append("rejectedMalformed=").append(clone.rejectedMalformed()).append('\n');
            sb.append("staleFrames=").append(clone.staleFrames()).append('\n');
            sb.append("highestEpoch=").append(clone.highestEpoch()).append('\n');
            sb.append("acksSent=").append(clone.acksSent()).append('\n');
            sb.append("catchupRequests=").append(clone.catchupRequestsSent()).append('\n');
            sb.append("catchupsCompleted=").append(clone.catchupsCompleted()).append('\n');
            sb.append("catchingUp=").append(clone.isCatchingUp()).append('\n');
            sb.append("catchupServed=").append(clone.catchupRecordsServed()).append('\n');
            sb.append("journalFailures=").append(clone.journalFailures()).append('\n');
            sb.append("alive=").append(clone.membership().aliveCount()).append('\n');
        }
        sb.append(extra);
        Path tmp = statusFile.resolveSibling(statusFile.getFileName() + ".tmp");
        Files.writeString(tmp, sb.toString());
        Files.move(tmp, statusFile, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        if (durableLog != null && extra.contains("stopped=true")) {
            StringBuilder d = new StringBuilder(durableLogCount * 8);
            for (int i = 0; i < durableLogCount; i += 3) {
                d.append(durableLog[i]).append(' ').append(durableLog[i + 1]).append(' ').append(durableLog[i + 2]).append('\n');
            }
            Files.writeString(Path.of(args.get("durableLog")), d.toString());
        }
    }

    private static void log(String msg) {
        System.out.println(java.time.LocalTime.now() + " " + msg);
        System.out.flush();
    }
}
