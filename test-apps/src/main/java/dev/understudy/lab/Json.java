package dev.understudy.lab;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.SerializerProvider;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.ser.std.StdSerializer;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.Map;

/**
 * JSON for the one-line summaries the lab tools print and read (LoadClient, lab up, the
 * benchmarks), through Jackson. Parsed objects become {@code Map<String,Object>} (insertion
 * order), arrays {@code List<Object>}, numbers {@code Long} when integral (one beyond its range
 * is rejected) else {@code Double}, plus {@code String}, {@code Boolean} and {@code null}.
 * Written values are the same kinds, plus anything else Jackson serializes; {@link #write}
 * gives one line, no line end, {@link #pretty} an indented document for result files. A
 * {@code double} or {@code float} is written as a number, a whole one below 1e15 without
 * a fraction ({@code 3}, not {@code 3.0}), a NaN or infinite one as {@code null}.
 *
 * <p>Thread-safety: the mapper is configured once and shared; every method may be called
 * from any thread.
 */
public final class Json {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
        .enable(DeserializationFeature.USE_LONG_FOR_INTS)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .addModule(new SimpleModule("understudy-doubles")
            .addSerializer(Double.class, new DoubleSerializer())
            .addSerializer(Double.TYPE, new DoubleSerializer())
            .addSerializer(Float.class, new DoubleSerializer())
            .addSerializer(Float.TYPE, new DoubleSerializer()))
        .build();

    /** Two spaces a level, {@code "key": value}, one entry a line; arrays on one line. */
    private static final ObjectWriter PRETTY = MAPPER.writer(new DefaultPrettyPrinter(
            Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
        .withObjectIndenter(new DefaultIndenter("  ", "\n")));

    private Json() {
    }

    /**
     * Parses one JSON value.
     *
     * @throws IllegalArgumentException with the location, for malformed input
     */
    public static Object parse(String text) {
        try {
            return MAPPER.readValue(text, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("invalid JSON: " + e.getOriginalMessage()
                + (e.getLocation() == null ? "" : " at offset " + e.getLocation().getCharOffset()), e);
        }
    }

    /** Parses a JSON object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> object(String text) {
        Object v = parse(text);
        if (!(v instanceof Map)) {
            throw new IllegalArgumentException("expected a JSON object, got: " + text);
        }
        return (Map<String, Object>) v;
    }

    /** One line of JSON for {@code value} (maps keep their iteration order), no line end. */
    public static String write(Object value) {
        try {
            return MAPPER.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /** {@code value} as an indented JSON document (see the class comment), no final line end. */
    public static String pretty(Object value) {
        try {
            return PRETTY.writeValueAsString(value);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("cannot write as JSON: " + e.getOriginalMessage(), e);
        }
    }

    /**
     * {@code v} rounded half-up to {@code decimals} places, as a number that is written with
     * exactly that many (e.g. {@code 1.500} for 3, {@code 12} for 0); a NaN or infinite
     * {@code v} is returned as is (written as {@code null}).
     */
    public static Number round(double v, int decimals) {
        if (!Double.isFinite(v)) {
            return v;
        }
        return BigDecimal.valueOf(v).setScale(decimals, RoundingMode.HALF_UP);
    }

    /** {@link #round(double, int) round(v, 3)}. */
    public static Number round3(double v) {
        return round(v, 3);
    }

    private static final class DoubleSerializer extends StdSerializer<Number> {
        DoubleSerializer() {
            super(Number.class);
        }

        @Override
        public void serialize(Number value, JsonGenerator gen, SerializerProvider provider) throws IOException {
            double d = value.doubleValue();
            if (!Double.isFinite(d)) {
                gen.writeNull();
            } else if (d == Math.rint(d) && Math.abs(d) < 1e15) {
                gen.writeNumber((long) d);
            } else if (value instanceof Float) {
                gen.writeNumber(value.floatValue());
            } else {
                gen.writeNumber(d);
            }
        }
    }
}
