package dev.understudy.netfilter;

/**
 * The one way the jna-netfilter library reports a condition it cannot return to a caller (a cleanup that
 * failed, a background loop that stopped): a warning line handed to a {@link Sink}. The agent
 * installs its own log as the sink at start, so everything ends in one place; without one, lines
 * go to the JDK's platform logger ({@code System.getLogger("dev.understudy.netfilter")}), never straight to
 * {@code System.err}.
 *
 * <p>Thread-safety: the sink is a volatile field; {@link #warn} may be called from any thread.
 */
public final class NetfilterLog {
    /** Receives the library's warnings. Must not throw; may be called from any thread. */
    @FunctionalInterface
    public interface Sink {
        /**
         * @param source  what reports (e.g. {@code nfqueue 101})
         * @param message the condition, naming the thing and the value
         */
        void warn(String source, String message);
    }

    private static final Sink PLATFORM = (source, message) ->
        System.getLogger("dev.understudy.netfilter").log(System.Logger.Level.WARNING, source + ": " + message);
    private static volatile Sink sink = PLATFORM;

    private NetfilterLog() {
    }

    /** Installs {@code s} as the sink ({@code null}: back to the platform logger). */
    public static void sink(Sink s) {
        sink = s == null ? PLATFORM : s;
    }

    /** Reports one warning; never throws. */
    public static void warn(String source, String message) {
        try {
            sink.warn(source, message);
        } catch (RuntimeException ignored) {
            // a broken sink must not break the caller
        }
    }
}
