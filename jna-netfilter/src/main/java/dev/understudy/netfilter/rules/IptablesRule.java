package dev.understudy.netfilter.rules;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One iptables rule: table, chain, whether it goes first in the chain, and its match/target
 * spec. The factories build the rules Understudy uses; values are validated so that nothing
 * but an address, a port and a queue number ever reaches the command line.
 *
 * @param table       e.g. {@code mangle}
 * @param chain       e.g. {@code PREROUTING}
 * @param insertFirst true: installed with {@code -I chain 1} (takes precedence); false: {@code -A}
 * @param spec        the rule spec, e.g. {@code -d 198.18.0.100 -p tcp --dport 7000 -j NFQUEUE --queue-num 3}
 */
public record IptablesRule(String table, String chain, boolean insertFirst, List<String> spec) {
    private static final Pattern IPV4 = Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}(/(3[0-2]|[12]?\\d))?");
    private static final Pattern NAME = Pattern.compile("[A-Za-z][A-Za-z0-9_-]{0,28}");

    public IptablesRule {
        if (table == null || !NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("invalid iptables table: value=" + table + ", expected a table name");
        }
        if (chain == null || !NAME.matcher(chain).matches()) {
            throw new IllegalArgumentException("invalid iptables chain: value=" + chain + ", expected a chain name");
        }
        spec = List.copyOf(spec);
    }

    /**
     * The capture rule: TCP to {@code vip:port} entering the host goes to NFQUEUE {@code queue}
     * ({@code -t mangle -A PREROUTING -d VIP -p tcp --dport PORT -j NFQUEUE --queue-num N}).
     * No {@code --queue-bypass}: with no reader bound the kernel drops (fails closed).
     */
    public static IptablesRule capture(String vip, int port, int queue) {
        return new IptablesRule("mangle", "PREROUTING", false,
            List.of("-d", address(vip), "-p", "tcp", "--dport", Integer.toString(port(port)), "-j", "NFQUEUE", "--queue-num",
                Integer.toString(queue(queue))));
    }

    /**
     * The capture rule spread over {@code queues} NFQUEUEs {@code firstQueue .. firstQueue + queues - 1}
     * ({@code -j NFQUEUE --queue-balance FIRST:LAST}), one reader per queue. The kernel picks the
     * queue by a hash of the source and destination address and the protocol (not the ports,
     * see {@code hash_v4} in {@code nf_queue.h}): a connection always lands in the same queue, and
     * all connections of one client address do too. {@code queues == 1} is {@link #capture}.
     * No {@code --queue-bypass} (fails closed), no {@code --queue-cpu-fanout}.
     */
    public static IptablesRule captureBalanced(String vip, int port, int firstQueue, int queues) {
        if (queues < 1 || queue(firstQueue) + queues - 1 > 65535) {
            throw new IllegalArgumentException("invalid NFQUEUE count: value=" + queues + ", expected 1.." + (65536 - firstQueue)
                + " from queue " + firstQueue);
        }
        if (queues == 1) {
            return capture(vip, port, firstQueue);
        }
        return new IptablesRule("mangle", "PREROUTING", false,
            List.of("-d", address(vip), "-p", "tcp", "--dport", Integer.toString(port(port)), "-j", "NFQUEUE", "--queue-balance",
                firstQueue + ":" + (firstQueue + queues - 1)));
    }

    /**
     * Hold-all: every TCP packet to {@code vip} (any port) goes to NFQUEUE {@code queue}; inserted
     * first in mangle/PREROUTING so that it wins over per-port capture rules. For switchover:
     * bind a queue whose handler says HOLD, install this, move, release.
     */
    public static IptablesRule holdAll(String vip, int queue) {
        return new IptablesRule("mangle", "PREROUTING", true,
            List.of("-d", address(vip), "-p", "tcp", "-j", "NFQUEUE", "--queue-num", Integer.toString(queue(queue))));
    }

    /**
     * DROP guard: silently drop TCP to {@code vip:port} (filter/INPUT, inserted first), so that a
     * node that has the VIP but not yet the connection does not answer with RST. Costs the
     * client a retransmission timeout; prefer holding in NFQUEUE (see shared KERNEL.md).
     */
    public static IptablesRule dropGuard(String vip, int port) {
        return new IptablesRule("filter", "INPUT", true,
            List.of("-d", address(vip), "-p", "tcp", "--dport", Integer.toString(port(port)), "-j", "DROP"));
    }

    /** DROP guard for every TCP port of {@code vip}. */
    public static IptablesRule dropGuardAll(String vip) {
        return new IptablesRule("filter", "INPUT", true, List.of("-d", address(vip), "-p", "tcp", "-j", "DROP"));
    }

    /**
     * The close guard's rule for one service port, in the per-node chain {@code chain} of the
     * filter table: drop a TCP segment from {@code port} that carries FIN or RST unless its
     * packet mark is {@code mark}
     * ({@code -A CHAIN -p tcp --sport PORT ! --tcp-flags FIN,RST NONE -m mark ! --mark MARK -j DROP}).
     * The agent marks a service socket ({@code SO_MARK}) just before the application itself
     * closes it or shuts its output down; the FINs and RSTs the kernel sends for a socket it
     * closes because the process died carry no mark and stay in. Lives in netfilter, so it
     * outlives the JVM.
     */
    public static IptablesRule closeGuard(String chain, int port, int mark) {
        return new IptablesRule("filter", chain, false,
            List.of("-p", "tcp", "--sport", Integer.toString(port(port)), "!", "--tcp-flags", "FIN,RST", "NONE", "-m", "mark", "!",
                "--mark", "0x" + Integer.toHexString(mark), "-j", "DROP"));
    }

    /**
     * The output commit's rule for one service port, in the close guard's per-node chain (after its
     * DROP rule): every TCP segment from {@code port} that passed the guard goes to NFQUEUE
     * {@code queue}, where the primary holds what carries stream bytes until the records that shaped
     * it are durable ({@code -A CHAIN -p tcp --sport PORT -j NFQUEUE --queue-num N}). No
     * {@code --queue-bypass}: with no reader bound (the JVM died) the kernel drops, so a dead
     * primary's node sends nothing from the service ports.
     */
    public static IptablesRule outputCommit(String chain, int port, int queue) {
        return new IptablesRule("filter", chainName(chain), false,
            List.of("-p", "tcp", "--sport", Integer.toString(port(port)), "-j", "NFQUEUE", "--queue-num",
                Integer.toString(queue(queue))));
    }

    /**
     * The jump into the close guard's chain: TCP leaving this host from {@code vip}, first in
     * filter/OUTPUT ({@code -I OUTPUT 1 -s VIP -p tcp -j CHAIN}).
     */
    public static IptablesRule jumpFromOutput(String vip, String chain) {
        return new IptablesRule("filter", "OUTPUT", true, List.of("-s", address(vip), "-p", "tcp", "-j", chainName(chain)));
    }

    /**
     * A user-defined chain name: iptables allows up to 28 characters ({@code XT_EXTENSION_MAXNAMELEN}
     * 29 with the NUL, linux/netfilter/x_tables.h); letters, digits, '-' and '_' here.
     */
    static String chainName(String chain) {
        if (chain == null || !NAME.matcher(chain).matches() || chain.length() > 28) {
            throw new IllegalArgumentException("invalid iptables chain: value=" + chain + ", expected [A-Za-z][A-Za-z0-9_-]{0,27}");
        }
        return chain;
    }

    /** The arguments after the tool name for {@code op} = {@code -C}, {@code -A}, {@code -I} or {@code -D}. */
    public List<String> arguments(String op) {
        List<String> args = new ArrayList<>();
        args.add("-w");
        args.add("5");
        args.add("-t");
        args.add(table);
        args.add(op);
        args.add(chain);
        if (op.equals("-I")) {
            args.add("1");
        }
        args.addAll(spec);
        return args;
    }

    /** The rule as one would type it after {@code iptables-legacy}. */
    @Override
    public String toString() {
        return "-t " + table + (insertFirst ? " -I " : " -A ") + chain + (insertFirst ? " 1 " : " ") + String.join(" ", spec);
    }

    static String address(String vip) {
        if (vip == null || !IPV4.matcher(vip).matches()) {
            throw new IllegalArgumentException("invalid IPv4 address: value=" + vip + ", expected a.b.c.d or a.b.c.d/len");
        }
        return vip;
    }

    static int port(int port) {
        if (port < 1 || port > 65535) {
            throw new IllegalArgumentException("invalid TCP port: value=" + port + ", expected 1..65535");
        }
        return port;
    }

    static int queue(int queue) {
        if (queue < 0 || queue > 65535) {
            throw new IllegalArgumentException("invalid NFQUEUE number: value=" + queue + ", expected 0..65535");
        }
        return queue;
    }
}
