package dev.linden.kvnode.net;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.Snapshot;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The binary protocol between nodes and between clients and nodes. Every frame:
 * <pre>
 *   0       2     3     4           8
 *   +-------+-----+-----+-----------+--------------------+
 *   | magic | ver | typ | length    | payload (length B) |
 *   | "LN"  |  2  |     | uint32 BE |                    |
 *   +-------+-----+-----+-----------+--------------------+
 * </pre>
 * {@code length} is at most the configured maximum frame size; the frame decoder rejects larger ones
 * before allocating. Payloads are decoded strictly: any inconsistency is a {@link BadFrameException},
 * which closes that connection (never the node).
 */
public final class Wire {
    public static final int MAGIC = 0x4C4E;
    /** 2: Hello carries the cluster id, HeartbeatResponse the follower's last index. */
    public static final int VERSION = 3; // 3: VoteRequest carries the transfer flag; TimeoutNow

    public static final int HEADER_BYTES = 8;
    public static final int LENGTH_OFFSET = 4;
    public static final int DEFAULT_MAX_FRAME_BYTES = 16 << 20;
    /** Most entries accepted in one AppendEntries frame. */
    public static final int MAX_ENTRIES_PER_FRAME = 1 << 16;

    static final int HELLO = 1;
    static final int VOTE_REQ = 2;
    static final int VOTE_RESP = 3;
    static final int APPEND_REQ = 4;
    static final int APPEND_RESP = 5;
    static final int HEARTBEAT_REQ = 6;
    static final int HEARTBEAT_RESP = 7;
    static final int SNAPSHOT_CHUNK = 8;
    static final int SNAPSHOT_RESP = 9;
    static final int CLIENT_REQ = 10;
    static final int CLIENT_RESP = 11;
    static final int STATUS_REQ = 12;
    static final int STATUS_RESP = 13;
    static final int TIMEOUT_NOW = 14;
    static final int TRANSFER_REQ = 15;
    static final int TRANSFER_RESP = 16;
    static final int MEMBERSHIP_REQ = 17;
    static final int MEMBERSHIP_RESP = 18;
    static final int AUTH = 19;
    /** Longest token a client may present. */
    public static final int MAX_TOKEN_BYTES = 256;

    /**
     * A peer introduces itself: the dialer first, the acceptor answers with its own. Each side checks the
     * other's cluster id before any Raft message crosses, so nodes of different clusters never talk.
     */
    public record Hello(int nodeId, String clusterId, long incarnation, String refusal) {
        /** An introduction: this node's id, cluster and data dir incarnation (0: unknown). */
        public Hello(int nodeId, String clusterId, long incarnation) {
            this(nodeId, clusterId, incarnation, "");
        }

        public Hello(int nodeId, String clusterId) {
            this(nodeId, clusterId, 0);
        }

        /** Whether this Hello answers that the receiver is refused ({@link #refusal()} says why). */
        public boolean refused() {
            return !refusal.isEmpty();
        }
    }

    /**
     * A well-framed client request whose command is malformed or over the protocol's limits: answered
     * INVALID with the reason, and the connection stays open (the framing is intact).
     */
    public record InvalidRequest(long requestId, String reason) {}

    /**
     * A client's token, its first frame on a client port that requires one; a wrong token is answered with
     * {@link ClientResponse.Status#INVALID} for request id 0 and the connection is closed.
     */
    public record Auth(String token) {
        @Override
        public String toString() {
            return "Auth[token of " + token.length() + " chars]"; // never the secret itself, in logs or errors
        }
    }

    /** Asks a node for its view of the cluster. */
    public record StatusRequest(long requestId) {}

    public record StatusResponse(
            long requestId, int nodeId, String role, long term, int leaderId, long commitIndex, long appliedIndex) {}

    /** Asks the node (the leader) to hand leadership to {@code target}. */
    public record TransferRequest(long requestId, int target) {}

    /** The outcome: {@code ok} once {@code leaderId} (the target) leads, else why not and who leads if known. */
    public record TransferResponse(long requestId, boolean ok, int leaderId, String message) {}

    /**
     * Asks the node (the leader) for one membership change: {@code kind} is a {@link
     * dev.linden.kvnode.raft.MembershipChange.Kind} name, {@code address} the new node's peer address.
     */
    public record MembershipRequest(long requestId, String kind, int nodeId, String address) {}

    /**
     * The outcome of a {@link MembershipRequest}: committed, with the configuration; else why, and who leads.
     * Only {@link Outcome#NOT_LEADER} is worth asking again (of {@code leaderId}): the others ended for good.
     */
    public record MembershipResponse(long requestId, Outcome outcome, int leaderId, String message) {
        public enum Outcome {
            COMMITTED,
            /** Ask the leader (this node does not lead, or stopped leading, or was too busy). */
            NOT_LEADER,
            /** Refused as asked, with the reason: the last voter, an id once removed, unreachable, wrong cluster. */
            REFUSED,
            /** Not committed within the node's bound; an add's learner was taken out again. */
            TIMED_OUT
        }

