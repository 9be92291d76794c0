package dev.linden.kvnode.client;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.linden.kvnode.kv.KvCommand;
import org.junit.jupiter.api.Test;

class RequestSizeTest {
    private static final int KEY = KvCommand.MAX_KEY_BYTES;
    private static final int VALUE = KvCommand.MAX_VALUE_BYTES;

    @Test
    void countsBytesNotCharsWhereACharMayTakeSeveral() {
        // Within the limit by chars but not by UTF-8 bytes: 'é' is two bytes, '€' three.
        String wideKey = "é".repeat(KEY / 2 + 1);
        assertEquals(
                "key of " + (KEY + 2) + " bytes exceeds the limit of " + KEY + " bytes (--max-key-bytes)",
                RequestSize.problem(KvCommand.get(wideKey)));
        String wideValue = "€".repeat(VALUE / 3 + 1);
        assertEquals(
                "value of " + (VALUE / 3 + 1) * 3 + " bytes exceeds the limit of " + VALUE
                        + " bytes (--max-value-bytes)",
                RequestSize.problem(KvCommand.put("k", wideValue)));
        assertEquals(
                "expected value of " + (VALUE / 3 + 1) * 3 + " bytes exceeds the limit of " + VALUE
                        + " bytes (--max-value-bytes)",
                RequestSize.problem(KvCommand.cas("k", wideValue, "v")));
    }

    @Test
    void acceptsEverythingUpToTheLimitsExactly() {
        assertNull(RequestSize.problem(KvCommand.put("k".repeat(KEY), "v".repeat(VALUE))));
        assertNull(RequestSize.problem(KvCommand.put("é".repeat(KEY / 2), "€".repeat(VALUE / 3))));
        assertNull(RequestSize.problem(KvCommand.delete("k")));
        assertEquals(
                "key of " + (KEY + 1) + " bytes exceeds the limit of " + KEY + " bytes (--max-key-bytes)",
                RequestSize.problem(KvCommand.get("k".repeat(KEY + 1))));
    }
}
