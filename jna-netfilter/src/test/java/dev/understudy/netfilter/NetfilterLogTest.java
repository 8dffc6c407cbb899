package dev.understudy.netfilter;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class NetfilterLogTest {
    @AfterEach
    void restore() {
        NetfilterLog.sink(null);
    }

    @Test
    void shouldHandEveryWarningToTheInstalledSinkAndSurviveABrokenOne() {
        List<String> lines = new ArrayList<>();
        NetfilterLog.sink((source, message) -> lines.add(source + ": " + message));
        NetfilterLog.warn("thing 1", "value=2, expected 3");
        assertEquals(List.of("thing 1: value=2, expected 3"), lines);
        NetfilterLog.sink((source, message) -> {
            throw new IllegalStateException("broken sink");
        });
        NetfilterLog.warn("thing 2", "must not throw"); // the caller is a cleanup path
    }
}
