package com.keypointstf.core;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.Test;

public class JsonTest {

    @Test
    public void parsesEveryKindOfValue() {
        Map<String, Object> object = Json.parseObject(
                "{\"a\": [1, -2, 3.5, 1e2, -0.25E-1], \"b\": {\"c\": true, \"d\": false, \"e\": null}, \"s\": \"x\"}");
        List<?> numbers = (List<?>) object.get("a");
        assertEquals(1L, numbers.get(0));
        assertEquals(-2L, numbers.get(1));
        assertEquals(3.5, numbers.get(2));
        assertEquals(100.0, numbers.get(3));
        assertEquals(-0.025, numbers.get(4));
        Map<?, ?> b = (Map<?, ?>) object.get("b");
        assertEquals(Boolean.TRUE, b.get("c"));
        assertEquals(Boolean.FALSE, b.get("d"));
        assertTrue(b.containsKey("e"));
        assertNull(b.get("e"));
        assertEquals("x", object.get("s"));
        assertEquals(List.of(), Json.parse(" [ ] "));
        assertEquals(Map.of(), Json.parse("{}"));
    }

    @Test
    public void decodesEscapes() {
        assertEquals("q\" b\\ s/ \b\f\n\r\t \u00e9 \ud83d\ude00",
                Json.parse("\"q\\\" b\\\\ s\\/ \\b\\f\\n\\r\\t \\u00e9 \\ud83d\\ude00\""));
    }

    @Test
    public void keepsKeyOrder() {
        Map<String, Object> object = Json.parseObject("{\"z\": 1, \"a\": 2, \"m\": 3}");
        assertEquals(List.of("z", "a", "m"), List.copyOf(object.keySet()));
    }

    @Test
    public void rejectsMalformedTextWithPosition() {
        String[] bad = {"", "{", "[1, 2", "{\"a\" 1}", "{\"a\": 1,}", "[1,]", "01", "1.", "-", "tru", "\"abc",
                "\"\\x\"", "{\"a\": 1} x", "{'a': 1}", "{\"a\": 1, \"a\": 2}", "\"tab\there\"", "[1 2]", "NaN"};
        for (String text : bad) {
            Json.JsonException e = assertThrows(text, Json.JsonException.class, () -> Json.parse(text));
            assertTrue(e.getMessage(), e.getMessage().startsWith("invalid JSON at line "));
        }
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parse("{\n  \"a\": ?\n}"));
        assertTrue(e.getMessage(), e.getMessage().contains("line 2, column 8"));
    }

    @Test
    public void parseObjectRequiresAnObject() {
        Json.JsonException e = assertThrows(Json.JsonException.class, () -> Json.parseObject("[1]"));
        assertTrue(e.getMessage(), e.getMessage().contains("got array"));
    }
}
