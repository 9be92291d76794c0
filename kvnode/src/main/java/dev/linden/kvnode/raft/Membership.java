package dev.linden.kvnode.raft;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A cluster configuration: who votes, who only learns, and where each member listens for peers. It is
 * written whole into every configuration entry of the log (and into every snapshot), so a node learns
 * the full membership from any one of them, including a node that joined with an empty log.
 *
 * <p>Changes are single-server (thesis §4.1): each configuration differs from the previous one by one
 * voter, so any majority of the old and any majority of the new overlap. Learners replicate but never
 * vote and never count toward a quorum.
 *
 * <p>It also names the ids removed so far ({@link #wasRemoved}): a removed node may still run with its old
 * log and term, so its id is never a member again (as etcd's removed-member list). The list travels with
 * every configuration entry and snapshot, so every leader to come knows it.
 *
 * <p>Invariants: ids are > 0; no id is both voter and learner, and no removed id is a member; the arrays
 * are sorted and distinct.
 */
public final class Membership {
    /** No member at all: a node that joined and has not yet heard its configuration. */
    public static final Membership EMPTY = new Membership(new int[0], new int[0], Map.of(), new int[0]);

    /** Version 2 added the removed ids; version 1 (none) is still read. */
    private static final int FORMAT_VERSION = 2;

    private static final int FORMAT_VERSION_WITHOUT_REMOVED = 1;
    /** Upper bound on members decoded from a log entry or snapshot, so corrupt input cannot allocate without end. */
    public static final int MAX_MEMBERS = 64;
    /** Upper bound on removed ids remembered: an operator's removals, thousands of machine replacements. */
    public static final int MAX_REMOVED = 4096;

    private final int[] voters;
    private final int[] learners;
    private final Map<Integer, String> addresses;
    /** Ids removed from the cluster, never members again. */
    private final int[] removed;

    private Membership(int[] voters, int[] learners, Map<Integer, String> addresses, int[] removed) {
        this.voters = voters;
        this.learners = learners;
        this.addresses = Collections.unmodifiableMap(new TreeMap<>(addresses));
        this.removed = removed;
        Invariants.require(removed.length <= MAX_REMOVED, "at most " + MAX_REMOVED + " removed ids");
        for (int r : removed) {
            Invariants.require(
                    Arrays.binarySearch(voters, r) < 0 && Arrays.binarySearch(learners, r) < 0,
                    "removed node " + r + " is a member");
        }
        for (int v : voters) {
            Invariants.require(v > 0, "member ids must be > 0, got " + v);
            Invariants.require(Arrays.binarySearch(learners, v) < 0, "node " + v + " is both voter and learner");
        }
        for (int l : learners) {
            Invariants.require(l > 0, "member ids must be > 0, got " + l);
        }
        Invariants.require(voters.length + learners.length <= MAX_MEMBERS, "at most " + MAX_MEMBERS + " members");
    }

    /** Voters only, with no addresses (tests, the simulator, a bootstrap from a peer list). */
    public static Membership ofVoters(List<Integer> voters) {
        return new Membership(
                sorted(voters.stream().mapToInt(Integer::intValue).toArray()), new int[0], Map.of(), new int[0]);
    }

    /** Voters with their peer addresses ({@code host:port}); every voter is a key of {@code addresses}. */
    public static Membership ofVoters(Map<Integer, String> addresses) {
        return new Membership(
                sorted(addresses.keySet().stream().mapToInt(Integer::intValue).toArray()),
                new int[0],
                addresses,
                new int[0]);
    }

    public int[] voters() {
        return voters.clone();
    }

    public int[] learners() {
        return learners.clone();
    }

    /** Sorted voter ids, shared: callers must not modify it. */
    int[] votersView() {
        return voters;
    }

    int[] learnersView() {
        return learners;
    }

    public boolean isVoter(int id) {
        return Arrays.binarySearch(voters, id) >= 0;
    }

    public boolean isLearner(int id) {
        return Arrays.binarySearch(learners, id) >= 0;
    }

    public boolean contains(int id) {
        return isVoter(id) || isLearner(id);
    }

    /** Whether {@code id} was removed from this cluster (and so may never be a member again). */
    public boolean wasRemoved(int id) {
        return Arrays.binarySearch(removed, id) >= 0;
    }

    /** The ids removed so far, sorted. */
    public int[] removed() {
        return removed.clone();
    }

    /** Votes (or acknowledgements) needed to decide: a majority of the voters. */
    public int quorum() {
        return voters.length / 2 + 1;
    }

    /** Every member, voters then learners. */
    public int[] members() {
        int[] all = Arrays.copyOf(voters, voters.length + learners.length);
        System.arraycopy(learners, 0, all, voters.length, learners.length);
        return all;
    }

    /** Peer addresses known for members ({@code host:port}); members without one are absent. */
    public Map<Integer, String> addresses() {
        return addresses;
    }

    /** This configuration with {@code id} as a learner ({@code address} may be empty). */
    public Membership withLearner(int id, String address) {
        Invariants.require(!contains(id), "node " + id + " is already a member");
        Invariants.require(!wasRemoved(id), "node " + id + " was removed: its id is not reused");
        return new Membership(voters, sorted(append(learners, id)), withAddress(id, address), removed);
    }

    /** This configuration with learner {@code id} made a voter. */
    public Membership withPromoted(int id) {
        Invariants.require(isLearner(id), "node " + id + " is not a learner");
        return new Membership(sorted(append(voters, id)), without(learners, id), addresses, removed);
    }

    /** This configuration without member {@code id}, which joins the removed ids. */
    public Membership without(int id) {
        Invariants.require(contains(id), "node " + id + " is not a member");
        TreeMap<Integer, String> a = new TreeMap<>(addresses);
        a.remove(id);
        return new Membership(without(voters, id), without(learners, id), a, sorted(append(removed, id)));
    }

    private Map<Integer, String> withAddress(int id, String address) {
        TreeMap<Integer, String> a = new TreeMap<>(addresses);
        if (address != null && !address.isEmpty()) {
            a.put(id, address);
        }
        return a;
    }

    public byte[] encode() {
        try {
            ByteArrayOutputStream bytes = new ByteArrayOutputStream();
            DataOutputStream out = new DataOutputStream(bytes);
            out.writeByte(FORMAT_VERSION);
            writeIds(out, voters);
            writeIds(out, learners);
            out.writeShort(addresses.size());
            for (Map.Entry<Integer, String> e : addresses.entrySet()) {
                out.writeInt(e.getKey());
                out.writeUTF(e.getValue());
            }
            out.writeShort(removed.length);
            for (int id : removed) {
                out.writeInt(id);
            }
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e); // in-memory stream
        }
    }

    /** Decodes {@link #encode()}; throws IllegalArgumentException naming what is wrong with malformed bytes. */
    public static Membership decode(byte[] bytes) {
        try {
            DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes));
            int version = in.readUnsignedByte();
            if (version != FORMAT_VERSION && version != FORMAT_VERSION_WITHOUT_REMOVED) {
                throw new IllegalArgumentException("membership format " + version + ", expected " + FORMAT_VERSION);
            }
            int[] voters = readIds(in);
            int[] learners = readIds(in);
            int n = in.readUnsignedShort();
            if (n > MAX_MEMBERS) {
                throw new IllegalArgumentException("membership with " + n + " addresses");
            }
            TreeMap<Integer, String> addresses = new TreeMap<>();
            for (int i = 0; i < n; i++) {
                addresses.put(in.readInt(), in.readUTF());
            }
            int[] removed = version == FORMAT_VERSION_WITHOUT_REMOVED ? new int[0] : readIds(in, MAX_REMOVED);
            return new Membership(sorted(voters), sorted(learners), addresses, sorted(removed));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("malformed membership: " + e.getMessage(), e);
        }
    }

    private static void writeIds(DataOutputStream out, int[] ids) throws IOException {
        out.writeShort(ids.length);
        for (int id : ids) {
            out.writeInt(id);
        }
    }

    private static int[] readIds(DataInputStream in) throws IOException {
        return readIds(in, MAX_MEMBERS);
    }

    private static int[] readIds(DataInputStream in, int max) throws IOException {
        int n = in.readUnsignedShort();
        if (n > max) {
            throw new IllegalArgumentException("membership with " + n + " ids");
        }
        int[] ids = new int[n];
        for (int i = 0; i < n; i++) {
            ids[i] = in.readInt();
        }
        return ids;
    }

    private static int[] sorted(int[] ids) {
        return Arrays.stream(ids).sorted().distinct().toArray();
    }

    private static int[] append(int[] ids, int id) {
        int[] out = Arrays.copyOf(ids, ids.length + 1);
        out[ids.length] = id;
        return out;
    }

    private static int[] without(int[] ids, int id) {
        return Arrays.stream(ids).filter(x -> x != id).toArray();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Membership m
                && Arrays.equals(m.voters, voters)
                && Arrays.equals(m.learners, learners)
                && m.addresses.equals(addresses)
                && Arrays.equals(m.removed, removed);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(voters) * 31 + Arrays.hashCode(learners);
    }

    @Override
    public String toString() {
        return "voters=" + Arrays.toString(voters)
                + (learners.length == 0 ? "" : " learners=" + Arrays.toString(learners))
                + (removed.length == 0 ? "" : " removed=" + Arrays.toString(removed));
    }
}
