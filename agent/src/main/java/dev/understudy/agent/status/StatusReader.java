package dev.understudy.agent.status;

import io.aeron.CncFileDescriptor;
import io.aeron.CommonContext;
import java.io.File;
import java.nio.MappedByteBuffer;
import java.util.LinkedHashMap;
import java.util.Map;
import org.agrona.IoUtil;
import org.agrona.concurrent.status.CountersReader;

/**
 * Reads the agent's counters ({@link AgentCounters}) of a running node from its Aeron directory,
 * from another process: what {@code understudy status} prints. Read-only; maps {@code cnc.dat}
 * for the duration of one {@link #read} call.
 */
public final class StatusReader {
    private StatusReader() {
    }

    /**
     * @param aeronDir the node's Aeron directory ({@code understudy.aeron.dir})
     * @return counter name (without the {@code "understudy: "} prefix) to value, in allocation order
     * @throws IllegalStateException when there is no running node there (no {@code cnc.dat})
     */
    public static Map<String, Long> read(File aeronDir) {
        File cnc = new File(aeronDir, CncFileDescriptor.CNC_FILE);
        if (!cnc.exists()) {
            throw new IllegalStateException("no running node: " + cnc + " does not exist");
        }
        MappedByteBuffer buffer = IoUtil.mapExistingFile(cnc, "cnc");
        try {
            CountersReader reader = new CountersReader(
                CncFileDescriptor.createCountersMetaDataBuffer(buffer,
                    CncFileDescriptor.createMetaDataBuffer(buffer)),
                CncFileDescriptor.createCountersValuesBuffer(buffer,
                    CncFileDescriptor.createMetaDataBuffer(buffer)));
            Map<String, Long> out = new LinkedHashMap<>();
            reader.forEach((value, id, label) -> {
                if (label.startsWith(AgentCounters.LABEL_PREFIX)) {
                    out.merge(label.substring(AgentCounters.LABEL_PREFIX.length()), value, (a, b) -> b);
                }
            });
            return out;
        } finally {
            IoUtil.unmap(buffer);
        }
    }

    /** The default Aeron directory of this user, for messages. */
    static String defaultDir() {
        return CommonContext.getAeronDirectoryName();
    }
}
