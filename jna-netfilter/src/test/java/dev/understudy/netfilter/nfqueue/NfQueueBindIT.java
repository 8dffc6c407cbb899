package dev.understudy.netfilter.nfqueue;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.lab.Lab;
import dev.understudy.lab.junit.Privileged;
import dev.understudy.netfilter.Errno;
import dev.understudy.netfilter.ErrnoException;
import dev.understudy.netfilter.internal.LibC;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Binding, refusal of a second reader, and unbind on a real kernel, from a thread moved into a lab node's namespace. */
@Privileged
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class NfQueueBindIT {
    private static final SegmentHandler ACCEPT = (id, seg) -> Verdict.ACCEPT;

    @Test
    void shouldRefuseASecondReaderOfABoundQueueAndRebindAfterClose() throws Exception {
        try (Lab lab = Lab.up(1)) {
            ExecutorService inNode = Executors.newSingleThreadExecutor(r -> new Thread(r, "in-node1"));
            try {
                inNode.submit(enterNamespace(lab.namespace("node1"))).get();
                inNode.submit((Callable<Void>) () -> {
                    NfQueue first = NfQueue.open(NfQueueConfig.forQueue(40), ACCEPT);
                    assertEquals(40, first.queueNumber());
                    ErrnoException busy = assertThrows(ErrnoException.class, () -> NfQueue.open(NfQueueConfig.forQueue(40), ACCEPT));
                    // nfqnl_recv_config: a queue bound by another netlink socket answers EPERM.
                    assertEquals(Errno.EPERM, busy.errno());
                    assertTrue(busy.getMessage().startsWith("NFQNL_CFG_CMD_BIND(queue 40) [queue bound by another socket"),
                        busy.getMessage());
                    first.close();
                    first.close(); // idempotent
                    assertTrue(first.isClosed());
                    assertFalse(first.release(1), "no requests after close");
                    assertEquals(0, first.poll(10), "poll after close returns at once");
                    try (NfQueue again = NfQueue.open(NfQueueConfig.forQueue(40).withReceiveThreadNice(-5), ACCEPT)) {
                        assertEquals(0, again.receiveThreadNice(), "not started yet");
                        Thread t = again.start();
                        assertTrue(t.isAlive());
                        assertEquals(-5, again.receiveThreadNice());
                        assertEquals(-5, niceOfThread("nfqueue-40"), "the kernel runs the receive thread at nice -5");
                        again.close();
                        t.join(2000);
                        assertFalse(t.isAlive(), "receive thread ends within the poll timeout after close");
                    }
                    return null;
                }).get(30, TimeUnit.SECONDS);
            } finally {
                inNode.shutdownNow();
                inNode.awaitTermination(5, TimeUnit.SECONDS);
            }
        }
    }

    /** The nice value of this JVM's thread named {@code comm}, from /proc/self/task/TID/stat (field 19). */
    static int niceOfThread(String comm) throws java.io.IOException {
        try (var tasks = java.nio.file.Files.list(java.nio.file.Path.of("/proc/self/task"))) {
            for (java.nio.file.Path task : (Iterable<java.nio.file.Path>) tasks::iterator) {
                if (java.nio.file.Files.readString(task.resolve("comm")).trim().equals(comm)) {
                    String stat = java.nio.file.Files.readString(task.resolve("stat"));
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    return Integer.parseInt(f[16]); // field 19 overall; fields after comm start at 3
                }
            }
        }
        throw new AssertionError("no thread named " + comm);
    }

    /** Moves the calling thread into a network namespace (setns affects only this thread). */
    static Callable<Void> enterNamespace(String ns) {
        return () -> {
            int fd = LibC.check(LibC.open("/run/netns/" + ns, 0), "open(/run/netns/" + ns + ")");
            try {
                LibC.check(LibC.setns(fd, LibC.CLONE_NEWNET), "setns(" + ns + ")");
            } finally {
                LibC.close(fd);
            }
            return null;
        };
    }
}
