package dev.linden.kvnode.node;

import java.util.function.Function;

/**
 * Which of a node's pipeline stages share a thread: one description, used by the node server (threads)
 * and by the simulator (stages on its event loop), so the topology under test is the one that ships.
 *
 * <ul>
 *   <li>{@link Name#RAFT}: the core, its drain, the intake of peer messages and client proposals, and the
 *       WAL writer ({@link #WAL}): a write() into the page cache is short, and each stage hand-off is a
 *       thread wake-up that several node processes on few cores pay dearly for. The fsync has its own
 *       thread (the storage's), so writes overlap the previous fsync;</li>
 *   <li>{@link Name#APPLY}: the state machine;</li>
 *   <li>{@link Name#SNAPSHOT}: long storage work off the write path: writing snapshot files, preparing the
 *       next WAL segment, reading evicted entries back.</li>
 * </ul>
 */
public final class NodeStages {
    public enum Name {
        RAFT,
        APPLY,
        SNAPSHOT
    }

    /**
     * The stage the WAL writer runs on: always the raft stage. {@link RaftNode} hands the log its writes and
     * takes its durability callbacks on that stage directly, with no hand-off (see {@link LogStore#append}).
     */
    public static final Name WAL = Name.RAFT;

    /** The stages of one node, bound; {@code wal} is the raft stage, never a stage of its own. */
    public record Bound<S extends Stage>(S raft, S apply, S snapshot, S wal) {}

    private NodeStages() {}

    /** Makes one scheduler per distinct stage and binds the WAL to the stage this description names. */
    public static <S extends Stage> Bound<S> bind(Function<Name, S> make) {
        S raft = make.apply(Name.RAFT);
        S apply = make.apply(Name.APPLY);
        S snapshot = make.apply(Name.SNAPSHOT);
        return new Bound<>(raft, apply, snapshot, raft);
    }
}
