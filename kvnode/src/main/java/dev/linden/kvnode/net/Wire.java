package dev.linden.kvnode.net;

import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import java.util.Objects;
import java.util.zip.CRC32C;

/**
 * The binary protocol between nodes and between clients and nodes. Every frame:
 * <pre>
 *   0       2     3     4           8                          8+length
 *   +-------+-----+-----+-----------+-------------+------------+
 *   | magic | ver | typ | length    | payload     | crc32c     |
 *   | "LN"  |  4  |     | uint32 BE |             | uint32 BE  |
 *   +-------+-----+-----+-----------+-------------+------------+
 *                                   |<------ length B -------->|
 * </pre>
 * {@code length} counts the payload and the checksum, and is at most the configured maximum frame size; the
 * frame decoder rejects larger ones before allocating. The CRC32C covers type, length and payload, so a frame
 * damaged on the way (a flipped bit that TCP's checksum let through, a corrupting NIC, proxy or memory) is
 * refused rather than read as another message. Payloads are decoded strictly: any inconsistency is a
 * {@link BadFrameException}, which closes that connection (never the node).
 */
public final class Wire {
    public static final int MAGIC = 0x4C4E;
    /** 2: Hello carries the cluster id, HeartbeatResponse the follower's last index. */
    public static final int VERSION = 4; // 3: VoteRequest carries the transfer flag; TimeoutNow. 4: a CRC32C

    public static final int HEADER_BYTES = 8;
    public static final int LENGTH_OFFSET = 4;
    /** The CRC32C that ends every frame (counted in its length). */
    public static final int CHECKSUM_BYTES = 4;
    /** Where the checksummed bytes start: the type. */
    private static final int CHECKED_FROM = 3;

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

    // ------------------------------------------------------------------ encoding

    /** Writes {@code msg} as one frame: the header here, the payload by its family's codec. */
    public static void encode(Object msg, ByteBuf out) {
        int start = out.writerIndex();
        out.writeShort(MAGIC).writeByte(VERSION).writeByte(0).writeInt(0);
        int type;
        if (msg instanceof Message m) {
            type = PeerCodec.encode(m, out);
        } else if (msg instanceof Hello h) {
            type = PeerCodec.encodeHello(h, out);
        } else {
            type = ClientCodec.encode(msg, out);
        }
        out.setByte(start + 3, type);
        out.setInt(start + LENGTH_OFFSET, out.writerIndex() - start - HEADER_BYTES + CHECKSUM_BYTES);
        out.writeInt(checksum(out, start + CHECKED_FROM, out.writerIndex()));
    }

    /** CRC32C of {@code buf}'s bytes [from, to). */
    private static int checksum(ByteBuf buf, int from, int to) {
        CRC32C crc = new CRC32C();
        if (buf.hasArray()) {
            crc.update(buf.array(), buf.arrayOffset() + from, to - from);
        } else {
            crc.update(buf.nioBuffer(from, to - from));
        }
        return (int) crc.getValue();
    }

    /** A byte string: its length (-1 for null), then its bytes. */
    static void bytes(ByteBuf out, byte[] b) {
        if (b == null) {
            out.writeInt(-1);
        } else {
            out.writeInt(b.length).writeBytes(b);
        }
    }

    // ------------------------------------------------------------------ decoding

    /** Decodes one whole frame (header included). */
    public static Object decode(ByteBuf frame) {
        int start = frame.readerIndex();
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
        if (length < CHECKSUM_BYTES) {
            throw new BadFrameException("frame of " + length + " bytes has no room for its checksum");
        }
        int end = frame.writerIndex();
        int sent = frame.getInt(end - CHECKSUM_BYTES);
        if (sent != checksum(frame, start + CHECKED_FROM, end - CHECKSUM_BYTES)) {
            throw new BadFrameException("checksum mismatch in a frame of type " + type + " (" + length + " bytes)");
        }
        ByteBuf payload = frame.slice(frame.readerIndex(), length - CHECKSUM_BYTES);
        frame.skipBytes(length);
        try {
            Object msg = decodePayload(type, payload);
            if (payload.isReadable()) {
                throw new BadFrameException(payload.readableBytes() + " trailing bytes in a frame of type " + type);
            }
            return msg;
        } catch (BadFrameException e) {
            throw e;
        } catch (RuntimeException e) {
            throw new BadFrameException("malformed frame of type " + type + ": " + e);
        }
    }

    private static Object decodePayload(int type, ByteBuf in) {
        return PeerCodec.isPeerType(type) ? PeerCodec.decode(type, in) : ClientCodec.decode(type, in);
    }

    /** A byte string {@link #bytes} wrote, its length checked against what the frame holds. */
    static byte[] readBytes(ByteBuf in, boolean nullable) {
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
