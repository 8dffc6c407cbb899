package dev.understudy.agent.node;

import dev.understudy.agent.Configuration.LogLevel;
import dev.understudy.agent.log.AgentLog;
import dev.understudy.agent.status.AgentCounters;
import dev.understudy.agent.status.NodeMBean;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import javax.management.ObjectName;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;

/**
 * The one agent thread of a node role (primary or clone): registers the node's JMX status, then
 * runs {@link Work#doWork} in a loop with the configured idle strategy until {@link #close}. A
 * failure of the work is logged once, counted in {@code agent errors}, and ends the loop (the
 * role then stops doing its job; what that means is the role's message, {@code whatStops}).
 *
 * <p>Thread-safety: {@link #start} and {@link #close} from any one thread; the work runs on the
 * duty thread only.
 */
public final class DutyCycle implements AutoCloseable {
    /** One duty cycle of a role. */
    @FunctionalInterface
    public interface Work {
        /**
         * @param nowNanos {@link System#nanoTime()} at the start of the cycle
         * @return work done (0 = idle)
         */
        int doWork(long nowNanos) throws Exception;
    }

    private static final long STOP_WAIT_SECONDS = 5;

    private final String log;
    private final String whatStops;
    private final Work work;
    private final IdleStrategy idle;
    private final AgentCounters counters;
    private final AtomicCounter errors;
    private final Thread thread;
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile ObjectName mbean;

    /**
     * @param threadName the thread's name
     * @param log        the log source of its lines
     * @param whatStops  what the role no longer does if the work fails (for the log line)
     */
    public DutyCycle(String threadName, String log, String whatStops, Work work, IdleStrategy idle,
                     AgentCounters counters, AtomicCounter errors) {
        this.log = log;
        this.whatStops = whatStops;
        this.work = work;
        this.idle = idle;
        this.counters = counters;
        this.errors = errors;
        this.thread = new Thread(this::run, threadName);
        thread.setDaemon(true);
    }

    public void start() {
        thread.start();
    }

    private void run() {
        try {
            mbean = NodeMBean.register(counters::snapshot);
        } catch (Exception e) {
            AgentLog.log(LogLevel.WARN, log, "no JMX status", e);
        }
        try {
            while (running) {
                idle.idle(work.doWork(System.nanoTime()));
            }
        } catch (Throwable t) {
            errors.increment();
            AgentLog.log(LogLevel.ERROR, log, "the duty cycle failed; " + whatStops, t);
        } finally {
            stopped.countDown();
        }
    }

    /** Stops the loop and waits for it (at most 5 s); unregisters the JMX status. */
    @Override
    public void close() {
        running = false;
        if (thread.getState() == Thread.State.NEW) {
            return; // never started
        }
        try {
            stopped.await(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        ObjectName name = mbean;
        if (name != null) {
            NodeMBean.unregister(name);
        }
    }
}
