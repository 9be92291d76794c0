package dev.linden.realenv;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.kv.KvTxn;
import java.nio.charset.StandardCharsets;
import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongSupplier;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;

/**
 * The write load of {@code ./linden bench}: puts of one value size over a key space, from client sessions that
 * each keep at most {@code inflight} requests open, either closed-loop (each slot sends its next put when the
 * last one answers: the most the cluster takes) or open-loop at a fixed offered rate.
 *
 * <p>Open loop is how latency is measured without coordinated omission: put {@code i} is due at
 * {@code start + i / rate} whether or not earlier ones answered; one that finds its session's slots all busy
 * waits in the session's backlog, and its latency counts from when it was due, not from when it was sent. A
 * closed loop that stalls sends nothing and so records nothing of the stall: its latencies are given as
 * measured, and also with HdrHistogram's correction for the expected interval between one slot's requests
 * (the mean one, measured over the window).
 *
 * <p>Counting: a put completed within the measured window is ok or failed. A put still open when the window
 * closes is neither: it is reported as unfinished, with what became of it in the grace period after.
 */
public final class WriteLoad {
    /** Longest latency the histogram holds (beyond it, values are clamped): one minute. */
    static final long MAX_LATENCY_NANOS = TimeUnit.MINUTES.toNanos(1);
    /** Puts waiting for a slot across all sessions in an open loop; beyond it the offered load is refused. */
    static final int MAX_BACKLOG_PUTS = 1_000_000;
    /** How long the open puts get to finish after the window. */
    public static final long GRACE_MILLIS = 30_000;

    /**
     * What each request is: a put; a transaction of one compare (the key's mod revision above -1, always true)
     * and that put, so the difference to a put is the transaction's own cost; or a range read of a prefix of
     * about ten keys (by ReadIndex).
     */
    public enum Op {
        PUT,
        TXN,
        RANGE;

        public static Op parse(String name) {
            return switch (name) {
                case "put" -> PUT;
                case "txn" -> TXN;
                case "range" -> RANGE;
                default -> throw new IllegalArgumentException("--workload is put, txn or range, not '" + name + "'");
            };
        }
    }

    /**
     * @param ratePerSecond offered requests per second for an open loop; 0 for a closed loop
     */
    public record Options(
            int inflight,
            int valueSize,
            int keys,
            double warmupSeconds,
            double durationSeconds,
            double ratePerSecond,
            Op op) {
        public Options {
            if (inflight < 1 || valueSize < 1 || keys < 1 || warmupSeconds < 0 || durationSeconds <= 0) {
                throw new IllegalArgumentException("bad load options");
            }
            if (ratePerSecond < 0) {
                throw new IllegalArgumentException("--rate must be positive");
            }
        }

        boolean openLoop() {
            return ratePerSecond > 0;
        }

        /** The same load measured at once (the cluster and the JIT are warm from an earlier run). */
        public Options withoutWarmup() {
            return new Options(inflight, valueSize, keys, 0, durationSeconds, ratePerSecond, op);
        }
    }

    /**
     * What one run measured.
     *
     * @param latency           latencies in nanoseconds of the puts that completed ok within the window
     * @param corrected         the same, corrected for coordinated omission (an open loop's need none)
     * @param cpuNanos          CPU time spent in the window by what the caller counts (0: not counted)
     * @param unfinished        puts open when the window closed
     * @param unfinishedOkLater of those, the ones that completed ok in the grace period
     * @param unfinishedNever   of those, the ones still open when the grace period ended
     * @param refused           open loop: puts not offered because the backlog was full
     * @param windowStartMillis wall-clock time the measured window opened (to match the nodes' own logs)
     * @param windowEndMillis   wall-clock time it closed
     */
    public record Result(
            Options options,
            long ok,
            long failed,
            long unfinished,
            long unfinishedOkLater,
            long unfinishedNever,
            long refused,
            Histogram latency,
            Histogram corrected,
            long cpuNanos,
            long windowStartMillis,
            long windowEndMillis) {
        public double throughput() {
            return ok / options.durationSeconds();
        }

        public double percentileMillis(double percentile) {
            return percentile(latency, percentile);
        }

        public double correctedPercentileMillis(double percentile) {
            return percentile(corrected, percentile);
        }

        private static double percentile(Histogram h, double percentile) {
            return h.getTotalCount() == 0 ? 0 : h.getValueAtPercentile(percentile) / 1e6;
        }

        /** CPU time per write completed ok in the window, in microseconds (0: not counted). */
        public double cpuMicrosPerWrite() {
            return ok == 0 ? 0 : cpuNanos / 1e3 / ok;
        }

        public double maxMillis() {
            return latency.getTotalCount() == 0 ? 0 : latency.getMaxValue() / 1e6;
        }
    }

