package dev.understudy.agent.bootstrap;

/**
 * The agent could not be set up (nested jars missing, cache directory unusable...). Its
 * message is written for the operator and printed as one line by {@link AgentBootstrap}.
 */
public final class LaunchException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /**
     * @param message what failed, naming the thing and the value.
     * @param cause   the underlying failure, may be {@code null}.
     */
    public LaunchException(final String message, final Throwable cause) {
        super(message, cause);
    }
}
