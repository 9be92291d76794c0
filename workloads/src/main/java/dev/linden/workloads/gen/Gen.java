package dev.linden.workloads.gen;

import dev.linden.workloads.gen.Generator.Emit;
import dev.linden.workloads.gen.Generator.Pending;
import dev.linden.workloads.gen.Generator.Step;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.function.Function;
import java.util.function.IntFunction;
import java.util.function.IntPredicate;
import java.util.function.Supplier;

/**
 * Generator combinators in the vocabulary of {@code jepsen.generator}. Every generator here is an
 * immutable value; combinators return new ones.
 */
public final class Gen {
    private Gen() {}

    private static final long NEVER = Long.MAX_VALUE;
    private static final Generator DONE = ctx -> Generator.EXHAUSTED;

    /** The three answers of a step, taken apart (Java 17 has no pattern switch). */
    private static Step on(Step s, Function<Emit, Step> emit, Function<Pending, Step> pending, Supplier<Step> done) {
        if (s instanceof Emit e) {
            return emit.apply(e);
        }
        if (s instanceof Pending p) {
            return pending.apply(p);
        }
        return done.get();
    }

    /** One operation on a free client process (or on the nemesis, for a template whose process is NEMESIS). */
    public static Generator once(Op template) {
        return ctx -> {
            boolean fault = template.process() == Context.NEMESIS;
            if (fault ? !ctx.freeProcesses().contains(Context.NEMESIS) : ctx.someFreeClient() < 0) {
                return new Pending(once(template), NEVER);
            }
            int p = fault ? Context.NEMESIS : ctx.someFreeClient();
            return new Emit(template.at(p, ctx.timeNanos()), DONE);
        };
    }

    /** The operation again and again, forever. */
    public static Generator repeat(Op template) {
        return fromFunction(r -> template);
    }

    /** An operation built from the run's random source each time, forever. */
    public static Generator fromFunction(Function<SplittableRandom, Op> make) {
        return new Generator() {
            @Override
            public Step next(Context ctx) {
                if (ctx.someFreeClient() < 0 && !ctx.freeProcesses().contains(Context.NEMESIS)) {
                    return new Pending(this, NEVER);
                }
                Step s = once(make.apply(ctx.random())).next(ctx);
                return s instanceof Emit e ? new Emit(e.op(), this) : new Pending(this, NEVER);
            }
        };
    }

    /** At most {@code n} operations of {@code g}. */
    public static Generator limit(long n, Generator g) {
        return ctx -> n <= 0
                ? Generator.EXHAUSTED
                : on(
                        g.next(ctx),
                        e -> new Emit(e.op(), limit(n - 1, e.rest())),
                        p -> new Pending(limit(n, p.rest()), p.wakeNanos()),
                        () -> Generator.EXHAUSTED);
    }

    /** Operations of {@code g} invoked within {@code nanos} of the first time this generator is asked. */
    public static Generator timeLimit(long nanos, Generator g) {
        return ctx -> until(ctx.timeNanos() + nanos, g).next(ctx);
    }

    private static Generator until(long deadlineNanos, Generator g) {
        return ctx -> ctx.timeNanos() >= deadlineNanos
                ? Generator.EXHAUSTED
                : on(
                        g.next(ctx),
                        e -> e.op().timeNanos() >= deadlineNanos
                                ? Generator.EXHAUSTED
                                : new Emit(e.op(), until(deadlineNanos, e.rest())),
                        p -> new Pending(until(deadlineNanos, p.rest()), Math.min(p.wakeNanos(), deadlineNanos)),
                        () -> Generator.EXHAUSTED);
    }

    /**
     * Spreads {@code g}'s operations out in time: a random gap in [0, 2 x {@code meanNanos}) after each, so
     * one operation per {@code meanNanos} over all processes on average (Jepsen's stagger: a total rate).
     */
    public static Generator stagger(long meanNanos, Generator g) {
        return spaced(meanNanos, true, Long.MIN_VALUE, g);
    }

    /** Exactly {@code nanos} between the invocations of {@code g}'s operations. */
    public static Generator delay(long nanos, Generator g) {
        return spaced(nanos, false, Long.MIN_VALUE, g);
    }

