package dev.linden.sim;

import dev.linden.nemesis.Grudges;
import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Consumer;

/**
 * The simulated network between nodes and clients (addresses: node ids, clients from
 * {@link #CLIENT_BASE}). Latency with a long tail, loss, duplication, reordering (jitter), partitions
 * (blocked directed links between nodes) and clogged nodes. Messages travel as frames: the production
 * encoder's bytes ({@link #sendFrame}), read at the receiver by the production decoders. A frame may be
 * corrupted on the way ({@link #corruptRate}, off unless a test sets it), in ways the strict decoding must
 * refuse.
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
    /** Share of frames corrupted on the way (0: none, and no random draw is spent on it). */
    double corruptRate;
    /** Frames corrupted on the way; of them, copies delivered; and frames a receiver's decoder refused. */
    long framesCorrupted;

    long corruptFramesDelivered;

    long framesRefused;

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

    /**
     * Sends one frame's bytes; {@code deliver} gets them at the receiver (each copy its own bytes). With
     * {@link #corruptRate}, a frame may arrive damaged: its magic flipped, a byte added inside its length, its
     * last byte cut off (length field and all), or one bit flipped past the header - each a frame the strict
     * decoding or the frame checksum must refuse.
     */
    void sendFrame(int from, int to, byte[] frame, Consumer<byte[]> deliver) {
        byte[] sent = frame;
        if (corruptRate > 0 && random.nextDouble() < corruptRate) {
            sent = corrupt(frame, random.nextInt(DAMAGE_KINDS), random);
            framesCorrupted++;
        }
        byte[] bytes = sent;
        boolean damaged = sent != frame;
        send(from, to, () -> {
            corruptFramesDelivered += damaged ? 1 : 0;
            deliver.accept(bytes.clone());
        });
    }

    /** Ways a frame is damaged: magic broken, a byte added, a byte cut, one bit flipped past the header. */
    static final int DAMAGE_KINDS = 4;

    private static byte[] corrupt(byte[] frame, int how, SplittableRandom random) {
        int lengthAt = 4; // Wire.LENGTH_OFFSET
        ByteBuffer b;
        switch (how) {
            case 3 -> {
                // A bit flipped inside: the frame keeps its shape, only a checksum can tell.
                byte[] bad = frame.clone();
                int at = 8 + random.nextInt(Math.max(1, bad.length - 8)); // past Wire.HEADER_BYTES
                bad[Math.min(at, bad.length - 1)] ^= (byte) (1 << random.nextInt(8));
                return bad;
            }
            case 0 -> {
                byte[] bad = frame.clone();
                bad[0] ^= 0x5A;
                return bad;
            }
            case 1 -> {
                b = ByteBuffer.allocate(frame.length + 1).put(frame).put((byte) 0);
                b.putInt(lengthAt, b.getInt(lengthAt) + 1);
                return b.array();
            }
            default -> {
                b = ByteBuffer.allocate(frame.length - 1).put(frame, 0, frame.length - 1);
                b.putInt(lengthAt, b.getInt(lengthAt) - 1);
                return b.array();
            }
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
