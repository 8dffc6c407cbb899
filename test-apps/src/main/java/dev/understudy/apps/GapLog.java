package dev.understudy.apps;

import java.io.BufferedWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * The file {@code LoadClient --gap-log FILE} writes: one line per gap between two consecutive
 * replies of a connection that was longer than the threshold ({@code --gap-log-threshold},
 * default {@link #DEFAULT_THRESHOLD_MS} ms), in the order the gaps ended. A gap is measured
 * like {@code maxGapMs}: from the previous reply (for the first reply: from the first request)
 * to this reply.
 *
 * <pre>
 * # LoadClient gap log: gaps between consecutive replies longer than the threshold
 * # start-epoch-ms 1718000000000 threshold-ms 20 connections 64
 * # end-epoch-ms connection gap-ms
 * 1718000004123 12 1234.567
 * </pre>
 *
 * {@code start-epoch-ms} is the wall clock when the connections were released to send (the
 * start of {@code durationMs}); {@code end-epoch-ms} the wall clock when the gap's reply was
 * read; {@code connection} the connection's index; {@code gap-ms} the gap, three decimals.
 *
 * <p>Thread-safety: stateless.
 */
public final class GapLog {
    /** Gaps at most this long are not logged, by default. */
    public static final long DEFAULT_THRESHOLD_MS = 20;
    private static final String START = "# start-epoch-ms ";

    /** One logged gap. */
    public record Gap(long endEpochMs, int connection, double gapMs) {
    }

    /** A gap log as read back: its header values and its gaps in file order. */
    public record Contents(long startEpochMs, long thresholdMs, int connections, List<Gap> gaps) {
    }

    private GapLog() {
    }

    /** Writes the log (replacing {@code file}); the gaps are sorted by end time, then connection. */
    public static void write(Path file, long startEpochMs, long thresholdMs, int connections, List<Gap> gaps)
        throws IOException {
        List<Gap> sorted = new ArrayList<>(gaps);
        sorted.sort(Comparator.comparingLong(Gap::endEpochMs).thenComparingInt(Gap::connection));
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
            w.write("# LoadClient gap log: gaps between consecutive replies longer than the threshold\n");
            w.write(START + startEpochMs + " threshold-ms " + thresholdMs + " connections " + connections + "\n");
            w.write("# end-epoch-ms connection gap-ms\n");
            for (Gap g : sorted) {
                w.write(g.endEpochMs() + " " + g.connection() + " " + String.format(Locale.ROOT, "%.3f", g.gapMs()) + "\n");
            }
        }
    }

    /**
     * Reads a log {@link #write} wrote.
     *
     * @throws IOException when it cannot be read or a line is not of the format (naming the line)
     */
    public static Contents read(Path file) throws IOException {
        long start = -1;
        long threshold = -1;
        int connections = -1;
        List<Gap> gaps = new ArrayList<>();
        int n = 0;
        for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
            n++;
            try {
                if (line.startsWith(START)) {
                    String[] f = line.substring(2).split(" ");
                    start = Long.parseLong(f[1]);
                    threshold = Long.parseLong(f[3]);
                    connections = Integer.parseInt(f[5]);
                } else if (!line.startsWith("#") && !line.isBlank()) {
                    String[] f = line.trim().split(" ");
                    if (f.length != 3) {
                        throw new NumberFormatException("expected 3 fields");
                    }
                    gaps.add(new Gap(Long.parseLong(f[0]), Integer.parseInt(f[1]), Double.parseDouble(f[2])));
                }
            } catch (RuntimeException e) {
                throw new IOException("bad gap log line " + n + " of " + file + ": value=" + line
                    + ", expected 'end-epoch-ms connection gap-ms' (" + e.getMessage() + ")", e);
            }
        }
        if (start < 0) {
            throw new IOException("gap log " + file + " has no '" + START.trim() + "' header");
        }
        return new Contents(start, threshold, connections, gaps);
    }
}
