package dev.understudy.transport.aeron;

import io.aeron.Aeron;
import io.aeron.driver.MediaDriver;
import io.aeron.driver.status.SystemCounterDescriptor;
import org.agrona.CloseHelper;
import org.agrona.IoUtil;
import org.agrona.concurrent.BackoffIdleStrategy;
import org.agrona.concurrent.BusySpinIdleStrategy;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.YieldingIdleStrategy;

import java.io.File;
import java.util.concurrent.TimeUnit;

/**
 * One node's embedded Aeron media driver and its client, in the node's own directory
 * ({@code /dev/shm/understudy-<run>-node<N>} by default), deleted on start and on close.
 *
 * <p>Threading mode and idle strategy come from {@link ReplicationConfig}; the defaults
 * ({@code SHARED} + {@code backoff}) and why are explained there.
 *
 * <p>Thread-safety: {@link #aeron()} is thread-safe (Aeron client); {@link #close()} once.
 */
public final class EmbeddedMediaDriver implements AutoCloseable {
    private final MediaDriver driver;
    private final Aeron aeron;
    private final String directory;

    private EmbeddedMediaDriver(MediaDriver driver, Aeron aeron, String directory) {
        this.driver = driver;
        this.aeron = aeron;
        this.directory = directory;
    }

    /** Launches the driver and connects a client to it. */
    public static EmbeddedMediaDriver launch(ReplicationConfig config) {
        String dir = config.aeronDir();
        MediaDriver.Context ctx = new MediaDriver.Context()
            .aeronDirectoryName(dir)
            .dirDeleteOnStart(true)
            .dirDeleteOnShutdown(true)
            .threadingMode(config.threading())
            .termBufferSparseFile(true)
            .publicationTermBufferLength(config.termLength())
            .ipcTermBufferLength(config.termLength())
            .mtuLength(config.mtu())
            .ipcMtuLength(config.mtu())
            // a SIGSTOPped or killed peer must not hold its images/publications for long
            .imageLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            .publicationConnectionTimeoutNs(TimeUnit.SECONDS.toNanos(2))
            // the client lives in the same process as its driver: a long liveness timeout lets the node
            // survive a stop-the-world pause or SIGSTOP (the client's own service-interval check uses it too)
            .clientLivenessTimeoutNs(TimeUnit.SECONDS.toNanos(20))
            .publicationUnblockTimeoutNs(TimeUnit.SECONDS.toNanos(30))
            .timerIntervalNs(TimeUnit.MILLISECONDS.toNanos(100))
            .driverTimeoutMs(60_000)
            .warnIfDirectoryExists(false)
            .printConfigurationOnStart(false);
        ctx.conductorIdleStrategy(idle(config.idle()));
        ctx.senderIdleStrategy(idle(config.idle()));
        ctx.receiverIdleStrategy(idle(config.idle()));
        ctx.sharedNetworkIdleStrategy(idle(config.idle()));
        ctx.sharedIdleStrategy(idle(config.idle()));
        MediaDriver driver = MediaDriver.launchEmbedded(ctx);
        Aeron aeron;
        try {
            aeron = Aeron.connect(new Aeron.Context()
                .aeronDirectoryName(driver.aeronDirectoryName())
                .driverTimeoutMs(60_000)
                .idleStrategy(idle(config.idle())));
        } catch (RuntimeException e) {
            CloseHelper.quietClose(driver);
            throw e;
        }
        return new EmbeddedMediaDriver(driver, aeron, driver.aeronDirectoryName());
    }

    /**
     * A fresh idle strategy by name: {@code backoff} (spin 10, yield 10, park 1..100 µs),
     * {@code sleeping} (1 ms park, Aeron's own default), {@code yielding}, {@code busy}.
     */
    public static IdleStrategy idle(String name) {
        switch (name) {
            case "backoff":
                return new BackoffIdleStrategy(10, 10, TimeUnit.MICROSECONDS.toNanos(1), TimeUnit.MICROSECONDS.toNanos(100));
            case "sleeping":
                return new SleepingMillisIdleStrategy(1);
            case "yielding":
                return new YieldingIdleStrategy();
            case "busy":
                return new BusySpinIdleStrategy();
            default:
                throw new IllegalArgumentException("invalid idle strategy: value=" + name + ", expected backoff|sleeping|yielding|busy");
        }
    }

    public Aeron aeron() {
        return aeron;
    }

    /**
     * Packets this node's driver discarded as malformed (Aeron's "Invalid packets" system counter):
     * where raw UDP garbage sent to the node's channels is counted.
     */
    public long invalidPackets() {
        return aeron.countersReader().getCounterValue(SystemCounterDescriptor.INVALID_PACKETS.id());
    }

    public String directory() {
        return directory;
    }

    /** Closes the client, then the driver, and removes the directory. */
    @Override
    public void close() {
        CloseHelper.quietClose(aeron);
        CloseHelper.quietClose(driver);
        IoUtil.delete(new File(directory), true);
    }
}
