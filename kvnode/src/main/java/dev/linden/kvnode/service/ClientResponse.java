package dev.linden.kvnode.service;

import dev.linden.kvnode.kv.KvResult;
import java.util.Arrays;

/**
 * A node's answer. {@link Status#OK} carries the result. {@link Status#INVALID} (malformed, or over the
 * node's key, value or request size limits) and {@link Status#NO_SPACE} (the storage quota is reached)
 * are definite refusals that a retry will not change; their result is a {@code MALFORMED} result whose
 * value says why. {@link Status#NOT_LEADER},
 * {@link Status#OVERLOADED} and {@link Status#LOST} are definite: the command did not take effect through
 * this request, and may be retried (with the same session sequence number). {@link Status#UNKNOWN}: it
 * may or may not have taken effect.
 *
 * <p>The result travels as the state machine encoded it ({@code encodedResult}, null unless OK): the
 * node passes those bytes through; the client decodes them (OK, INVALID and NO_SPACE carry one).
 */
public record ClientResponse(long requestId, Status status, int leaderHint, byte[] encodedResult) {
    public enum Status {
        OK,
        NOT_LEADER,
        OVERLOADED,
        LOST,
        UNKNOWN,
        INVALID,
        NO_SPACE
    }

    /** A definite refusal with its reason for the client. */
    public static ClientResponse refused(long requestId, Status status, int leaderHint, String reason) {
        return new ClientResponse(requestId, status, leaderHint, new KvResult(KvResult.Status.MALFORMED, reason));
    }

    public ClientResponse(long requestId, Status status, int leaderHint, KvResult result) {
        this(requestId, status, leaderHint, result == null ? null : result.encode());
    }

    /** The decoded result, or null. */
    public KvResult result() {
        return encodedResult == null ? null : KvResult.decode(encodedResult);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ClientResponse r
                && r.requestId == requestId
                && r.status == status
                && r.leaderHint == leaderHint
                && Arrays.equals(r.encodedResult, encodedResult);
    }

    @Override
    public int hashCode() {
        return Long.hashCode(requestId) * 31 + status.hashCode();
    }

    @Override
    public String toString() {
        return "ClientResponse{" + requestId + " " + status + " hint=" + leaderHint + " " + result() + "}";
    }
}
