package dev.linden.kvnode.net;

import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.Snapshot;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/** The payloads of the peer port's frames: the Raft messages and the Hello (framing in {@link Wire}). */
final class PeerCodec {
    private PeerCodec() {}

    /** Whether frames of {@code type} carry a peer message. */
    static boolean isPeerType(int type) {
        return type >= Wire.HELLO && type <= Wire.SNAPSHOT_RESP || type == Wire.TIMEOUT_NOW;
    }

    /** Writes {@code m}'s payload; returns its frame type. */
    static int encode(Message m, ByteBuf out) {
        out.writeInt(m.from()).writeInt(m.to()).writeLong(m.term());
        if (m instanceof Message.VoteRequest v) {
            out.writeBoolean(v.preVote())
                    .writeLong(v.lastLogIndex())
                    .writeLong(v.lastLogTerm())
                    .writeBoolean(v.transfer());
            return Wire.VOTE_REQ;
        } else if (m instanceof Message.VoteResponse v) {
            out.writeBoolean(v.preVote()).writeBoolean(v.granted());
            return Wire.VOTE_RESP;
        } else if (m instanceof Message.AppendRequest a) {
            out.writeLong(a.prevLogIndex()).writeLong(a.prevLogTerm()).writeLong(a.leaderCommit());
            out.writeInt(a.entries().size());
            for (Entry e : a.entries()) {
                out.writeLong(e.term())
                        .writeLong(e.index())
                        .writeByte(e.kind().ordinal())
                        .writeInt(e.command().length)
                        .writeBytes(e.command());
            }
            return Wire.APPEND_REQ;
        } else if (m instanceof Message.AppendResponse a) {
            out.writeBoolean(a.success())
                    .writeLong(a.matchIndex())
                    .writeLong(a.rejectedPrevIndex())
                    .writeLong(a.hintIndex())
                    .writeLong(a.hintTerm());
            return Wire.APPEND_RESP;
        } else if (m instanceof Message.HeartbeatRequest h) {
            out.writeLong(h.commitIndex()).writeLong(h.readSeq());
            return Wire.HEARTBEAT_REQ;
        } else if (m instanceof Message.HeartbeatResponse h) {
            out.writeLong(h.readSeq()).writeLong(h.lastLogIndex());
            return Wire.HEARTBEAT_RESP;
        } else if (m instanceof Message.InstallSnapshot s) {
            out.writeLong(s.snapshotIndex())
                    .writeLong(s.snapshotTerm())
                    .writeLong(s.totalBytes())
                    .writeLong(s.offset());
            Wire.bytes(out, s.data());
            return Wire.SNAPSHOT_CHUNK;
        } else if (m instanceof Message.SnapshotResponse s) {
            out.writeLong(s.snapshotIndex()).writeLong(s.nextOffset());
            return Wire.SNAPSHOT_RESP;
        } else if (m instanceof Message.TimeoutNow) {
            return Wire.TIMEOUT_NOW;
        }
        throw new IllegalArgumentException("cannot encode " + m.getClass());
    }

    static int encodeHello(Wire.Hello h, ByteBuf out) {
        out.writeInt(h.nodeId());
        Wire.bytes(out, h.clusterId().getBytes(StandardCharsets.UTF_8));
        out.writeLong(h.incarnation());
        Wire.bytes(out, h.refusal().getBytes(StandardCharsets.UTF_8));
        return Wire.HELLO;
    }

