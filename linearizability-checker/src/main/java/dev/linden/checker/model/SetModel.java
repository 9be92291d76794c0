package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.Set;

/** A set, initially empty: add (an element), read (returns the whole set). One partition per key. */
public final class SetModel implements Model {
    @Override
    public String name() {
        return "set";
    }

    @Override
    public Object init() {
        return Set.of();
    }

    @Override
    public void validate(Operation op) {
        if (!op.f().equals("add") && !op.f().equals("read")) {
            throw new IllegalArgumentException("model set has no function '" + op.f() + "'");
        }
        if (op.f().equals("read") && !op.indeterminate() && !(op.output() instanceof Collection<?>)) {
            throw new IllegalArgumentException("set read must return a collection, got " + op.output());
        }
    }

    @Override
    public boolean readOnly(Operation op) {
        return op.f().equals("read");
    }

    @Override
    public Object step(Object state, Operation op) {
        Set<?> s = (Set<?>) state;
        if (op.f().equals("read")) {
            return s.equals(new HashSet<>((Collection<?>) op.output())) ? state : ILLEGAL;
        }
        if (s.contains(op.input())) {
            return state;
        }
        ArrayList<Object> next = new ArrayList<>(s);
        next.add(op.input());
        return Set.copyOf(next);
    }

    @Override
    public int stateBytes(Object state) {
        return 32 + 24 * ((Set<?>) state).size();
    }
}
