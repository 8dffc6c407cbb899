package dev.understudy.agent;

/**
 * Renders {@link Configuration#KEYS} as the Markdown block that sits in the README between
 * {@value #BEGIN_MARKER} and {@value #END_MARKER}. {@code ConfigurationTableTest} fails when
 * the README's block differs from {@link #markdown()}.
 *
 * <p>Run {@code java -jar agent/target/understudy-agent.jar --config-table} (or this class's
 * {@link #main}) and paste the output between the markers.
 */
public final class ConfigurationTable {
    /** Line before the generated block in README.md. */
    public static final String BEGIN_MARKER = "<!-- config-table:begin -->";
    /** Line after the generated block in README.md. */
    public static final String END_MARKER = "<!-- config-table:end -->";

    private ConfigurationTable() {
    }

    /**
     * Prints {@link #markdown()} to stdout.
     *
     * @param args ignored.
     */
    public static void main(final String[] args) {
        System.out.print(markdown());
    }

    /**
     * @return the precedence note and the table, ending with a newline.
     */
    public static String markdown() {
        final StringBuilder sb = new StringBuilder();
        sb.append("Generated from `dev.understudy.agent.Configuration` by ")
            .append("`java -jar agent/target/understudy-agent.jar --config-table`; a test keeps it in sync.\n")
            .append("Each key is read from, in this order of precedence: the agent argument ")
            .append("(`-javaagent:understudy-agent.jar=role=clone,node.id=2,ports=8080,8081`, key without `understudy.`), ")
            .append("the system property (`-Dunderstudy.role=clone`), the environment variable (`UNDERSTUDY_ROLE=clone`), ")
            .append("the file named by `config` (`config=/etc/understudy.properties`, `-Dunderstudy.config=...` or ")
            .append("`UNDERSTUDY_CONFIG=...`: a Java properties file with the same keys, `understudy.` prefix optional), ")
            .append("then the default; the start-up block says per key where its value came from ")
            .append("(argument, property, environment, file:PATH, default). ")
            .append("All keys are validated together at start-up. On any error, an unreadable config file included, ")
            .append("the agent prints one line naming each bad key, its value, where it came from and what is allowed, ")
            .append("then halts the JVM with exit status ").append(Agent.CONFIGURATION_EXIT_STATUS)
            .append(" before `main` runs: the application never starts unprotected. ")
            .append("(A dynamic attach with a bad configuration is refused instead; the running application carries on.)\n\n");
        sb.append("| Key | Environment | Default | Allowed values | Meaning |\n");
        sb.append("|---|---|---|---|---|\n");
        for (final Configuration.Key k : Configuration.KEYS) {
            sb.append("| `").append(k.property()).append("` | `").append(k.environment()).append("` | ")
                .append(k.defaultValue().isEmpty() ? "(none)" : "`" + k.defaultValue() + "`").append(" | ")
                .append(escape(k.allowed())).append(" | ")
                .append(escape(k.meaning())).append(" |\n");
        }
        return sb.toString();
    }

    private static String escape(final String s) {
        return s.replace("|", "\\|");
    }
}