    /** Reads the payload of a peer frame of {@code type} ({@link #isPeerType}). */
    static Object decode(int type, ByteBuf in) {
        return switch (type) {
            case Wire.HELLO -> decodeHello(in);
            case Wire.VOTE_REQ ->
                new Message.VoteRequest(
                        in.readInt(),
                        in.readInt(),
                        in.readLong(),
                        in.readBoolean(),
                        in.readLong(),
                        in.readLong(),
                        in.readBoolean());
            case Wire.TIMEOUT_NOW -> new Message.TimeoutNow(in.readInt(), in.readInt(), in.readLong());
            case Wire.VOTE_RESP ->
                new Message.VoteResponse(in.readInt(), in.readInt(), in.readLong(), in.readBoolean(), in.readBoolean());
            case Wire.APPEND_REQ -> decodeAppend(in);
            case Wire.APPEND_RESP ->
                new Message.AppendResponse(
                        in.readInt(),
                        in.readInt(),
                        in.readLong(),
                        in.readBoolean(),
                        in.readLong(),
                        in.readLong(),
                        in.readLong(),
                        in.readLong());
            case Wire.HEARTBEAT_REQ ->
                new Message.HeartbeatRequest(in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            case Wire.HEARTBEAT_RESP ->
                new Message.HeartbeatResponse(in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            case Wire.SNAPSHOT_CHUNK -> decodeSnapshotChunk(in);
            case Wire.SNAPSHOT_RESP ->
                new Message.SnapshotResponse(in.readInt(), in.readInt(), in.readLong(), in.readLong(), in.readLong());
            default -> throw new Wire.BadFrameException("unknown frame type " + type);
        };
    }

    private static Wire.Hello decodeHello(ByteBuf in) {
        int nodeId = in.readInt();
        byte[] cluster = Wire.readBytes(in, false);
        if (cluster.length > 1024) {
            throw new Wire.BadFrameException("cluster id of " + cluster.length + " bytes");
        }
        String clusterText = new String(cluster, StandardCharsets.UTF_8);
        if (!in.isReadable()) {
            return new Wire.Hello(nodeId, clusterText); // a node of before incarnations
        }
        long incarnation = in.readLong();
        byte[] refusal = Wire.readBytes(in, false);
        if (refusal.length > 4096) {
            throw new Wire.BadFrameException("refusal of " + refusal.length + " bytes");
        }
        return new Wire.Hello(nodeId, clusterText, incarnation, new String(refusal, StandardCharsets.UTF_8));
    }

    private static Message.AppendRequest decodeAppend(ByteBuf in) {
        int from = in.readInt();
        int to = in.readInt();
        long term = in.readLong();
        long prevIndex = in.readLong();
        long prevTerm = in.readLong();
        long commit = in.readLong();
        int count = in.readInt();
        if (count < 0 || count > Wire.MAX_ENTRIES_PER_FRAME || count > in.readableBytes() / 21) {
            throw new Wire.BadFrameException("bad entry count " + count);
        }
        List<Entry> entries = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            long t = in.readLong();
            long idx = in.readLong();
            int kind = in.readUnsignedByte();
            byte[] cmd = Wire.readBytes(in, false);
            if (kind >= Entry.Kind.values().length) {
                throw new Wire.BadFrameException("bad entry kind " + kind);
            }
            if (idx != prevIndex + 1 + i) {
                throw new Wire.BadFrameException("entries not contiguous after " + prevIndex);
            }
            entries.add(new Entry(t, idx, Entry.Kind.values()[kind], cmd));
        }
        return new Message.AppendRequest(from, to, term, prevIndex, prevTerm, List.copyOf(entries), commit);
    }

    private static Message.InstallSnapshot decodeSnapshotChunk(ByteBuf in) {
        int from = in.readInt();
        int to = in.readInt();
        long term = in.readLong();
        long index = in.readLong();
        long snapTerm = in.readLong();
        long total = in.readLong();
        long offset = in.readLong();
        byte[] data = Wire.readBytes(in, false);
        if (index < 1
                || snapTerm < 1
                || total < 0
                || total > Snapshot.MAX_BYTES
                || offset < 0
                || offset + data.length > total) {
            throw new Wire.BadFrameException("bad snapshot chunk: index " + index + " term " + snapTerm + " bytes "
                    + offset + "+" + data.length + " of " + total);
        }
        return new Message.InstallSnapshot(from, to, term, index, snapTerm, total, offset, data.length, data);
    }
}
