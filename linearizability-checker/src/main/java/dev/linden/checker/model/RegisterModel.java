package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A register per key (one register when ops carry no key); absent is {@code nil}. Functions: read/get,
 * write/put, and if {@code allowCas}: cas with {@code [expected new]} (result true/absent = swapped,
 * false = the compare failed, a definite observation) and delete.
 */
public final class RegisterModel implements Model {
    private static final Set<String> READS = Set.of("read", "get");
    private static final Set<String> WRITES = Set.of("write", "put");
    private final String name;
    private final boolean allowCas;

    public RegisterModel(String name, boolean allowCas) {
        this.name = name;
        this.allowCas = allowCas;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public Object init() {
        return null;
    }

    @Override
    public void validate(Operation op) {
        String f = op.f();
        if (READS.contains(f) || WRITES.contains(f)) {
            return;
        }
        if (allowCas && f.equals("cas")) {
            if (!(op.input() instanceof List<?> l) || l.size() != 2) {
                throw new IllegalArgumentException("cas needs [expected new], got " + op.input());
            }
            return;
        }
        if (allowCas && f.equals("delete")) {
            return;
        }
        throw new IllegalArgumentException("model " + name + " has no function '" + f + "'");
    }

    @Override
    public boolean readOnly(Operation op) {
        return READS.contains(op.f());
    }

    /** Stands for every value that no read returned and no CAS expected: they are indistinguishable. */
    public static final Object UNOBSERVED = new Object() {
        @Override
        public String toString() {
            return "<a value no read or CAS observed>";
        }
    };

    /**
     * Renames every written value that no read returned and no CAS expected to {@link #UNOBSERVED}. Reads
     * and CASes only compare the state for equality with those observed values, so all such values act
     * alike and the verdict cannot change; the search then sees one state where it saw hundreds (what
     * makes histories with many indeterminate writes tractable).
     */
    @Override
    public List<Operation> canonicalize(List<Operation> ops) {
        HashSet<Object> observed = new HashSet<>();
        observed.add(null); // absent: a read of nil or a CAS from nil observes it
        for (Operation op : ops) {
            if (READS.contains(op.f()) && !op.indeterminate()) {
                observed.add(op.output());
            } else if (op.f().equals("cas")) {
                observed.add(((List<?>) op.input()).get(0));
            }
        }
        ArrayList<Operation> out = new ArrayList<>(ops.size());
        boolean changed = false;
        for (Operation op : ops) {
            Object input = op.input();
            if (WRITES.contains(op.f()) && !observed.contains(input)) {
                input = UNOBSERVED;
            } else if (op.f().equals("cas") && !observed.contains(((List<?>) input).get(1))) {
                input = Arrays.asList(((List<?>) input).get(0), UNOBSERVED);
            }
            if (input != op.input()) {
                changed = true;
                op = new Operation(
                        op.id(),
                        op.process(),
                        op.f(),
                        op.key(),
                        input,
                        op.output(),
                        op.invokeTime(),
                        op.returnTime(),
                        op.indeterminate(),
                        op.invokeIndex(),
                        op.returnIndex());
            }
            out.add(op);
        }
        return changed ? out : ops;
    }

    /**
     * A completed read of a value that no write or CAS could ever have stored (and that is not the initial
     * nil) can never be linearized: every state is dead. Found where a search would otherwise exhaust every
     * interleaving before saying so.
     */
    @Override
    public Pruner pruner(List<Operation> ops) {
        HashSet<Object> storable = new HashSet<>();
        storable.add(null);
        for (Operation op : ops) {
            if (WRITES.contains(op.f())) {
                storable.add(op.input());
            } else if (op.f().equals("cas")) {
                storable.add(((List<?>) op.input()).get(1));
            }
        }
        for (Operation op : ops) {
            if (READS.contains(op.f()) && !op.indeterminate() && !storable.contains(op.output())) {
                return (state, linearized) -> false;
            }
        }
        return null;
    }

    @Override
    public Object step(Object state, Operation op) {
        String f = op.f();
        if (READS.contains(f)) {
            return Objects.equals(state, op.output()) ? state : ILLEGAL;
        }
        if (WRITES.contains(f)) {
            return op.input();
        }
        if (f.equals("delete")) {
            return null;
        }
        List<?> args = (List<?>) op.input();
        boolean matches = Objects.equals(state, args.get(0));
        if (Boolean.FALSE.equals(op.output())) {
            return matches ? ILLEGAL : state;
        }
        return matches ? args.get(1) : ILLEGAL;
    }
}
