package dev.understudy.transport;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class TransportLogTest {
    @AfterEach
    void restore() {
        TransportLog.sink(null);
    }

    @Test
    void shouldHandEveryWarningToTheInstalledSinkAndSurviveABrokenOne() {
        List<String> lines = new ArrayList<>();
        TransportLog.sink((source, message) -> lines.add(source + ": " + message));
        TransportLog.warn("thing 1", "value=2, expected 3");
        assertEquals(List.of("thing 1: value=2, expected 3"), lines);
        TransportLog.sink((source, message) -> {
            throw new IllegalStateException("broken sink");
        });
        TransportLog.warn("thing 2", "must not throw"); // the caller is a cleanup path
    }
}
