package dev.linden.checker;

import dev.linden.checker.history.Event;
import dev.linden.checker.history.History;
import dev.linden.checker.history.OpType;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Seeded histories of many registers, linearizable by construction, for benchmarks: concurrent
 * processes invoke reads, writes and compare-and-sets on random keys; each operation takes effect on a
 * true register at an instant between its invocation and its completion, so the history has a
 * linearization. Optionally one read is made stale: it returns a value that was overwritten before the
 * read began, which no linearization allows.
 */
public final class HistoryGenerator {
    private final SplittableRandom r;
    private final int operations;
    private final int keys;
    private final boolean staleRead;
    private final long[] state; // 0: never written
    private final List<Event> events;
    // Per process: the open op's f, key, input, and whether it has taken effect (and its output).
    private final String[] f;
    private final int[] key;
    private final Object[] input;
    private final Object[] output;
    private final boolean[] done;
    private int issued;
    private int open;
    private long time;
    private long nextValue = 1;
    // For the planted stale read: a read that starts after its key was overwritten, given an old value.
    private int staleIndex = -1;
    private long staleValue;
    private final long[] previous;
    // The op that last changed each key, and whether it has completed: only a value overwritten by an
    // op that completed before the read began is certainly stale.
    private final int[] changedBy;
    private final boolean[] changeCompleted;

    private HistoryGenerator(long seed, int operations, int keys, int processes, boolean staleRead) {
        this.r = new SplittableRandom(seed);
        this.operations = operations;
        this.keys = keys;
        this.staleRead = staleRead;
        this.state = new long[keys];
        this.events = new ArrayList<>(2 * operations);
        this.f = new String[processes];
        this.key = new int[processes];
        this.input = new Object[processes];
        this.output = new Object[processes];
        this.done = new boolean[processes];
        this.previous = new long[keys];
        this.changedBy = new int[keys];
        this.changeCompleted = new boolean[keys];
    }

    /**
     * @param operations  client operations (each an invocation and a completion)
     * @param keys        independent registers
     * @param processes   concurrent client processes
     * @param staleRead   plant one stale read (the history is then not linearizable)
     */
    public static History generate(long seed, int operations, int keys, int processes, boolean staleRead) {
        if (operations < 1 || keys < 1 || processes < 1) {
            throw new IllegalArgumentException("operations, keys and processes must be >= 1");
        }
        HistoryGenerator g = new HistoryGenerator(seed, operations, keys, processes, staleRead);
        g.run(processes);
        if (staleRead && g.staleIndex < 0) {
            throw new IllegalStateException("no read suitable for a stale value; use more operations");
        }
        return new History("generated-" + seed + (staleRead ? "-stale" : ""), g.events);
    }

    /** Random processes step (invoke, take effect, complete) until every operation completed. */
    private void run(int processes) {
        while (issued < operations || open > 0) {
            int p = r.nextInt(processes);
            time += 1 + r.nextInt(5);
            if (f[p] == null) {
                if (issued < operations) {
                    invoke(p);
                }
                continue;
            }
            if (!done[p]) {
                takeEffect(p);
                if (r.nextBoolean()) {
                    continue; // completes a little later
                }
            }
            complete(p);
        }
    }

    private void invoke(int p) {
        int k = r.nextInt(keys);
        int roll = r.nextInt(10);
        f[p] = roll < 5 ? "read" : roll < 8 ? "write" : "cas";
        key[p] = k;
        input[p] = switch (f[p]) {
            case "read" -> null;
            case "write" -> nextValue++;
            default -> List.of(r.nextInt(3) == 0 ? nextValue - 1 - r.nextInt(3) : state[k], nextValue++);
        };
        done[p] = false;
        events.add(new Event(events.size(), p, OpType.INVOKE, f[p], "k" + k, input[p], time));
        if (staleRead
                && staleIndex < 0
                && f[p].equals("read")
                && previous[k] > 0
                && changeCompleted[k]
                && issued > operations / 2) {
            staleIndex = events.size() - 1; // its completion will return previous[k]
            staleValue = previous[k];
        }
        issued++;
        open++;
    }

    /** The op takes effect now, between its invocation and its completion. */
    private void takeEffect(int p) {
        int k = key[p];
        switch (f[p]) {
            case "read" -> output[p] = state[k] == 0 ? null : state[k];
            case "write" -> {
                previous[k] = state[k];
                changedBy[k] = p;
                changeCompleted[k] = false;
                state[k] = (Long) input[p];
                output[p] = input[p];
            }
            default -> {
                List<?> cas = (List<?>) input[p];
                boolean ok = state[k] == (Long) cas.get(0) && state[k] != 0;
                if (ok) {
                    previous[k] = state[k];
                    changedBy[k] = p;
                    changeCompleted[k] = false;
                    state[k] = (Long) cas.get(1);
                }
                output[p] = ok;
            }
        }
        done[p] = true;
    }

    private void complete(int p) {
        Object out = output[p];
        OpType type = OpType.OK;
        if (f[p].equals("cas")) {
            type = Boolean.TRUE.equals(out) ? OpType.OK : OpType.FAIL;
            out = input[p];
        }
        if (staleIndex >= 0
                && events.get(staleIndex).process() == p
                && f[p].equals("read")
                && events.get(staleIndex).timeNanos() <= time
                && staleValue != 0) {
            out = staleValue;
            staleValue = 0; // planted once
        }
        events.add(new Event(events.size(), p, type, f[p], "k" + key[p], out, time));
        if (changedBy[key[p]] == p) {
            changeCompleted[key[p]] = true;
        }
        f[p] = null;
        open--;
    }
}
