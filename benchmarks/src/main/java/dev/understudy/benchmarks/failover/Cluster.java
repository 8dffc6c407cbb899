package dev.understudy.benchmarks.failover;

import java.time.Duration;
import java.util.Map;

/**
 * The servers behind the lab's VIP in one mode of {@link FailoverBenchmark}, and how that mode fails
 * over: {@code keepalived} ({@link KeepalivedCluster}: VRRP moves the VIP between plain copies of the
 * server) or {@code understudy} ({@link UnderstudyCluster}: the server with {@code -javaagent}, a primary
 * and clones).
 * The harness owns the client side ({@link StreamClient}) and the rounds; a mode only starts its nodes,
 * injects the failure, says when it considers the service back, and brings the failed node back so
 * that the next round can fail again. Every mode is measured by the same client.
 *
 * <p>Lifecycle: {@link #start()} once, then any number of rounds of {@link #fail} →
 * {@link #awaitRecovered} → {@link #heal}, then {@link #close()}, which must also work after any of
 * them threw. A mode whose cluster fails over only once ({@link #heals()} false) gets one round per
 * cluster: start, fail, await recovered, close; the harness builds a new cluster for the next round.
 * Thread-safety: one caller at a time.
 */
public interface Cluster extends AutoCloseable {
    /** The failure a round injected: its kind, the node it hit and its instant (wall clock, epoch µs, taken right before it). */
    record Failure(FailureKind kind, String node, long epochMicros, Map<String, Object> details) {
    }

    /** The mode's name in the results: {@code keepalived}, {@code understudy}. */
    String mode();

    /** Starts every node's server and whatever moves the VIP; returns once the VIP is served. */
    void start() throws Exception;

    /** The configuration, for the results (versions, timers, detection, which node serves now). */
    Map<String, Object> describe();

    /** Injects {@code kind} on the node that serves the VIP now and returns at once. */
    Failure fail(FailureKind kind) throws Exception;

    /**
     * Waits (at most {@code timeout}) until the mode itself considers the service back on another node
     * (the VIP there; for Understudy: PROMOTE and switchover done) and returns its own timeline of the
     * failover, ms after the failure (e.g. {@code vipMovedMs}); {@code recovered: false} on timeout.
     * It must also hold {@code recoveredEpochMicros}: the instant it considers the service back (the
     * client then waits for every connection's first reply after it, so that the failure has surely
     * taken effect). What clients see is measured by the client, not here.
     */
    Map<String, Object> awaitRecovered(Failure failure, Duration timeout) throws Exception;

    /**
     * Brings the failed node back as a standby (a restarted process, a rebooted machine), without moving
     * the VIP, and returns what the round should note about it (empty when it went as planned; e.g.
     * {@code vipFlapped: true} when the healed node took the VIP after all). Throws only when the cluster
     * cannot serve another round.
     */
    Map<String, Object> heal(Failure failure) throws Exception;

    /**
     * Whether {@link #heal} can bring the failed node back for another round; false: this cluster fails
     * over once (Understudy for now: the new primary does not yet replicate to the remaining clone), and
     * the harness starts a new cluster, and a new client, for every round.
     */
    default boolean heals() {
        return true;
    }

    /** Stops every process of this mode; idempotent. */
    @Override
    void close();
}
