package dev.understudy.agent.node;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The optional takeover command ({@code understudy.takeover.command}, like keepalived's notify
 * scripts): run with {@code /bin/sh -c} when this node becomes primary (once it holds the VIP) and
 * when it stops serving as primary, for environments where the VIP moves through an API. It runs
 * on a thread of its own, so the switchover never waits for it; it gets at most
 * {@link #TIMEOUT_SECONDS} s (then it is killed), and its exit status and output go to the log.
 * A failure to start it is logged too, never thrown.
 */
public final class TakeoverCommand {
    /** Events: this node became primary, or stopped serving as primary. */
    public static final String PRIMARY = "primary";
    public static final String STOPPED = "stopped";
    static final int TIMEOUT_SECONDS = 10;
    private static final int OUTPUT_LIMIT = 4096;
    private static final String LOG = "takeover";

    private TakeoverCommand() {
    }

    /**
     * Starts {@code command} (nothing when empty) for {@code event} and returns at once.
     *
     * @return the thread that runs it, or null when there is no command
     */
    public static Thread start(String command, String event, String vip, String interfaceName, int nodeId, long epoch) {
        return start(command, event, vip, interfaceName, nodeId, epoch, TimeUnit.SECONDS.toMillis(TIMEOUT_SECONDS));
    }

    /** As {@link #start(String, String, String, String, int, long)}, killed after {@code timeoutMs} (tests). */
    static Thread start(String command, String event, String vip, String interfaceName, int nodeId, long epoch,
                        long timeoutMs) {
        if (command == null || command.isEmpty()) {
            return null;
        }
        Thread t = new Thread(() -> run(command, event, vip, interfaceName, nodeId, epoch, timeoutMs),
            "understudy-takeover-command");
        t.setDaemon(true);
        t.start();
        return t;
    }

    private static void run(String command, String event, String vip, String interfaceName, int nodeId, long epoch,
                            long timeoutMs) {
        long t0 = System.nanoTime();
        try {
            // sh -c CMD NAME ARG sets $0 to NAME and $1 to ARG: the event is "$1" (and UNDERSTUDY_EVENT)
            ProcessBuilder pb = new ProcessBuilder(List.of("/bin/sh", "-c", command, "understudy-takeover", event));
            pb.redirectErrorStream(true);
            pb.environment().put("UNDERSTUDY_EVENT", event);
            pb.environment().put("UNDERSTUDY_VIP", vip);
            pb.environment().put("UNDERSTUDY_INTERFACE", interfaceName);
            pb.environment().put("UNDERSTUDY_NODE", Integer.toString(nodeId));
            pb.environment().put("UNDERSTUDY_EPOCH", Long.toString(epoch));
            Process p = pb.start();
            p.getOutputStream().close();
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            Thread reader = new Thread(() -> copy(p.getInputStream(), out), "understudy-takeover-output");
            reader.setDaemon(true);
            reader.start();
            boolean done = p.waitFor(timeoutMs, TimeUnit.MILLISECONDS);
            if (!done) {
                // the shell first (killing its children first let it run the command's next step), then the
                // children it had started (listed before: once the shell is gone they are no longer its descendants)
                List<ProcessHandle> children = p.descendants().toList();
                p.destroyForcibly();
                children.forEach(ProcessHandle::destroyForcibly);
                p.waitFor(1, TimeUnit.SECONDS);
            }
            reader.join(1000);
            String text;
            synchronized (out) {
                text = out.toString(StandardCharsets.UTF_8).strip();
            }
            long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
            if (!done) {
                AgentLog.log(LogLevel.ERROR, LOG, "takeover command (" + event + ") killed after " + timeoutMs + " ms: "
                    + command + (text.isEmpty() ? "" : "; output: " + text), null);
            } else {
                AgentLog.log(p.exitValue() == 0 ? LogLevel.INFO : LogLevel.ERROR, LOG, "takeover command (" + event + ") exited "
                    + p.exitValue() + " after " + ms + " ms" + (text.isEmpty() ? "" : "; output: " + text), null);
            }
        } catch (IOException e) {
            AgentLog.log(LogLevel.ERROR, LOG, "takeover command (" + event + ") could not start: " + command + ": " + e, null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void copy(InputStream in, ByteArrayOutputStream out) {
        byte[] b = new byte[1024];
        try (in) {
            int n;
            while ((n = in.read(b)) > 0) {
                synchronized (out) {
                    if (out.size() < OUTPUT_LIMIT) {
                        out.write(b, 0, Math.min(n, OUTPUT_LIMIT - out.size()));
                    }
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
    }
}
