package dev.linden.nemesis;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * A seeded schedule of faults for one run, and the background network fault rates. The same seed gives
 * the same plan. At most {@link #MAX_CONCURRENT_WINDOWS} windows overlap; at most one node ever gets a
 * flipped bit or loses its disk, and never both in one run (so a majority can always recover).
 */
public record FaultPlan(List<Fault> windows, double lossRate, double duplicateRate, long reorderJitterMicros) {
    public static final int MAX_CONCURRENT_WINDOWS = 2;

    public static FaultPlan none() {
        return new FaultPlan(List.of(), 0, 0, 0);
    }

    public static FaultPlan generate(SplittableRandom r, long durationMillis, Set<FaultKind> kinds, List<Integer> nodes) {
        return generate(r, durationMillis, kinds, nodes, 1.0);
    }

    /**
     * @param intensity  scales how often windows start and the background loss and duplication rates
     *                   (1.0 = the defaults; 0.1 = rare faults; 3.0 = a storm)
     */
    public static FaultPlan generate(SplittableRandom r, long durationMillis, Set<FaultKind> kinds, List<Integer> nodes,
                                     double intensity) {
        if (!(intensity > 0) || intensity > 10) {
            throw new IllegalArgumentException("fault intensity must be in (0, 10]");
        }
        List<FaultKind> windowKinds = new ArrayList<>();
        for (FaultKind k : EnumSet.of(FaultKind.PARTITION, FaultKind.CLOG, FaultKind.CRASH, FaultKind.PAUSE,
                FaultKind.CLOCK, FaultKind.DISK_FULL, FaultKind.BITFLIP, FaultKind.DISK_LOSS)) {
            if (kinds.contains(k)) {
                windowKinds.add(k);
            }
        }
        List<Fault> windows = new ArrayList<>();
        boolean bitflipUsed = false;
        long t = 200 + r.nextInt(800);
        while (!windowKinds.isEmpty() && t < durationMillis - 500) {
            FaultKind kind = windowKinds.get(r.nextInt(windowKinds.size()));
            boolean destroysData = kind == FaultKind.BITFLIP || kind == FaultKind.DISK_LOSS;
            if (destroysData && (bitflipUsed || nodes.size() < 3)) {
                kind = windowKinds.get(0);
                if (kind == FaultKind.BITFLIP || kind == FaultKind.DISK_LOSS) {
                    break;
                }
            }
            long length = 300 + r.nextInt(4000);
            long end = Math.min(durationMillis - 100, t + length);
            final long start = t;
            long overlapping = windows.stream().filter(w -> w.endMillis() > start).count();
            if (overlapping < MAX_CONCURRENT_WINDOWS) {
                windows.add(make(kind, r, t, end, nodes));
                bitflipUsed |= kind == FaultKind.BITFLIP || kind == FaultKind.DISK_LOSS;
            }
            t += (long) ((200 + r.nextInt(2500)) / intensity);
        }
        windows.sort(Comparator.comparingLong(Fault::startMillis));
        double loss = kinds.contains(FaultKind.LOSS) ? Math.min(0.5, (0.005 + r.nextDouble() * 0.03) * intensity) : 0;
        double dup = kinds.contains(FaultKind.DUPLICATE) ? Math.min(0.5, (0.005 + r.nextDouble() * 0.02) * intensity) : 0;
        long jitter = kinds.contains(FaultKind.REORDER) ? 200 + r.nextInt(3000) : 0;
        return new FaultPlan(List.copyOf(windows), loss, dup, jitter);
    }

    private static Fault make(FaultKind kind, SplittableRandom r, long start, long end, List<Integer> nodes) {
        int n = nodes.size();
        int victim = nodes.get(r.nextInt(n));
        switch (kind) {
            case PARTITION:
                return partition(r, start, end, nodes);
            case CLOG:
                return new Fault(kind, start, end, List.of(victim), Set.of(), 0, 0, "node " + victim + " links clogged");
            case CRASH: {
                // Usually one node; sometimes a majority or everyone, to test recovery from disk.
                int count = r.nextInt(5) == 0 ? 1 + r.nextInt(n) : 1;
                List<Integer> shuffled = new ArrayList<>(nodes);
                shuffle(shuffled, r);
                List<Integer> hit = List.copyOf(shuffled.subList(0, count));
                return new Fault(kind, start, end, hit, Set.of(), 0, 0, "crash " + hit);
            }
            case PAUSE:
                return new Fault(kind, start, end, List.of(victim), Set.of(), 0, 0, "pause node " + victim);
            case CLOCK: {
                long jump = (r.nextBoolean() ? 1 : -1) * (50 + r.nextInt(3000));
                long drift = (r.nextBoolean() ? 1 : -1) * r.nextInt(50_000);
                return new Fault(kind, start, end, List.of(victim), Set.of(), jump, drift,
                        "node " + victim + " clock jumps " + jump + "ms, drift " + drift + "ppm");
            }
            case DISK_FULL:
                return new Fault(kind, start, end, List.of(victim), Set.of(), 0, 0, "node " + victim + " disk full");
            case BITFLIP:
                return new Fault(kind, start, end, List.of(victim), Set.of(), 0, 0,
                        "flip a bit in a synced record of node " + victim + ", then restart it");
            case DISK_LOSS:
                return new Fault(kind, start, end, List.of(victim), Set.of(), 0, 0,
                        "node " + victim + " goes down, its disk is replaced by an empty one, and it restarts");
            default:
                throw new IllegalArgumentException("not a window fault: " + kind);
        }
    }

    private static Fault partition(SplittableRandom r, long start, long end, List<Integer> nodes) {
        List<Integer> ns = new ArrayList<>(nodes);
        shuffle(ns, r);
        int n = ns.size();
        Set<Fault.Link> blocked = new HashSet<>();
        String shape;
        switch (r.nextInt(n >= 5 ? 5 : 4)) {
            case 0: {
                int half = n / 2;
                cut(ns.subList(0, half), ns.subList(half, n), blocked);
                shape = "halves " + ns.subList(0, half) + " | " + ns.subList(half, n);
                break;
            }
            case 1:
                cut(ns.subList(0, 1), ns.subList(1, n), blocked);
                shape = "isolate " + ns.get(0);
                break;
            case 2: {
                // One way: the victim's outgoing messages are dropped, incoming ones arrive.
                int v = ns.get(0);
                for (int other : ns) {
                    if (other != v) {
                        blocked.add(new Fault.Link(v, other));
                    }
                }
                shape = "one-way: " + v + " cannot send";
                break;
            }
            case 3: {
                // Bridge: two sides that only one node connects.
                int bridge = ns.get(0);
                List<Integer> rest = ns.subList(1, n);
                int half = rest.size() / 2;
                cut(rest.subList(0, half), rest.subList(half, rest.size()), blocked);
                shape = "bridge " + bridge + " between " + rest.subList(0, half) + " and " + rest.subList(half, rest.size());
                break;
            }
            default: {
                // Majority ring: everyone sees a majority, no two see the same one.
                for (int i = 0; i < n; i++) {
                    for (int j = 0; j < n; j++) {
                        int d = Math.min(Math.abs(i - j), n - Math.abs(i - j));
                        if (d > n / 4 && i != j) {
                            blocked.add(new Fault.Link(ns.get(i), ns.get(j)));
                        }
                    }
                }
                shape = "majority ring " + ns;
            }
        }
        return new Fault(FaultKind.PARTITION, start, end, List.of(), Set.copyOf(blocked), 0, 0, shape);
    }

    private static void cut(List<Integer> a, List<Integer> b, Set<Fault.Link> blocked) {
        for (int x : a) {
            for (int y : b) {
                blocked.add(new Fault.Link(x, y));
                blocked.add(new Fault.Link(y, x));
            }
        }
    }

    private static void shuffle(List<Integer> l, SplittableRandom r) {
        for (int i = l.size() - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            Integer t = l.get(i);
            l.set(i, l.get(j));
            l.set(j, t);
        }
    }
}
