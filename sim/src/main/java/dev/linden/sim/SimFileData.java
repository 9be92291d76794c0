package dev.linden.sim;

import java.util.ArrayList;
import java.util.List;

/** One simulated file: its durable image, its current image, and the volatile operations between them. */
final class SimFileData {
    SimFileImage durable = new SimFileImage();
    SimFileImage current = new SimFileImage();
    /** Volatile operations since the durable image: {position, data} writes, or {-size-1, null} truncations. */
    final List<Object[]> pending = new ArrayList<>();
}
