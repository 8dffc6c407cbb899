package dev.understudy.agent;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.clone.CloneNode;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.agent.primary.PrimaryNode;
import dev.understudy.interceptors.InstallReport;
import dev.understudy.interceptors.Interceptors;
import java.io.File;
import java.lang.instrument.Instrumentation;
import java.util.Map;
import java.util.jar.JarFile;

/**
 * Starts what the node's role asks for, in {@code premain}, before the application's
 * {@code main}: a primary records (capture, interceptors, replication, input commit); a clone
 * follows the primary's log into its journal and acknowledges it; a standalone agent only
 * observes.
 *
 * <p>A primary or clone that cannot start stops the JVM ({@link #fatal}): a service configured
 * to be protected must never run unprotected by accident.
 */
final class NodeRuntime {
    /** Exit status of a JVM whose protection could not start (EX_SOFTWARE, sysexits.h). */
    static final int EXIT_START_FAILED = 70;
    private static final String LOG = "node";
    private static volatile AutoCloseable running;
    private static volatile boolean haltOnFailure = true;

    private NodeRuntime() {
    }

    static void start(Configuration c, Instrumentation inst, Map<String, String> boot) {
        // At premain a role that cannot start stops the JVM before main; at a dynamic attach the
        // application is already serving (unprotected): it is left running and told why not.
        haltOnFailure = !"agentmain".equals(boot.get("attach"));
        if (c.role() != Configuration.Role.STANDALONE && c.failover() == Configuration.Failover.ON) {
            checkOrphanRetries(java.nio.file.Path.of("/proc/sys/net/ipv4/tcp_orphan_retries"));
        }
        switch (c.role()) {
            case PRIMARY:
                startPrimary(c, inst, boot);
                break;
            case CLONE:
                startClone(c, inst, boot);
                break;
            default:
                break;
        }
    }

    /** Above this, a killed primary's orphaned client sockets outlive a takeover by this node. */
    static final int ORPHAN_RETRIES_MAX = 2;

    /**
     * Warns when this node's kernel keeps orphaned sockets long: when a primary JVM dies, its node's
     * kernel keeps every client socket as an orphan (the close guard drops its FIN, and the kernel
     * retries it: about 100 s with the default 0, which means 8). They hold the clients' 4-tuples,
     * and while they live this node cannot rebuild those connections when it is elected again
     * (repair-mode connect fails EADDRNOTAVAIL; SOCK_DESTROY does nothing to an orphan).
     *
     * @return the warning, or null when the setting is short enough or unreadable
     */
    static String checkOrphanRetries(java.nio.file.Path sysctl) {
        String why = null;
        try {
            int v = Integer.parseInt(java.nio.file.Files.readString(sysctl).trim());
            if (v == 0 || v > ORPHAN_RETRIES_MAX) {
                why = "net.ipv4.tcp_orphan_retries is " + v + (v == 0 ? " (8 retries, about 100 s)" : "") + ": after a"
                    + " primary JVM dies on this node, its orphaned client sockets keep the clients' 4-tuples that long,"
                    + " and a takeover by this node meanwhile resets those connections; set it to 1 (sysctl -w"
                    + " net.ipv4.tcp_orphan_retries=1, per network namespace)";
                AgentLog.log(LogLevel.WARN, LOG, why, null);
            }
        } catch (java.io.IOException | RuntimeException e) {
            // not Linux, or /proc not mounted: nothing to say
        }
        return why;
    }

    /** The primary this clone becomes if it wins an election: this configuration's primary settings, this node the primary. */
    private static PrimaryNode.Settings successor(Configuration c) {
        return primarySettings(c, c.replicationConfig(c.nodeId()));
    }

    private static PrimaryNode.Settings primarySettings(Configuration c, dev.understudy.transport.aeron.ReplicationConfig rc) {
        return new PrimaryNode.Settings(c.nodeId(), ipv4(c.vip().getAddress()),
            c.vip().getHostAddress(), c.servicePorts(), c.ackQuorum(), c.degradedMode() == Configuration.DegradedMode.SERVE,
            rc, c.journalConfig(), c.nfQueueConfig(), c.idleStrategy().transportName(),
            c.determinism() == Configuration.Determinism.SERIAL, c.nodeCount(), c.interfaceName(), c.failureTimeoutNs(),
            c.takeoverCommand(), c.outputQueueConfig());
    }

    private static void startPrimary(Configuration c, Instrumentation inst, Map<String, String> boot) {
        if (!appendHookJar(inst, boot)) {
            return;
        }
        PrimaryNode node;
        try {
            node = PrimaryNode.start(primarySettings(c, c.replicationConfig()));
        } catch (Throwable t) {
            fatal("the primary could not start recording", t);
            return;
        }
        onShutdown(node);
        node.registerOperations();
        try {
            InstallReport report = Interceptors.install(inst, node.hook());
            if (!report.ok()) {
                fatal("interceptors not installed: " + report.describe(), null);
                return;
            }
            installDeterminism(inst, node.valueHook());
            AgentLog.log(LogLevel.INFO, LOG, "primary recording ports " + java.util.Arrays.toString(c.servicePorts())
                + " on " + c.vip().getHostAddress() + ", ack quorum " + c.ackQuorum() + "; " + report.describe(), null);
        } catch (Throwable t) {
            fatal("interceptors could not be installed", t);
        }
    }

