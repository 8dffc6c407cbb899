package dev.understudy.agent.clone;

import dev.understudy.interceptors.hook.ValueHook;
import dev.understudy.transport.record.ClockFlyweight;
import dev.understudy.transport.record.RandomFlyweight;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * A clone's clock and randomness hook (serial mode): an application thread that holds a turn gets,
 * for its k-th clock or random read, the value the primary's thread read at the same place of the
 * same turn (the {@code CLOCK} / {@code RANDOM} records, read ahead by the {@link Replayer}).
 * Outside turns, values are real, as they were on the primary. A value that does not come within
 * {@link #WAIT_NS}, or that was read from another source on the primary (the application already
 * went another way), is real and counted ({@code replay values missing}); divergence detection
 * then says what it changed.
 */
final class ReplayValues implements ValueHook {
    static final long WAIT_NS = TimeUnit.SECONDS.toNanos(5);

    private final ReplayHook hook;
    private final Replayer replayer;
    private final AtomicCounter handed;
    private final AtomicCounter missing;

    ReplayValues(ReplayHook hook, Replayer replayer, AtomicCounter handed, AtomicCounter missing) {
        this.hook = hook;
        this.replayer = replayer;
        this.handed = handed;
        this.missing = missing;
    }

    /** The recorded {source, value, extra} for the calling thread's next value, or null. */
    private long[] next(int source) {
        return next(false, source, 0, 0);
    }

    /**
     * The same; in a turn of the switchover's own (the input it re-injected) the real value
     * {@code real} / {@code extra} is kept for the new primary to record, and null returned.
     */
    private long[] next(boolean clock, int source, long real, long extra) {
        long[] slot = hook.slot();
        if (slot == null) {
            return null;
        }
        if (hook.owesValues(slot[0])) {
            hook.oweValue(slot[0], slot[1] - 1, source, real, extra, clock);
            return null;
        }
        long[] v = replayer.awaitValue(slot[0], slot[1] - 1, WAIT_NS);
        if (v == null || v[0] != source) {
            missing.increment();
            return null;
        }
        handed.increment();
        return v;
    }

    @Override
    public long currentTimeMillis(long real) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.currentTimeMillis(real);
        }
        long[] v = next(true, ClockFlyweight.WALL_MILLIS, real, 0);
        return v == null ? real : v[1];
    }

    @Override
    public long nanoTime(long real) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.nanoTime(real);
        }
        long[] v = next(true, ClockFlyweight.NANO_TIME, real, 0);
        return v == null ? real : v[1];
    }

    @Override
    public Instant instant(Instant real) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.instant(real);
        }
        long[] v = next(true, ClockFlyweight.INSTANT, real.getEpochSecond(), real.getNano());
        return v == null ? real : Instant.ofEpochSecond(v[1], v[2]);
    }

    @Override
    public long randomSeed(long real) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.randomSeed(real);
        }
        long[] v = next(false, RandomFlyweight.SEED, real, 8);
        return v == null ? real : v[1];
    }

    @Override
    public long threadLocalRandomSeed(long real) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.threadLocalRandomSeed(real);
        }
        long[] v = next(false, RandomFlyweight.TLR_SEED, real, 8);
        return v == null ? real : v[1];
    }

    @Override
    public boolean replaceSecureBytes(byte[] bytes) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            return r.replaceSecureBytes(bytes);
        }
        if (hook.slot() == null) {
            return false;
        }
        hook.unslot(); // slot() advanced the index: the loop below takes the indexes itself
        for (int at = 0; at < bytes.length; at += 8) {
            long[] v = next(RandomFlyweight.BYTES);
            if (v == null) {
                return false; // the real generator fills the array
            }
            for (int i = 0; i < Math.min(8, (int) v[2]) && at + i < bytes.length; i++) {
                bytes[at + i] = (byte) (v[1] >>> (8 * i));
            }
        }
        return true;
    }

    @Override
    public void onSecureBytes(byte[] bytes) {
        ValueHook r = hook.valueRecorder();
        if (r != null) {
            r.onSecureBytes(bytes); // a new primary records; a clone records nothing
        }
    }
}
