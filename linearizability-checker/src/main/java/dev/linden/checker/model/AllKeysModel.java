package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * One model over every key at once: the state is the map of per-key states of {@code perKey}. Used to
 * check a history without partitioning (to cross-check P-compositionality itself); much slower.
 */
public final class AllKeysModel implements Model {
    private final Model perKey;

    public AllKeysModel(Model perKey) {
        this.perKey = perKey;
    }

    @Override
    public String name() {
        return perKey.name();
    }

    @Override
    public Object init() {
        return Map.of();
    }

    @Override
    public Object step(Object state, Operation op) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) state;
        String k = op.key() == null ? "" : op.key();
        Object before = m.containsKey(k) ? m.get(k) : perKey.init();
        Object after = perKey.step(before, op);
        if (after == ILLEGAL) {
            return ILLEGAL;
        }
        if (Objects.equals(before, after) && m.containsKey(k)) {
            return state;
        }
        TreeMap<String, Object> next = new TreeMap<>(m);
        next.put(k, after);
        return Collections.unmodifiableMap(next);
    }

    @Override
    public void validate(Operation op) {
        perKey.validate(op);
    }

    @Override
    public boolean readOnly(Operation op) {
        return perKey.readOnly(op);
    }

    @Override
    public String partitionKey(Operation op) {
        return null;
    }

    /** Each key's own pruning rule, applied to that key's part of the state. */
    @Override
    public Pruner pruner(List<Operation> ops) {
        TreeMap<String, List<Operation>> byKey = new TreeMap<>();
        for (Operation op : ops) {
            byKey.computeIfAbsent(op.key() == null ? "" : op.key(), k -> new ArrayList<>())
                    .add(op);
        }
        TreeMap<String, Pruner> pruners = new TreeMap<>();
        byKey.forEach((k, keyOps) -> {
            Pruner p = perKey.pruner(keyOps);
            if (p != null) {
                pruners.put(k, p);
            }
        });
        if (pruners.isEmpty()) {
            return null;
        }
        return (state, linearized) -> {
            Map<?, ?> m = (Map<?, ?>) state;
            for (Map.Entry<String, Pruner> e : pruners.entrySet()) {
                Object keyState = m.containsKey(e.getKey()) ? m.get(e.getKey()) : perKey.init();
                if (!e.getValue().allows(keyState, linearized)) {
                    return false;
                }
            }
            return true;
        };
    }

    @Override
    public int stateBytes(Object state) {
        return 48 * (1 + ((Map<?, ?>) state).size());
    }
}
