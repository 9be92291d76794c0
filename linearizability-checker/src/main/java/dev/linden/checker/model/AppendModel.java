package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A string per key, initially empty: get (returns the string), put (replaces it), append (adds to it).
 *
 * <p>Pruning (sound, see {@link #pruner}): with unique values, every read reveals the last put before it
 * and the appends after that put, in order. That fixes the order of the appends reads reveal and
 * decides histories that defeat plain search.
 */
public final class AppendModel implements Model {
    private static final Set<String> FUNCTIONS = Set.of("get", "read", "put", "write", "append");
    /** How many upcoming reads the pruner checks per step. */
    static final int READS_CHECKED = Integer.MAX_VALUE;

    @Override
    public String name() {
        return "append";
    }

    @Override
    public Object init() {
        return "";
    }

    @Override
    public void validate(Operation op) {
        if (!FUNCTIONS.contains(op.f())) {
            throw new IllegalArgumentException("model append has no function '" + op.f() + "'");
        }
        if (!readOnly(op) && !(op.input() instanceof String)) {
            throw new IllegalArgumentException(op.f() + " needs a string value, got " + op.input());
        }
    }

    @Override
    public boolean readOnly(Operation op) {
        return op.f().equals("get") || op.f().equals("read");
    }

    @Override
    public Object step(Object state, Operation op) {
        switch (op.f()) {
            case "get":
            case "read":
                return state.equals(op.output() == null ? "" : op.output()) ? state : ILLEGAL;
            case "put":
            case "write":
                return op.input();
            default:
                return ((String) state).concat((String) op.input());
        }
    }

    @Override
    public int stateBytes(Object state) {
        return 40 + ((String) state).length();
    }

    /**
     * Sound pruning for one key, using the values reads returned. With unique put and append values a
     * read's string parses in exactly one way as {@code P + a1 + ... + ak}: the value P of the last put
     * before it ("" for none) and the appends after it, in order. From a state {@code s}, a read not yet
     * linearized can still be linearized later only if either
     * <ul>
     *   <li>{@code s} is {@code P + a1 + ... + aj} for some j, and a(j+1)..ak are all still unlinearized; or
     *   <li>a put of P is still to come (unlinearized, invoked before the read returned) and all of a1..ak
     *       are still unlinearized, since they must follow it.
     * </ul>
     * Reads whose string does not parse uniquely, or whose values could come from more than one op
     * invoked before the read returned, constrain nothing. Only the {@link #READS_CHECKED}
     * earliest-returning unlinearized reads are checked per step: any subset is sound.
     */
    @Override
    public Pruner pruner(List<Operation> ops) {
        Analysis a = analyse(ops);
        if (a == null) {
            return null;
        }
        if (!a.unproducible.isEmpty()) {
            // No put followed by appends spells a read's string: the read can never be linearized, so no state
            // can lead to a complete linearization.
            return (state, linearized) -> false;
        }
        return prunerOf(a.constraints);
    }

    /**
     * One analysis of the whole partition serves every cut of it. A cut keeps every op a kept read's
     * constraint names (each was invoked before the read returned, so before the cut), and its fewer values
     * can only make a parse less ambiguous or a string no more producible; so the partition's constraints,
     * renumbered, are sound for the cut (possibly weaker than the cut's own), and a read unproducible in the
     * partition is unproducible in the cut.
     */
    @Override
    public CutPruners cutPruners(List<Operation> ops) {
        Analysis a = analyse(ops);
        if (a == null) {
            return (cutOps, partitionIdOf) -> null;
        }
        return (cutOps, partitionIdOf) -> {
            int[] cutIdOf = new int[ops.size()];
            Arrays.fill(cutIdOf, -1);
            for (int i = 0; i < partitionIdOf.length; i++) {
                cutIdOf[partitionIdOf[i]] = i;
            }
            for (int read : a.unproducible) {
                if (keptCompleted(cutOps, cutIdOf[read])) {
                    return (state, linearized) -> false;
                }
            }
            List<ReadConstraint> kept = new ArrayList<>();
            for (ReadConstraint c : a.constraints) {
                if (keptCompleted(cutOps, cutIdOf[c.readId])) {
                    ReadConstraint r = c.renumbered(cutIdOf);
                    if (r != null) {
                        kept.add(r);
                    }
                }
            }
            return prunerOf(kept);
        };
    }

    private static boolean keptCompleted(List<Operation> cutOps, int cutId) {
        return cutId >= 0 && !cutOps.get(cutId).indeterminate();
    }

    /** What the reads of one partition reveal; null when nothing can be pruned (an empty value). */
    private record Analysis(List<ReadConstraint> constraints, List<Integer> unproducible) {}

    private Analysis analyse(List<Operation> ops) {
        Map<String, List<Operation>> putsByValue = new HashMap<>();
        Map<String, List<Operation>> appendsByValue = new HashMap<>();
        for (Operation op : ops) {
            if (readOnly(op)) {
                continue;
            }
            String v = (String) op.input();
            if (v.isEmpty()) {
                return null; // an empty value makes every parse ambiguous
            }
            (op.f().equals("append") ? appendsByValue : putsByValue)
                    .computeIfAbsent(v, k -> new ArrayList<>())
                    .add(op);
        }
        List<ReadConstraint> constraints = new ArrayList<>();
        List<Integer> unproducible = new ArrayList<>();
        Pieces pieces = new Pieces(appendsByValue.keySet());
        for (Operation op : ops) {
            if (readOnly(op) && !op.indeterminate()) {
                String v = op.output() == null ? "" : (String) op.output();
                ReadConstraint c = parse(op, v, putsByValue, appendsByValue, pieces);
                if (c == UNPRODUCIBLE) {
                    unproducible.add(op.id());
                } else if (c != null) {
                    constraints.add(c);
                }
            }
        }
        return new Analysis(constraints, unproducible);
    }

    private static Pruner prunerOf(List<ReadConstraint> constraints) {
        if (constraints.isEmpty()) {
            return null;
        }
        ReadConstraint[] byReturn = constraints.toArray(new ReadConstraint[0]);
        Arrays.sort(byReturn, Comparator.comparingLong(c -> c.returnTime));
        return (state, linearized) -> {
            String s = (String) state;
            int checked = 0;
            for (ReadConstraint c : byReturn) {
                if (checked >= READS_CHECKED) {
                    break;
                }
                if (linearized.contains(c.readId)) {
                    continue;
                }
                checked++;
                if (!c.reachableFrom(s, linearized)) {
                    return false;
                }
            }
            return true;
        };
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

    /** What one read's string reveals: put P (or none) then appends, in order. */
    private static final class ReadConstraint {
        int readId;
        long returnTime;
        String value;
        int putId = -1;
        long putInvokeTime;
        int[] appendIds;
        /** Length of P + a1 + ... + ai, for i = 0..k. */
        int[] boundaries;

        /**
         * Is {@code s}, as long as boundary {@code j}, a prefix of the read's value? The last piece first:
         * states differ from the value mostly in their latest appends, and their common start is long.
         */
        private boolean isPrefix(String s, int j) {
            return value.startsWith(s);
        }

        /** The same constraint with ids mapped through {@code newId}; null if it names an op the map drops. */
        ReadConstraint renumbered(int[] newId) {
            ReadConstraint r = new ReadConstraint();
            r.readId = newId[readId];
            r.returnTime = returnTime;
            r.value = value;
            r.putId = putId < 0 ? -1 : newId[putId];
            r.putInvokeTime = putInvokeTime;
            r.appendIds = new int[appendIds.length];
            for (int i = 0; i < appendIds.length; i++) {
                r.appendIds[i] = newId[appendIds[i]];
                if (r.appendIds[i] < 0) {
                    return null;
                }
            }
            r.boundaries = boundaries;
            return putId >= 0 && r.putId < 0 ? null : r;
        }

        boolean reachableFrom(String s, LinearizedSet lin) {
            int len = s.length();
            int j = len <= value.length() ? Arrays.binarySearch(boundaries, len) : -1;
            if (j >= 0 && (putId < 0 || len >= boundaries[0]) && isPrefix(s, j)) {
                {
                    boolean rest = true;
                    for (int i = j; i < appendIds.length && rest; i++) {
                        rest = !lin.contains(appendIds[i]);
                    }
                    if (rest) {
                        return true;
                    }
                }
            }
            // Otherwise the put of P must still come, before the read returned, with every append after it.
            if (putId < 0 || lin.contains(putId) || putInvokeTime > returnTime) {
                return false;
            }
            for (int a : appendIds) {
                if (lin.contains(a)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Can the put and append values of {@code ops} spell {@code v} (a put, or nothing, then appends)? */
    public static boolean canSpell(String v, List<Operation> ops) {
        Map<String, List<Operation>> puts = new HashMap<>();
        Map<String, List<Operation>> appends = new HashMap<>();
        for (Operation op : ops) {
            if (op.input() instanceof String in && !in.isEmpty()) {
                if (op.f().equals("append")) {
                    appends.computeIfAbsent(in, k -> new ArrayList<>()).add(op);
                } else if (op.f().equals("put") || op.f().equals("write")) {
                    puts.computeIfAbsent(in, k -> new ArrayList<>()).add(op);
                }
            }
        }
        return producible(v, puts, appends, new Pieces(appends.keySet()));
    }

    /**
     * The append values, found in a string without cutting substrings out of it: by a polynomial hash of
     * each (position, length) taken from the string's prefix hashes, then compared character by character.
     */
    private static final class Pieces {
        private static final long BASE = 0x100000001B3L;
        /** The distinct lengths of the values, ascending. */
        final int[] lengths;

        private final long[] powerOfLength;
        private final long[] keys;
        private final String[] values;
        private final int mask;

        Pieces(Collection<String> all) {
            lengths = all.stream().mapToInt(String::length).distinct().sorted().toArray();
            int maxLength = lengths.length == 0 ? 0 : lengths[lengths.length - 1];
            powerOfLength = new long[maxLength + 1];
            powerOfLength[0] = 1;
            for (int i = 1; i <= maxLength; i++) {
                powerOfLength[i] = powerOfLength[i - 1] * BASE;
            }
            int capacity = Integer.highestOneBit(Math.max(4, all.size() * 2)) << 1;
            keys = new long[capacity];
            values = new String[capacity];
            mask = capacity - 1;
            for (String v : all) {
                long h = 0;
                for (int i = 0; i < v.length(); i++) {
                    h = h * BASE + v.charAt(i);
                }
                int slot = slot(h);
                while (values[slot] != null) {
                    slot = (slot + 1) & mask;
                }
                keys[slot] = h;
                values[slot] = v;
            }
        }

        private int slot(long h) {
            long x = h * 0x9E3779B97F4A7C15L;
            return (int) (x ^ (x >>> 32)) & mask;
        }

        /** Prefix hashes of {@code v}: entry i hashes v[0..i). */
        long[] prefixHashes(String v) {
            long[] p = new long[v.length() + 1];
            for (int i = 0; i < v.length(); i++) {
                p[i + 1] = p[i] * BASE + v.charAt(i);
            }
            return p;
        }

        /** Is v[from..from+length) one of the values? */
        boolean contains(String v, long[] prefix, int from, int length) {
            long h = prefix[from + length] - prefix[from] * powerOfLength[length];
            for (int slot = slot(h); values[slot] != null; slot = (slot + 1) & mask) {
                String candidate = values[slot];
                if (keys[slot] == h && candidate.length() == length && v.regionMatches(from, candidate, 0, length)) {
                    return true;
                }
            }
            return false;
        }
    }

    /** Can some put value (or the empty string) followed by append values spell {@code v}? */
    private static boolean producible(
            String v, Map<String, List<Operation>> puts, Map<String, List<Operation>> appends, Pieces pieces) {
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
    private static ReadConstraint parse(
            Operation read,
            String v,
            Map<String, List<Operation>> puts,
            Map<String, List<Operation>> appends,
            Pieces pieces) {
        // Count parses of v as (a put value | nothing) followed by append values; more than one: ambiguous.
        List<String> starts = new ArrayList<>();
        for (String p : puts.keySet()) {
            if (v.startsWith(p)) {
                starts.add(p);
            }
        }
        starts.add(null); // no put: the initial empty string
        ReadConstraint found = null;
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
                found = new ReadConstraint();
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
    private static final ReadConstraint UNPRODUCIBLE = new ReadConstraint();

    /** Number of ways (capped at 2) to split v[from..] into append values; fills {@code seq} for one way. */
    private static int countParses(
            String v, long[] prefix, int from, Pieces pieces, List<String> seq, int[] memo, boolean[] known) {
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
            String v, long[] prefix, int from, Pieces pieces, int[] memo, boolean[] known, int[] next) {
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
}
