package dev.understudy.lab;

import dev.understudy.apps.GapLog;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A picture of per-connection stalls over time, as hand-written SVG (no library): x is the time
 * since the load started in seconds, y the connection index, one horizontal bar per stall (a gap
 * between two replies of that connection, from a {@link GapLog}), coloured by its length, and a
 * vertical line per event (e.g. the kill of the primary). The demo writes one.
 *
 * <p>Thread-safety: stateless.
 */
public final class StallChart {
    static final int WIDTH = 1000;
    static final int LEFT = 70;
    static final int RIGHT = 30;
    static final int TOP = 80;
    static final int BOTTOM = 70;
    /** Height of the plot area: 8 px a connection, at least 200 px. */
    static final int ROW = 8;
    static final int MIN_PLOT_HEIGHT = 200;
    /** Stalls shorter than this are drawn grey, up to {@link #LONG_MS} orange, longer red. */
    static final double SHORT_MS = 100;
    static final double LONG_MS = 500;

    /** One stall: connection {@code connection} got no reply from {@code startS} to {@code endS} (s since the start). */
    public record Bar(int connection, double startS, double endS, double gapMs) {
    }

    /** A vertical line at {@code atS} (s since the start) with a label. */
    public record Marker(double atS, String label) {
    }

    private StallChart() {
    }

    /** The stalls of a gap log, timed from its start. */
    public static List<Bar> bars(GapLog.Contents log) {
        List<Bar> bars = new ArrayList<>(log.gaps().size());
        for (GapLog.Gap g : log.gaps()) {
            double end = (g.endEpochMs() - log.startEpochMs()) / 1000.0;
            bars.add(new Bar(g.connection(), Math.max(0, end - g.gapMs() / 1000.0), end, g.gapMs()));
        }
        return bars;
    }

    /** Writes {@link #svg} to {@code file} (replacing it). */
    public static void write(Path file, String title, String subtitle, int connections, double durationS, List<Bar> bars,
                             List<Marker> markers) throws IOException {
        Files.writeString(file, svg(title, subtitle, connections, durationS, bars, markers), StandardCharsets.UTF_8);
    }

