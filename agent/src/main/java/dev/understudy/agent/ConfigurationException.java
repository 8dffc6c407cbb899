package dev.understudy.agent;

import java.util.List;

/**
 * The configuration is invalid. Carries every problem found — {@link Configuration} validates
 * all keys at once, so an operator fixes a bad command line in one round.
 *
 * <p>Each problem names the key, the value, where it came from and what is allowed, e.g.
 * {@code invalid understudy.vip: value=300.1.1.1 (from argument), expected IPv4 address};
 * problems with the sources themselves (unknown or repeated keys, an unreadable
 * {@code understudy.config} file) come first, then one per key in key order. The message
 * joins them with {@code "; "} into one line.
 */
public final class ConfigurationException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Problems, in key order. */
    private final List<String> problems;

    /**
     * @param problems at least one problem description.
     */
    public ConfigurationException(final List<String> problems) {
        super(String.join("; ", problems));
        this.problems = List.copyOf(problems);
    }

    /**
     * @return every problem found, in the order above; never empty.
     */
    public List<String> problems() {
        return problems;
    }
}
