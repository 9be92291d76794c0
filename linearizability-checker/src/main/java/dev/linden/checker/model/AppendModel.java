package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
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
            List<AppendReadConstraint> kept = new ArrayList<>();
            for (AppendReadConstraint c : a.constraints) {
                if (keptCompleted(cutOps, cutIdOf[c.readId])) {
                    AppendReadConstraint r = c.renumbered(cutIdOf);
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
    private record Analysis(List<AppendReadConstraint> constraints, List<Integer> unproducible) {}

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
        List<AppendReadConstraint> constraints = new ArrayList<>();
        List<Integer> unproducible = new ArrayList<>();
        AppendPieces pieces = new AppendPieces(appendsByValue.keySet());
        for (Operation op : ops) {
            if (readOnly(op) && !op.indeterminate()) {
                String v = op.output() == null ? "" : (String) op.output();
                AppendReadConstraint c = AppendSpelling.parse(op, v, putsByValue, appendsByValue, pieces);
                if (c == AppendSpelling.UNPRODUCIBLE) {
                    unproducible.add(op.id());
                } else if (c != null) {
                    constraints.add(c);
                }
            }
        }
        return new Analysis(constraints, unproducible);
    }

    private static Pruner prunerOf(List<AppendReadConstraint> constraints) {
        if (constraints.isEmpty()) {
            return null;
        }
        AppendReadConstraint[] byReturn = constraints.toArray(new AppendReadConstraint[0]);
        Arrays.sort(byReturn, Comparator.comparingLong(c -> c.returnTime));
        return (state, linearized) -> {
            String s = (String) state;
            int checked = 0;
            for (AppendReadConstraint c : byReturn) {
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
        return AppendSpelling.producible(v, puts, appends, new AppendPieces(appends.keySet()));
    }
}
