package dev.understudy.benchmarks.replay;

import io.aeron.CncFileDescriptor;
import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.agrona.DirectBuffer;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads a running node's agent counters from its Aeron directory, in this JVM, for
 * {@link ReplayBenchmark}'s samples every few hundred milliseconds (starting
 * {@code java -jar understudy-agent.jar --status} for each would cost a JVM start per sample). The
 * same reading as the agent's {@code dev.understudy.agent.status.StatusReader}, which the benchmarks
 * cannot call: the agent jar's classes sit behind its isolated class loader.
 *
 * <p>Lab namespaces do not isolate {@code /dev/shm}, so the benchmark JVM, in the root namespace,
 * reads every node's counters. Maps {@code cnc.dat} for the duration of one {@link #read} call (the
 * node may go away between two calls). Stateless.
 */
final class NodeCounters {
    /** The prefix of every counter label the agent registers ({@code AgentCounters.LABEL_PREFIX}). */
    static final String LABEL_PREFIX = "understudy: ";

    private NodeCounters() {
    }

    /**
     * @param aeronDir the node's Aeron directory ({@code understudy.aeron.dir})
     * @return counter name without the prefix → value, in allocation order; empty when the node is
     *     not (or no longer) running there
     */
    static Map<String, Long> read(File aeronDir) {
        Map<String, Long> out = new LinkedHashMap<>();
        File cnc = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cnc.isFile()) {
            return out;
        }
        MappedByteBuffer buffer;
        try {
            buffer = IoUtil.mapExistingFile(cnc, "cnc");
        } catch (RuntimeException e) {
            return out; // removed between the check and the map
        }
        try {
            DirectBuffer meta = CncFileDescriptor.createMetaDataBuffer(buffer);
            CountersReader reader = new CountersReader(CncFileDescriptor.createCountersMetaDataBuffer(buffer, meta),
                CncFileDescriptor.createCountersValuesBuffer(buffer, meta));
            reader.forEach((value, id, label) -> {
                if (label.startsWith(LABEL_PREFIX)) {
                    out.merge(label.substring(LABEL_PREFIX.length()), value, (a, b) -> b);
                }
            });
        } catch (RuntimeException e) {
            // a cnc.dat still being written by a starting driver: no counters yet
        } finally {
            IoUtil.unmap(buffer);
        }
        return out;
    }
}