        public MembershipResponse {
            Objects.requireNonNull(outcome, "outcome");
        }

        public boolean ok() {
            return outcome == Outcome.COMMITTED;
        }

        /** The request ended for good: committed or refused; asking again would not change the answer. */
        public boolean ended() {
            return outcome != Outcome.NOT_LEADER;
        }
    }

    /** A frame that cannot be decoded. */
    public static final class BadFrameException extends RuntimeException {
        public BadFrameException(String message) {
            super(message, null, false, false);
        }
    }

    private Wire() {}

    private static MembershipResponse.Outcome membershipOutcome(int ordinal) {
        MembershipResponse.Outcome[] all = MembershipResponse.Outcome.values();
        if (ordinal >= all.length) {
            throw new BadFrameException("membership outcome " + ordinal);
        }
        return all[ordinal];
    }

    // ------------------------------------------------------------------ encoding

    public static void encode(Object msg, ByteBuf out) {
        int start = out.writerIndex();
        out.writeShort(MAGIC).writeByte(VERSION).writeByte(0).writeInt(0);
        int type;
        if (msg instanceof Message.VoteRequest m) {
            type = VOTE_REQ;
            header(out, m);
            out.writeBoolean(m.preVote())
                    .writeLong(m.lastLogIndex())
                    .writeLong(m.lastLogTerm())
                    .writeBoolean(m.transfer());
        } else if (msg instanceof Message.VoteResponse m) {
            type = VOTE_RESP;
            header(out, m);
            out.writeBoolean(m.preVote()).writeBoolean(m.granted());
        } else if (msg instanceof Message.AppendRequest m) {
            type = APPEND_REQ;
            header(out, m);
            out.writeLong(m.prevLogIndex()).writeLong(m.prevLogTerm()).writeLong(m.leaderCommit());
            out.writeInt(m.entries().size());
            for (Entry e : m.entries()) {
                out.writeLong(e.term())
                        .writeLong(e.index())
                        .writeByte(e.kind().ordinal())
                        .writeInt(e.command().length)
                        .writeBytes(e.command());
            }
        } else if (msg instanceof Message.AppendResponse m) {
            type = APPEND_RESP;
            header(out, m);
            out.writeBoolean(m.success())
                    .writeLong(m.matchIndex())
                    .writeLong(m.rejectedPrevIndex())
                    .writeLong(m.hintIndex())
                    .writeLong(m.hintTerm());
        } else if (msg instanceof Message.HeartbeatRequest m) {
            type = HEARTBEAT_REQ;
            header(out, m);
            out.writeLong(m.commitIndex()).writeLong(m.readSeq());
        } else if (msg instanceof Message.HeartbeatResponse m) {
            type = HEARTBEAT_RESP;
            header(out, m);
            out.writeLong(m.readSeq()).writeLong(m.lastLogIndex());
        } else if (msg instanceof Message.InstallSnapshot m) {
            type = SNAPSHOT_CHUNK;
            header(out, m);
            out.writeLong(m.snapshotIndex())
                    .writeLong(m.snapshotTerm())
                    .writeLong(m.totalBytes())
                    .writeLong(m.offset());
            bytes(out, m.data());
        } else if (msg instanceof Message.SnapshotResponse m) {
            type = SNAPSHOT_RESP;
            header(out, m);
            out.writeLong(m.snapshotIndex()).writeLong(m.nextOffset());
        } else if (msg instanceof Message.TimeoutNow m) {
            type = TIMEOUT_NOW;
            header(out, m);
        } else if (msg instanceof Hello h) {
            type = HELLO;
            out.writeInt(h.nodeId());
            bytes(out, h.clusterId().getBytes(StandardCharsets.UTF_8));
            out.writeLong(h.incarnation());
            bytes(out, h.refusal().getBytes(StandardCharsets.UTF_8));
        } else if (msg instanceof ClientRequest r) {
            type = CLIENT_REQ;
            out.writeLong(r.requestId());
            bytes(out, r.encodedCommand());
        } else if (msg instanceof ClientResponse r) {
            type = CLIENT_RESP;
            out.writeLong(r.requestId()).writeByte(r.status().ordinal()).writeInt(r.leaderHint());
            bytes(out, r.encodedResult());
        } else if (msg instanceof Auth a) {
            type = AUTH;
            bytes(out, a.token().getBytes(StandardCharsets.UTF_8));
        } else if (msg instanceof StatusRequest r) {
            type = STATUS_REQ;
            out.writeLong(r.requestId());
        } else if (msg instanceof TransferRequest r) {
            type = TRANSFER_REQ;
            out.writeLong(r.requestId()).writeInt(r.target());
        } else if (msg instanceof TransferResponse r) {
            type = TRANSFER_RESP;
            out.writeLong(r.requestId()).writeBoolean(r.ok()).writeInt(r.leaderId());
            bytes(out, r.message().getBytes(StandardCharsets.UTF_8));
        } else if (msg instanceof MembershipRequest r) {
            type = MEMBERSHIP_REQ;
            out.writeLong(r.requestId()).writeInt(r.nodeId());
            bytes(out, r.kind().getBytes(StandardCharsets.UTF_8));
            bytes(out, r.address().getBytes(StandardCharsets.UTF_8));
        } else if (msg instanceof MembershipResponse r) {
            type = MEMBERSHIP_RESP;
            out.writeLong(r.requestId()).writeByte(r.outcome().ordinal()).writeInt(r.leaderId());
            bytes(out, r.message().getBytes(StandardCharsets.UTF_8));
        } else if (msg instanceof StatusResponse r) {
            type = STATUS_RESP;
            out.writeLong(r.requestId()).writeInt(r.nodeId());
            bytes(out, r.role().getBytes(StandardCharsets.UTF_8));
            out.writeLong(r.term())
                    .writeInt(r.leaderId())
                    .writeLong(r.commitIndex())
                    .writeLong(r.appliedIndex());
        } else {
            throw new IllegalArgumentException("cannot encode " + msg.getClass());
        }
        out.setByte(start + 3, type);
        out.setInt(start + LENGTH_OFFSET, out.writerIndex() - start - HEADER_BYTES);
    }

