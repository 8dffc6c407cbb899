package dev.understudy.agent.primary;

import dev.understudy.netfilter.rules.InstalledChain;
import dev.understudy.netfilter.rules.Iptables;
import dev.understudy.netfilter.rules.IptablesRule;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The close guard of a serving node: when only the primary's JVM dies, its kernel closes every
 * socket and would send a FIN or RST to every client at once (measured: clients of a killed
 * server see EOF ~7 ms later), long before a clone has taken the VIP and rebuilt the connections.
 * The guard keeps those in. It is a per-node chain in the filter table, reached from OUTPUT for TCP
 * leaving from the VIP, with one rule per service port:
 *
 * <pre>
 * -N UNDERSTUDY-GUARD-&lt;node.id&gt;
 * -I OUTPUT 1 -s VIP -p tcp -j UNDERSTUDY-GUARD-&lt;node.id&gt;
 * -A UNDERSTUDY-GUARD-&lt;node.id&gt; -p tcp --sport PORT ! --tcp-flags FIN,RST NONE -m mark ! --mark 0x75 -j DROP
 * </pre>
 *
 * With output commit on, one more rule per port follows, {@code -A UNDERSTUDY-GUARD-<node.id> -p tcp --sport PORT
 * -j NFQUEUE --queue-num OUT}: what passed the guard waits in the primary's output queue until it
 * is durable ({@link OutputCommit}); with the JVM gone that queue has no reader and the kernel
 * drops everything from the service ports.
 *
 * <p>A segment with FIN or RST from a service port leaves only when it carries the mark {@link #MARK}:
 * the primary's socket hook sets {@code SO_MARK} on the application's socket right before the
 * application itself shuts its output down or closes it ({@code SocketHook.beforeOutputEnds},
 * {@code onClose}), and TCP copies the socket's mark into every packet it sends from then on. The
 * kernel's own FINs and RSTs for the sockets of a dead process, and its RSTs for segments that
 * match no socket, carry none and are dropped. Inbound packets to a dead primary are dropped
 * anyway (its NFQUEUE capture rule has no reader: it fails closed), so the clients hear nothing
 * until the new primary answers.
 *
 * <p>The rules live in netfilter, so they outlive the JVM: a SIGKILLed primary leaves them in
 * place. A primary that starts replaces its node's chain in one commit ({@link #install}: a stale
 * chain from an earlier run is flushed and refilled, never removed first, so no kernel FIN slips
 * out in between); a clean shutdown ({@link #close()}, or the JVM's exit hooks) removes the jump
 * and the chain. A clone installs none, and leaves a stale one alone: the orphaned sockets of the
 * dead process may still be retransmitting their FINs (with the kernel's orphan retries, for
 * about 100 s), to clients that another node now serves.
 *
 * <p>The mark is a constant, not a configuration key: it matters only on the packets of a
 * service socket that the application has closed, and 0x75 avoids the bits Kubernetes (0x4000,
 * 0x8000), Calico (0xffff0000), Cilium (0x0f00), Istio (1337) and wg-quick (51820) use.
 *
 * <p>Thread-safety: {@link #close()} is idempotent and may be called from any thread.
 */
public final class CloseGuard implements AutoCloseable {
    /** The fwmark ({@code SO_MARK}) on the service sockets the application itself closes. */
    public static final int MARK = 0x75;
    /** Per-node chain name: this followed by the node id. */
    public static final String CHAIN_PREFIX = "UNDERSTUDY-GUARD-";
    static final String TABLE = "filter";

    private final InstalledChain chain;

    private CloseGuard(InstalledChain chain) {
        this.chain = chain;
    }

    /** {@code UNDERSTUDY-GUARD-<nodeId>}. */
    public static String chainName(int nodeId) {
        return CHAIN_PREFIX + nodeId;
    }

    /**
     * The rules of the chain: one guard rule per service port, then, with an output queue
     * ({@code outputQueue >= 0}), one output-commit rule per port that sends what passed the guard
     * to that NFQUEUE ({@link OutputCommit}).
     */
    public static List<IptablesRule> rules(int nodeId, int[] ports, int outputQueue) {
        List<IptablesRule> rules = new ArrayList<>(2 * ports.length);
        for (int port : ports) {
            rules.add(IptablesRule.closeGuard(chainName(nodeId), port, MARK));
        }
        if (outputQueue >= 0) {
            for (int port : ports) {
                rules.add(IptablesRule.outputCommit(chainName(nodeId), port, outputQueue));
            }
        }
        return rules;
    }

    /** The jump from filter/OUTPUT into the chain, for TCP from {@code vip}. */
    public static IptablesRule jump(int nodeId, String vip) {
        return IptablesRule.jumpFromOutput(vip, chainName(nodeId));
    }

    /**
     * Installs the guard of node {@code nodeId} for {@code vip}'s {@code ports}, with the output
     * commit's rules for NFQUEUE {@code outputQueue} ({@code -1}: none; its reader must be bound
     * first, a rule without one drops), replacing a stale chain of the same node in one commit. For
     * a node that starts serving: a primary at start, and a node that becomes primary later (before
     * it takes the VIP).
     *
     * @throws IOException when iptables fails (nothing of this call is left installed)
     */
    public static CloseGuard install(Iptables iptables, int nodeId, String vip, int[] ports, int outputQueue) throws IOException {
        return new CloseGuard(iptables.installChain(TABLE, chainName(nodeId), rules(nodeId, ports, outputQueue),
            jump(nodeId, vip)));
    }

    /** The chain's name. */
    public String chain() {
        return chain.chain();
    }

    /**
     * Removes the guard now (jump, then chain).
     *
     * @throws IOException when iptables fails
     */
    public void remove() throws IOException {
        chain.remove();
    }

    /** Removes the guard; failures are logged, not thrown. */
    @Override
    public void close() {
        chain.close();
    }

    @Override
    public String toString() {
        return "CloseGuard{" + chain + '}';
    }
}
