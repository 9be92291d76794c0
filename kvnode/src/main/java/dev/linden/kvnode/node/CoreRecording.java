package dev.linden.kvnode.node;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.raft.SnapshotMeta;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.BufferedOutputStream;
import java.io.Closeable;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.reflect.RecordComponent;
import java.util.List;
import java.util.Set;

/**
 * A {@link CoreRecorder} that writes one node's core inputs to a file, for {@link CoreReplay}.
 *
 * <p>Layout (big-endian, {@link DataOutputStream}): the magic {@code LNDNCORE} and a version, then events, each
 * a tag byte: {@link #START} (node id, configuration, Raft config by its record components, hard state,
 * snapshot, the recovered log), {@link #RANDOM} (bound, value), {@link #READY} (the ready's digest) or an
 * input tag ({@link #TICK} .. {@link #CHANGE_MEMBERSHIP}) and its fields. Peer messages are written as the
 * peer wire writes them ({@link Wire}), entries as term, index, kind and command bytes.
 */
public final class CoreRecording implements CoreRecorder, Closeable {
    static final long MAGIC = 0x4C4E444E434F5245L; // "LNDNCORE"
    static final int VERSION = 1;

    static final int START = 1;
    static final int RANDOM = 2;
    static final int READY = 3;
    static final int TICK = 10;
    static final int RECEIVE = 11;
    static final int PROPOSE = 12;
    static final int READ_INDEX = 13;
    static final int LOG_WRITTEN = 14;
    static final int APPLIED = 15;
    static final int ENTRIES_FETCHED = 16;
    static final int FETCH_FAILED = 17;
    static final int SNAPSHOT_TAKEN = 18;
    static final int CAMPAIGN = 19;
    static final int TRANSFER_LEADERSHIP = 20;
    static final int CHANGE_MEMBERSHIP = 21;

    private final DataOutputStream out;
    private long events;

    public CoreRecording(OutputStream sink) throws IOException {
        this.out = new DataOutputStream(new BufferedOutputStream(sink, 1 << 16));
        out.writeLong(MAGIC);
        out.writeInt(VERSION);
    }

    /** Events written so far. */
    public long events() {
        return events;
    }

    @Override
    public void started(
            int id, Membership base, RaftConfig config, HardState hs, SnapshotMeta snapshot, List<Entry> log) {
        write(() -> {
            out.writeByte(START);
            out.writeInt(id);
            bytes(base.encode());
            writeConfig(config);
            out.writeLong(hs.term());
            out.writeInt(hs.votedFor());
            out.writeLong(hs.lostThroughTerm());
            out.writeLong(snapshot.index());
            out.writeLong(snapshot.term());
            out.writeLong(snapshot.sizeBytes());
            entries(log);
        });
    }

    @Override
    public int random(int bound, int value) {
        write(() -> {
            out.writeByte(RANDOM);
            out.writeInt(bound);
            out.writeInt(value);
        });
        return value;
    }

    @Override
    public void ready(RaftCore core, Ready ready) {
        long digest = CoreRecorder.digest(core, ready);
        write(() -> {
            out.writeByte(READY);
            out.writeLong(digest);
        });
    }

    @Override
    public void input(Input input) {
        write(() -> writeInput(input));
    }

    private void writeInput(Input input) throws IOException {
        if (input instanceof Input.Tick) {
            out.writeByte(TICK);
        } else if (input instanceof Input.Receive r) {
            out.writeByte(RECEIVE);
            bytes(message(r.message()));
        } else if (input instanceof Input.Propose p) {
            out.writeByte(PROPOSE);
            bytes(p.command());
        } else if (input instanceof Input.ReadIndex r) {
            out.writeByte(READ_INDEX);
            out.writeLong(r.ctx());
        } else if (input instanceof Input.LogWritten w) {
            out.writeByte(LOG_WRITTEN);
            out.writeLong(w.writeId());
        } else if (input instanceof Input.Applied a) {
            out.writeByte(APPLIED);
            out.writeLong(a.index());
        } else if (input instanceof Input.EntriesFetched f) {
            out.writeByte(ENTRIES_FETCHED);
            out.writeInt(f.peer());
            out.writeLong(f.fromIndex());
            entries(f.entries());
        } else if (input instanceof Input.FetchFailed f) {
            out.writeByte(FETCH_FAILED);
            out.writeInt(f.peer());
        } else if (input instanceof Input.SnapshotTaken s) {
            out.writeByte(SNAPSHOT_TAKEN);
            out.writeLong(s.meta().index());
            out.writeLong(s.meta().term());
            out.writeLong(s.meta().sizeBytes());
        } else if (input instanceof Input.Campaign) {
            out.writeByte(CAMPAIGN);
        } else if (input instanceof Input.TransferLeadership t) {
            out.writeByte(TRANSFER_LEADERSHIP);
            out.writeInt(t.target());
        } else if (input instanceof Input.ChangeMembership m) {
            MembershipChange c = m.change();
            out.writeByte(CHANGE_MEMBERSHIP);
            out.writeByte(c.kind().ordinal());
            out.writeInt(c.nodeId());
            out.writeBoolean(c.address() != null);
            if (c.address() != null) {
                out.writeUTF(c.address());
            }
        } else {
            throw new IllegalArgumentException("unknown input " + input);
        }
    }

    static byte[] message(Message m) {
        ByteBuf buf = Unpooled.buffer();
        try {
            Wire.encode(m, buf);
            byte[] b = new byte[buf.readableBytes()];
            buf.readBytes(b);
            return b;
        } finally {
            buf.release();
        }
    }

    private void writeConfig(RaftConfig config) throws IOException {
        RecordComponent[] parts = RaftConfig.class.getRecordComponents();
        out.writeInt(parts.length);
        for (RecordComponent part : parts) {
            Object v;
            try {
                v = part.getAccessor().invoke(config);
            } catch (ReflectiveOperationException e) {
                throw new IllegalStateException("cannot read RaftConfig." + part.getName(), e);
            }
            if (v instanceof Integer i) {
                out.writeInt(i);
            } else if (v instanceof Boolean b) {
                out.writeBoolean(b);
            } else if (v instanceof Set<?> set) {
                out.writeInt(set.size());
                for (Object o : set) {
                    out.writeUTF(((Enum<?>) o).name());
                }
            } else {
                throw new IllegalStateException("RaftConfig." + part.getName() + " has a type not recorded: " + v);
            }
        }
    }

    private void entries(List<Entry> entries) throws IOException {
        out.writeInt(entries.size());
        for (Entry e : entries) {
            out.writeLong(e.term());
            out.writeLong(e.index());
            out.writeByte(e.kind().ordinal());
            bytes(e.command());
        }
    }

    private void bytes(byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private interface Io {
        void run() throws IOException;
    }

    private void write(Io event) {
        try {
            event.run();
            events++;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot record the core's inputs", e);
        }
    }

    @Override
    public void close() throws IOException {
        out.close();
    }
}
