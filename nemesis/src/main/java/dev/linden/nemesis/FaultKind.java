package dev.linden.nemesis;

import java.util.EnumSet;
import java.util.Locale;
import java.util.Set;

/** The faults Linden can inject. Names are the ones used by {@code --faults}. */
public enum FaultKind {
    /** Network partitions: halves, one node, majority ring, bridge, one-way. */
    PARTITION,
    /** A link or a node's links become very slow for a while. */
    CLOG,
    /** Background message loss. */
    LOSS,
    /** Background message duplication. */
    DUPLICATE,
    /** Background reordering (wide random delays). */
    REORDER,
    /** A process crashes (losing unsynced writes) and later restarts. */
    CRASH,
    /** A process stops running for a while (GC pause, SIGSTOP) and resumes. */
    PAUSE,
    /** A node's clock jumps and changes drift. */
    CLOCK,
    /** A node's disk refuses writes for a while. */
    DISK_FULL,
    /** A stored, synced record on one node gets a flipped bit; the node must detect it on restart. */
    BITFLIP,
    /**
     * A node's disk is replaced while it is down (its data dir is empty when it comes back); it must refuse
     * to rejoin as a voter with no memory.
     */
    DISK_LOSS;

    public String cliName() {
        return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** Parses {@code all}, {@code none} or a comma-separated list of names. */
    public static Set<FaultKind> parseList(String list) {
        EnumSet<FaultKind> out = EnumSet.noneOf(FaultKind.class);
        for (String raw : list.split(",")) {
            String s = raw.trim().toLowerCase(Locale.ROOT);
            if (s.isEmpty() || s.equals("none")) {
                continue;
            }
            if (s.equals("all")) {
                out.addAll(EnumSet.allOf(FaultKind.class));
                continue;
            }
            boolean found = false;
            for (FaultKind k : values()) {
                if (k.cliName().equals(s) || (s.equals("disk") && (k == DISK_FULL || k == DISK_LOSS))) {
                    out.add(k);
                    found = true;
                }
            }
            if (!found) {
                throw new IllegalArgumentException("unknown fault '" + raw.trim() + "' (known: all, none, "
                        + String.join(", ", java.util.Arrays.stream(values()).map(FaultKind::cliName).toList()) + ")");
            }
        }
        return out;
    }
}
