package dev.linden.sim;

import java.util.TreeMap;

/** A directory operation not yet durable: a create (from null), delete (to null) or rename. */
record SimDirOp(String from, String to, SimFileData created) {
    void applyTo(TreeMap<String, SimFileData> dir) {
        if (created != null) {
            dir.put(to, created);
        } else if (to == null) {
            dir.remove(from);
        } else {
            SimFileData d = dir.remove(from);
            if (d != null) {
                dir.put(to, d);
            }
        }
    }
}
