package dev.understudy.transport.journal;

import net.openhft.chronicle.queue.RollCycle;
import net.openhft.chronicle.queue.RollCycles;
import net.openhft.chronicle.queue.rollcycles.TestRollCycles;

/** Chronicle lookups shared by the journal classes. */
final class ChronicleSupport {
    private ChronicleSupport() {
    }

    static RollCycle rollCycle(String name) {
        if (name != null) {
            for (RollCycles rc : RollCycles.values()) {
                if (rc.name().equals(name)) {
                    return rc;
                }
            }
            for (TestRollCycles rc : TestRollCycles.values()) {
                if (rc.name().equals(name)) {
                    return rc;
                }
            }
        }
        throw new IllegalArgumentException("invalid journal rollCycle: value=" + name
            + ", expected a constant of net.openhft.chronicle.queue.RollCycles, e.g. FAST_HOURLY, FAST_DAILY");
    }
}
