package dev.understudy.benchmarks.failover;

import java.util.Locale;

/** What a round of the failover harness does to the node that serves the VIP. */
public enum FailureKind {
    /** SIGKILL of the serving node's server process; the node's kernel stays up and closes its sockets. */
    PROCESS_KILL,
    /** The serving node's link taken down at the switch (machine loss): the node sends and receives nothing more. */
    LINK_DOWN;

    /** The command-line and JSON name: {@code process-kill}, {@code link-down}. */
    public String label() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The kind named {@code label}. */
    public static FailureKind of(String label) {
        for (FailureKind k : values()) {
            if (k.label().equals(label)) {
                return k;
            }
        }
        throw new IllegalArgumentException("invalid failure kind: value=" + label + ", expected process-kill|link-down");
    }
}
