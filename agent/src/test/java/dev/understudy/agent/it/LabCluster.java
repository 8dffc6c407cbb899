package dev.understudy.agent.it;

import dev.understudy.agent.status.StatusReader;
import dev.understudy.lab.Lab;
import dev.understudy.lab.LabApps;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A primary and its clones in a lab, for the lab ITs of this package: starts a server with the
 * agent in a node (only {@code classPath} on its class path), and reads the agent's status
 * counters from each node's Aeron directory.
 */
final class LabCluster {
    static final int PORT = 7000;

    final Lab lab;
    final Path work;
    final String aeron;
    final List<LabApps.Server> servers = new ArrayList<>();
    /** The service ports the agents protect (agent argument syntax: comma-separated). */
    String ports = Integer.toString(PORT);

    LabCluster(Lab lab, Path work) {
        this.lab = lab;
        this.work = work;
        this.aeron = "/dev/shm/understudy-" + lab.name() + "-{node.id}/aeron";
    }

    File aeronDir(int node) {
        return new File(aeron.replace("{node.id}", Integer.toString(node)));
    }

    Path journal(int node) {
        return work.resolve("journal-" + node);
    }

    Map<String, Long> status(int node) {
        return StatusReader.read(aeronDir(node));
    }

    LabApps.Server start(int node, String role, Path java, String classPath, String mainClass, List<String> extra)
        throws IOException, InterruptedException {
        return start(node, role, java, classPath, mainClass, extra, null);
    }

    /** Like the method above, the app binding {@code bindAddress} (e.g. the VIP) instead of its default. */
    LabApps.Server start(int node, String role, Path java, String classPath, String mainClass, List<String> extra,
                         String bindAddress) throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of(
            "-javaagent:" + Jvm.agentJar() + "=role=" + role + ",node.id=" + node + ",ports=" + ports,
            "-Dunderstudy.journal.dir=" + journal(node),
            "-Dunderstudy.aeron.dir=" + aeron,
            "-Dunderstudy.ack.quorum=1"));
        options.addAll(extra);
        // by hand only: more agent options for every node, e.g. -Dunderstudy.it.nodeOptions=-Dunderstudy.output.commit=off
        String more = System.getProperty("understudy.it.nodeOptions", "").trim();
        if (!more.isEmpty()) {
            options.addAll(List.of(more.split("\\s+")));
        }
        long t0 = System.nanoTime();
        LabApps.Server s = LabApps.startServer(lab, Lab.node(node), java, classPath, options, mainClass, PORT, bindAddress,
            // generous: three JVMs with the agent start on two shared cores (over a minute seen under load)
            work.resolve(role + "-node" + node + ".log"), Duration.ofSeconds(180));
        synchronized (servers) {
            servers.add(s);
        }
        System.out.printf("LAB %s node%d (%s) listening after %d ms%n", role, node, java == null ? "java" : java.getParent().getParent().getFileName(),
            TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
        return s;
    }

    /**
     * node2 and node3 as clones, then node1 as primary of {@code mainClass}, and waits until both
     * clones joined it; element n of the result is node n's server (element 0 unused).
     */
    LabApps.Server[] startPrimaryAndTwoClones(Path java, String mainClass, List<String> opts)
        throws IOException, InterruptedException {
        LabApps.Server[] nodes = startClones(java, mainClass, opts);
        nodes[1] = start(1, "primary", java, LabApps.appsClassPath(), mainClass, opts);
        for (int node = 2; node <= 3; node++) {
            awaitJoined(nodes[1], node);
        }
        return nodes;
    }

    /**
     * node2 and node3 as clones of {@code mainClass}, started side by side (each JVM takes seconds to
     * start with the agent); element n of the result is node n's server (elements 0 and 1 unused).
     */
    LabApps.Server[] startClones(Path java, String mainClass, List<String> opts) throws IOException, InterruptedException {
        LabApps.Server[] nodes = new LabApps.Server[4];
        CompletableFuture<LabApps.Server> node3 = CompletableFuture.supplyAsync(() -> {
            try {
                return start(3, "clone", java, LabApps.appsClassPath(), mainClass, opts);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        });
        try {
            nodes[2] = start(2, "clone", java, LabApps.appsClassPath(), mainClass, opts);
        } finally {
            try {
                nodes[3] = node3.join(); // whatever node2 did: a started node3 is in servers, for stopAll
            } catch (CompletionException e) {
                if (nodes[2] != null) {
                    throw e.getCause() instanceof IOException io ? io : new IOException(e.getCause());
                }
            }
        }
        return nodes;
    }

    /** LoadClient in {@code client} with {@code args}, on a thread of its own (bounded by {@code timeout}). */
    CompletableFuture<LabApps.LoadRun> loadInBackground(List<String> args, Duration timeout) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                return LabApps.runLoadClient(lab, Lab.CLIENT, List.of(), args, timeout);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
    }

    static void awaitJoined(LabApps.Server primary, int node) throws IOException, InterruptedException {
        LabApps.awaitLine(primary.log(), "understudy-agent: INFO [primary] node " + node + " joined",
            primary.process(), Duration.ofSeconds(30));
    }

    /** Waits until {@code counter} of {@code node} is positive and unchanged for 300 ms; returns it. */
    long awaitStable(int node, String counter) throws InterruptedException {
        long last = -1;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            long v = status(node).getOrDefault(counter, -1L);
            if (v == last && v > 0) {
                return v;
            }
            last = v;
            Thread.sleep(300);
        }
        throw new AssertionError(counter + " of node" + node + " did not settle: " + last);
    }

    /** Waits until {@code counter} of {@code node} reaches {@code target}; returns it. */
    long awaitAtLeast(int node, String counter, long target, Duration timeout) throws InterruptedException {
        long v = -1;
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            v = status(node).getOrDefault(counter, -1L);
            if (v >= target) {
                return v;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(counter + " of node" + node + " is " + v + ", expected >= " + target + ": " + status(node));
    }

    /** Waits until {@code counter} of {@code node} equals {@code value}. */
    void awaitEquals(int node, String counter, long value, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        Map<String, Long> last = Map.of();
        while (System.nanoTime() < deadline) {
            last = status(node);
            if (last.getOrDefault(counter, -1L) == value) {
                return;
            }
            Thread.sleep(100);
        }
        throw new AssertionError(counter + " of node" + node + " did not become " + value + ": " + last);
    }

    /** Stops every server started here (SIGTERM, then SIGKILL). */
    void stopAll() throws InterruptedException {
        for (LabApps.Server s : servers) {
            s.stop();
        }
        servers.clear();
    }

    /** Deletes the nodes' Aeron directories in /dev/shm (after {@link #stopAll()}). */
    void deleteAeronDirs() throws IOException {
        for (int node = 1; node <= lab.nodes(); node++) {
            RecordingChecks.deleteTree(aeronDir(node).toPath().getParent());
        }
    }
}
