package dev.linden.kvnode.raft;

import java.util.List;

/**
 * Everything the core asks its driver to do, drained by {@link RaftCore#ready()}. The driver must
 * process the fields in this order:
 * <ol>
 *   <li>{@code hardState}: if non-null, make it durable <em>before</em> sending any message of this
 *       ready (a vote or a term must never be announced and then forgotten by a crash);</li>
 *   <li>{@code logWrite} and {@code messages}: may proceed in parallel. The leader's entries go to
 *       followers while its own disk writes them. When the write is durable the driver calls
 *       {@link RaftCore#onLogWritten(long)} with its id; writes complete in id order;</li>
 *   <li>{@code restore}: if non-null, a snapshot received from the leader; the apply stage loads it
 *       (before any later {@code committed} batch) and reports {@link RaftCore#onApplied(long)} with its
 *       index. The same snapshot is also in {@code logWrite}, to be made durable;</li>
 *   <li>{@code committed}: hand to the apply stage, in order; report progress with
 *       {@link RaftCore#onApplied(long)};</li>
 *   <li>{@code readStates}: a read with context {@code ctx} may be served once applied >= index;
 *       {@code failedReads} are to be retried elsewhere (leadership was lost before they were confirmed);</li>
 *   <li>{@code notices}: events for the operator's log (a follower that lost acknowledged log, ...).</li>
 * </ol>
 */
public record Ready(
        HardState hardState,
        LogWrite logWrite,
        List<Message> messages,
        List<Entry> committed,
        List<ReadState> readStates,
        List<Long> failedReads,
        SoftState softState,
        Snapshot restore,
        List<Fetch> fetches,
        List<String> notices) {

    public Ready(
            HardState hardState,
            LogWrite logWrite,
            List<Message> messages,
            List<Entry> committed,
            List<ReadState> readStates,
            List<Long> failedReads,
            SoftState softState) {
        this(hardState, logWrite, messages, committed, readStates, failedReads, softState, null, List.of(), List.of());
    }

    /**
     * Read entries from {@code fromIndex} back from storage for follower {@code peer} (they were evicted
     * from memory); answer with {@link RaftCore#onEntriesFetched} or {@link RaftCore#onFetchFailed}.
     * Only records whose term matches {@code terms} are the entries meant.
     */
    public record Fetch(int peer, long fromIndex, int maxEntries, long maxBytes, TermLookup terms) {}

    /**
     * Entries to append durably; any stored entries with index >= {@code firstIndex()} are replaced.
     * With a {@code snapshot}, the whole stored log is replaced by it first (and {@code entries} is empty).
     */
    public record LogWrite(long writeId, Snapshot snapshot, List<Entry> entries) {
        public LogWrite(long writeId, List<Entry> entries) {
            this(writeId, null, entries);
        }

        public LogWrite {
            if (snapshot == null ? entries.isEmpty() : !entries.isEmpty()) {
                throw new IllegalArgumentException("a log write holds either entries or one snapshot");
            }
        }

        public long firstIndex() {
            return snapshot != null ? snapshot.index() + 1 : entries.get(0).index();
        }

        public long lastIndex() {
            return snapshot != null
                    ? snapshot.index()
                    : entries.get(entries.size() - 1).index();
        }
    }

    /** A confirmed ReadIndex: the read {@code ctx} is linearizable once the state machine reached {@code index}. */
    public record ReadState(long ctx, long index) {}

    /** Volatile state the driver may want to observe (leader hints for clients, metrics). */
    public record SoftState(Role role, long term, int leaderId, long commitIndex, long appliedIndex) {}

    public boolean isEmpty() {
        return hardState == null
                && logWrite == null
                && messages.isEmpty()
                && committed.isEmpty()
                && readStates.isEmpty()
                && failedReads.isEmpty()
                && restore == null
                && fetches.isEmpty();
    }
}
