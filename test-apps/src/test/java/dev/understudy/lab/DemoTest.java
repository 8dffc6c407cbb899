package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DemoTest {
    @Test
    void shouldParseTheWinnersSwitchoverLine() {
        String line = "understudy-agent: INFO [switchover] node 2 is primary of epoch 2: 64 connections rebuilt under the"
            + " application's fds, 0 reset, 0 closed or not accepted; 64 blocked threads woken; held 310 segments (0 SYNs);"
            + " phases: detect 1000.1 ms elect 13.3 ms re-inject 57.9 ms restore 152.2 ms VIP 1.2 ms activate 10.5 ms"
            + " swap 31.7 ms release 56.4 ms, total 1323.3 ms";
        Demo.Switchover s = Demo.switchover(List.of("LISTENING 7000", line));
        assertEquals(2, s.node());
        assertEquals(2, s.epoch());
        assertEquals(64, s.rebuilt());
        assertEquals(0, s.reset());
        assertEquals(1323.3, s.totalMs(), 1e-9);
        assertEquals(List.of("detect", "elect", "re-inject", "restore", "VIP", "activate", "swap", "release"),
            List.copyOf(s.phasesMs().keySet()));
        assertEquals(Map.entry("re-inject", 57.9), s.phasesMs().entrySet().stream().skip(2).findFirst().orElseThrow());
        assertEquals("detect 1000.1 ms, elect 13.3 ms, re-inject 57.9 ms, restore 152.2 ms, VIP 1.2 ms, activate 10.5 ms,"
            + " swap 31.7 ms, release 56.4 ms", s.timeline());
        assertNull(Demo.switchover(List.of("understudy-agent: INFO [clone] replaying")));
    }
}