    private static void startClone(Configuration c, Instrumentation inst, Map<String, String> boot) {
        if (!appendHookJar(inst, boot)) {
            return;
        }
        CloneNode node;
        try {
            node = CloneNode.start(new CloneNode.Settings(c.nodeId(), PrimaryNode.EPOCH, c.replicationConfig(),
                c.journalConfig(), c.idleStrategy().transportName(), c.servicePorts(),
                c.determinism() == Configuration.Determinism.SERIAL, c.applyPolicy() == Configuration.ApplyPolicy.PERIODIC,
                c.checkpointIntervalNs(), c.failover() == Configuration.Failover.OFF ? null
                    : new CloneNode.Takeover(c.primaryNodeId(), ipv4(c.vip().getAddress()), c.vip().getHostAddress(),
                        c.interfaceName(), c.nfQueueConfig(), new dev.understudy.agent.election.ElectionConfig(c.nodeCount(),
                            c.ackQuorum(), c.heartbeatIntervalNs(), c.failureTimeoutNs()), successor(c), c::replicationConfig)));
        } catch (Throwable t) {
            fatal("the clone could not start", t);
            return;
        }
        onShutdown(node);
        try {
            InstallReport report = Interceptors.install(inst, node.hook());
            if (!report.ok()) {
                fatal("interceptors not installed: " + report.describe(), null);
                return;
            }
            installDeterminism(inst, node.valueHook());
            AgentLog.log(LogLevel.INFO, LOG, "clone following node " + c.primaryNodeId() + " into " + c.journalDirectory()
                + ", replaying ports " + java.util.Arrays.toString(c.servicePorts()) + " into the application ("
                + c.determinism().name().toLowerCase(java.util.Locale.ROOT).replace('_', '-') + ", apply "
                + c.applyPolicy().name().toLowerCase(java.util.Locale.ROOT) + "); " + report.describe(), null);
        } catch (Throwable t) {
            fatal("interceptors could not be installed", t);
        }
    }

    /**
     * Serial mode: clock and randomness call sites go through {@code hook} (a primary records the
     * values its application reads in turns, a clone hands them back). Application classes are
     * every class but the JDK's and the agent's own; a target that does not transform stops the JVM
     * like the socket interceptors.
     */
    private static void installDeterminism(Instrumentation inst, dev.understudy.interceptors.hook.ValueHook hook) {
        if (hook == null) {
            return;
        }
        InstallReport report = dev.understudy.interceptors.Determinism.install(inst, hook, APPLICATION_TYPES);
        if (!report.ok()) {
            fatal("clock and randomness interceptors not installed: " + report.describe(), null);
        }
    }

    private static final net.bytebuddy.matcher.ElementMatcher<net.bytebuddy.description.type.TypeDescription> APPLICATION_TYPES =
        net.bytebuddy.matcher.ElementMatchers.not(net.bytebuddy.matcher.ElementMatchers.<net.bytebuddy.description.type.TypeDescription>nameStartsWith("java.")
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("javax."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("jdk."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("sun."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("com.sun."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("dev.understudy.agent."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("dev.understudy.interceptors."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("dev.understudy.transport."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("dev.understudy.netfilter."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("net.bytebuddy."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("io.aeron."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("org.agrona."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("net.openhft."))
            .or(net.bytebuddy.matcher.ElementMatchers.nameStartsWith("org.slf4j.")));

    /** Puts the interceptors' hook jar on the bootstrap class path (first: the hooks implement its interface). */
    private static boolean appendHookJar(Instrumentation inst, Map<String, String> boot) {
        try {
            String hookJar = boot.get("hook.jar");
            if (hookJar == null) {
                throw new IllegalStateException("the agent jar carries no interceptor hook jar");
            }
            inst.appendToBootstrapClassLoaderSearch(new JarFile(new File(hookJar)));
            return true;
        } catch (Throwable t) {
            fatal("the interceptors' hook jar could not be put on the bootstrap class path", t);
            return false;
        }
    }

    private static void onShutdown(AutoCloseable node) {
        running = node;
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
            } catch (Throwable ignored) {
                // the JVM is going away
            }
        }, "understudy-shutdown"));
    }

    /** Stops the JVM (at premain; at a dynamic attach: only the agent) with one line saying why. */
    static void fatal(String what, Throwable t) {
        try {
            AgentLog.log(LogLevel.ERROR, LOG, what + (t == null ? "" : ": " + RuntimeInfo.oneLine(t))
                + (haltOnFailure ? "; stopping the JVM (a protected service never runs unprotected)"
                    : "; attached late, the application keeps running unprotected"), null);
            if (t != null && AgentLog.enabled(LogLevel.DEBUG)) {
                t.printStackTrace();
            }
            AutoCloseable r = running;
            if (r != null) {
                r.close();
            }
        } catch (Throwable ignored) {
            // halting regardless
        }
        if (haltOnFailure) {
            Runtime.getRuntime().halt(EXIT_START_FAILED);
        }
    }

    private static int ipv4(byte[] b) {
        return ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    }
}
