package dev.understudy.lab;

import java.util.List;

/**
 * Test helper JVM: builds a lab named {@code args[0]} with two nodes, starts a long sleep in
 * node1, prints {@code UP <pid of the sleep>} and waits to be killed. With SIGKILL, no shutdown
 * hook runs: the lab is left behind exactly as a crashed test run would leave it.
 */
public final class LabHolder {
    private LabHolder() {
    }

    public static void main(String[] args) throws Exception {
        Lab lab = Lab.up(args[0], 2);
        Process sleeper = lab.spawn(Lab.node(1), List.of("sleep", "600"), null);
        System.out.println("UP " + sleeper.pid());
        System.out.flush();
        Thread.sleep(600_000);
    }
}
