package dev.linden.sim;

import dev.linden.nemesis.Grudges;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * The simulated network between nodes and clients (addresses: node ids, clients from
 * {@link #CLIENT_BASE}). Latency with a long tail, loss, duplication, reordering (jitter), partitions
 * (blocked directed links between nodes) and clogged nodes. Messages are objects: nothing is
 * serialized here; the production codec is tested on its own.
 */
final class SimNetwork {
    static final int CLIENT_BASE = 1000;

    private final SimLoop loop;
    private final SplittableRandom random;
    final Set<Grudges.Link> blocked = new HashSet<>();
    final Set<Integer> clogged = new HashSet<>();
    double lossRate;
    double duplicateRate;
    long jitterMicros;
    long sent;
    long dropped;
    // Evidence for the nemesis: what each fault did to messages.
    long droppedByPartition;
    long droppedByLoss;
    long duplicated;
    long reordered;
    long clogDelayed;

    SimNetwork(SimLoop loop, SplittableRandom random) {
        this.loop = loop;
        this.random = random;
    }

    void heal() {
        blocked.clear();
        clogged.clear();
        lossRate = 0;
        duplicateRate = 0;
        jitterMicros = 0;
    }

    /** Sends a message; {@code deliver} runs at the receiver after the simulated delay, unless it is lost. */
    void send(int from, int to, Runnable deliver) {
        sent++;
        if (blocked.contains(new Grudges.Link(from, to))) {
            dropped++;
            droppedByPartition++;
            return;
        }
        if (lossRate > 0 && random.nextDouble() < lossRate) {
            dropped++;
            droppedByLoss++;
            return;
        }
        int copies = duplicateRate > 0 && random.nextDouble() < duplicateRate ? 2 : 1;
        duplicated += copies - 1;
        for (int i = 0; i < copies; i++) {
            loop.at(delayNanos(from, to), SimLoop.NET, to, deliver);
        }
    }

    private long delayNanos(int from, int to) {
        // ~100-300 us on a LAN with a rare long tail; jitter reorders; clogging adds seconds.
        long micros = 100 + random.nextInt(200);
        if (random.nextInt(100) == 0) {
            micros += random.nextInt(20_000);
        }
        if (jitterMicros > 0) {
            micros += random.nextLong(jitterMicros);
            reordered++;
        }
        if (clogged.contains(from) || clogged.contains(to)) {
            micros += 500_000 + random.nextInt(2_500_000);
            clogDelayed++;
        }
        return micros * 1000;
    }
}
