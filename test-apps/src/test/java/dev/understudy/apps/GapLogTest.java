package dev.understudy.apps;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

@Timeout(60)
class GapLogTest {
    @TempDir
    Path dir;

    @Test
    void shouldWriteGapsSortedByEndTimeAndReadThemBack() throws Exception {
        Path f = dir.resolve("sub/gaps.log");
        GapLog.write(f, 1_000, 20, 3, List.of(new GapLog.Gap(1_500, 2, 120.25), new GapLog.Gap(1_200, 0, 21.0),
            new GapLog.Gap(1_500, 1, 1234.5678)));
        List<String> lines = Files.readAllLines(f);
        assertEquals("# start-epoch-ms 1000 threshold-ms 20 connections 3", lines.get(1));
        assertEquals(List.of("1200 0 21.000", "1500 1 1234.568", "1500 2 120.250"), lines.subList(3, 6));
        GapLog.Contents c = GapLog.read(f);
        assertEquals(1_000, c.startEpochMs());
        assertEquals(20, c.thresholdMs());
        assertEquals(3, c.connections());
        assertEquals(List.of(new GapLog.Gap(1_200, 0, 21.0), new GapLog.Gap(1_500, 1, 1234.568),
            new GapLog.Gap(1_500, 2, 120.25)), c.gaps());
    }

    @Test
    void shouldRejectALineNotOfTheFormatNamingIt() throws Exception {
        Path f = dir.resolve("bad.log");
        Files.writeString(f, "# start-epoch-ms 5 threshold-ms 20 connections 1\n12 x 3.0\n");
        String m = assertThrows(IOException.class, () -> GapLog.read(f)).getMessage();
        assertTrue(m.contains("line 2") && m.contains("value=12 x 3.0"), m);
        Files.writeString(f, "1 2 3.0\n");
        assertTrue(assertThrows(IOException.class, () -> GapLog.read(f)).getMessage().contains("no '# start-epoch-ms' header"));
    }

    @Test
    void shouldParseTheGapLogOptions() {
        LoadClient.Config c = LoadClient.parseArgs(new String[] {"--target", "h:1", "--gap-log", "/tmp/g.log",
            "--gap-log-threshold", "50ms"});
        assertEquals(LoadClient.Config.defaults("h", 1).withGapLog(Path.of("/tmp/g.log"), Duration.ofMillis(50)), c);
        LoadClient.Config d = LoadClient.Config.defaults("h", 1);
        assertNull(d.gapLog(), "no gap log by default");
        assertEquals(Duration.ofMillis(GapLog.DEFAULT_THRESHOLD_MS), d.gapLogThreshold());
        assertEquals(d.gapLogThreshold(), LoadClient.parseArgs(new String[] {"--target", "h:1", "--gap-log", "x"})
            .gapLogThreshold());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target", "h:1",
            "--gap-log-threshold", "-1"})).getMessage().contains("--gap-log-threshold"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> LoadClient.parseArgs(new String[] {"--target", "h:1",
            "--gap-log", ""})).getMessage().contains("--gap-log"));
    }

    // Mutation check: with the recordGap call removed, or the threshold compared the wrong way,
    // this test failed (no line for the stalled connection / lines at or below the threshold).
    @Test
    @Timeout(30)
    void shouldLogEveryGapLongerThanTheThresholdWithItsConnectionAndWallClock() throws Exception {
        Path f = dir.resolve("gaps.log");
        LoadClient.Summary s;
        long before = System.currentTimeMillis();
        try (FakeServer server = FakeServer.kv((conn, n, line, right, out) -> {
            if (conn == 0 && (n == 50 || n == 120)) {
                Thread.sleep(n == 50 ? 300 : 150);
            }
            return right + "\n";
        })) {
            s = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", server.port()).withLoad(2, 200, 1)
                .withGapLog(f, Duration.ofMillis(100)));
        }
        long after = System.currentTimeMillis();
        assertTrue(s.ok(), s.toJson());
        GapLog.Contents log = GapLog.read(f);
        assertEquals(100, log.thresholdMs());
        assertEquals(2, log.connections());
        assertTrue(log.startEpochMs() >= before && log.startEpochMs() <= after, log.toString());
        // the stalled connection is whichever the server accepted first: the one with maxGapMs >= 300
        LoadClient.Connection stalled = s.perConnection().stream().filter(c -> c.maxGapMs() >= 300).findFirst().orElseThrow();
        List<GapLog.Gap> mine = log.gaps().stream().filter(g -> g.connection() == stalled.index()).toList();
        assertTrue(mine.stream().anyMatch(g -> g.gapMs() >= 300), mine.toString());
        assertTrue(mine.stream().anyMatch(g -> g.gapMs() >= 150 && g.gapMs() < 300), mine.toString());
        long last = 0;
        for (GapLog.Gap g : log.gaps()) { // others may appear on a loaded machine, but only valid ones, in order
            assertTrue(g.gapMs() > 100, g.toString());
            assertTrue(g.connection() == 0 || g.connection() == 1, g.toString());
            assertTrue(g.endEpochMs() >= log.startEpochMs() && g.endEpochMs() <= after, g.toString());
            assertTrue(g.endEpochMs() >= last, "sorted by end time: " + log.gaps());
            last = g.endEpochMs();
        }
        for (LoadClient.Connection c : s.perConnection()) { // each connection's longest gap is logged, when above
            double logged = log.gaps().stream().filter(g -> g.connection() == c.index()).mapToDouble(GapLog.Gap::gapMs)
                .max().orElse(0);
            assertEquals(c.maxGapMs() > 100 ? c.maxGapMs() : 0, logged, 0.002, c.toString());
        }
    }

    @Test
    void shouldWriteNoGapLogWithoutTheOptionAndCountAFailedWriteAsAnError() throws Exception {
        LoadClient.Summary plain;
        LoadClient.Summary broken;
        try (FakeServer server = FakeServer.kv((conn, n, line, right, out) -> right + "\n")) {
            plain = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", server.port()).withLoad(1, 20, 1));
        }
        try (FakeServer server = FakeServer.kv((conn, n, line, right, out) -> right + "\n")) { // a fresh store
            // a directory where the file should be: the write fails
            broken = LoadClient.run(LoadClient.Config.defaults("127.0.0.1", server.port()).withLoad(1, 20, 1)
                .withGapLog(dir, Duration.ZERO));
        }
        assertTrue(plain.ok(), plain.toJson());
        assertFalse(plain.toJson().contains("gapLogError"));
        assertNotNull(broken.gapLogError(), broken.toJson());
        assertEquals(1, broken.errors(), broken.toJson());
        assertFalse(broken.ok());
        assertTrue(broken.toJson().contains("\"gapLogError\""), broken.toJson());
    }
}
