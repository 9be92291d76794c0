package dev.linden.kvnode.node;

/**
 * This node could not make its state durable (a full or failing disk) and stopped itself: what was durable
 * stays durable, and the node recovers from it on restart. Raised instead of a message to match: a process
 * exits with its storage-failure code, the simulator records a crash rather than a bug.
 */
public final class StorageFailedException extends RuntimeException {
    private final int nodeId;

    /** @param what what could not be made durable ("term/vote", "a log write") */
    public StorageFailedException(int nodeId, String what, Throwable cause) {
        super("node " + nodeId + " cannot persist " + what, cause);
        this.nodeId = nodeId;
    }

    /** What the storage said, for an operator's log: "storage failed: " and the cause's message. */
    public String detail() {
        return "storage failed: " + getCause().getMessage();
    }

    public int nodeId() {
        return nodeId;
    }
}
