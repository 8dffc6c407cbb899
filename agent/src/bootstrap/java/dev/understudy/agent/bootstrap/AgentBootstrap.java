package dev.understudy.agent.bootstrap;

import java.io.InputStream;
import java.lang.instrument.Instrumentation;
import java.lang.reflect.InvocationTargetException;
import java.util.Properties;

/**
 * The front door of {@code understudy-agent.jar}: {@code Premain-Class}, {@code Agent-Class}
 * and {@code Main-Class}.
 *
 * <p>It does three things (STYLE.md, rule 1): refuse a second attach, check the JVM, delegate.
 * Delegation goes to {@link Launcher} by reflection, so this class has no link-time dependency
 * on anything but {@code java.base}.
 *
 * <h2>Why this class is compiled for Java 8</h2>
 * The JVM loads the {@code Premain-Class} before any of our code runs; if its class file is
 * too new the JVM aborts start-up with {@code UnsupportedClassVersionError}, taking the
 * application with it. This single class is therefore built with {@code --release 8} (a
 * separate compiler execution in {@code agent/pom.xml}, from its own source root
 * {@code src/bootstrap/java} so that no Java 17 compilation can pick it up implicitly) so that
 * on an old JVM it can print "needs Java 17" and return, leaving the application running.
 * Everything else is Java 17, and nothing else refers to this class.
 *
 * <h2>Contract</h2>
 * {@link #premain} and {@link #agentmain} never throw: every failure becomes one line on
 * {@code stderr} starting with {@value #PREFIX}, and the application runs without the agent.
 * The only state this class keeps is the system property {@value #ATTACHED_PROP}, the
 * JVM-wide marker that refuses a second attach even if a second copy of the jar (another
 * class loader) is attached.
 */
public final class AgentBootstrap {
    /** Prefix of every line the agent prints. */
    public static final String PREFIX = "understudy-agent: ";
    /** Oldest Java feature release the agent runs on. */
    public static final int MINIMUM_JAVA = 17;
    /** JVM-wide marker set by the first attach; its value is the agent version. */
    public static final String ATTACHED_PROP = "dev.understudy.agent.attached";

    private static final String LAUNCHER = "dev.understudy.agent.bootstrap.Launcher";
    private static final String SUFFIX = "; the application runs without the agent";

    private AgentBootstrap() {
    }

    /**
     * Entry point for {@code -javaagent:understudy-agent.jar[=key=value,...]}. Never throws.
     *
     * @param agentArgs the text after {@code =}, or {@code null}.
     * @param inst      the instrumentation handle.
     */
    public static void premain(final String agentArgs, final Instrumentation inst) {
        start(agentArgs, inst, "premain");
    }

    /**
     * Entry point for a dynamic attach. Never throws.
     *
     * @param agentArgs the agent argument string, or {@code null}.
     * @param inst      the instrumentation handle.
     */
    public static void agentmain(final String agentArgs, final Instrumentation inst) {
        start(agentArgs, inst, "agentmain");
    }

    /**
     * Command line: {@code --version} is answered here; everything else is delegated to the
     * real command line inside the isolated class loader. Exits with its status.
     *
     * @param args command-line arguments.
     */
    public static void main(final String[] args) {
        int status;
        try {
            status = runMain(args);
        } catch (final Throwable t) {
            System.err.println(PREFIX + "error: " + describe(t));
            status = 1;
        }
        System.out.flush();
        System.err.flush();
        System.exit(status);
    }

    static int runMain(final String[] args) throws Throwable {
        final String spec = System.getProperty("java.specification.version");
        if (javaFeatureVersion(spec) < MINIMUM_JAVA) {
            System.err.println(PREFIX + "needs Java " + MINIMUM_JAVA + " or newer, this is Java " + spec);
            return 1;
        }
        if (args.length == 1 && "--version".equals(args[0])) {
            System.out.println(versionLine());
            return 0;
        }
        final Object status = invokeLauncher("main", new Class<?>[] {String[].class, String.class}, new Object[] {args, version()});
        return ((Integer)status).intValue();
    }

    /**
     * The {@code --version} line.
     *
     * @return {@code understudy-agent <version> (Java <runtime version>)}.
     */
    public static String versionLine() {
        return "understudy-agent " + version() + " (Java " + System.getProperty("java.runtime.version") + ")";
    }

    /**
     * The agent version, from the build-time filtered {@code agent.properties}.
     *
     * @return the version, or {@code "unknown"}.
     */
    public static String version() {
        final Properties properties = new Properties();
        try (InputStream in = AgentBootstrap.class.getResourceAsStream("agent.properties")) {
            if (in != null) {
                properties.load(in);
            }
        } catch (final Exception ignore) {
            // fall through to "unknown": --version must still answer
        }
        return properties.getProperty("version", "unknown");
    }

    /**
     * Parses {@code java.specification.version}: {@code "1.8"} is 8, {@code "17"} is 17.
     *
     * @param spec the property value, may be {@code null}.
     * @return the feature release, or 0 if it cannot be parsed.
     */
    public static int javaFeatureVersion(final String spec) {
        if (spec == null) {
            return 0;
        }
        final String s = spec.startsWith("1.") ? spec.substring(2) : spec;
        int end = 0;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        if (end == 0 || end > 4) {
            return 0;
        }
        return Integer.parseInt(s.substring(0, end));
    }

    private static void start(final String agentArgs, final Instrumentation inst, final String how) {
        try {
            final String spec = System.getProperty("java.specification.version");
            if (javaFeatureVersion(spec) < MINIMUM_JAVA) {
                System.err.println(PREFIX + "disabled: needs Java " + MINIMUM_JAVA + " or newer, this is Java " + spec + SUFFIX);
                return;
            }
            final String version = version();
            final Object previous = System.getProperties().putIfAbsent(ATTACHED_PROP, version);
            if (previous != null) {
                System.err.println(PREFIX + "already attached (version " + previous + "), ignoring this second " + how);
                return;
            }
            invokeLauncher("launch",
                new Class<?>[] {String.class, Instrumentation.class, String.class, String.class},
                new Object[] {agentArgs, inst, how, version});
        } catch (final Throwable t) {
            try {
                System.err.println(PREFIX + "disabled: " + describe(t) + SUFFIX);
            } catch (final Throwable ignore) {
                // nothing left to do: the application must not see this
            }
        }
    }

    private static Object invokeLauncher(final String method, final Class<?>[] types, final Object[] args) throws Throwable {
        final Class<?> launcher = Class.forName(LAUNCHER, true, AgentBootstrap.class.getClassLoader());
        try {
            return launcher.getMethod(method, types).invoke(null, args);
        } catch (final InvocationTargetException e) {
            throw e.getCause();
        }
    }

    /**
     * One line describing a failure: the message if it is a configuration or launch error
     * (those are written for people), otherwise the exception class and message.
     *
     * @param t the failure.
     * @return a single line.
     */
    static String describe(final Throwable t) {
        final String message = t.getMessage();
        final String text;
        if (t.getClass().getName().endsWith("LaunchException") && message != null) {
            text = message;
        } else {
            text = t.getClass().getName() + (message == null ? "" : ": " + message);
        }
        return text.replace('\n', ' ').replace('\r', ' ');
    }
}
