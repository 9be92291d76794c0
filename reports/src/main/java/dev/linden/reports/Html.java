package dev.linden.reports;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.SerializationFeature;

/** Escaping and compact rendering of values for the report. */
final class Html {
    private Html() {}

    static String esc(String s) {
        StringBuilder b = new StringBuilder(s.length() + 16);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '<' -> b.append("&lt;");
                case '>' -> b.append("&gt;");
                case '&' -> b.append("&amp;");
                case '"' -> b.append("&quot;");
                case '\'' -> b.append("&#39;");
                default -> b.append(c);
            }
        }
        return b.toString();
    }

    /** A value as compact JSON (strings bare). */
    static String compact(Object v) {
        if (v == null) {
            return "nil";
        }
        if (v instanceof String s) {
            return s;
        }
        try {
            return RunData.JSON.writeValueAsString(v);
        } catch (JsonProcessingException e) {
            return String.valueOf(v);
        }
    }

    static String pretty(Object v) {
        try {
            return RunData.JSON
                    .copy()
                    .enable(SerializationFeature.INDENT_OUTPUT)
                    .writeValueAsString(v);
        } catch (JsonProcessingException e) {
            return String.valueOf(v);
        }
    }

    /** JSON safe to put inside a script element. */
    static String scriptJson(Object v) throws JsonProcessingException {
        return RunData.JSON.writeValueAsString(v).replace("</", "<\\/").replace("<!--", "<\\!--");
    }
}
