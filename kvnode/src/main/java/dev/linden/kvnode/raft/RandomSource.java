package dev.linden.kvnode.raft;

import java.util.SplittableRandom;

/**
 * The only source of randomness the core may use (election jitter). Production binds it to a seeded
 * {@link java.util.SplittableRandom}; the simulator derives it from the run's seed.
 */
public interface RandomSource {
    /** Returns a uniformly distributed int in [0, boundExclusive). */
    int nextInt(int boundExclusive);

    static RandomSource seeded(long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        return random::nextInt;
    }
}