    /**
     * The SVG document.
     *
     * @param connections rows (connection indexes 0 to {@code connections - 1})
     * @param durationS   the time axis runs from 0 to this (or to the latest bar or marker, if later)
     */
    public static String svg(String title, String subtitle, int connections, double durationS, List<Bar> bars,
                             List<Marker> markers) {
        if (connections < 1) {
            throw new IllegalArgumentException("invalid connections: value=" + connections + ", expected >= 1");
        }
        double span = Math.max(durationS, 0.001);
        for (Bar b : bars) {
            span = Math.max(span, b.endS());
        }
        for (Marker m : markers) {
            span = Math.max(span, m.atS());
        }
        int plotW = WIDTH - LEFT - RIGHT;
        int plotH = Math.max(MIN_PLOT_HEIGHT, connections * ROW);
        int height = TOP + plotH + BOTTOM;
        double rowH = (double) plotH / connections;
        StringBuilder sb = new StringBuilder(4096 + bars.size() * 160);
        sb.append("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        sb.append(String.format(Locale.ROOT, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
            + " viewBox=\"0 0 %d %d\" font-family=\"sans-serif\" font-size=\"12\">%n", WIDTH, height, WIDTH, height));
        sb.append("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
        sb.append(String.format(Locale.ROOT, "<text class=\"title\" x=\"%d\" y=\"24\" font-size=\"16\" font-weight=\"bold\">%s</text>%n",
            LEFT, escape(title)));
        sb.append(String.format(Locale.ROOT, "<text class=\"subtitle\" x=\"%d\" y=\"46\">%s</text>%n", LEFT, escape(subtitle)));
        // plot frame
        sb.append(String.format(Locale.ROOT, "<rect class=\"frame\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"none\""
            + " stroke=\"black\"/>%n", LEFT, TOP, plotW, plotH));
        // x axis: ticks at a round step, about ten of them
        double step = niceStep(span / 10);
        for (int i = 0; i * step <= span + 1e-9; i++) {
            double t = i * step;
            double x = LEFT + t / span * plotW;
            sb.append(String.format(Locale.ROOT, "<line x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\" stroke=\"#ddd\"/>%n",
                x, TOP, x, TOP + plotH));
            sb.append(String.format(Locale.ROOT, "<text x=\"%.2f\" y=\"%d\" text-anchor=\"middle\">%s</text>%n",
                x, TOP + plotH + 16, trim(t)));
        }
        sb.append(String.format(Locale.ROOT, "<text class=\"xlabel\" x=\"%d\" y=\"%d\" text-anchor=\"middle\">"
            + "time since the load started (s)</text>%n", LEFT + plotW / 2, TOP + plotH + 36));
        // y axis: connection index, top to bottom
        int yStep = (int) Math.max(1, niceStep(connections / 8.0));
        for (int c = 0; c < connections; c += yStep) {
            double y = TOP + (c + 0.5) * rowH;
            sb.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%.2f\" text-anchor=\"end\" dominant-baseline=\"middle\">%d</text>%n",
                LEFT - 6, y, c));
        }
        sb.append(String.format(Locale.ROOT, "<text class=\"ylabel\" x=\"18\" y=\"%d\" text-anchor=\"middle\""
            + " transform=\"rotate(-90 18 %d)\">connection</text>%n", TOP + plotH / 2, TOP + plotH / 2));
        // the stalls
        double barH = Math.max(1, rowH * 0.7);
        for (Bar b : bars) {
            double x = LEFT + b.startS() / span * plotW;
            double w = Math.max(1, (b.endS() - b.startS()) / span * plotW);
            double y = TOP + b.connection() * rowH + (rowH - barH) / 2;
            String colour = b.gapMs() < SHORT_MS ? "#9aa5b1" : b.gapMs() < LONG_MS ? "#f0a030" : "#d03030";
            sb.append(String.format(Locale.ROOT, "<rect class=\"gap\" x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\""
                    + " fill=\"%s\"><title>connection %d: no reply for %.1f ms, until %.3f s</title></rect>%n",
                x, y, w, barH, colour, b.connection(), b.gapMs(), b.endS()));
        }
        // events
        for (Marker m : markers) {
            double x = LEFT + m.atS() / span * plotW;
            sb.append(String.format(Locale.ROOT, "<line class=\"marker\" x1=\"%.2f\" y1=\"%d\" x2=\"%.2f\" y2=\"%d\""
                + " stroke=\"#c00000\" stroke-width=\"2\" stroke-dasharray=\"6 3\"/>%n", x, TOP - 8, x, TOP + plotH));
            sb.append(String.format(Locale.ROOT, "<text class=\"marker-label\" x=\"%.2f\" y=\"%d\" fill=\"#c00000\""
                + " text-anchor=\"middle\">%s</text>%n", x, TOP - 12, escape(m.label())));
        }
        // legend
        int ly = TOP + plotH + 56;
        String[][] legend = {{"#9aa5b1", "stall < " + trim(SHORT_MS) + " ms"},
            {"#f0a030", trim(SHORT_MS) + " - " + trim(LONG_MS) + " ms"}, {"#d03030", "> " + trim(LONG_MS) + " ms"}};
        int lx = LEFT;
        for (String[] l : legend) {
            sb.append(String.format(Locale.ROOT, "<rect x=\"%d\" y=\"%d\" width=\"14\" height=\"8\" fill=\"%s\"/>"
                + "<text x=\"%d\" y=\"%d\">%s</text>%n", lx, ly - 8, l[0], lx + 20, ly, escape(l[1])));
            lx += 150;
        }
        sb.append("</svg>\n");
        return sb.toString();
    }

    /** 1, 2 or 5 times a power of ten, at least {@code raw}. */
    static double niceStep(double raw) {
        if (!(raw > 0)) {
            return 1;
        }
        double p = Math.pow(10, Math.floor(Math.log10(raw)));
        for (double m : new double[] {1, 2, 5, 10}) {
            if (m * p >= raw * (1 - 1e-9)) {
                return m * p;
            }
        }
        return 10 * p;
    }

    private static String trim(double v) {
        return v == Math.rint(v) ? Long.toString((long) v)
            : new java.math.BigDecimal(String.format(Locale.ROOT, "%.3g", v)).stripTrailingZeros().toPlainString();
    }

    static String escape(String s) {
        StringBuilder sb = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '&' -> sb.append("&amp;");
                case '<' -> sb.append("&lt;");
                case '>' -> sb.append("&gt;");
                case '"' -> sb.append("&quot;");
                case '\'' -> sb.append("&apos;");
                default -> sb.append(c);
            }
        }
        return sb.toString();
    }
}
