package dev.understudy.lab;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;

/**
 * The {@code ./understudy lab ...} command line.
 *
 * <pre>
 * lab up   [--nodes N] [--name NAME]          build a lab, print its JSON, leave it up
 * lab exec NODE [--name NAME] -- CMD [ARG...]  run a command inside a lab host
 * lab down [--name NAME | --all | --prefix P]  remove one lab, every lab, or a run's labs
 * lab list                                     names of the labs that are up
 * </pre>
 *
 * Without {@code --name}, {@code exec} and {@code down} act on the only lab that is up.
 * Exit codes: 0 success ({@code exec}: the command's own code), 1 failure, 2 usage error.
 */
public final class LabMain {
    /** Default node count for {@code lab up}: a primary and two clones. */
    public static final int DEFAULT_NODES = 3;

    static final String USAGE = String.join("\n",
        "usage: understudy lab up   [--nodes N] [--name NAME]",
        "       understudy lab exec NODE [--name NAME] -- CMD [ARG...]",
        "       understudy lab down [--name NAME | --all | --prefix P]",
        "       understudy lab list",
        "  NODE is client, node1..nodeN or sw (the bridge); NAME is [a-z0-9]{1,20};",
        "  --nodes is 1.." + Lab.MAX_NODES + " (default " + DEFAULT_NODES + "); without --name, exec and down",
        "  act on the only lab that is up. 'up' leaves the lab running until 'down'.");

    private LabMain() {
    }

    /** A parsed command line. Fields a verb does not use are null/0/false. */
    public record Command(String verb, int nodes, String name, boolean all, String prefix, String host, List<String> argv) {
    }

