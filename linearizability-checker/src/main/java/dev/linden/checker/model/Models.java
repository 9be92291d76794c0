package dev.linden.checker.model;

import dev.linden.checker.history.Operation;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/** The models known by name on the command line, and inference of the model from a history. */
public final class Models {
    public static final List<String> NAMES = List.of("register", "cas-register", "kv", "append", "set");

    private Models() {}

    public static Model byName(String name) {
        return switch (name) {
            case "register" -> new RegisterModel("register", false);
            case "cas-register" -> new RegisterModel("cas-register", true);
            case "kv" -> new RegisterModel("kv", true);
            case "append" -> new AppendModel();
            case "set" -> new SetModel();
            default -> throw new IllegalArgumentException("unknown model '" + name + "' (one of " + NAMES + ")");
        };
    }

    /** Picks the model from the functions used; fails when that is ambiguous. */
    public static Model infer(List<Operation> ops) {
        Set<String> fs = new TreeSet<>();
        boolean keyed = false;
        for (Operation op : ops) {
            fs.add(op.f());
            keyed |= op.key() != null;
        }
        if (fs.contains("add") && !fs.contains("append")) {
            return byName("set");
        }
        if (fs.contains("append") && !fs.contains("add") && !fs.contains("cas")) {
            return byName("append");
        }
        Set<String> registerFs = Set.of("read", "write", "get", "put", "cas", "delete");
        if (registerFs.containsAll(fs)) {
            if (keyed) {
                return byName("kv");
            }
            return byName(fs.contains("cas") || fs.contains("delete") ? "cas-register" : "register");
        }
        throw new IllegalArgumentException("cannot infer the model from functions " + fs + "; pass --model");
    }
}
