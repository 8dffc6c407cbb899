package dev.understudy.benchmarks.replication;

import dev.understudy.transport.aeron.EmbeddedMediaDriver;
import dev.understudy.transport.aeron.ReplicationClone;
import dev.understudy.transport.aeron.ReplicationConfig;
import dev.understudy.transport.aeron.ReplicationPrimary;
import dev.understudy.transport.journal.Journal;
import dev.understudy.transport.journal.JournalConfig;
import dev.understudy.transport.node.SyntheticRecords;
import org.agrona.CloseHelper;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * The primary end used by the replication benchmarks: over UDP multicast to the lab's clones
 * (this JVM must run in the lab's node1 namespace), or over IPC to a clone in this process
 * (the baseline without the network; the clone runs its duty cycle on its own thread, like a
 * separate node, with its own Chronicle journal).
 */
final class BenchPrimary implements AutoCloseable {
    static final String LAB_PROP = "understudy.bench.lab";
    static final String DIR_PROP = "understudy.bench.dir";
    private static final long TIMEOUT_NS = TimeUnit.SECONDS.toNanos(10);

    final ReplicationPrimary primary;
    private final EmbeddedMediaDriver driver;
    private final Journal journal;
    private final UnsafeBuffer record = new UnsafeBuffer(ByteBuffer.allocateDirect(4096));
    private final SyntheticRecords synthetic = new SyntheticRecords();
    private final Thread cloneThread;
    private volatile boolean running = true;
    private ReplicationClone clone;
    private Journal cloneJournal;
    private final Path ownDir;

    BenchPrimary(boolean ipc, int expectedClones) throws Exception {
        String lab = System.getProperty(LAB_PROP, "bench");
        String given = System.getProperty(DIR_PROP);
        ownDir = given == null ? Files.createTempDirectory("understudy-bench-") : null; // only outside the launcher
        Path dir = given == null ? ownDir : Path.of(given);
        ReplicationConfig config = ReplicationConfig.fromSystemProperties(1, lab + (ipc ? "ipc" : ""));
        if (ipc) {
            config.ipc(true);
        } else {
            config.address("198.18.0.11").primaryAddress("198.18.0.11");
        }
        config.conclude();
        driver = EmbeddedMediaDriver.launch(config);
        // the primary's journal persists across JMH forks so that sequences continue for the clones
        journal = open(dir.resolve(ipc ? "ipc-primary-" + ProcessHandle.current().pid() : "journal-node1"));
        primary = ReplicationPrimary.create(driver.aeron(), config, 1, journal, 2, null, null);
        if (ipc) {
            ReplicationConfig cc = ReplicationConfig.fromSystemProperties(2, lab + "ipc").ipc(true)
                .aeronDir(config.aeronDir()).conclude();
            cloneJournal = open(dir.resolve("ipc-clone-" + ProcessHandle.current().pid()));
            clone = ReplicationClone.create(driver.aeron(), cc, 1, cloneJournal, null);
            IdleStrategy idle = EmbeddedMediaDriver.idle(cc.idle());
            cloneThread = new Thread(() -> {
                while (running) {
                    idle.idle(clone.doWork(System.nanoTime()));
                }
            }, "ipc-clone");
            cloneThread.start();
        } else {
            cloneThread = null;
        }
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!(primary.isConnected() && (ipc || primary.membership().aliveCount() >= expectedClones)
            && primary.tracker().members() >= expectedClones)) {
            primary.doWork(System.nanoTime());
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("clones not connected/acking: connected=" + primary.isConnected()
                    + " alive=" + primary.membership().aliveCount() + " acking=" + primary.tracker().members());
            }
            Thread.onSpinWait();
        }
    }

    /** A journal as the replication channel opens it: records are not re-verified on append. */
    private static Journal open(Path directory) {
        return Journal.open(JournalConfig.builder(directory).verifyOnAppend(false).build());
    }

    /** Publishes one record, sends its frame, and spins until {@code k} clones acknowledged it; returns its sequence. */
    long roundTrip(int size, int k) {
        long seq = publish(size);
        flushAndAwait(seq, k);
        return seq;
    }

    long publish(int size) {
        long deadline = 0;
        while (true) {
            synthetic.encode(record, 0, primary.lastSequence() + 1, size);
            long r = primary.publish(record, 0, size);
            if (r > 0) {
                return r;
            }
            if (deadline == 0) {
                deadline = System.nanoTime() + TIMEOUT_NS;
            } else if (System.nanoTime() > deadline) {
                throw new IllegalStateException("publish back-pressured for 10 s: code=" + r);
            }
            primary.doWork(System.nanoTime());
        }
    }

    void flushAndAwait(long seq, int k) {
        long deadline = System.nanoTime() + TIMEOUT_NS;
        while (primary.durableSequence(k) < seq) {
            long now = System.nanoTime();
            primary.doWork(now);
            if (now > deadline) {
                throw new IllegalStateException("sequence " + seq + " not durable on " + k + " clones within 10 s: durable="
                    + primary.durableSequence(k));
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        running = false;
        if (cloneThread != null) {
            cloneThread.join(5_000);
        }
        CloseHelper.quietCloseAll(clone, primary, cloneJournal, journal);
        driver.close();
        if (ownDir != null) {
            try (java.util.stream.Stream<Path> walk = Files.walk(ownDir)) {
                walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
            } catch (java.io.IOException ignored) {
                // best effort
            }
        }
    }
}
