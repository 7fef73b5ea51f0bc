package com.keypointstf.core;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small strict JSON reader (RFC 8259), enough for the model contract and the golden files.
 *
 * <p>Values map to: object -> {@code Map<String, Object>} (insertion order kept), array ->
 * {@code List<Object>}, string -> {@code String}, number without fraction or exponent -> {@code Long},
 * other number -> {@code Double}, true/false -> {@code Boolean}, null -> {@code null}. Malformed input
 * raises {@link JsonException} with the line and column of the problem.
 *
 * <p>Example: {@code Map<String, Object> contract = Json.parseObject("{\"format\": \"x\"}");}
 */
public final class Json {

    /** Thrown for text that is not valid JSON; the message gives the line and column. */
    public static final class JsonException extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;

        JsonException(String message) {
            super(message);
        }
    }

    private static final int MAX_DEPTH = 256;

    private final String text;
    private int position;
    private int depth;

    private Json(String text) {
        this.text = text;
    }

    /** Any JSON value. */
    public static Object parse(String text) {
        if (text == null) {
            throw new JsonException("expected JSON text, got null");
        }
        Json reader = new Json(text);
        reader.skipWhitespace();
        Object value = reader.readValue();
        reader.skipWhitespace();
        if (reader.position != text.length()) {
            throw reader.error("expected the end of the text after the top-level value");
        }
        return value;
    }

    /** A JSON text whose top-level value must be an object. */
    @SuppressWarnings("unchecked")
    public static Map<String, Object> parseObject(String text) {
        Object value = parse(text);
        if (!(value instanceof Map)) {
            throw new JsonException("expected a JSON object at the top level, got " + typeName(value));
        }
        return (Map<String, Object>) value;
    }

    /** "object", "array", "string", "number", "boolean" or "null": for error messages. */
    public static String typeName(Object value) {
        if (value == null) return "null";
        if (value instanceof Map) return "object";
        if (value instanceof List) return "array";
        if (value instanceof String) return "string";
        if (value instanceof Number) return "number";
        if (value instanceof Boolean) return "boolean";
        return value.getClass().getSimpleName();
    }

    // === Reader ===

    private Object readValue() {
        if (position >= text.length()) {
            throw error("expected a value, got the end of the text");
        }
        char c = text.charAt(position);
        switch (c) {
            case '{':
                return readObject();
            case '[':
                return readArray();
            case '"':
                return readString();
            case 't':
                expectWord("true");
                return Boolean.TRUE;
            case 'f':
                expectWord("false");
                return Boolean.FALSE;
            case 'n':
                expectWord("null");
                return null;
            default:
                if (c == '-' || (c >= '0' && c <= '9')) {
                    return readNumber();
                }
                throw error("expected a value, got '" + c + "'");
        }
    }

    private Map<String, Object> readObject() {
        enter();
        position++; // '{'
        Map<String, Object> object = new LinkedHashMap<>();
        skipWhitespace();
        if (peek() == '}') {
            position++;
            depth--;
            return Collections.unmodifiableMap(object);
        }
        while (true) {
            skipWhitespace();
            if (peek() != '"') {
                throw error("expected a string key in an object");
            }
            String key = readString();
            skipWhitespace();
            expect(':');
            skipWhitespace();
            Object value = readValue();
            if (object.containsKey(key)) {
                throw error("duplicate key \"" + key + "\" in an object");
            }
            object.put(key, value);
            skipWhitespace();
            char c = peek();
            position++;
            if (c == '}') {
                depth--;
                return Collections.unmodifiableMap(object);
            }
            if (c != ',') {
                position--;
                throw error("expected ',' or '}' in an object");
            }
        }
    }

    private List<Object> readArray() {
        enter();
        position++; // '['
        List<Object> array = new ArrayList<>();
        skipWhitespace();
        if (peek() == ']') {
            position++;
            depth--;
            return Collections.unmodifiableList(array);
        }
        while (true) {
            skipWhitespace();
            array.add(readValue());
            skipWhitespace();
            char c = peek();
            position++;
            if (c == ']') {
                depth--;
                return Collections.unmodifiableList(array);
            }
            if (c != ',') {
                position--;
                throw error("expected ',' or ']' in an array");
            }
        }
    }

    private String readString() {
        position++; // opening quote
        StringBuilder builder = new StringBuilder();
        while (true) {
            if (position >= text.length()) {
                throw error("unterminated string");
            }
            char c = text.charAt(position++);
            if (c == '"') {
                return builder.toString();
            }
            if (c < 0x20) {
                position--;
                throw error("control character in a string (escape it)");
            }
            if (c != '\\') {
                builder.append(c);
                continue;
            }
            if (position >= text.length()) {
                throw error("unterminated escape in a string");
            }
            char escape = text.charAt(position++);
            switch (escape) {
                case '"': builder.append('"'); break;
                case '\\': builder.append('\\'); break;
                case '/': builder.append('/'); break;
                case 'b': builder.append('\b'); break;
                case 'f': builder.append('\f'); break;
                case 'n': builder.append('\n'); break;
                case 'r': builder.append('\r'); break;
                case 't': builder.append('\t'); break;
                case 'u': builder.append(readHexChar()); break;
                default:
                    position--;
                    throw error("unknown escape '\\" + escape + "' in a string");
            }
        }
    }

    private char readHexChar() {
        if (position + 4 > text.length()) {
            throw error("expected 4 hex digits after \\u");
        }
        int value = 0;
        for (int i = 0; i < 4; i++) {
            int digit = Character.digit(text.charAt(position + i), 16);
            if (digit < 0) {
                throw error("expected 4 hex digits after \\u");
            }
            value = value * 16 + digit;
        }
        position += 4;
        return (char) value;
    }

    private Number readNumber() {
        int start = position;
        boolean integral = true;
        if (peek() == '-') position++;
        if (peek() == '0') {
            position++;
        } else if (isDigit(peek())) {
            while (isDigit(peek())) position++;
        } else {
            throw error("expected a digit in a number");
        }
        if (peek() == '.') {
            integral = false;
            position++;
            if (!isDigit(peek())) throw error("expected a digit after '.' in a number");
            while (isDigit(peek())) position++;
        }
        if (peek() == 'e' || peek() == 'E') {
            integral = false;
            position++;
            if (peek() == '+' || peek() == '-') position++;
            if (!isDigit(peek())) throw error("expected a digit in a number's exponent");
            while (isDigit(peek())) position++;
        }
        String literal = text.substring(start, position);
        if (integral) {
            try {
                return Long.parseLong(literal);
            } catch (NumberFormatException tooLong) {
                return Double.parseDouble(literal);
            }
        }
        return Double.parseDouble(literal);
    }

    // === Helpers ===

    private void enter() {
        if (++depth > MAX_DEPTH) {
            throw error("nesting deeper than " + MAX_DEPTH + " levels");
        }
    }

    private void expectWord(String word) {
        if (!text.startsWith(word, position)) {
            throw error("expected '" + word + "'");
        }
        position += word.length();
    }

    private void expect(char c) {
        if (peek() != c) {
            throw error("expected '" + c + "'");
        }
        position++;
    }

    /** The current character, or '\0' at the end (never a valid JSON token start). */
    private char peek() {
        return position < text.length() ? text.charAt(position) : '\0';
    }

    private static boolean isDigit(char c) {
        return c >= '0' && c <= '9';
    }

    private void skipWhitespace() {
        while (position < text.length()) {
            char c = text.charAt(position);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
            position++;
        }
    }

    private JsonException error(String message) {
        int line = 1;
        int column = 1;
        for (int i = 0; i < Math.min(position, text.length()); i++) {
            if (text.charAt(i) == '\n') {
                line++;
                column = 1;
            } else {
                column++;
            }
        }
        return new JsonException("invalid JSON at line " + line + ", column " + column + ": " + message);
    }
}
