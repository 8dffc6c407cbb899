package dev.understudy.benchmarks.recording;

import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes the values {@code dev.understudy.lab.Json} parses (maps, lists, strings, numbers,
 * booleans, null) back as JSON, indented two spaces a level (one map entry per line, lists of
 * plain values on one line) so that result files diff well. Stateless.
 */
final class JsonOut {
    private JsonOut() {
    }

    static String write(Object v) {
        StringBuilder sb = new StringBuilder();
        write(sb, v, 0);
        return sb.toString();
    }

    private static void write(StringBuilder sb, Object v, int depth) {
        if (v == null) {
            sb.append("null");
        } else if (v instanceof String) {
            string(sb, (String) v);
        } else if (v instanceof Double || v instanceof Float) {
            double d = ((Number) v).doubleValue();
            if (Double.isNaN(d) || Double.isInfinite(d)) {
                sb.append("null");
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                sb.append((long) d);
            } else {
                sb.append(d);
            }
        } else if (v instanceof Number || v instanceof Boolean) {
            sb.append(v);
        } else if (v instanceof Map) {
            sb.append('{');
            Iterator<? extends Map.Entry<?, ?>> it = ((Map<?, ?>) v).entrySet().iterator();
            while (it.hasNext()) {
                Map.Entry<?, ?> e = it.next();
                newline(sb, depth + 1);
                string(sb, String.valueOf(e.getKey()));
                sb.append(": ");
                write(sb, e.getValue(), depth + 1);
                if (it.hasNext()) {
                    sb.append(',');
                }
            }
            if (!((Map<?, ?>) v).isEmpty()) {
                newline(sb, depth);
            }
            sb.append('}');
        } else if (v instanceof List) {
            sb.append('[');
            List<?> l = (List<?>) v;
            boolean nested = l.stream().anyMatch(o -> o instanceof Map || o instanceof List);
            for (int i = 0; i < l.size(); i++) {
                if (nested) {
                    newline(sb, depth + 1);
                }
                write(sb, l.get(i), depth + 1);
                if (i < l.size() - 1) {
                    sb.append(nested ? "," : ", ");
                }
            }
            if (nested) {
                newline(sb, depth);
            }
            sb.append(']');
        } else {
            string(sb, v.toString());
        }
    }

    private static void newline(StringBuilder sb, int depth) {
        sb.append('\n');
        for (int i = 0; i < depth; i++) {
            sb.append("  ");
        }
    }

    private static void string(StringBuilder sb, String s) {
        sb.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        sb.append('"');
    }
}
