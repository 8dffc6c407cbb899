package dev.understudy.interceptors;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@link Interceptors#install} did on the running JDK: the targets it expected, the ones
 * whose class was retransformed with their advice, and the missing ones with the reason.
 * Immutable; returned, never printed: the caller decides how to log it and whether to go on.
 */
public final class InstallReport {

    private final String jdk;
    private final List<String> expected;
    private final List<String> transformed;
    private final Map<String, String> missing;

    InstallReport(String jdk, List<String> expected, List<String> transformed, Map<String, String> missing) {
        this.jdk = jdk;
        this.expected = List.copyOf(expected);
        this.transformed = List.copyOf(transformed);
        this.missing = Collections.unmodifiableMap(new LinkedHashMap<>(missing));
    }

    /** Whether every expected target was transformed. */
    public boolean ok() {
        return missing.isEmpty() && transformed.size() == expected.size();
    }

    /** The JDK the report is about ({@code Runtime.version()}). */
    public String jdk() {
        return jdk;
    }

    /** Every target, as {@code name=declaring.Class.method}, in install order. */
    public List<String> expected() {
        return expected;
    }

    /** The targets whose class the JVM accepted with advice. */
    public List<String> transformed() {
        return transformed;
    }

    /** Targets not transformed, each with why (not found on this JDK, transformation error). */
    public Map<String, String> missing() {
        return missing;
    }

    /** One readable line, e.g. {@code interceptors on JDK 25.0.3+9-LTS: 15/15 targets transformed}. */
    public String describe() {
        StringBuilder sb = new StringBuilder("interceptors on JDK ").append(jdk).append(": ")
                .append(transformed.size()).append('/').append(expected.size()).append(" targets transformed");
        if (!missing.isEmpty()) {
            List<String> parts = new ArrayList<>();
            missing.forEach((target, reason) -> parts.add(target + " (" + reason + ")"));
            sb.append("; missing: ").append(String.join(", ", parts));
        }
        return sb.toString();
    }

    @Override
    public String toString() {
        return describe();
    }
}
