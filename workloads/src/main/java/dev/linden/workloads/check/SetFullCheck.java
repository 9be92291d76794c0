package dev.linden.workloads.check;

import dev.linden.workloads.HistoryOp;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Jepsen's {@code set-full}: the fate of every element added to the set, from every read. An element is
 * known once its add was acknowledged or a read saw it. Then:
 * <ul>
 *   <li><b>stable</b>: the reads that began after the last read missing it all hold it;</li>
 *   <li><b>lost</b>: it was known, yet the latest reads miss it (the final reads after healing included);</li>
 *   <li><b>stale</b>: stable, but some read that began after it was known missed it (with linearizable
 *       reads, an error);</li>
 *   <li><b>never-read</b>: no read began after it was known, or its add failed or is unknown and no read
 *       saw it (not an error: nothing says it should be there).</li>
 * </ul>
 * Elements read that nobody added are <b>unexpected</b>, always an error.
 */
public final class SetFullCheck implements Check {
    private final boolean linearizable;

    public SetFullCheck(boolean linearizable) {
        this.linearizable = linearizable;
    }

    @Override
    public String name() {
        return "set-full";
    }

    private record Read(long invokeNanos, long completeNanos, Set<Long> elements) {}

    /** What became of the elements, counted, with a few of each kind named. */
    private static final class Tally {
        long stable;
        long neverRead;
        final List<Object> lost = new ArrayList<>();
        long lostCount;
        final List<Object> stale = new ArrayList<>();
        long staleCount;
        long worstStaleNanos;
    }

    @Override
    public CheckOutcome check(List<HistoryOp> history) {
        Map<Long, Checks.Pair> adds = new TreeMap<>();
        List<Read> reads = new ArrayList<>();
        for (Checks.Pair p : Checks.clientPairs(history)) {
            if (p.invoke().f().equals("add")) {
                adds.put(((Number) p.invoke().value()).longValue(), p);
            } else if (p.ok() && p.completion().value() instanceof Collection<?> c) {
                Set<Long> s = new HashSet<>();
                c.forEach(x -> s.add(((Number) x).longValue()));
                reads.add(new Read(p.invoke().timeNanos(), p.completion().timeNanos(), s));
            }
        }
        Tally t = new Tally();
        for (Map.Entry<Long, Checks.Pair> e : adds.entrySet()) {
            judge(e.getKey(), e.getValue(), reads, t);
        }
        Set<Long> unexpected = unexpected(adds, reads);
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("attempt-count", adds.size());
        d.put(
                "acknowledged-count",
                adds.values().stream().filter(Checks.Pair::ok).count());
        d.put("read-count", reads.size());
        d.put("stable-count", t.stable);
        d.put("lost-count", t.lostCount);
        d.put("lost", t.lost);
        d.put("stale-count", t.staleCount);
        d.put("stale", t.stale);
        d.put("worst-stale-millis", t.worstStaleNanos / 1_000_000);
        d.put("never-read-count", t.neverRead);
        d.put("unexpected", new ArrayList<>(unexpected));
        boolean valid = t.lostCount == 0 && unexpected.isEmpty() && (!linearizable || t.staleCount == 0);
        return new CheckOutcome(name(), Validity.of(valid), d);
    }

    /** Counts the fate of {@code element}, added by {@code add}, from every read. */
    private static void judge(long element, Checks.Pair add, List<Read> reads, Tally t) {
        long knownNanos = add.ok() ? add.completedNanos() : Long.MAX_VALUE;
        for (Read r : reads) {
            if (r.elements.contains(element)) {
                knownNanos = Math.min(knownNanos, r.completeNanos);
            }
        }
        if (knownNanos == Long.MAX_VALUE) {
            t.neverRead++;
            return;
        }
        long lastPresent = Long.MIN_VALUE; // invocation of the latest read holding it
        long lastAbsent = Long.MIN_VALUE; // invocation of the latest read begun after it was known, missing it
        boolean readAfterKnown = false;
        for (Read r : reads) {
            if (r.elements.contains(element)) {
                lastPresent = Math.max(lastPresent, r.invokeNanos);
            } else if (r.invokeNanos > knownNanos) {
                lastAbsent = Math.max(lastAbsent, r.invokeNanos);
            }
            readAfterKnown |= r.invokeNanos > knownNanos;
        }
        if (!readAfterKnown && lastPresent == Long.MIN_VALUE) {
            t.neverRead++;
        } else if (lastAbsent > lastPresent) {
            t.lostCount++;
            if (t.lost.size() < 20) {
                t.lost.add(element);
            }
        } else {
            t.stable++;
            if (lastAbsent != Long.MIN_VALUE) {
                t.staleCount++;
                t.worstStaleNanos = Math.max(t.worstStaleNanos, lastAbsent - knownNanos);
                if (t.stale.size() < 20) {
                    t.stale.add(element);
                }
            }
        }
    }

    /** Elements read that nobody added (the first 20). */
    private static Set<Long> unexpected(Map<Long, Checks.Pair> adds, List<Read> reads) {
        Set<Long> unexpected = new TreeSet<>();
        for (Read r : reads) {
            for (long x : r.elements) {
                if (!adds.containsKey(x) && unexpected.size() < 20) {
                    unexpected.add(x);
                }
            }
        }
        return unexpected;
    }
}
