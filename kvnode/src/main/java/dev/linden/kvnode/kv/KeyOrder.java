package dev.linden.kvnode.kv;

import java.util.Comparator;

/**
 * Keys in code-point order, which is the order of their UTF-8 bytes (etcd's order). {@link String#compareTo}
 * compares UTF-16 units instead, and puts a character above U+FFFF (a surrogate pair, 0xD800-0xDFFF) before
 * U+E000-U+FFFF; here surrogates are moved above them when two keys first differ.
 */
final class KeyOrder implements Comparator<String> {
    static final KeyOrder INSTANCE = new KeyOrder();

    private KeyOrder() {}

    @Override
    public int compare(String a, String b) {
        int n = Math.min(a.length(), b.length());
        for (int i = 0; i < n; i++) {
            char x = a.charAt(i);
            char y = b.charAt(i);
            if (x != y) {
                return fix(x) - fix(y);
            }
        }
        return a.length() - b.length();
    }

    /** 0xE000-0xFFFF down to 0xD800-0xF7FF, surrogates up to 0xF800-0xFFFF; the rest unchanged. */
    private static int fix(char c) {
        if (c < 0xD800) {
            return c;
        }
        return c >= 0xE000 ? c - 0x800 : c + 0x2000;
    }
}
