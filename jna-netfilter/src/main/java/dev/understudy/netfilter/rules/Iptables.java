package dev.understudy.netfilter.rules;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Installs and removes {@link IptablesRule}s with {@code iptables-legacy} (the kernel here has
 * the xt NFQUEUE target, not the nftables queue expression; shared KERNEL.md). Rules go into
 * the network namespace of this process, or of {@link #inNamespace(String) a named one}.
 * Spawning the tool is fine here: rules change at start, stop and switchover, never per packet.
 *
 * <p>Installing is idempotent ({@code -C} first); every rule installed through this class is
 * removed by {@link InstalledRule#close()} and, failing that, by a JVM shutdown hook; so is every
 * chain installed with {@link #installChain} ({@link InstalledChain#close()}). A process killed
 * with SIGKILL runs no hook: its rules and chains stay, which is what the close guard relies on.
 *
 * <p>Thread-safety: thread-safe; iptables' own lock ({@code -w}) serialises concurrent writers.
 */
public final class Iptables {
    public static final String TOOL = "iptables-legacy";
    /** Applies a whole table in one commit (the chains it names are flushed and refilled atomically). */
    public static final String RESTORE_TOOL = "iptables-legacy-restore";
    public static final String DEBIAN_PACKAGE = "iptables";
    private static final long TIMEOUT_SECONDS = 20;
    private static final Set<AutoCloseable> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    /** What runs the tools: empty, or {@code ip netns exec NS}. */
    private final List<String> launcher;
    private final String tool;
    private final String where;

    private Iptables(List<String> launcher, String tool, String where) {
        this.launcher = List.copyOf(launcher);
        this.tool = tool;
        this.where = where;
    }

    /**
     * Rules in this process's network namespace.
     *
     * @throws IOException when {@code iptables-legacy} is not installed, naming the Debian package
     */
    public static Iptables local() throws IOException {
        return new Iptables(List.of(), tool(), "this namespace");
    }

    /** Rules in network namespace {@code ns} ({@code ip netns exec ns iptables-legacy ...}). */
    public static Iptables inNamespace(String ns) throws IOException {
        if (ns == null || !ns.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("invalid network namespace: value=" + ns + ", expected a netns name");
        }
        return new Iptables(List.of("ip", "netns", "exec", ns), tool(), "namespace " + ns);
    }

    /** The absolute path of iptables-legacy. */
    static String tool() throws IOException {
        return tool(System.getenv().getOrDefault("PATH", "") + ":/usr/sbin:/sbin:/usr/local/sbin");
    }

    /** Finds iptables-legacy on {@code path} (a PATH-style list). */
    static String tool(String path) throws IOException {
        for (String dir : path.split(File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir, TOOL))) {
                return Path.of(dir, TOOL).toString();
            }
        }
        throw new IOException("missing tool: " + TOOL + " (install the Debian package '" + DEBIAN_PACKAGE + "')");
    }

    /** The absolute path of iptables-legacy-restore, beside iptables-legacy. */
    private String restoreTool() throws IOException {
        Path restore = Path.of(tool).resolveSibling(RESTORE_TOOL);
        if (!Files.isExecutable(restore)) {
            throw new IOException("missing tool: " + restore + " (install the Debian package '" + DEBIAN_PACKAGE + "')");
        }
        return restore.toString();
    }

    /** True when the rule is present ({@code -C}). */
    public boolean exists(IptablesRule rule) throws IOException {
        Result r = run(rule.arguments("-C"));
        if (r.exit == 0) {
            return true;
        }
        if (r.exit == 1) {
            return false;
        }
        throw new IOException(describe("-C", rule) + " exited " + r.exit + ": " + r.output.trim());
    }

    /**
     * Adds the rule unless it is there already, and registers it for removal on
     * {@link InstalledRule#close()} and JVM exit.
     *
     * @throws IOException when iptables fails (its output is in the message)
     */
    public InstalledRule install(IptablesRule rule) throws IOException {
        boolean added = addIfAbsent(rule);
        InstalledRule installed = new InstalledRule(this, rule, added);
        registerHook();
        LIVE.add(installed);
        return installed;
    }

    /** Adds the rule unless it is there already; true when it added it. */
    private boolean addIfAbsent(IptablesRule rule) throws IOException {
        if (exists(rule)) {
            return false;
        }
        String op = rule.insertFirst() ? "-I" : "-A";
        Result r = run(rule.arguments(op));
        if (r.exit != 0) {
            throw new IOException(describe(op, rule) + " exited " + r.exit + ": " + r.output.trim());
        }
        return true;
    }

    /**
     * Removes every copy of the rule. No error when it is absent.
     *
     * @return the number of copies removed
     */
    public int remove(IptablesRule rule) throws IOException {
        int removed = 0;
        while (removed < 64 && exists(rule)) {
            Result r = run(rule.arguments("-D"));
            if (r.exit != 0) {
                throw new IOException(describe("-D", rule) + " exited " + r.exit + ": " + r.output.trim());
            }
            removed++;
        }
        return removed;
    }

    /**
     * Creates user-defined chain {@code chain} in {@code table}, or flushes it if it exists (a
     * stale copy left by a process that died), and fills it with {@code rules}, in one commit of
     * {@value #RESTORE_TOOL} {@code --noflush}: there is no moment with the chain half filled
     * (legacy iptables replaces the whole table at once). Then makes sure {@code jump} (the rule
     * that sends traffic into the chain) is there. Registers the chain for removal on
     * {@link InstalledChain#close()} and JVM exit.
     *
     * @param rules every rule must be of {@code table} and {@code chain} and appended ({@code -A})
     * @param jump  a rule of another chain of {@code table} whose target is {@code chain}
     * @throws IOException when a tool fails (its output is in the message); what this call created
     *                     is then removed again
     */
    public InstalledChain installChain(String table, String chain, List<IptablesRule> rules, IptablesRule jump) throws IOException {
        checkChain(table, chain, rules, jump);
        StringBuilder in = new StringBuilder();
        in.append('*').append(table).append('\n');
        in.append(':').append(chain).append(" - [0:0]\n");
        for (IptablesRule r : rules) {
            in.append("-A ").append(chain).append(' ').append(String.join(" ", r.spec())).append('\n');
        }
        in.append("COMMIT\n");
        List<String> args = List.of(restoreTool(), "-w", "5", "--noflush");
        Result r = run(args, in.toString());
        if (r.exit != 0) {
            throw new IOException(RESTORE_TOOL + " --noflush of chain " + chain + " in " + where + " exited " + r.exit + ": "
                + r.output.trim() + "\n" + in);
        }
        InstalledChain installed = new InstalledChain(this, table, chain, jump);
        try {
            addIfAbsent(jump);
        } catch (IOException | RuntimeException e) {
            installed.close();
            throw e;
        }
        registerHook();
        LIVE.add(installed);
        return installed;
    }

    /**
     * Removes every copy of {@code jump}, then flushes and deletes {@code chain} ({@code -F},
     * {@code -X}). No error when they are absent.
     *
     * @return whether the chain existed
     */
    public boolean removeChain(String table, String chain, IptablesRule jump) throws IOException {
        checkChain(table, chain, List.of(), jump);
        if (!chainExists(table, chain)) {
            return false; // and no jump to it: iptables refuses a jump to a missing chain
        }
        remove(jump);
        for (String op : List.of("-F", "-X")) {
            Result r = run(List.of("-w", "5", "-t", table, op, chain));
            if (r.exit != 0) {
                throw new IOException(TOOL + " -t " + table + " " + op + " " + chain + " in " + where + " exited " + r.exit + ": "
                    + r.output.trim());
            }
        }
        return true;
    }

    /** True when user-defined chain {@code chain} exists in {@code table}. */
    public boolean chainExists(String table, String chain) throws IOException {
        Result r = run(List.of("-w", "5", "-t", table, "-S", IptablesRule.chainName(chain)));
        if (r.exit == 0) {
            return true;
        }
        if (r.exit == 1) {
            return false; // "No chain/target/match by that name."
        }
        throw new IOException(TOOL + " -t " + table + " -S " + chain + " in " + where + " exited " + r.exit + ": " + r.output.trim());
    }

    /** The rules of one chain as {@code -S} prints them ({@code -N CHAIN} first), for checks and diagnostics. */
    public String listChain(String table, String chain) throws IOException {
        Result r = run(List.of("-w", "5", "-t", table, "-S", IptablesRule.chainName(chain)));
        if (r.exit != 0) {
            throw new IOException(TOOL + " -t " + table + " -S " + chain + " in " + where + " exited " + r.exit + ": " + r.output.trim());
        }
        return r.output;
    }

    private static void checkChain(String table, String chain, List<IptablesRule> rules, IptablesRule jump) {
        IptablesRule.chainName(chain);
        for (IptablesRule r : rules) {
            if (!r.table().equals(table) || !r.chain().equals(chain) || r.insertFirst()) {
                throw new IllegalArgumentException("invalid rule for chain " + chain + " of table " + table + ": value=" + r
                    + ", expected -t " + table + " -A " + chain);
            }
        }
        List<String> spec = jump.spec();
        if (!jump.table().equals(table) || jump.chain().equals(chain) || spec.size() < 2
            || !spec.get(spec.size() - 2).equals("-j") || !spec.get(spec.size() - 1).equals(chain)) {
            throw new IllegalArgumentException("invalid jump to chain " + chain + ": value=" + jump + ", expected a rule of table "
                + table + " ending in -j " + chain);
        }
    }

    /** Lists a table ({@code -S}), for diagnostics. */
    public String list(String table) throws IOException {
        List<String> args = List.of("-w", "5", "-t", table, "-S");
        Result r = run(args);
        if (r.exit != 0) {
            throw new IOException(TOOL + " -t " + table + " -S in " + where + " exited " + r.exit + ": " + r.output.trim());
        }
        return r.output;
    }

    void forget(AutoCloseable installed) {
        LIVE.remove(installed);
    }

    private String describe(String op, IptablesRule rule) {
        return TOOL + " " + String.join(" ", rule.arguments(op)) + " in " + where;
    }

    private static synchronized void registerHook() {
        if (hookInstalled) {
            return;
        }
        hookInstalled = true;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (AutoCloseable r : LIVE.toArray(new AutoCloseable[0])) {
                try {
                    r.close();
                } catch (Exception e) {
                    // InstalledRule and InstalledChain report their own failures and do not throw
                }
            }
        }, "iptables-rules-cleanup"));
    }

    private record Result(int exit, String output) {
    }

    private Result run(List<String> args) throws IOException {
        List<String> full = new ArrayList<>();
        full.add(tool);
        full.addAll(args);
        return run(full, null);
    }

    /** Runs {@code command} (tool first) under the launcher, {@code input} (or nothing) on its stdin. */
    private Result run(List<String> command, String input) throws IOException {
        List<String> cmd = new ArrayList<>(launcher);
        cmd.addAll(command);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        if (input == null) {
            pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        }
        Process p = pb.start();
        if (input != null) {
            try (java.io.OutputStream stdin = p.getOutputStream()) {
                stdin.write(input.getBytes(StandardCharsets.UTF_8));
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (InputStream in = p.getInputStream()) {
            in.transferTo(out);
            if (!p.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", cmd) + " timed out after " + TIMEOUT_SECONDS + " s");
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while running " + String.join(" ", cmd), e);
        }
        return new Result(p.exitValue(), out.toString(StandardCharsets.UTF_8));
    }
}
