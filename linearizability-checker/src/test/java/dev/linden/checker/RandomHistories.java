package dev.linden.checker;

import dev.linden.checker.history.Event;
import dev.linden.checker.history.History;
import dev.linden.checker.history.OpType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * Histories from a random sequential execution with random overlap: each operation takes effect at one
 * instant between its invocation and its completion, so every generated history is linearizable.
 */
final class RandomHistories {
    enum Kind {
        CAS_REGISTER,
        APPEND
    }

    private RandomHistories() {}

    static History generate(long seed, Kind kind, int opCount, int processes, int keys, double infoRate) {
        SplittableRandom r = new SplittableRandom(seed);
        List<Event> events = new ArrayList<>();
        Map<String, Object> state = new HashMap<>();
        long[] processId = new long[processes];
        for (int i = 0; i < processes; i++) {
            processId[i] = i;
        }
        long nextProcess = processes;
        // Per process slot: the open op (f, key, input), whether it took effect, and its output.
        String[] f = new String[processes];
        String[] key = new String[processes];
        Object[] input = new Object[processes];
        Object[] output = new Object[processes];
        boolean[] applied = new boolean[processes];
        int issued = 0;
        int open = 0;
        long time = 0;
        int valueCounter = 0;
        while (issued < opCount || open > 0) {
            int p = r.nextInt(processes);
            time += 1 + r.nextInt(3);
            if (f[p] == null) {
                if (issued >= opCount) {
                    continue;
                }
                String k = "k" + r.nextInt(keys);
                int choice = r.nextInt(3);
                Object in;
                String fn;
                if (kind == Kind.CAS_REGISTER) {
                    fn = choice == 0 ? "read" : choice == 1 ? "write" : "cas";
                    in = fn.equals("read")
                            ? null
                            : fn.equals("write")
                                    ? (Object) (long) r.nextInt(5)
                                    : List.of((long) r.nextInt(5), (long) r.nextInt(5));
                } else {
                    fn = choice == 0 ? "get" : r.nextInt(6) == 0 ? "put" : "append";
                    in = fn.equals("get") ? null : "<" + (valueCounter++) + ">";
                }
                f[p] = fn;
                key[p] = k;
                input[p] = in;
                applied[p] = false;
                issued++;
                open++;
                events.add(new Event(events.size(), processId[p], OpType.INVOKE, fn, k, in, time));
            } else if (!applied[p] && r.nextBoolean()) {
                output[p] = apply(kind, state, f[p], key[p], input[p]);
                applied[p] = true;
            } else if (applied[p]) {
                boolean info = r.nextDouble() < infoRate && !f[p].equals("read") && !f[p].equals("get");
                events.add(new Event(
                        events.size(),
                        processId[p],
                        info ? OpType.INFO : OpType.OK,
                        f[p],
                        key[p],
                        info ? null : output[p],
                        time));
                if (info) {
                    processId[p] = nextProcess++;
                }
                f[p] = null;
                open--;
            } else if (r.nextDouble() < infoRate / 2 && !f[p].equals("read") && !f[p].equals("get")) {
                // Times out before taking effect; it may never take effect.
                events.add(new Event(events.size(), processId[p], OpType.INFO, f[p], key[p], null, time));
                processId[p] = nextProcess++;
                f[p] = null;
                open--;
            }
        }
        return new History("random-" + seed, events);
    }

    private static Object apply(Kind kind, Map<String, Object> state, String f, String k, Object in) {
        Object cur = state.get(k);
        switch (f) {
            case "read":
                return cur;
            case "write":
                state.put(k, in);
                return in;
            case "cas": {
                List<?> args = (List<?>) in;
                if (Objects.equals(cur, args.get(0))) {
                    state.put(k, args.get(1));
                    return Boolean.TRUE;
                }
                return Boolean.FALSE;
            }
            case "get":
                return cur == null ? "" : cur;
            case "put":
                state.put(k, in);
                return in;
            case "append": {
                String next = (cur == null ? "" : (String) cur) + in;
                state.put(k, next);
                return in;
            }
            default:
                throw new IllegalStateException(f);
        }
    }

    /** The same history with one completed read's result replaced by a value nothing ever wrote. */
    static History corruptOneRead(History h, long seed) {
        List<Integer> reads = new ArrayList<>();
        for (Event e : h.events()) {
            if (e.type() == OpType.OK && (e.f().equals("read") || e.f().equals("get"))) {
                reads.add(e.index());
            }
        }
        if (reads.isEmpty()) {
            return null;
        }
        int victim = reads.get(new SplittableRandom(seed).nextInt(reads.size()));
        List<Event> out = new ArrayList<>(h.events());
        Event e = out.get(victim);
        Object never = e.f().equals("read") ? (Object) 987_654_321L : "never-written";
        out.set(victim, new Event(e.index(), e.process(), e.type(), e.f(), e.key(), never, e.timeNanos()));
        return new History(h.source() + "-corrupt", out);
    }
}
