package dev.linden.kvnode.node;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.raft.TermLookup;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A log store in memory that survives "restarts" of a node object (not of the JVM). Writes become
 * durable when {@code durabilityStage} runs them, so tests can interleave fsync completion with other
 * events. {@code onDurable} runs on that stage: it must run on the node's raft thread (the tests' single
 * event loop), as {@link LogStore#append} promises. Bounded by {@code maxEntries} (entries held after the
 * snapshot): beyond it, writes fail as a full disk would.
 */
public final class MemoryLogStore implements LogStore {
    private final Stage durabilityStage;
    private final int maxEntries;
    private HardState hardState = HardState.INITIAL;
    private Snapshot snapshot;
    /** Entries after {@code baseIndex}, contiguous. */
    private final ArrayList<Entry> entries = new ArrayList<>();

    private long baseIndex;

    public MemoryLogStore(Stage durabilityStage, int maxEntries) {
        this.durabilityStage = durabilityStage;
        this.maxEntries = maxEntries;
    }

    @Override
    public synchronized Recovered load() {
        return new Recovered(hardState, snapshot, List.copyOf(entries));
    }

    @Override
    public synchronized void saveHardState(HardState hs) {
        hardState = hs;
    }

    @Override
    public void append(Ready.LogWrite write, Runnable onDurable, Consumer<Throwable> onFailure) {
        durabilityStage.execute(() -> {
            synchronized (this) {
                if (write.snapshot() != null) {
                    snapshot = write.snapshot();
                    baseIndex = snapshot.index();
                    entries.clear();
                } else {
                    if (write.lastIndex() - baseIndex > maxEntries) {
                        onFailure.accept(new IOException("log store full at " + maxEntries + " entries"));
                        return;
                    }
                    while (baseIndex + entries.size() >= write.firstIndex()) {
                        entries.remove(entries.size() - 1);
                    }
                    if (baseIndex + entries.size() + 1 != write.firstIndex()) {
                        throw new IllegalStateException("gap in log writes: have " + (baseIndex + entries.size())
                                + ", write starts at " + write.firstIndex());
                    }
                    entries.addAll(write.entries());
                }
            }
            onDurable.run();
        });
    }

    @Override
    public void saveSnapshot(Snapshot s, Runnable onDurable, Consumer<Throwable> onFailure) {
        durabilityStage.execute(() -> {
            synchronized (this) {
                if (snapshot == null || s.index() > snapshot.index()) {
                    snapshot = s;
                }
            }
            onDurable.run();
        });
    }

    @Override
    public void compact(long index) {
        durabilityStage.execute(() -> {
            synchronized (this) {
                long upTo = snapshot == null ? 0 : Math.min(index, snapshot.index());
                int drop = (int) Math.min(entries.size(), Math.max(0, upTo - baseIndex));
                entries.subList(0, drop).clear();
                baseIndex += drop;
            }
        });
    }

    @Override
    public void read(
            long fromIndex,
            int maxEntries,
            long maxBytes,
            TermLookup terms,
            Consumer<List<Entry>> onRead,
            Consumer<Throwable> onFailure) {
        durabilityStage.execute(() -> {
            List<Entry> out = new ArrayList<>();
            synchronized (this) {
                long bytes = 0;
                for (long i = fromIndex; i <= baseIndex + entries.size() && out.size() < maxEntries; i++) {
                    if (i <= baseIndex) {
                        break; // covered by the snapshot now
                    }
                    Entry e = entries.get((int) (i - baseIndex - 1));
                    if (e.term() != terms.termOf(i) || (!out.isEmpty() && bytes + e.sizeBytes() > maxBytes)) {
                        break;
                    }
                    bytes += e.sizeBytes();
                    out.add(e);
                }
            }
            onRead.accept(out);
        });
    }

    @Override
    public synchronized byte[] readSnapshotChunk(long index, long offset, int length) throws IOException {
        if (snapshot == null || snapshot.index() != index || offset + length > snapshot.data().length) {
            throw new IOException("no snapshot at " + index);
        }
        return Arrays.copyOfRange(snapshot.data(), (int) offset, (int) offset + length);
    }

    public synchronized HardState hardState() {
        return hardState;
    }

    /** Entries held after the snapshot. */
    public synchronized List<Entry> entries() {
        return List.copyOf(entries);
    }

    public synchronized Snapshot snapshot() {
        return snapshot;
    }
}
