package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JsonTest {
    @Test
    void shouldWriteOneLineWithNumbersAsNumbers() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("ok", true);
        m.put("count", 3L);
        m.put("whole", 5.0);
        m.put("ratio", 0.25);
        m.put("gap", Json.round3(1.5));
        m.put("rate", Json.round(1234.5, 0));
        m.put("nan", Double.NaN);
        m.put("none", null);
        m.put("text", "q\"\n\u0001");
        m.put("list", List.of(1, 2));
        m.put("empty", Map.of());
        assertEquals("{\"ok\":true,\"count\":3,\"whole\":5,\"ratio\":0.25,\"gap\":1.500,\"rate\":1235,\"nan\":null,"
            + "\"none\":null,\"text\":\"q\\\"\\n\\u0001\",\"list\":[1,2],\"empty\":{}}", Json.write(m));
        assertEquals(m.get("text"), Json.object(Json.write(m)).get("text"));
    }

    @Test
    void shouldIndentThePrettyForm() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("a", 1);
        m.put("b", Map.of("c", "d"));
        m.put("l", List.of(1, 2));
        assertEquals("{\n  \"a\": 1,\n  \"b\": {\n    \"c\": \"d\"\n  },\n  \"l\": [ 1, 2 ]\n}", Json.pretty(m));
        assertEquals(Map.of("a", 1L, "b", Map.of("c", "d"), "l", List.of(1L, 2L)), Json.object(Json.pretty(m)));
    }

    @Test
    void shouldRejectWhatIsNotOneObject() {
        assertThrows(IllegalArgumentException.class, () -> Json.object("[1]"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\":1} {}"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\":1"));
        assertThrows(IllegalArgumentException.class, () -> Json.object("{\"a\":99999999999999999999}"));
    }
}
