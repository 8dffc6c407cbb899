package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LabMainTest {
    private static LabMain.Command parse(String... args) throws LabMain.UsageException {
        return LabMain.parse(args);
    }

    private static String usageError(String... args) {
        return assertThrows(LabMain.UsageException.class, () -> LabMain.parse(args)).getMessage();
    }

    @Test
    void shouldParseUpWithDefaultsAndOptions() throws Exception {
        assertEquals(new LabMain.Command("up", LabMain.DEFAULT_NODES, null, false, null, null, List.of()), parse("up"));
        assertEquals(new LabMain.Command("up", 5, "abc1", false, null, null, List.of()), parse("up", "--nodes", "5", "--name", "abc1"));
    }

    @Test
    void shouldParseExecWithTheCommandAfterTheDoubleDash() throws Exception {
        assertEquals(new LabMain.Command("exec", 0, null, false, null, "node1", List.of("ip", "-br", "addr")),
            parse("exec", "node1", "--", "ip", "-br", "addr"));
        assertEquals(new LabMain.Command("exec", 0, "x", false, null, "client", List.of("--weird", "--")),
            parse("exec", "--name", "x", "client", "--", "--weird", "--"));
    }

    @Test
    void shouldParseDown() throws Exception {
        assertEquals(new LabMain.Command("down", 0, null, false, null, null, List.of()), parse("down"));
        assertEquals(new LabMain.Command("down", 0, null, true, null, null, List.of()), parse("down", "--all"));
        assertEquals(new LabMain.Command("down", 0, "a1", false, null, null, List.of()), parse("down", "--name", "a1"));
        assertEquals(new LabMain.Command("down", 0, null, false, "t12", null, List.of()), parse("down", "--prefix", "t12"));
        assertEquals("list", parse("list").verb());
        assertEquals("help", parse("--help").verb());
    }

    @Test
    void shouldRejectBadCommandLinesWithAClearMessage() {
        assertTrue(usageError().contains("missing command"));
        assertTrue(usageError("sideways").contains("unknown lab command: sideways"));
        assertTrue(usageError("up", "--nodes", "0").contains("value=0"));
        assertTrue(usageError("up", "--nodes", "9").contains("value=9"));
        assertTrue(usageError("up", "--nodes", "many").contains("value=many"));
        assertTrue(usageError("up", "--nodes").contains("missing value for --nodes"));
        assertTrue(usageError("up", "--name", "Bad_Name").contains("value=Bad_Name"));
        assertTrue(usageError("up", "extra").contains("extra"));
        assertTrue(usageError("exec").contains("missing NODE"));
        assertTrue(usageError("exec", "node1").contains("missing command"));
        assertTrue(usageError("exec", "node1", "--").contains("missing command"));
        assertTrue(usageError("exec", "node1", "ls").contains("after --"));
        assertTrue(usageError("exec", "router", "--", "ls").contains("value=router"));
        assertTrue(usageError("down", "--all", "--name", "x").contains("one of"));
        assertTrue(usageError("down", "--everything").contains("--everything"));
        assertTrue(usageError("list", "x").contains("x"));
    }

    @Test
    void shouldReadTheJsonTheToolsPrint() {
        Map<String, Object> m = Json.object("{\"a\":[1,2.5,-3e2,true,false,null],\"s\":\"q\\\"\\n\\u0041\",\"o\":{}}");
        assertEquals(List.of(1L, 2.5, -300.0, true, false), ((List<?>) m.get("a")).subList(0, 5));
        assertEquals("q\"\nA", m.get("s"));
        assertEquals(Map.of(), m.get("o"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("{\"a\":}"));
        assertThrows(IllegalArgumentException.class, () -> Json.parse("[1,2] x"));
    }
}