    private static void header(ByteBuf out, Message m) {
        out.writeInt(m.from()).writeInt(m.to()).writeLong(m.term());
    }

    private static void bytes(ByteBuf out, byte[] b) {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length).writeBytes(b);
        }
    }

    // ------------------------------------------------------------------ decoding

    /** Decodes one whole frame (header included). */
    public static Object decode(ByteBuf frame) {
        if (frame.readableBytes() < HEADER_BYTES) {
            throw new BadFrameException("frame shorter than its header");
        }
        int magic = frame.readUnsignedShort();
        int version = frame.readUnsignedByte();
        int type = frame.readUnsignedByte();
        int length = frame.readInt();
        if (magic != MAGIC) {
            throw new BadFrameException(String.format("bad magic 0x%04x", magic));
        }
        if (version != VERSION) {
            throw new BadFrameException("unsupported protocol version " + version);
        }
        if (length != frame.readableBytes()) {
            throw new BadFrameException("length field " + length + " but " + frame.readableBytes() + " payload bytes");
        }
        try {
            Object msg = decodePayload(type, frame);
            if (frame.isReadable()) {
                throw new BadFrameException(frame.readableBytes() + " trailing bytes in a frame of type " + type);
            }
            return msg;
        } catch (BadFrameException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadFrameException("malformed frame of type " + type + ": " + e);
        }
    }

    private static Object decodePayload(int type, ByteBuf in) {
        switch (type) {
            case HELLO: {
                int nodeId = in.readInt();
                byte[] cluster = readBytes(in, false);
                if (cluster.length > 1024) {
                    throw new BadFrameException("cluster id of " + cluster.length + " bytes");
                }
                String clusterText = new String(cluster, StandardCharsets.UTF_8);
                if (!in.isReadable()) {
                    return new Hello(nodeId, clusterText); // a node of before incarnations
                }
                long incarnation = in.readLong();
                byte[] refusal = readBytes(in, false);
                if (refusal.length > 4096) {
                    throw new BadFrameException("refusal of " + refusal.length + " bytes");
                }
                return new Hello(nodeId, clusterText, incarnation, new String(refusal, StandardCharsets.UTF_8));
            }
            case VOTE_REQ:
                return new Message.VoteRequest(
                        in.readInt(),
                        in.readInt(),
                        in.readLong(),
                        in.readBoolean(),
                        in.readLong(),
                        in.readLong(),
                        in.readBoolean());
            case TIMEOUT_NOW:
                return new Message.TimeoutNow(in.readInt(), in.readInt(), in.readLong());
            case VOTE_RESP:
                return new Message.VoteResponse(
                        in.readInt(), in.readInt(), in.readLong(), in.readBoolean(), in.readBoolean());
            case APPEND_REQ: {
                int from = in.readInt();
                int to = in.readInt();
                long term = in.readLong();
                long prevIndex = in.readLong();
                long prevTerm = in.readLong();
                long commit = in.readLong();
                int count = in.readInt();
                if (count < 0 || count > MAX_ENTRIES_PER_FRAME || count > in.readableBytes() / 21) {
                    throw new BadFrameException("bad entry count " + count);
                }
                List<Entry> entries = new ArrayList<>(count);
                for (int i = 0; i < count; i++) {
                    long t = in.readLong();
                    long idx = in.readLong();
                    int kind = in.readUnsignedByte();
                    byte[] cmd = readBytes(in, false);
                    if (kind >= Entry.Kind.values().length) {
                        throw new BadFrameException("bad entry kind " + kind);
                    }
                    if (idx != prevIndex + 1 + i) {
                        throw new BadFrameException("entries not contiguous after " + prevIndex);
                    }
                    entries.add(new Entry(t, idx, Entry.Kind.values()[kind], cmd));
                }
                return new Message.AppendRequest(from, to, term, prevIndex, prevTerm, List.copyOf(entries), commit);
            }
            case APPEND_RESP:
                return new Message.AppendResponse(
                        in.readInt(),
                        in.readInt(),
                        in.readLong(),
                        in.readBoolean(),
                        in.readLong(),
                        in.readLong(),
                        in.readLong(),
                        in.readLong());
            case HEARTBEAT_REQ:
                return new Message.HeartbeatRequest(
                        in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            case HEARTBEAT_RESP:
                return new Message.HeartbeatResponse(
                        in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            case SNAPSHOT_CHUNK: {
                int from = in.readInt();
                int to = in.readInt();
                long term = in.readLong();
                long index = in.readLong();
                long snapTerm = in.readLong();
                long total = in.readLong();
                long offset = in.readLong();
                byte[] data = readBytes(in, false);
                if (index < 1
                        || snapTerm < 1
                        || total < 0
                        || total > Snapshot.MAX_BYTES
                        || offset < 0
                        || offset + data.length > total) {
                    throw new BadFrameException("bad snapshot chunk: index " + index + " term " + snapTerm + " bytes "
                            + offset + "+" + data.length + " of " + total);
                }
                return new Message.InstallSnapshot(from, to, term, index, snapTerm, total, offset, data.length, data);
            }
            case SNAPSHOT_RESP:
                return new Message.SnapshotResponse(
                        in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            case CLIENT_REQ: {
                long id = in.readLong();
                byte[] command = readBytes(in, false);
                String problem = KvCommand.validate(command);
                if (problem != null) {
                    return new InvalidRequest(id, "bad KV command: " + problem);
                }
                return new ClientRequest(id, command);
            }
            case CLIENT_RESP: {
                long id = in.readLong();
                int status = in.readUnsignedByte();
                if (status >= ClientResponse.Status.values().length) {
                    throw new BadFrameException("bad response status " + status);
                }
                int hint = in.readInt();
                byte[] result = readBytes(in, true);
                if (result != null && result.length < 5) {
                    throw new BadFrameException("result of " + result.length + " bytes");
                }
                return new ClientResponse(id, ClientResponse.Status.values()[status], hint, result);
            }
            case STATUS_REQ:
                return new StatusRequest(in.readLong());
            case AUTH: {
                byte[] token = readBytes(in, false);
                if (token.length > MAX_TOKEN_BYTES) {
                    throw new BadFrameException(
                            "token of " + token.length + " bytes (at most " + MAX_TOKEN_BYTES + ")");
                }
                return new Auth(new String(token, StandardCharsets.UTF_8));
            }
            case TRANSFER_REQ:
                return new TransferRequest(in.readLong(), in.readInt());
            case TRANSFER_RESP:
                return new TransferResponse(
                        in.readLong(),
                        in.readBoolean(),
                        in.readInt(),
                        new String(readBytes(in, false), StandardCharsets.UTF_8));
            case MEMBERSHIP_REQ: {
                long id = in.readLong();
                int node = in.readInt();
                String kind = new String(readBytes(in, false), StandardCharsets.UTF_8);
                return new MembershipRequest(id, kind, node, new String(readBytes(in, false), StandardCharsets.UTF_8));
            }
            case MEMBERSHIP_RESP:
                return new MembershipResponse(
                        in.readLong(),
                        membershipOutcome(in.readUnsignedByte()),
                        in.readInt(),
                        new String(readBytes(in, false), StandardCharsets.UTF_8));
            case STATUS_RESP:
                return new StatusResponse(
                        in.readLong(),
                        in.readInt(),
                        new String(readBytes(in, false), StandardCharsets.UTF_8),
                        in.readLong(),
                        in.readInt(),
                        in.readLong(),
                        in.readLong());
            default:
                throw new BadFrameException("unknown frame type " + type);
        }
    }

    private static byte[] readBytes(ByteBuf in, boolean nullable) {
        int len = in.readInt();
        if (len == -1 && nullable) {
            return null;
        }
        if (len < 0 || len > in.readableBytes()) {
            throw new BadFrameException("bad byte-string length " + len);
        }
        byte[] b = new byte[len];
        in.readBytes(b);
        return b;
    }
}
