package dev.linden.kvnode.raft;

/**
 * One single-server change asked of the leader (thesis §4.1). {@link Kind#ADD_VOTER} adds the node as a
 * learner first and promotes it once its log has caught up with the commit index, so a new, empty node
 * never counts toward a quorum it cannot yet serve. {@link Kind#ADD_LEARNER} stops after the first step.
 *
 * @param address the node's peer address ({@code host:port}), written into the configuration so every
 *                member can reach it; may be empty where the transport needs none (the simulator)
 */
public record MembershipChange(Kind kind, int nodeId, String address) {
    public enum Kind {
        ADD_VOTER,
        ADD_LEARNER,
        REMOVE
    }

    public MembershipChange {
        Invariants.require(kind != null && nodeId > 0, "a membership change needs a kind and a node id > 0");
        address = address == null ? "" : address;
    }

    public static MembershipChange addVoter(int nodeId, String address) {
        return new MembershipChange(Kind.ADD_VOTER, nodeId, address);
    }

    public static MembershipChange addLearner(int nodeId, String address) {
        return new MembershipChange(Kind.ADD_LEARNER, nodeId, address);
    }

    public static MembershipChange remove(int nodeId) {
        return new MembershipChange(Kind.REMOVE, nodeId, "");
    }

    /** Whether {@code m} is the configuration this change asks for (its outcome, once committed). */
    public boolean satisfiedBy(Membership m) {
        return switch (kind) {
            case ADD_VOTER -> m.isVoter(nodeId);
            case ADD_LEARNER -> m.contains(nodeId);
            case REMOVE -> !m.contains(nodeId);
        };
    }

    @Override
    public String toString() {
        return kind.name().toLowerCase().replace('_', '-') + " " + nodeId + (address.isEmpty() ? "" : " at " + address);
    }
}
