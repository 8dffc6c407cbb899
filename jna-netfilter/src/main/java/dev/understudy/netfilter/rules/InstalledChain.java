package dev.understudy.netfilter.rules;

import java.io.IOException;

/**
 * A user-defined chain installed by {@link Iptables#installChain} together with the rule that
 * jumps into it; {@link #close()} removes both (jump first, then {@code -F} and {@code -X}), and a
 * JVM shutdown hook does so for chains still installed at a clean exit. After SIGKILL nothing
 * runs: the chain stays in the kernel until someone removes it.
 *
 * <p>Thread-safety: {@link #close()} is idempotent and may be called from any thread.
 */
public final class InstalledChain implements AutoCloseable {
    private final Iptables iptables;
    private final String table;
    private final String chain;
    private final IptablesRule jump;
    private volatile boolean closed;

    InstalledChain(Iptables iptables, String table, String chain, IptablesRule jump) {
        this.iptables = iptables;
        this.table = table;
        this.chain = chain;
        this.jump = jump;
    }

    public String table() {
        return table;
    }

    public String chain() {
        return chain;
    }

    /** The rule that sends traffic into the chain. */
    public IptablesRule jump() {
        return jump;
    }

    /**
     * Removes the jump and the chain now.
     *
     * @throws IOException when iptables fails
     */
    public synchronized void remove() throws IOException {
        if (closed) {
            return;
        }
        iptables.removeChain(table, chain, jump);
        closed = true;
        iptables.forget(this);
    }

    /** Removes the jump and the chain; failures go to {@link dev.understudy.netfilter.NetfilterLog} (cleanup must not throw). */
    @Override
    public void close() {
        try {
            remove();
        } catch (IOException | RuntimeException e) {
            dev.understudy.netfilter.NetfilterLog.warn("iptables", "could not remove chain " + chain + " of table " + table + ": "
                + e.getMessage());
        }
    }

    @Override
    public String toString() {
        return "InstalledChain{-t " + table + " " + chain + ", jump " + jump + (closed ? ", removed" : "") + '}';
    }
}
