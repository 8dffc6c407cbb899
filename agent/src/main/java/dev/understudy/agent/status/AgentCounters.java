package dev.understudy.agent.status;

import io.aeron.Aeron;
import io.aeron.Counter;
import java.util.List;

/**
 * The agent's one counter surface: every counter lives in the node's embedded media driver's
 * counters file ({@code cnc.dat} under the Aeron directory), beside the driver's own, so
 * Aeron's {@code AeronStat}, {@code understudy status} ({@link StatusReader}) and any JMX bridge
 * read them all the same way, from outside the JVM, without a port.
 *
 * <p>Each counter carries the type id {@link #TYPE_ID} and a label {@code "understudy: NAME"}.
 * Counters are allocated once at start; incrementing one is a single atomic add (safe from any
 * thread, no allocation).
 */
public final class AgentCounters implements AutoCloseable {
    /** Aeron counter type id of every agent counter ("US" + 1). */
    public static final int TYPE_ID = 0x5553_0001;
    /** Prefix of every agent counter's label. */
    public static final String LABEL_PREFIX = "understudy: ";

    private final Aeron aeron;
    private final List<Counter> all = new java.util.concurrent.CopyOnWriteArrayList<>();
    private final List<String> names = new java.util.concurrent.CopyOnWriteArrayList<>();

    public AgentCounters(Aeron aeron) {
        this.aeron = aeron;
    }

    /** Allocates a counter named {@code name} (its label is {@code "understudy: name"}). */
    public Counter add(String name) {
        Counter c = aeron.addCounter(TYPE_ID, LABEL_PREFIX + name);
        names.add(name);
        all.add(c);
        return c;
    }

    /** Every counter's name and current value, in allocation order (for JMX). */
    public java.util.Map<String, Long> snapshot() {
        java.util.Map<String, Long> out = new java.util.LinkedHashMap<>();
        for (int i = 0; i < all.size(); i++) {
            Counter c = all.get(i);
            if (!c.isClosed()) {
                out.put(names.get(i), c.get());
            }
        }
        return out;
    }

    @Override
    public void close() {
        for (Counter c : all) {
            try {
                c.close();
            } catch (RuntimeException ignored) {
                // the driver may already be gone at shutdown
            }
        }
        all.clear();
        names.clear();
    }
}
