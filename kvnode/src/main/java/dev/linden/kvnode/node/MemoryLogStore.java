package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * A log store in memory that survives "restarts" of a node object (not of the JVM). Writes become
 * durable when {@code durabilityStage} runs them, so tests can interleave fsync completion with other
 * events. Bounded by {@code maxEntries}: beyond it, writes fail as a full disk would.
 */
public final class MemoryLogStore implements LogStore {
    private final Scheduler durabilityStage;
    private final int maxEntries;
    private HardState hardState = HardState.INITIAL;
    private final ArrayList<Entry> entries = new ArrayList<>();

    public MemoryLogStore(Scheduler durabilityStage, int maxEntries) {
        this.durabilityStage = durabilityStage;
        this.maxEntries = maxEntries;
    }

    @Override
    public synchronized Recovered load() {
        return new Recovered(hardState, List.copyOf(entries));
    }

    @Override
    public synchronized void saveHardState(HardState hs) {
        hardState = hs;
    }

    @Override
    public void append(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure) {
        durabilityStage.execute(() -> {
            synchronized (this) {
                if (write.lastIndex() > maxEntries) {
                    onFailure.accept(new java.io.IOException("log store full at " + maxEntries + " entries"));
                    return;
                }
                while (entries.size() >= write.firstIndex()) {
                    entries.remove(entries.size() - 1);
                }
                if (entries.size() + 1 != write.firstIndex()) {
                    throw new IllegalStateException("gap in log writes: have " + entries.size() + ", write starts at "
                            + write.firstIndex());
                }
                entries.addAll(write.entries());
            }
            onDurable.run();
        });
    }

    public synchronized HardState hardState() {
        return hardState;
    }

    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }
}
