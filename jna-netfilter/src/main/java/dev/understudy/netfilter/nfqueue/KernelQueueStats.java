package dev.understudy.netfilter.nfqueue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One line of {@code /proc/net/netfilter/nfnetlink_queue} (net/netfilter/nfnetlink_queue.c,
 * {@code seq_show}): the kernel's own view of a queue in the reading process's network
 * namespace.
 *
 * @param queueNumber   the queue
 * @param peerPortId    netlink port id of the bound reader
 * @param queueTotal    packets queued now (waiting for a verdict, held ones included)
 * @param copyMode      NFQNL_COPY_*
 * @param copyRange     bytes copied per packet
 * @param queueDropped  packets dropped because the queue was at its max length
 * @param userDropped   packets dropped because the reader's socket buffer was full
 * @param idSequence    last packet id handed out
 */
public record KernelQueueStats(int queueNumber, long peerPortId, long queueTotal, int copyMode, long copyRange,
                               long queueDropped, long userDropped, long idSequence) {
    public static final Path PROC_FILE = Path.of("/proc/net/netfilter/nfnetlink_queue");

    /**
     * Reads the line for {@code queueNumber}.
     *
     * @return the stats, or null when the queue is not bound in this namespace
     * @throws IOException when the proc file cannot be read (module not loaded)
     */
    public static KernelQueueStats read(int queueNumber) throws IOException {
        for (String line : Files.readAllLines(PROC_FILE)) {
            KernelQueueStats s = parse(line);
            if (s != null && s.queueNumber == queueNumber) {
                return s;
            }
        }
        return null;
    }

    /** Parses one proc line; null when it is not a queue line. */
    public static KernelQueueStats parse(String line) {
        String[] f = line.trim().split("\\s+");
        if (f.length < 8) {
            return null;
        }
        try {
            return new KernelQueueStats(Integer.parseInt(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2]), Integer.parseInt(f[3]),
                Long.parseLong(f[4]), Long.parseLong(f[5]), Long.parseLong(f[6]), Long.parseLong(f[7]));
        } catch (NumberFormatException e) {
            return null;
        }
    }
}
