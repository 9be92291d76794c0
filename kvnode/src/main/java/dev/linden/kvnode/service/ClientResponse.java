package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvResult;

/**
 * A node's answer. {@link Status#OK} carries the result. {@link Status#NOT_LEADER},
 * {@link Status#OVERLOADED} and {@link Status#LOST} are definite: the command did not take effect through
 * this request, and may be retried (with the same session sequence number). {@link Status#UNKNOWN}: it
 * may or may not have taken effect.
 */
public record ClientResponse(long requestId, Status status, int leaderHint, KvResult result) {
    public enum Status { OK, NOT_LEADER, OVERLOADED, LOST, UNKNOWN }
}
