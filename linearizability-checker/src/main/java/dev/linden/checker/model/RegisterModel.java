package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
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
