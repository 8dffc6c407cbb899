package dev.understudy.agent.node;

import java.util.Map;
import java.util.WeakHashMap;

/**
 * Names the application's scheduled tasks the same way on the primary and on every clone (a
 * timer turn is "timer t's n-th run"): t is the order in which application threads scheduled
 * them, n counts the runs. The primary's recording hook and a clone's replay hook each keep one;
 * that both name a task alike is what lets the clone grant the primary's runs in their place.
 *
 * <p>Thread-safe. Tasks are held weakly: a cancelled task's name goes with it.
 */
public final class TimerNames {
    private final Map<Object, long[]> timers = new WeakHashMap<>();
    private long count;

    /** An application thread scheduled {@code task}: it gets the next timer id (once). */
    public synchronized void scheduled(Object task) {
        timers.putIfAbsent(task, new long[] {count++, 0});
    }

    /**
     * {@code task}'s {timer id, runs counted so far}, or null if no application thread scheduled
     * it; the caller advances the run count (element 1), on the task's one worker at a time.
     */
    public synchronized long[] of(Object task) {
        return timers.get(task);
    }
}
