package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * How a read's string of {@link AppendModel} splits into a put value (or nothing) followed by append
 * values, and which ops those are: the parse the model's pruner is built from.
 */
final class AppendSpelling {
    private AppendSpelling() {}

    /** Can some put value (or the empty string) followed by append values spell {@code v}? */
    static boolean producible(
            String v, Map<String, List<Operation>> puts, Map<String, List<Operation>> appends, AppendPieces pieces) {
        List<String> starts = new ArrayList<>(puts.keySet());
        starts.add("");
        long[] prefix = pieces.prefixHashes(v);
        for (String p : starts) {
            if (v.startsWith(p)
                    && countParses(
                                    v,
                                    prefix,
                                    p.length(),
                                    pieces,
                                    new ArrayList<>(),
                                    new int[v.length() + 1],
                                    new boolean[v.length() + 1])
                            > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * The read's constraint if its value parses one way; null if it parses several ways or a piece has no
     * single candidate op (no constraint, but spellable); {@link #UNPRODUCIBLE} if it parses no way at all.
     */
    static AppendReadConstraint parse(
            Operation read,
            String v,
            Map<String, List<Operation>> puts,
            Map<String, List<Operation>> appends,
            AppendPieces pieces) {
        // Count parses of v as (a put value | nothing) followed by append values; more than one: ambiguous.
        List<String> starts = new ArrayList<>();
        for (String p : puts.keySet()) {
            if (v.startsWith(p)) {
                starts.add(p);
            }
        }
        starts.add(null); // no put: the initial empty string
        AppendReadConstraint found = null;
        int parses = 0;
        long[] prefix = pieces.prefixHashes(v);
        for (String put : starts) {
            int from = put == null ? 0 : put.length();
            List<String> seq = new ArrayList<>();
            int count = countParses(v, prefix, from, pieces, seq, new int[v.length() + 1], new boolean[v.length() + 1]);
            parses += count;
            if (parses > 1) {
                return null;
            }
            if (count == 1) {
                Operation putOp = put == null ? null : candidate(puts.get(put), read);
                if (put != null && putOp == null) {
                    return null;
                }
                int[] appendIds = new int[seq.size()];
                for (int i = 0; i < seq.size(); i++) {
                    Operation a = candidate(appends.get(seq.get(i)), read);
                    if (a == null) {
                        return null;
                    }
                    appendIds[i] = a.id();
                }
                found = new AppendReadConstraint();
                found.readId = read.id();
                found.returnTime = read.returnTime();
                found.value = v;
                found.putId = putOp == null ? -1 : putOp.id();
                found.putInvokeTime = putOp == null ? Long.MIN_VALUE : putOp.invokeTime();
                found.appendIds = appendIds;
                found.boundaries = new int[seq.size() + 1];
                found.boundaries[0] = from;
                for (int i = 0; i < seq.size(); i++) {
                    found.boundaries[i + 1] = found.boundaries[i] + seq.get(i).length();
                }
            }
        }
        return parses == 1 ? found : parses == 0 ? UNPRODUCIBLE : null;
    }

    /** What {@link #parse} returns for a read that no put and appends can spell. */
    static final AppendReadConstraint UNPRODUCIBLE = new AppendReadConstraint();

    /** Number of ways (capped at 2) to split v[from..] into append values; fills {@code seq} for one way. */
    private static int countParses(
            String v, long[] prefix, int from, AppendPieces pieces, List<String> seq, int[] memo, boolean[] known) {
        int[] next = new int[v.length() + 1];
        Arrays.fill(next, -1);
        int count = parsesFrom(v, prefix, from, pieces, memo, known, next);
        if (count > 0) {
            for (int pos = from; pos < v.length(); pos = next[pos]) {
                seq.add(v.substring(pos, next[pos]));
            }
        }
        return count;
    }

    /**
     * Memoized on the position: memo[i] ways (capped at 2) to parse v[i..]; {@code next[i]} is where the first
     * piece of one such way ends (the way is read back by following {@code next}).
     */
    private static int parsesFrom(
            String v, long[] prefix, int from, AppendPieces pieces, int[] memo, boolean[] known, int[] next) {
        if (from == v.length()) {
            return 1;
        }
        if (known[from]) {
            return memo[from];
        }
        int ways = 0;
        int[] lengths = pieces.lengths;
        for (int i = 0; i < lengths.length && ways < 2 && from + lengths[i] <= v.length(); i++) {
            int end = from + lengths[i];
            if (!pieces.contains(v, prefix, from, lengths[i])) {
                continue;
            }
            int w = parsesFrom(v, prefix, end, pieces, memo, known, next);
            if (w > 0 && next[from] < 0) {
                next[from] = end;
            }
            ways += w;
        }
        ways = Math.min(ways, 2);
        known[from] = true;
        memo[from] = ways;
        return ways;
    }

    /**
     * The one op with this value that could precede {@code read} (invoked before it returned), or null
     * if there is none or more than one. A duplicate invoked after the read returned cannot matter:
     * a state that already contains it is one the read can never follow anyway.
     */
    private static Operation candidate(List<Operation> withValue, Operation read) {
        Operation found = null;
        if (withValue == null) {
            return null;
        }
        for (Operation o : withValue) {
            if (o.invokeTime() < read.returnTime()) {
                if (found != null) {
                    return null;
                }
                found = o;
            }
        }
        return found;
    }
}
