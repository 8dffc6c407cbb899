package dev.understudy.agent.primary;

import dev.understudy.interceptors.hook.ValueHook;
import dev.understudy.transport.record.ClockFlyweight;
import dev.understudy.transport.record.RandomFlyweight;
import java.time.Instant;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The primary's clock and randomness hook (serial mode): every value an application thread reads
 * inside a turn is handed through unchanged and recorded as {@code CLOCK} or {@code RANDOM}, keyed
 * by (turn order, index within the turn), for the clones to hand back at the same place. Values
 * read outside turns (the agent's threads, the JDK's timers, start-up) are neither recorded nor
 * replayed.
 *
 * <p>Thread-safe; allocates nothing but what {@code SecureRandom} callers already allocate.
 */
final class RecordingValues implements ValueHook {
    private final Turns turns;
    private final RecordingHook hook;
    private final AtomicCounter recorded;

    RecordingValues(Turns turns, RecordingHook hook, AtomicCounter recorded) {
        this.turns = turns;
        this.hook = hook;
        this.recorded = recorded;
    }

    @Override
    public long currentTimeMillis(long real) {
        return clock(ClockFlyweight.WALL_MILLIS, real, 0);
    }

    @Override
    public long nanoTime(long real) {
        return clock(ClockFlyweight.NANO_TIME, real, 0);
    }

    @Override
    public Instant instant(Instant real) {
        clock(ClockFlyweight.INSTANT, real.getEpochSecond(), real.getNano());
        return real;
    }

    private long clock(int source, long value, int nanos) {
        long[] slot = turns.slot();
        if (slot != null) {
            hook.emitClock(slot, source, value, nanos);
            recorded.increment();
        }
        return value;
    }

    @Override
    public long randomSeed(long real) {
        return seed(RandomFlyweight.SEED, real);
    }

    @Override
    public long threadLocalRandomSeed(long real) {
        return seed(RandomFlyweight.TLR_SEED, real);
    }

    private long seed(int source, long real) {
        long[] slot = turns.slot();
        if (slot != null) {
            hook.emitRandom(slot, source, real, 8);
            recorded.increment();
        }
        return real;
    }

    @Override
    public boolean replaceSecureBytes(byte[] bytes) {
        return false; // the primary's generator runs; onSecureBytes records what it produced
    }

    @Override
    public void onSecureBytes(byte[] bytes) {
        for (int at = 0; at < bytes.length; at += 8) {
            long[] slot = turns.slot();
            if (slot == null) {
                return;
            }
            int n = Math.min(8, bytes.length - at);
            long v = 0;
            for (int i = 0; i < n; i++) {
                v |= (bytes[at + i] & 0xffL) << (8 * i);
            }
            hook.emitRandom(slot, RandomFlyweight.BYTES, v, n);
            recorded.increment();
        }
    }
}
