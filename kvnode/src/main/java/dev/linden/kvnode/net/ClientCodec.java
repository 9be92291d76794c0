package dev.linden.kvnode.net;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * The payloads of the client port's frames: KV requests and answers, the token, status, and the operator's
 * transfer and membership requests (framing in {@link Wire}). Every request payload starts with its
 * request id.
 */
final class ClientCodec {
    private ClientCodec() {}

    /** Writes {@code msg}'s payload; returns its frame type. */
    static int encode(Object msg, ByteBuf out) {
        if (msg instanceof ClientRequest r) {
            out.writeLong(r.requestId());
            Wire.bytes(out, r.encodedCommand());
            return Wire.CLIENT_REQ;
        } else if (msg instanceof ClientResponse r) {
            out.writeLong(r.requestId()).writeByte(r.status().ordinal()).writeInt(r.leaderHint());
            Wire.bytes(out, r.encodedResult());
            return Wire.CLIENT_RESP;
        } else if (msg instanceof Wire.Auth a) {
            Wire.bytes(out, a.token().getBytes(StandardCharsets.UTF_8));
            return Wire.AUTH;
        } else if (msg instanceof Wire.StatusRequest r) {
            out.writeLong(r.requestId());
            return Wire.STATUS_REQ;
        } else if (msg instanceof Wire.TransferRequest r) {
            out.writeLong(r.requestId()).writeInt(r.target());
            return Wire.TRANSFER_REQ;
        } else if (msg instanceof Wire.TransferResponse r) {
            out.writeLong(r.requestId()).writeBoolean(r.ok()).writeInt(r.leaderId());
            Wire.bytes(out, r.message().getBytes(StandardCharsets.UTF_8));
            return Wire.TRANSFER_RESP;
        } else if (msg instanceof Wire.MembershipRequest r) {
            out.writeLong(r.requestId()).writeInt(r.nodeId());
            Wire.bytes(out, r.kind().getBytes(StandardCharsets.UTF_8));
            Wire.bytes(out, r.address().getBytes(StandardCharsets.UTF_8));
            return Wire.MEMBERSHIP_REQ;
        } else if (msg instanceof Wire.MembershipResponse r) {
            out.writeLong(r.requestId()).writeByte(r.outcome().ordinal()).writeInt(r.leaderId());
            Wire.bytes(out, r.message().getBytes(StandardCharsets.UTF_8));
            return Wire.MEMBERSHIP_RESP;
        } else if (msg instanceof Wire.StatusResponse r) {
            out.writeLong(r.requestId()).writeInt(r.nodeId());
            Wire.bytes(out, r.role().getBytes(StandardCharsets.UTF_8));
            out.writeLong(r.term())
                    .writeInt(r.leaderId())
                    .writeLong(r.commitIndex())
                    .writeLong(r.appliedIndex());
            return Wire.STATUS_RESP;
        }
        throw new IllegalArgumentException("cannot encode " + msg.getClass());
    }

    /** Reads the payload of a client-port frame of {@code type}. */
    static Object decode(int type, ByteBuf in) {
        return switch (type) {
            case Wire.CLIENT_REQ -> decodeRequest(in);
            case Wire.CLIENT_RESP -> decodeResponse(in);
            case Wire.STATUS_REQ -> new Wire.StatusRequest(in.readLong());
            case Wire.AUTH -> {
                byte[] token = Wire.readBytes(in, false);
                if (token.length > Wire.MAX_TOKEN_BYTES) {
                    throw new Wire.BadFrameException(
                            "token of " + token.length + " bytes (at most " + Wire.MAX_TOKEN_BYTES + ")");
                }
                yield new Wire.Auth(new String(token, StandardCharsets.UTF_8));
            }
            case Wire.TRANSFER_REQ -> new Wire.TransferRequest(in.readLong(), in.readInt());
            case Wire.TRANSFER_RESP ->
                new Wire.TransferResponse(in.readLong(), in.readBoolean(), in.readInt(), text(in));
            case Wire.MEMBERSHIP_REQ -> {
                long id = in.readLong();
                int node = in.readInt();
                String kind = text(in);
                yield new Wire.MembershipRequest(id, kind, node, text(in));
            }
            case Wire.MEMBERSHIP_RESP ->
                new Wire.MembershipResponse(
                        in.readLong(), membershipOutcome(in.readUnsignedByte()), in.readInt(), text(in));
            case Wire.STATUS_RESP ->
                new Wire.StatusResponse(
                        in.readLong(),
                        in.readInt(),
                        text(in),
                        in.readLong(),
                        in.readInt(),
                        in.readLong(),
                        in.readLong());
            default -> throw new Wire.BadFrameException("unknown frame type " + type);
        };
    }

    private static Object decodeRequest(ByteBuf in) {
        long id = in.readLong();
        byte[] command = Wire.readBytes(in, false);
        String problem = KvCommand.validate(command);
        if (problem != null) {
            return new Wire.InvalidRequest(id, "bad KV command: " + problem);
        }
        return new ClientRequest(id, command);
    }

    private static ClientResponse decodeResponse(ByteBuf in) {
        long id = in.readLong();
        int status = in.readUnsignedByte();
        if (status >= ClientResponse.Status.values().length) {
            throw new Wire.BadFrameException("bad response status " + status);
        }
        int hint = in.readInt();
        byte[] result = Wire.readBytes(in, true);
        if (result != null && result.length < 5) {
            throw new Wire.BadFrameException("result of " + result.length + " bytes");
        }
        return new ClientResponse(id, ClientResponse.Status.values()[status], hint, result);
    }

    private static String text(ByteBuf in) {
        return new String(Wire.readBytes(in, false), StandardCharsets.UTF_8);
    }

    private static Wire.MembershipResponse.Outcome membershipOutcome(int ordinal) {
        Wire.MembershipResponse.Outcome[] all = Wire.MembershipResponse.Outcome.values();
        if (ordinal >= all.length) {
            throw new Wire.BadFrameException("membership outcome " + ordinal);
        }
        return all[ordinal];
    }
}
