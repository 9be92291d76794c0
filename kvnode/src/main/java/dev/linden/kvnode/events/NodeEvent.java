package dev.linden.kvnode.events;

import java.util.Arrays;

/**
 * One fact a node reports about itself, for monitors that judge a cluster from outside: the simulator's
 * and the real-process harness's alike ({@link EventMonitor}). Every event carries the node's id, the time
 * it was noted (milliseconds on the reporting world's clock: simulated time, or the node's wall clock) and
 * a sequence number counted per node life from 1 ({@link Started} is 1): a gap means the node dropped
 * events (its bounded queue was full), and the monitor then stops judging what needs that life's whole
 * stream.
 */
public sealed interface NodeEvent {
    long atMillis();

    int node();

    long seq();

    /**
     * The node (re)started with this hard state and snapshot (0: none) recovered from its storage; {@code
     * lostThroughTerm} above 0 if recovery found (or had found) log lost that it may have acknowledged, and it
     * abstains from elections until repaired; {@code lastIndex} the last index it holds (in its log or its snapshot;
     * -1: not known, a stream written before this field).
     */
    record Started(
            long atMillis,
            int node,
            long seq,
            long term,
            int votedFor,
            long snapshotIndex,
            long lostThroughTerm,
            long lastIndex)
            implements NodeEvent {
        /** A start whose last index is not known. */
        public Started(
                long atMillis, int node, long seq, long term, int votedFor, long snapshotIndex, long lostThroughTerm) {
            this(atMillis, node, seq, term, votedFor, snapshotIndex, lostThroughTerm, -1);
        }
    }

    /** A term and vote are durable: the node wrote them before any message that depends on them left. */
    record HardStateSaved(long atMillis, int node, long seq, long term, int votedFor) implements NodeEvent {}

    /** The node granted its (real, not pre-) vote in {@code term} to {@code candidate}. */
    record VoteGranted(long atMillis, int node, long seq, long term, int candidate) implements NodeEvent {}

    /** The node's role changed ({@code role} is the core's role name; {@code leader} 0 when unknown). */
    record RoleChanged(long atMillis, int node, long seq, long term, String role, int leader) implements NodeEvent {}

    /**
     * The node became leader of {@code term} holding this log: after its snapshot at {@code afterIndex},
     * through {@code lastIndex}, with terms in runs ({@code runStart[i]} is the first index of term
     * {@code runTerm[i]}; terms never decrease along a log, so a log of a thousand entries is a few runs).
     */
    record LeaderElected(
            long atMillis,
            int node,
            long seq,
            long term,
            long afterIndex,
            long lastIndex,
            long[] runStart,
            long[] runTerm)
            implements NodeEvent {
        /** The term of the leader's entry at {@code index}; -1 outside (afterIndex, lastIndex]. */
        public long termAt(long index) {
            if (index <= afterIndex || index > lastIndex || runStart.length == 0) {
                return -1;
            }
            int i = Arrays.binarySearch(runStart, index);
            return runTerm[i >= 0 ? i : -i - 2];
        }
    }

    /**
     * The node's commit index advanced to {@code index}, whose entry is of {@code entryTerm} (-1: compacted,
     * unknown here). {@code asLeader}: the node led {@code term} before this advance and still does, so the
     * advance is its own decision (Raft's commit rule applies), not what it learned from another leader; then
     * {@code counted} are the voters it counted as holding {@code index} (sorted; itself included if it did), each
     * of which must still hold it when it starts again. Empty when not as leader, and in older streams.
     */
    record CommitAdvanced(
            long atMillis, int node, long seq, long term, boolean asLeader, long index, long entryTerm, int[] counted)
            implements NodeEvent {
        /** An advance that names no voters counted. */
        public CommitAdvanced(
                long atMillis, int node, long seq, long term, boolean asLeader, long index, long entryTerm) {
            this(atMillis, node, seq, term, asLeader, index, entryTerm, new int[0]);
        }
    }

    /**
     * The node's state machine applied the entries {@code fromIndex .. fromIndex + terms.length - 1}, of
     * those terms, each with a hash of its kind and bytes ({@link EntryHash}).
     */
    record Applied(long atMillis, int node, long seq, long fromIndex, long[] terms, int[] hashes) implements NodeEvent {
        public Applied {
            if (terms.length != hashes.length || terms.length == 0) {
                throw new IllegalArgumentException("an applied batch has one term and one hash per entry, and one");
            }
        }

        public long toIndex() {
            return fromIndex + terms.length - 1;
        }
    }

    /**
     * A snapshot through {@code index} ({@code term}): taken from the node's own state machine, or
     * restored into it (installed from the leader, or loaded at a restart); {@code stateDigest} is the
     * state machine's digest at that index, equal on every replica that holds the same state.
     */
    record SnapshotNoted(long atMillis, int node, long seq, boolean taken, long index, long term, long stateDigest)
            implements NodeEvent {}

    /**
     * The configuration in force on the node changed: these voters (sorted ids), from the log entry (or snapshot)
     * at {@code index}; the node's commit index then, and whether it is the leader (0 and false in streams
     * written before these fields).
     */
    record MembershipInForce(
            long atMillis, int node, long seq, int[] voters, long index, long commitIndex, boolean asLeader)
            implements NodeEvent {}
}