    private final List<KvClient> sessions;
    private final Options o;
    private final String value;
    private final long measureFrom;
    private final long end;
    private final Recorder recorder = new Recorder(MAX_LATENCY_NANOS, 3);
    private final AtomicLong ok = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final AtomicLong unfinished = new AtomicLong();
    private final AtomicLong unfinishedOkLater = new AtomicLong();
    private final AtomicLong openPuts = new AtomicLong();
    private final AtomicLong refused = new AtomicLong();
    private final AtomicLong backlog = new AtomicLong();
    /** The open loop sends what is due at most this often. */
    static final long OPEN_LOOP_TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    private volatile long cpuInWindowNanos;
    private volatile long windowStartMillis;
    private volatile long windowEndMillis;

    private WriteLoad(List<KvClient> sessions, Options o) {
        this.sessions = sessions;
        this.o = o;
        byte[] raw = new byte[o.valueSize()];
        Arrays.fill(raw, (byte) 'v');
        this.value = new String(raw, StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        this.measureFrom = start + (long) (o.warmupSeconds() * 1e9);
        this.end = measureFrom + (long) (o.durationSeconds() * 1e9);
    }

    /** Runs the load on {@code sessions} (each opened with at least {@code inflight} slots) and waits for it. */
    public static Result run(List<KvClient> sessions, Options o) throws InterruptedException {
        return run(sessions, o, () -> 0);
    }

    /**
     * The same, and the CPU time {@code cpuNanos} counts (the processes of the cluster and the client, say) over
     * the measured window, sampled when it opens and when it closes.
     */
    public static Result run(List<KvClient> sessions, Options o, LongSupplier cpuNanos) throws InterruptedException {
        WriteLoad load = new WriteLoad(sessions, o);
        Thread sampler = new Thread(() -> load.sampleCpu(cpuNanos), "bench-cpu");
        sampler.setDaemon(true);
        sampler.start();
        if (o.openLoop()) {
            load.openLoop();
        } else {
            load.closedLoop();
        }
        long deadline = load.end + TimeUnit.MILLISECONDS.toNanos(GRACE_MILLIS);
        while (load.openPuts.get() + load.backlog.get() > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        sampler.join(TimeUnit.SECONDS.toMillis(5));
        Histogram h = load.recorder.getIntervalHistogram();
        Histogram corrected = h;
        if (!o.openLoop() && load.ok.get() > 0) {
            // Each slot sends its next put when the last answers: its expected interval is the window over its
            // share of the puts completed in it.
            long slots = (long) sessions.size() * o.inflight();
            long interval = Math.max(1, (long) (o.durationSeconds() * 1e9 * slots / load.ok.get()));
            corrected = h.copyCorrectedForCoordinatedOmission(interval);
        }
        return new Result(
                o,
                load.ok.get(),
                load.failed.get(),
                load.unfinished.get(),
                load.unfinishedOkLater.get(),
                load.openPuts.get() + load.backlog.get(),
                load.refused.get(),
                h,
                corrected,
                load.cpuInWindowNanos,
                load.windowStartMillis,
                load.windowEndMillis);
    }

    /** Waits for the window to open, then to close, reading the CPU time and the wall clock at each. */
    private void sampleCpu(LongSupplier cpuNanos) {
        LockSupport.parkNanos(measureFrom - System.nanoTime());
        long atStart = cpuNanos.getAsLong();
        windowStartMillis = System.currentTimeMillis();
        long rest;
        while ((rest = end - System.nanoTime()) > 0) {
            LockSupport.parkNanos(rest);
        }
        cpuInWindowNanos = cpuNanos.getAsLong() - atStart;
        windowEndMillis = System.currentTimeMillis();
    }

    // ------------------------------------------------------------------ closed loop

    private void closedLoop() throws InterruptedException {
        CountDownLatch done = new CountDownLatch(sessions.size() * o.inflight());
        for (int c = 0; c < sessions.size(); c++) {
            for (int k = 0; k < o.inflight(); k++) {
                SplittableRandom r = new SplittableRandom(c * 100_000L + k);
                KvClient client = sessions.get(c);
                new Object() {
                    void next() {
                        long now = System.nanoTime();
                        if (now >= end) {
                            done.countDown();
                            return;
                        }
                        put(client, r, now, this::next);
                    }
                }.next();
            }
        }
        done.await(Math.round(o.warmupSeconds() + o.durationSeconds()) + 5, TimeUnit.SECONDS);
    }

    // ------------------------------------------------------------------ open loop

    /** One session's slots and the puts waiting for one (their due times). */
    private final class Session {
        final KvClient client;
        final SplittableRandom random;
        final ArrayDeque<Long> waiting = new ArrayDeque<>();
        int open;

        Session(KvClient client, long seed) {
            this.client = client;
            this.random = new SplittableRandom(seed);
        }

        synchronized void offer(long dueNanos) {
            if (open < o.inflight()) {
                open++;
                send(dueNanos);
            } else if (backlog.get() < MAX_BACKLOG_PUTS) {
                backlog.incrementAndGet();
                waiting.addLast(dueNanos);
            } else {
                refused.incrementAndGet();
            }
        }

        private void send(long dueNanos) {
            put(client, random, dueNanos, this::answered);
        }

        synchronized void answered() {
            Long due = waiting.pollFirst();
            if (due == null) {
                open--;
            } else {
                backlog.decrementAndGet();
                send(due);
            }
        }
    }

    private void openLoop() {
        Session[] s = new Session[sessions.size()];
        for (int c = 0; c < s.length; c++) {
            s[c] = new Session(sessions.get(c), c * 100_000L);
        }
        double intervalNanos = 1e9 / o.ratePerSecond();
        long start = System.nanoTime();
        long i = 0;
        while (true) {
            long now = System.nanoTime();
            long due;
            while ((due = start + (long) (i * intervalNanos)) <= now) {
                if (due >= end) {
                    return;
                }
                s[(int) (i++ % s.length)].offer(due);
            }
            if (due >= end) {
                return;
            }
            // Writes due within a tick go out together, each still timed from its own due time: waking for
            // every write (10,000 times a second at 10,000/s) cost this thread and the client's event loops
            // half a core, taken from the nodes on a small machine.
            LockSupport.parkNanos(Math.max(due - now, OPEN_LOOP_TICK_NANOS));
        }
    }

    // ------------------------------------------------------------------ both

    /** Sends one put counted from {@code fromNanos} (its send, or its due time), then runs {@code then}. */
    private void put(KvClient client, SplittableRandom r, long fromNanos, Runnable then) {
        openPuts.incrementAndGet();
        String key = "key-" + r.nextInt(o.keys());
        // A range load writes its keys during the warmup, so its ranges find them.
        Op op = o.op() == Op.RANGE && System.nanoTime() < measureFrom ? Op.PUT : o.op();
        CompletableFuture<?> sent = switch (op) {
            case PUT -> client.put(key, value);
            case TXN ->
                client.txn(new KvTxn(
                        List.of(KvTxn.Compare.modRevision(key, KvTxn.Cmp.GREATER, -1)),
                        List.of(KvTxn.Op.put(key, value)),
                        List.of()));
            case RANGE -> client.range(KvRange.prefix("key-" + r.nextInt(Math.max(1, o.keys() / 10))));
        };
        sent.whenComplete((res, err) -> {
            long t = System.nanoTime();
            boolean good = err == null && (!(res instanceof KvResult k) || k.status() == KvResult.Status.OK);
            record(fromNanos, t, good);
            then.run(); // first: the next put (or a waiting one) is open before this one stops counting
            openPuts.decrementAndGet();
        });
    }

    private void record(long fromNanos, long doneNanos, boolean good) {
        if (doneNanos >= end) {
            unfinished.incrementAndGet(); // open (or waiting for a slot) when the window closed
            if (good) {
                unfinishedOkLater.incrementAndGet();
            }
            return;
        }
        if (doneNanos < measureFrom || doneNanos >= end) {
            return;
        }
        if (!good) {
            failed.incrementAndGet();
            return;
        }
        ok.incrementAndGet();
        recorder.recordValue(Math.min(doneNanos - fromNanos, MAX_LATENCY_NANOS));
    }
}
