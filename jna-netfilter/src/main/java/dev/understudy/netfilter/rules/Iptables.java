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
 * removed by {@link InstalledRule#close()} and, failing that, by a JVM shutdown hook.
 *
 * <p>Thread-safety: thread-safe; iptables' own lock ({@code -w}) serialises concurrent writers.
 */
public final class Iptables {
    public static final String TOOL = "iptables-legacy";
    public static final String DEBIAN_PACKAGE = "iptables";
    private static final long TIMEOUT_SECONDS = 20;
    private static final Set<InstalledRule> LIVE = ConcurrentHashMap.newKeySet();
    private static volatile boolean hookInstalled;

    private final List<String> prefix;
    private final String where;

    private Iptables(List<String> prefix, String where) {
        this.prefix = List.copyOf(prefix);
        this.where = where;
    }

    /**
     * Rules in this process's network namespace.
     *
     * @throws IOException when {@code iptables-legacy} is not installed, naming the Debian package
     */
    public static Iptables local() throws IOException {
        return new Iptables(List.of(tool()), "this namespace");
    }

    /** Rules in network namespace {@code ns} ({@code ip netns exec ns iptables-legacy ...}). */
    public static Iptables inNamespace(String ns) throws IOException {
        if (ns == null || !ns.matches("[A-Za-z0-9_.-]{1,64}")) {
            throw new IllegalArgumentException("invalid network namespace: value=" + ns + ", expected a netns name");
        }
        return new Iptables(List.of("ip", "netns", "exec", ns, tool()), "namespace " + ns);
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
        boolean added = false;
        if (!exists(rule)) {
            Result r = run(rule.arguments(rule.insertFirst() ? "-I" : "-A"));
            if (r.exit != 0) {
                throw new IOException(describe(rule.insertFirst() ? "-I" : "-A", rule) + " exited " + r.exit + ": " + r.output.trim());
            }
            added = true;
        }
        InstalledRule installed = new InstalledRule(this, rule, added);
        registerHook();
        LIVE.add(installed);
        return installed;
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

    /** Lists a table ({@code -S}), for diagnostics. */
    public String list(String table) throws IOException {
        List<String> args = List.of("-w", "5", "-t", table, "-S");
        Result r = run(args);
        if (r.exit != 0) {
            throw new IOException(TOOL + " -t " + table + " -S in " + where + " exited " + r.exit + ": " + r.output.trim());
        }
        return r.output;
    }

    void forget(InstalledRule rule) {
        LIVE.remove(rule);
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
            for (InstalledRule r : LIVE.toArray(new InstalledRule[0])) {
                r.close();
            }
        }, "iptables-rules-cleanup"));
    }

    private record Result(int exit, String output) {
    }

    private Result run(List<String> args) throws IOException {
        List<String> cmd = new ArrayList<>(prefix);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        Process p = pb.start();
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
