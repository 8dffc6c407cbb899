package dev.understudy.agent.primary;

import java.util.concurrent.TimeUnit;

/**
 * The primary's resource supervisor: it watches what the primary cannot serve through (the
 * journal refuses appends, the heap stays nearly full after collections, the application's
 * listener is gone, the capture stopped reading while packets wait in the kernel's queue) and
 * reports the first fault it finds, so that the primary hands over to a clone (a planned
 * switchover, {@link PrimaryNode#switchover}) instead of dying silently or serving unprotected.
 *
 * <p>Pure logic over a {@link Probe} the primary fills in; the decisions carry the time, so tests
 * drive it without waiting. Not thread-safe: the primary's duty cycle calls it.
 */
final class ResourceSupervisor {
    /** Heap share used after the last collection from which the heap counts as nearly exhausted. */
    static final double HEAP_LIMIT = 0.95;
    /** How long the listener may be gone, or the capture stand still, before it is a fault. */
    static final long GRACE_NS = TimeUnit.SECONDS.toNanos(1);

    /** What the supervisor looks at, read by the primary. */
    record Probe(boolean journalHealthy, String journalFault, long heapUsedAfterGc, long heapMax, boolean listening,
                 long packetsRead, long kernelQueued, long held) {
    }

    private boolean sawListener;
    private long listenerGoneNs;
    private boolean listenerGone;
    private long packetsRead = -1;
    private long captureProgressNs;
    private boolean waiting;

    /**
     * @return what the primary cannot serve through, or null if nothing
     */
    String check(long nowNs, Probe p) {
        if (!p.journalHealthy()) {
            return "journal: " + (p.journalFault() == null ? "appends refused" : p.journalFault());
        }
        if (p.heapMax() > 0 && p.heapUsedAfterGc() >= HEAP_LIMIT * p.heapMax()) {
            return "heap nearly exhausted: " + (p.heapUsedAfterGc() >> 20) + " of " + (p.heapMax() >> 20)
                + " MB still used after the last collection";
        }
        if (p.listening()) {
            sawListener = true;
            listenerGone = false;
        } else if (sawListener) {
            if (!listenerGone) {
                listenerGone = true;
                listenerGoneNs = nowNs;
            } else if (nowNs - listenerGoneNs >= GRACE_NS) {
                return "listener gone: the application has not listened on its service port for "
                    + TimeUnit.NANOSECONDS.toMillis(nowNs - listenerGoneNs) + " ms";
            }
        }
        // packets wait in the kernel that the capture has not read (held ones are read, and waited on)
        boolean unread = p.kernelQueued() > p.held();
        if (p.packetsRead() != packetsRead || !unread) {
            packetsRead = p.packetsRead();
            captureProgressNs = nowNs;
            waiting = unread;
        } else if (!waiting) {
            waiting = true;
            captureProgressNs = nowNs;
        } else if (nowNs - captureProgressNs >= GRACE_NS) {
            return "capture stalled: " + (p.kernelQueued() - p.held()) + " packets wait unread in the kernel's queue, none read for "
                + TimeUnit.NANOSECONDS.toMillis(nowNs - captureProgressNs) + " ms";
        }
        return null;
    }
}
