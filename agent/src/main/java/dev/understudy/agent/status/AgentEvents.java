package dev.understudy.agent.status;

import jdk.jfr.Category;
import jdk.jfr.Description;
import jdk.jfr.Event;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * The agent's JFR events (enabled in any recording that enables {@code understudy.*}, e.g.
 * {@code -XX:StartFlightRecording:settings=profile}; off by default, and then an event costs one
 * {@code isEnabled} check). Stack traces are off: the events are fired by agent threads.
 */
public final class AgentEvents {
    private AgentEvents() {
    }

    /** The capture saw a client's SYN and the primary assigned a connection id. */
    @Name("understudy.ConnectionOpened")
    @Label("Connection opened")
    @Category({"Understudy", "Recording"})
    @StackTrace(false)
    public static final class ConnectionOpened extends Event {
        @Label("Connection id")
        public long connectionId;
        @Label("Client")
        public String client;
        @Label("Service port")
        public int servicePort;
    }

    /** The application closed a recorded connection. */
    @Name("understudy.ConnectionClosed")
    @Label("Connection closed")
    @Category({"Understudy", "Recording"})
    @StackTrace(false)
    public static final class ConnectionClosed extends Event {
        @Label("Connection id")
        public long connectionId;
        @Label("Bytes read")
        public long bytesRead;
        @Label("Bytes written")
        public long bytesWritten;
    }

    /** Held client segments released to the kernel once durable on the ack quorum (one range release). */
    @Name("understudy.InputCommit")
    @Label("Input commit")
    @Description("Client segments held until their records were durable on the ack quorum, released together")
    @Category({"Understudy", "Recording"})
    @StackTrace(false)
    public static final class InputCommit extends Event {
        @Label("Segments")
        public long segments;
        @Label("Longest hold")
        @Timespan(Timespan.NANOSECONDS)
        public long longestHold;
        @Label("Durable sequence")
        public long durableSequence;
    }

    /** A clone's application wrote, on a connection, bytes that differ from what the primary's wrote. */
    @Name("understudy.Divergence")
    @Label("Divergence")
    @Description("The first output range of a connection where the clone's application differs from the primary's")
    @Category({"Understudy", "Replay"})
    @StackTrace(false)
    public static final class Divergence extends Event {
        @Label("Connection id")
        public long connectionId;
        @Label("Output offset")
        public long offset;
    }

    /** A sample of a clone's replay lag (every second while replaying). */
    @Name("understudy.ReplayLag")
    @Label("Replay lag")
    @Category({"Understudy", "Replay"})
    @StackTrace(false)
    public static final class ReplayLag extends Event {
        @Label("Records behind")
        public long records;
        @Label("Lag")
        @Timespan(Timespan.MILLISECONDS)
        public long millis;
        @Label("Applied sequence")
        public long applied;
        @Label("Kept output bytes")
        public long keptBytes;
    }
}
