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
        long stable = 0;
        long neverRead = 0;
        List<Object> lost = new ArrayList<>();
        long lostCount = 0;
        List<Object> stale = new ArrayList<>();
        long staleCount = 0;
        long worstStaleNanos = 0;
        for (Map.Entry<Long, Checks.Pair> e : adds.entrySet()) {
            long element = e.getKey();
            Checks.Pair add = e.getValue();
            long knownNanos = add.ok() ? add.completedNanos() : Long.MAX_VALUE;
            for (Read r : reads) {
                if (r.elements.contains(element)) {
                    knownNanos = Math.min(knownNanos, r.completeNanos);
                }
            }
            if (knownNanos == Long.MAX_VALUE) {
                neverRead++;
                continue;
            }
            long lastPresent = Long.MIN_VALUE; // invocation of the latest read holding it
            long lastAbsent = Long.MIN_VALUE; // invocation of the latest read begun after it was known, missing it
            long firstAbsent = Long.MAX_VALUE;
            boolean readAfterKnown = false;
            for (Read r : reads) {
                if (r.elements.contains(element)) {
                    lastPresent = Math.max(lastPresent, r.invokeNanos);
                } else if (r.invokeNanos > knownNanos) {
                    lastAbsent = Math.max(lastAbsent, r.invokeNanos);
                    firstAbsent = Math.min(firstAbsent, r.invokeNanos);
                }
                readAfterKnown |= r.invokeNanos > knownNanos;
            }
            if (!readAfterKnown && lastPresent == Long.MIN_VALUE) {
                neverRead++;
            } else if (lastAbsent > lastPresent) {
                lostCount++;
                if (lost.size() < 20) {
                    lost.add(element);
                }
            } else {
                stable++;
                if (lastAbsent != Long.MIN_VALUE) {
                    staleCount++;
                    worstStaleNanos = Math.max(worstStaleNanos, lastAbsent - knownNanos);
                    if (stale.size() < 20) {
                        stale.add(element);
                    }
                }
            }
        }
        Set<Long> unexpected = new TreeSet<>();
        for (Read r : reads) {
            for (long x : r.elements) {
                if (!adds.containsKey(x) && unexpected.size() < 20) {
                    unexpected.add(x);
                }
            }
        }
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("attempt-count", adds.size());
        d.put(
                "acknowledged-count",
                adds.values().stream().filter(Checks.Pair::ok).count());
        d.put("read-count", reads.size());
        d.put("stable-count", stable);
        d.put("lost-count", lostCount);
        d.put("lost", lost);
        d.put("stale-count", staleCount);
        d.put("stale", stale);
        d.put("worst-stale-millis", worstStaleNanos / 1_000_000);
        d.put("never-read-count", neverRead);
        d.put("unexpected", new ArrayList<>(unexpected));
        boolean valid = lostCount == 0 && unexpected.isEmpty() && (!linearizable || staleCount == 0);
        return new CheckOutcome(name(), Validity.of(valid), d);
    }
}
