package dev.linden.cli;

import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvTxn;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A transaction as etcdctl's {@code txn} reads it from standard input: compares, a blank line, the success ops,
 * a blank line, the failure ops. A compare is {@code value("k") = "v"}, {@code version("k") > 2},
 * {@code create("k") = 0} or {@code mod("k") < 9} (=, !=, <, >); an op is {@code get KEY [END]},
 * {@code get --prefix KEY}, {@code put KEY VALUE}, {@code del KEY [END]}, {@code del --prefix KEY} or
 * {@code append KEY VALUE}. Words may be double-quoted (with \" and \\ inside).
 */
final class TxnScript {
    private static final Pattern COMPARE = Pattern.compile(
            "(value|version|create|mod)\\(\\s*(\"(?:[^\"\\\\]|\\\\.)*\"|[^)\\s]+)\\s*\\)\\s*(=|!=|<|>)\\s*(.+)");

    private TxnScript() {}

    static KvTxn parse(List<String> lines) {
        List<List<String>> blocks = new ArrayList<>(List.of(new ArrayList<>()));
        for (String line : lines) {
            if (line.isBlank()) {
                if (blocks.size() == 3) {
                    continue; // trailing blank lines
                }
                blocks.add(new ArrayList<>());
            } else {
                if (blocks.size() > 3) {
                    throw new IllegalArgumentException("more than three blocks (compares, success, failure)");
                }
                blocks.get(blocks.size() - 1).add(line.strip());
            }
        }
        while (blocks.size() < 3) {
            blocks.add(List.of());
        }
        List<KvTxn.Compare> compares = new ArrayList<>();
        for (String line : blocks.get(0)) {
            compares.add(compare(line));
        }
        return new KvTxn(compares, ops(blocks.get(1)), ops(blocks.get(2)));
    }

    private static KvTxn.Compare compare(String line) {
        Matcher m = COMPARE.matcher(line);
        if (!m.matches()) {
            throw new IllegalArgumentException(
                    "not a compare: " + line + " (e.g. value(\"k\") = \"v\", mod(\"k\") > 3)");
        }
        String key = unquote(m.group(2));
        KvTxn.Cmp cmp = switch (m.group(3)) {
            case "=" -> KvTxn.Cmp.EQUAL;
            case "!=" -> KvTxn.Cmp.NOT_EQUAL;
            case "<" -> KvTxn.Cmp.LESS;
            default -> KvTxn.Cmp.GREATER;
        };
        String operand = m.group(4).strip();
        if (m.group(1).equals("value")) {
            return KvTxn.Compare.value(key, cmp, unquote(operand));
        }
        long n;
        try {
            n = Long.parseLong(unquote(operand));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not a number in: " + line);
        }
        return switch (m.group(1)) {
            case "version" -> KvTxn.Compare.version(key, cmp, n);
            case "create" -> KvTxn.Compare.createRevision(key, cmp, n);
            default -> KvTxn.Compare.modRevision(key, cmp, n);
        };
    }

    private static List<KvTxn.Op> ops(List<String> lines) {
        List<KvTxn.Op> ops = new ArrayList<>();
        for (String line : lines) {
            List<String> w = words(line);
            boolean prefix = w.size() == 3 && w.get(1).equals("--prefix");
            String verb = w.get(0);
            KvTxn.Op op = switch (verb) {
                case "get" ->
                    w.size() == 2
                            ? KvTxn.Op.get(KvRange.key(w.get(1)))
                            : w.size() == 3
                                    ? KvTxn.Op.get(
                                            prefix ? KvRange.prefix(w.get(2)) : KvRange.between(w.get(1), w.get(2)))
                                    : null;
                case "put" -> w.size() == 3 ? KvTxn.Op.put(w.get(1), w.get(2)) : null;
                case "append" -> w.size() == 3 ? KvTxn.Op.append(w.get(1), w.get(2)) : null;
                case "del" ->
                    w.size() == 2
                            ? KvTxn.Op.delete(w.get(1))
                            : w.size() == 3
                                    ? KvTxn.Op.deleteRange(
                                            prefix ? w.get(2) : w.get(1),
                                            prefix ? KvRange.prefixEnd(w.get(2)) : w.get(2))
                                    : null;
                default -> null;
            };
            if (op == null) {
                throw new IllegalArgumentException("not an op: " + line
                        + " (get KEY [END], get --prefix KEY, put KEY VALUE, del KEY [END], del --prefix KEY,"
                        + " append KEY VALUE)");
            }
            ops.add(op);
        }
        return ops;
    }

    /** Words split at spaces; a double-quoted word may hold spaces, \" and \\. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (i < line.length()) {
            char c = line.charAt(i);
            if (c == ' ' || c == '\t') {
                i++;
                continue;
            }
            StringBuilder w = new StringBuilder();
            if (c == '"') {
                i++;
                while (i < line.length() && line.charAt(i) != '"') {
                    if (line.charAt(i) == '\\' && i + 1 < line.length()) {
                        i++;
                    }
                    w.append(line.charAt(i++));
                }
                if (i >= line.length()) {
                    throw new IllegalArgumentException("an unclosed quote in: " + line);
                }
                i++;
            } else {
                while (i < line.length() && line.charAt(i) != ' ' && line.charAt(i) != '\t') {
                    w.append(line.charAt(i++));
                }
            }
            out.add(w.toString());
        }
        return out;
    }

    private static String unquote(String s) {
        List<String> w = words(s);
        if (w.size() != 1) {
            throw new IllegalArgumentException("expected one word, got: " + s);
        }
        return w.get(0);
    }
}