    /** A command line that cannot be parsed; {@code main} prints it with the usage and exits 2. */
    public static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }

    /** Parses the arguments that follow {@code lab}. */
    public static Command parse(String[] args) throws UsageException {
        if (args.length == 0) {
            throw new UsageException("missing command: expected up, exec, down or list");
        }
        String verb = args[0];
        switch (verb) {
            case "up": {
                int nodes = DEFAULT_NODES;
                String name = null;
                for (int i = 1; i < args.length; i++) {
                    switch (args[i]) {
                        case "--nodes":
                            String v = value(args, i++);
                            try {
                                nodes = Integer.parseInt(v);
                            } catch (NumberFormatException e) {
                                throw new UsageException("invalid --nodes: value=" + v + ", expected 1.." + Lab.MAX_NODES);
                            }
                            if (nodes < 1 || nodes > Lab.MAX_NODES) {
                                throw new UsageException("invalid --nodes: value=" + v + ", expected 1.." + Lab.MAX_NODES);
                            }
                            break;
                        case "--name":
                            name = name(value(args, i++));
                            break;
                        default:
                            throw new UsageException("unexpected argument to 'lab up': " + args[i]);
                    }
                }
                return new Command(verb, nodes, name, false, null, null, List.of());
            }
            case "exec": {
                String name = null;
                String host = null;
                int i = 1;
                for (; i < args.length && !args[i].equals("--"); i++) {
                    if (args[i].equals("--name")) {
                        name = name(value(args, i++));
                    } else if (args[i].startsWith("-")) {
                        throw new UsageException("unexpected option to 'lab exec': " + args[i]);
                    } else if (host == null) {
                        host = args[i];
                    } else {
                        throw new UsageException("unexpected argument to 'lab exec': " + args[i] + " (put the command after --)");
                    }
                }
                if (host == null) {
                    throw new UsageException("missing NODE for 'lab exec'");
                }
                if (!host.matches("client|sw|node[1-9][0-9]*")) {
                    throw new UsageException("invalid NODE: value=" + host + ", expected client, node1..node" + Lab.MAX_NODES + " or sw");
                }
                if (i >= args.length || i + 1 == args.length) {
                    throw new UsageException("missing command for 'lab exec': expected -- CMD [ARG...]");
                }
                List<String> argv = List.of(args).subList(i + 1, args.length);
                return new Command(verb, 0, name, false, null, host, List.copyOf(argv));
            }
            case "down": {
                String name = null;
                boolean all = false;
                String prefix = null;
                for (int i = 1; i < args.length; i++) {
                    switch (args[i]) {
                        case "--name":
                            name = name(value(args, i++));
                            break;
                        case "--all":
                            all = true;
                            break;
                        case "--prefix":
                            prefix = name(value(args, i++));
                            break;
                        default:
                            throw new UsageException("unexpected argument to 'lab down': " + args[i]);
                    }
                }
                int chosen = (name != null ? 1 : 0) + (all ? 1 : 0) + (prefix != null ? 1 : 0);
                if (chosen > 1) {
                    throw new UsageException("'lab down' takes one of --name, --all, --prefix");
                }
                return new Command(verb, 0, name, all, prefix, null, List.of());
            }
            case "list":
                if (args.length > 1) {
                    throw new UsageException("unexpected argument to 'lab list': " + args[1]);
                }
                return new Command(verb, 0, null, false, null, null, List.of());
            case "--help":
            case "-h":
            case "help":
                return new Command("help", 0, null, false, null, null, List.of());
            default:
                throw new UsageException("unknown lab command: " + verb + " (expected up, exec, down or list)");
        }
    }

    private static String value(String[] args, int i) throws UsageException {
        if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
            throw new UsageException("missing value for " + args[i]);
        }
        return args[i + 1];
    }

    private static String name(String v) throws UsageException {
        if (!v.matches("[a-z0-9]{1,20}")) {
            throw new UsageException("invalid lab name: value=" + v + ", expected [a-z0-9]{1,20}");
        }
        return v;
    }

    public static void main(String[] args) {
        Command c;
        try {
            c = parse(args);
        } catch (UsageException e) {
            System.err.println("understudy lab: " + e.getMessage());
            System.err.println(USAGE);
            System.exit(2);
            return;
        }
        int rc;
        try {
            rc = execute(c, System.out, System.err);
        } catch (IOException | RuntimeException e) {
            System.err.println("understudy lab " + c.verb() + ": " + e.getMessage());
            rc = 1;
        }
        System.exit(rc);
    }

    /** Carries out a parsed command; returns the exit code. */
    static int execute(Command c, PrintStream out, PrintStream err) throws IOException {
        switch (c.verb()) {
            case "help":
                out.println(USAGE);
                return 0;
            case "up": {
                String why = Host.whyNotPrivileged();
                if (why != null) {
                    err.println("understudy lab up: cannot build a lab: " + why);
                    return 1;
                }
                String name = c.name() != null ? c.name() : Lab.newRunName();
                if (Lab.list().contains(name)) {
                    err.println("understudy lab up: a lab named " + name + " is already up (remove it with: understudy lab down --name " + name + ")");
                    return 1;
                }
                Lab lab = Lab.up(name, c.nodes()).detach();
                out.println(lab.json());
                return 0;
            }
            case "exec": {
                String name = c.name() != null ? c.name() : onlyLab(err);
                if (name == null) {
                    return 1;
                }
                String ns = Lab.NAMESPACE_PREFIX + name + "-" + c.host();
                if (!Lab.namespaces().contains(ns)) {
                    err.println("understudy lab exec: no host " + c.host() + " in lab " + name + " (namespace " + ns + " does not exist)");
                    return 1;
                }
                List<String> cmd = new ArrayList<>(List.of("ip", "netns", "exec", ns));
                cmd.addAll(c.argv());
                Process p = new ProcessBuilder(cmd).inheritIO().start();
                try {
                    return p.waitFor();
                } catch (InterruptedException e) {
                    p.destroy();
                    Thread.currentThread().interrupt();
                    return 130;
                }
            }
            case "down": {
                List<String> removed;
                if (c.all()) {
                    removed = Lab.downAll("");
                } else if (c.prefix() != null) {
                    removed = Lab.downAll(c.prefix());
                } else {
                    String name = c.name() != null ? c.name() : onlyLab(err);
                    if (name == null) {
                        return 1;
                    }
                    removed = Lab.downLab(name);
                }
                out.println("removed " + removed.size() + " namespace(s)" + (removed.isEmpty() ? "" : ": " + String.join(" ", removed)));
                return 0;
            }
            case "list":
                for (String name : Lab.list()) {
                    out.println(name);
                }
                return 0;
            default:
                throw new IllegalStateException("unhandled verb " + c.verb());
        }
    }

    private static String onlyLab(PrintStream err) throws IOException {
        List<String> labs = Lab.list();
        if (labs.size() == 1) {
            return labs.get(0);
        }
        err.println(labs.isEmpty()
            ? "understudy lab: no lab is up (start one with: understudy lab up)"
            : "understudy lab: several labs are up (" + String.join(", ", labs) + "): pass --name NAME");
        return null;
    }
}
