package dev.understudy.netfilter.rules;

import java.io.IOException;

/**
 * A rule installed by {@link Iptables#install}; {@link #close()} removes it (every copy), and
 * a JVM shutdown hook does so for rules still installed at exit.
 *
 * <p>Thread-safety: {@link #close()} is idempotent and may be called from any thread.
 */
public final class InstalledRule implements AutoCloseable {
    private final Iptables iptables;
    private final IptablesRule rule;
    private final boolean added;
    private volatile boolean closed;

    InstalledRule(Iptables iptables, IptablesRule rule, boolean added) {
        this.iptables = iptables;
        this.rule = rule;
        this.added = added;
    }

    public IptablesRule rule() {
        return rule;
    }

    /** True when this install added the rule; false when it was already there. */
    public boolean added() {
        return added;
    }

    /**
     * Removes the rule now.
     *
     * @throws IOException when iptables fails
     */
    public synchronized void remove() throws IOException {
        if (closed) {
            return;
        }
        iptables.remove(rule);
        closed = true;
        iptables.forget(this);
    }

    /** Removes the rule; failures are reported to {@link dev.understudy.netfilter.NetfilterLog} (cleanup must not throw). */
    @Override
    public void close() {
        try {
            remove();
        } catch (IOException | RuntimeException e) {
            dev.understudy.netfilter.NetfilterLog.warn("iptables", "could not remove rule " + rule + ": " + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "InstalledRule{" + rule + (closed ? ", removed" : "") + '}';
    }
}
