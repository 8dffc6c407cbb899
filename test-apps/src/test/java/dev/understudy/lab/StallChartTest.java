package dev.understudy.lab;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.understudy.apps.GapLog;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

class StallChartTest {
    private static Document parse(String svg) throws Exception {
        DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
        f.setNamespaceAware(true);
        return f.newDocumentBuilder().parse(new ByteArrayInputStream(svg.getBytes(StandardCharsets.UTF_8)));
    }

    private static List<Element> withClass(Document d, String tag, String cls) {
        NodeList all = d.getElementsByTagName(tag);
        List<Element> l = new ArrayList<>();
        for (int i = 0; i < all.getLength(); i++) {
            Element e = (Element) all.item(i);
            if (cls.equals(e.getAttribute("class"))) {
                l.add(e);
            }
        }
        return l;
    }

    private static double num(Element e, String attr) {
        return Double.parseDouble(e.getAttribute(attr));
    }

    @Test
    void shouldDrawOneBarPerStallAtItsTimeAndConnectionAndALineAtTheKill() throws Exception {
        // 10 s axis, 64 rows of 8 px: x = LEFT + t / 10 * plotW, row c starts at TOP + 8c
        List<StallChart.Bar> bars = List.of(new StallChart.Bar(0, 2.0, 2.5, 500), new StallChart.Bar(63, 5.0, 6.0, 1000),
            new StallChart.Bar(10, 7.0, 7.03, 30));
        String svg = StallChart.svg("64 kept, 0 errors", "p99 1000 ms", 64, 10, bars,
            List.of(new StallChart.Marker(4.0, "SIGKILL node1")));
        Document d = parse(svg);
        assertEquals("svg", d.getDocumentElement().getLocalName());
        assertEquals("http://www.w3.org/2000/svg", d.getDocumentElement().getNamespaceURI());
        List<Element> rects = withClass(d, "rect", "gap");
        assertEquals(3, rects.size());
        double plotW = StallChart.WIDTH - StallChart.LEFT - StallChart.RIGHT;
        Element first = rects.get(0);
        assertEquals(StallChart.LEFT + 0.2 * plotW, num(first, "x"), 0.01);
        assertEquals(0.05 * plotW, num(first, "width"), 0.01);
        assertTrue(num(first, "y") >= StallChart.TOP && num(first, "y") + num(first, "height") <= StallChart.TOP + 8);
        Element last = rects.get(1);
        assertTrue(num(last, "y") >= StallChart.TOP + 63 * 8 && num(last, "y") + num(last, "height") <= StallChart.TOP + 64 * 8);
        assertEquals("#d03030", last.getAttribute("fill"), "a stall of a second is red");
        assertEquals("#9aa5b1", rects.get(2).getAttribute("fill"), "a short stall is grey");
        assertTrue(num(rects.get(2), "width") >= 1, "a short stall is still visible");
        assertTrue(rects.get(1).getTextContent().contains("connection 63: no reply for 1000.0 ms"), rects.get(1).getTextContent());
        List<Element> markers = withClass(d, "line", "marker");
        assertEquals(1, markers.size());
        assertEquals(StallChart.LEFT + 0.4 * plotW, num(markers.get(0), "x1"), 0.01);
        assertEquals(num(markers.get(0), "x1"), num(markers.get(0), "x2"), 1e-9, "vertical");
        assertEquals("SIGKILL node1", withClass(d, "text", "marker-label").get(0).getTextContent());
        assertEquals("64 kept, 0 errors", withClass(d, "text", "title").get(0).getTextContent());
        assertEquals("time since the load started (s)", withClass(d, "text", "xlabel").get(0).getTextContent());
        assertEquals("connection", withClass(d, "text", "ylabel").get(0).getTextContent());
    }

    @Test
    void shouldEscapeTextAndStretchTheAxisToTheLatestBar() throws Exception {
        String svg = StallChart.svg("a < b & \"c\"", "'d' > e", 2, 1, List.of(new StallChart.Bar(1, 1.0, 4.0, 3000)), List.of());
        Document d = parse(svg); // would throw on unescaped text
        assertEquals("a < b & \"c\"", withClass(d, "text", "title").get(0).getTextContent());
        assertEquals("'d' > e", withClass(d, "text", "subtitle").get(0).getTextContent());
        Element bar = withClass(d, "rect", "gap").get(0);
        double plotW = StallChart.WIDTH - StallChart.LEFT - StallChart.RIGHT;
        assertEquals(StallChart.LEFT + 0.25 * plotW, num(bar, "x"), 0.01, "the axis runs to 4 s, not 1 s");
        assertEquals(0.75 * plotW, num(bar, "width"), 0.01);
        assertEquals(0, withClass(d, "line", "marker").size());
        assertThrows(IllegalArgumentException.class, () -> StallChart.svg("t", "s", 0, 1, List.of(), List.of()));
    }

    @Test
    void shouldTimeTheBarsOfAGapLogFromItsStart() {
        GapLog.Contents log = new GapLog.Contents(10_000, 20, 4, List.of(new GapLog.Gap(12_500, 3, 500), new GapLog.Gap(10_010, 1, 40)));
        assertEquals(List.of(new StallChart.Bar(3, 2.0, 2.5, 500), new StallChart.Bar(1, 0.0, 0.01, 40)), StallChart.bars(log));
    }

    @Test
    void shouldPickRoundTickSteps() {
        assertEquals(1, StallChart.niceStep(0.7), 1e-12);
        assertEquals(2, StallChart.niceStep(1.5), 1e-12);
        assertEquals(5, StallChart.niceStep(4.2), 1e-12);
        assertEquals(10, StallChart.niceStep(6), 1e-12);
        assertEquals(0.2, StallChart.niceStep(0.2), 1e-12);
    }
}