    private static Generator spaced(long nanos, boolean random, long notBeforeNanos, Generator g) {
        return ctx -> {
            if (notBeforeNanos > ctx.timeNanos()) {
                return new Pending(spaced(nanos, random, notBeforeNanos, g), notBeforeNanos);
            }
            return on(
                    g.next(ctx),
                    e -> {
                        long gap = random ? (long) (ctx.random().nextDouble() * 2 * nanos) : nanos;
                        return new Emit(e.op(), spaced(nanos, random, e.op().timeNanos() + gap, e.rest()));
                    },
                    p -> new Pending(spaced(nanos, random, notBeforeNanos, p.rest()), p.wakeNanos()),
                    () -> Generator.EXHAUSTED);
        };
    }

    /** No operation for {@code nanos} from the first time it is asked; then exhausted. */
    public static Generator sleep(long nanos) {
        return ctx -> sleepUntil(ctx.timeNanos() + nanos).next(ctx);
    }

    private static Generator sleepUntil(long wakeNanos) {
        return ctx ->
                ctx.timeNanos() >= wakeNanos ? Generator.EXHAUSTED : new Pending(sleepUntil(wakeNanos), wakeNanos);
    }

    /**
     * Each operation from one of the generators, chosen at random among those that have one now;
     * exhausted when all are.
     */
    public static Generator mix(List<Generator> gens) {
        return ctx -> {
            List<Generator> after = new ArrayList<>(gens);
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < gens.size(); i++) {
                order.add(i);
            }
            for (int i = order.size() - 1; i > 0; i--) {
                Collections.swap(order, i, ctx.random().nextInt(i + 1));
            }
            long wake = NEVER;
            boolean pending = false;
            List<Integer> exhausted = new ArrayList<>();
            for (int i : order) {
                Step s = gens.get(i).next(ctx);
                if (s instanceof Emit e) {
                    after.set(i, e.rest());
                    return new Emit(e.op(), mix(after));
                }
                if (s instanceof Pending p) {
                    pending = true;
                    wake = Math.min(wake, p.wakeNanos());
                    after.set(i, p.rest()); // keep what it learned (a deadline, say)
                } else {
                    after.set(i, DONE);
                    exhausted.add(i);
                }
            }
            if (!pending) {
                return Generator.EXHAUSTED;
            }
            List<Generator> live = new ArrayList<>();
            for (int i = 0; i < after.size(); i++) {
                if (!exhausted.contains(i)) {
                    live.add(after.get(i));
                }
            }
            return new Pending(mix(live), wake);
        };
    }

    /** {@code a}'s operations, then {@code b}'s (no wait between them). */
    public static Generator then(Generator a, Generator b) {
        return ctx -> on(
                a.next(ctx),
                e -> new Emit(e.op(), then(e.rest(), b)),
                p -> new Pending(then(p.rest(), b), p.wakeNanos()),
                () -> b.next(ctx));
    }

    /** Phases: each generator runs to exhaustion, and every operation completes, before the next starts. */
    public static Generator phases(List<Generator> gens) {
        if (gens.isEmpty()) {
            return DONE;
        }
        Generator first = gens.get(0);
        List<Generator> rest = gens.subList(1, gens.size());
        return ctx -> on(
                first.next(ctx),
                e -> new Emit(e.op(), phases(prepend(e.rest(), rest))),
                p -> new Pending(phases(prepend(p.rest(), rest)), p.wakeNanos()),
                () -> ctx.busyProcesses().isEmpty()
                        ? phases(rest).next(ctx)
                        : new Pending(phases(prepend(DONE, rest)), NEVER)); // the barrier
    }

    private static List<Generator> prepend(Generator g, List<Generator> rest) {
        List<Generator> out = new ArrayList<>(rest.size() + 1);
        out.add(g);
        out.addAll(rest);
        return out;
    }

    /** {@code g}, seeing only client processes. */
    public static Generator clients(Generator g) {
        return onProcesses(p -> p != Context.NEMESIS, g);
    }

    /** {@code g}, on the nemesis process only (its operations are faults). */
    public static Generator nemesis(Generator g) {
        return onProcesses(p -> p == Context.NEMESIS, g);
    }

    /**
     * {@code g}, on the client processes whose worker thread {@code threads} allows: a process retired after an
     * unknown outcome is followed by process + {@code concurrency} on the same thread (Jepsen's numbering).
     */
    public static Generator onThreads(int concurrency, IntPredicate threads, Generator g) {
        if (concurrency < 1) {
            throw new IllegalArgumentException("concurrency >= 1");
        }
        return onProcesses(p -> p != Context.NEMESIS && threads.test(p % concurrency), g);
    }

    private static Generator onProcesses(IntPredicate allowed, Generator g) {
        return ctx -> on(
                g.next(ctx.restrictedTo(allowed)),
                e -> new Emit(e.op(), onProcesses(allowed, e.rest())),
                p -> new Pending(onProcesses(allowed, p.rest()), p.wakeNanos()),
                () -> Generator.EXHAUSTED);
    }

    /**
     * Whichever generator has the soonest operation; exhausted when all are. Typically
     * {@code any(List.of(clients(workload), nemesis(faults)))}.
     */
    public static Generator any(List<Generator> gens) {
        return ctx -> {
            Emit soonest = null;
            int soonestAt = -1;
            long wake = NEVER;
            boolean live = false;
            List<Generator> after = new ArrayList<>(gens.size());
            for (int i = 0; i < gens.size(); i++) {
                Step s = gens.get(i).next(ctx);
                if (s instanceof Emit e) {
                    live = true;
                    if (soonest == null || e.op().timeNanos() < soonest.op().timeNanos()) {
                        soonest = e;
                        soonestAt = i;
                    }
                    after.add(gens.get(i)); // asked again next time: only the chosen one advances
                } else if (s instanceof Pending p) {
                    live = true;
                    wake = Math.min(wake, p.wakeNanos());
                    after.add(p.rest());
                } else {
                    after.add(DONE);
                }
            }
            if (soonest != null) {
                after.set(soonestAt, soonest.rest());
                return new Emit(soonest.op(), any(after));
            }
            return live ? new Pending(any(after), wake) : Generator.EXHAUSTED;
        };
    }

    /** Every client process runs its own generator, made for it on first use. */
    public static Generator eachProcess(IntFunction<Generator> perProcess) {
        return eachProcess(perProcess, new TreeMap<>());
    }

    private static Generator eachProcess(IntFunction<Generator> make, TreeMap<Integer, Generator> gens) {
        return ctx -> {
            long wake = NEVER;
            boolean pending = false;
            TreeMap<Integer, Generator> after = new TreeMap<>(gens);
            for (int p : ctx.freeProcesses()) {
                if (p == Context.NEMESIS) {
                    continue;
                }
                Generator g = after.computeIfAbsent(p, make::apply);
                Step s = g.next(ctx.restrictedTo(q -> q == p));
                if (s instanceof Emit e) {
                    after.put(p, e.rest());
                    return new Emit(e.op(), eachProcess(make, after));
                }
                if (s instanceof Pending pe) {
                    pending = true;
                    wake = Math.min(wake, pe.wakeNanos());
                    after.put(p, pe.rest());
                } else {
                    after.put(p, DONE);
                }
            }
            // A busy process's generator may have more once its operation completes.
            boolean busyMayContinue =
                    ctx.busyProcesses().stream().anyMatch(p -> p != Context.NEMESIS && !(after.get(p) == DONE));
            return pending || busyMayContinue ? new Pending(eachProcess(make, after), wake) : Generator.EXHAUSTED;
        };
    }

    /** Rotates through generators by time: {@code gens[0]} for {@code nanos[0]}, then {@code gens[1]}, ... forever. */
    public static Generator cycleTimes(long[] nanos, List<Generator> gens) {
        if (nanos.length != gens.size() || gens.isEmpty()) {
            throw new IllegalArgumentException("one duration per generator");
        }
        long period = 0;
        for (long n : nanos) {
            if (n <= 0) {
                throw new IllegalArgumentException("durations must be positive");
            }
            period += n;
        }
        long total = period;
        return ctx -> cycleFrom(ctx.timeNanos(), total, nanos, gens).next(ctx);
    }

    private static Generator cycleFrom(long startNanos, long period, long[] nanos, List<Generator> gens) {
        return ctx -> {
            long phase = (ctx.timeNanos() - startNanos) % period;
            int i = 0;
            long end = nanos[0];
            while (phase >= end) {
                i++;
                end += nanos[i];
            }
            long windowEnd = ctx.timeNanos() - phase + end;
            int current = i;
            List<Generator> after = new ArrayList<>(gens);
            return on(
                    gens.get(i).next(ctx),
                    e -> {
                        if (e.op().timeNanos() >= windowEnd) {
                            return new Pending(cycleFrom(startNanos, period, nanos, gens), windowEnd);
                        }
                        after.set(current, e.rest());
                        return new Emit(e.op(), cycleFrom(startNanos, period, nanos, after));
                    },
                    p -> {
                        after.set(current, p.rest());
                        return new Pending(
                                cycleFrom(startNanos, period, nanos, after), Math.min(p.wakeNanos(), windowEnd));
                    },
                    () -> new Pending(cycleFrom(startNanos, period, nanos, gens), windowEnd));
        };
    }
}
