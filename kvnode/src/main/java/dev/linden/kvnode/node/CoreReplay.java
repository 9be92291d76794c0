package dev.linden.kvnode.node;

import static dev.linden.kvnode.node.CoreRecording.APPLIED;
import static dev.linden.kvnode.node.CoreRecording.CAMPAIGN;
import static dev.linden.kvnode.node.CoreRecording.CHANGE_MEMBERSHIP;
import static dev.linden.kvnode.node.CoreRecording.ENTRIES_FETCHED;
import static dev.linden.kvnode.node.CoreRecording.FETCH_FAILED;
import static dev.linden.kvnode.node.CoreRecording.LOG_WRITTEN;
import static dev.linden.kvnode.node.CoreRecording.PROPOSE;
import static dev.linden.kvnode.node.CoreRecording.RANDOM;
import static dev.linden.kvnode.node.CoreRecording.READY;
import static dev.linden.kvnode.node.CoreRecording.READ_INDEX;
import static dev.linden.kvnode.node.CoreRecording.RECEIVE;
import static dev.linden.kvnode.node.CoreRecording.SNAPSHOT_TAKEN;
import static dev.linden.kvnode.node.CoreRecording.START;
import static dev.linden.kvnode.node.CoreRecording.TICK;
import static dev.linden.kvnode.node.CoreRecording.TRANSFER_LEADERSHIP;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.HardState;
import dev.linden.kvnode.raft.Input;
import dev.linden.kvnode.raft.Membership;
import dev.linden.kvnode.raft.MembershipChange;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.raft.RaftConfig;
import dev.linden.kvnode.raft.RaftCore;
import dev.linden.kvnode.raft.SnapshotMeta;
import io.netty.buffer.Unpooled;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/**
 * Replays a {@link CoreRecording} against fresh cores alone: each recorded start builds a core as the node did,
 * its random draws come from the recording, every input is fed through {@link RaftCore#step(Input)} and every
 * ready is taken where the node took one and its digest compared with the recorded one. No node, stage, disk or
 * network is involved: a failing seed's core can be rerun, stepped through and printed offline.
 */
public final class CoreReplay {
    /** What a replay did; {@code mismatch} is null if every ready matched the recording. */
    public record Result(int cores, long inputs, long readies, String mismatch) {}

    private final DataInputStream in;
    private RaftCore core;
    private int cores;
    private long inputs;
    private long readies;

    private CoreReplay(InputStream source) {
        this.in = new DataInputStream(new BufferedInputStream(source, 1 << 16));
    }

    /** Replays everything {@code source} holds (a recording's bytes). */
    public static Result replay(InputStream source) throws IOException {
        return new CoreReplay(source).run();
    }

    private Result run() throws IOException {
        if (in.readLong() != CoreRecording.MAGIC) {
            throw new IOException("not a core recording");
        }
        int version = in.readInt();
        if (version != CoreRecording.VERSION) {
            throw new IOException(
                    "core recording of version " + version + ", this build reads " + CoreRecording.VERSION);
        }
        while (true) {
            int tag;
            try {
                tag = in.readUnsignedByte();
            } catch (EOFException end) {
                return new Result(cores, inputs, readies, null);
            }
            String mismatch = event(tag);
            if (mismatch != null) {
                return new Result(cores, inputs, readies, mismatch);
            }
        }
    }

    private String event(int tag) throws IOException {
        if (tag == START) {
            start();
        } else if (tag == READY) {
            long expected = in.readLong();
            if (core == null) {
                return "a ready before any start";
            }
            readies++;
            long got = CoreRecorder.digest(core, core.ready());
            if (got != expected) {
                return "ready " + readies + " (after input " + inputs + ") differs: digest " + Long.toHexString(got)
                        + ", recorded " + Long.toHexString(expected);
            }
        } else if (tag == RANDOM) {
            return "a random draw recorded after input " + inputs + " that the replayed core did not make";
        } else {
            if (core == null) {
                return "an input before any start";
            }
            inputs++;
            core.step(input(tag));
        }
        return null;
    }

    private void start() throws IOException {
        int id = in.readInt();
        Membership base = Membership.decode(bytes());
        RaftConfig config = config();
        HardState hs = new HardState(in.readLong(), in.readInt(), in.readLong());
        SnapshotMeta snapshot = new SnapshotMeta(in.readLong(), in.readLong(), in.readLong());
        List<Entry> log = entries();
        cores++;
        core = new RaftCore(id, base, config, this::draw, hs, snapshot, log);
    }

    /** The core's random source: the next recorded draw, which must be of the same bound. */
    private int draw(int bound) {
        try {
            int tag = in.readUnsignedByte();
            if (tag != RANDOM) {
                throw new IllegalStateException("the replayed core drew a random number after input " + inputs
                        + " where the recording has event " + tag);
            }
            int recordedBound = in.readInt();
            int value = in.readInt();
            if (recordedBound != bound) {
                throw new IllegalStateException(
                        "random draw in [0, " + bound + ") where the recording drew in [0, " + recordedBound + ")");
            }
            return value;
        } catch (IOException e) {
            throw new IllegalStateException("recording ended inside a random draw", e);
        }
    }

    private Input input(int tag) throws IOException {
        return switch (tag) {
            case TICK -> new Input.Tick();
            case RECEIVE -> new Input.Receive((Message) Wire.decode(Unpooled.wrappedBuffer(bytes())));
            case PROPOSE -> new Input.Propose(bytes());
            case READ_INDEX -> new Input.ReadIndex(in.readLong());
            case LOG_WRITTEN -> new Input.LogWritten(in.readLong());
            case APPLIED -> new Input.Applied(in.readLong());
            case ENTRIES_FETCHED -> new Input.EntriesFetched(in.readInt(), in.readLong(), entries());
            case FETCH_FAILED -> new Input.FetchFailed(in.readInt());
            case SNAPSHOT_TAKEN ->
                new Input.SnapshotTaken(new SnapshotMeta(in.readLong(), in.readLong(), in.readLong()));
            case CAMPAIGN -> new Input.Campaign();
            case TRANSFER_LEADERSHIP -> new Input.TransferLeadership(in.readInt());
            case CHANGE_MEMBERSHIP -> {
                MembershipChange.Kind kind = MembershipChange.Kind.values()[in.readUnsignedByte()];
                int node = in.readInt();
                String address = in.readBoolean() ? in.readUTF() : null;
                yield new Input.ChangeMembership(new MembershipChange(kind, node, address));
            }
            default -> throw new IOException("unknown event " + tag + " in a core recording");
        };
    }

    private RaftConfig config() throws IOException {
        RecordComponent[] parts = RaftConfig.class.getRecordComponents();
        int count = in.readInt();
        if (count != parts.length) {
            throw new IOException("recorded RaftConfig has " + count + " parts, this build's " + parts.length);
        }
        Object[] values = new Object[parts.length];
        Class<?>[] types = new Class<?>[parts.length];
        for (int i = 0; i < parts.length; i++) {
            types[i] = parts[i].getType();
            if (types[i] == int.class) {
                values[i] = in.readInt();
            } else if (types[i] == boolean.class) {
                values[i] = in.readBoolean();
            } else {
                EnumSet<RaftConfig.Bug> bugs = EnumSet.noneOf(RaftConfig.Bug.class);
                for (int n = in.readInt(); n > 0; n--) {
                    bugs.add(RaftConfig.Bug.valueOf(in.readUTF()));
                }
                values[i] = bugs;
            }
        }
        try {
            return RaftConfig.class.getDeclaredConstructor(types).newInstance(values);
        } catch (ReflectiveOperationException e) {
            throw new IOException("cannot rebuild the recorded RaftConfig", e);
        }
    }

    private List<Entry> entries() throws IOException {
        int n = in.readInt();
        List<Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            long term = in.readLong();
            long index = in.readLong();
            Entry.Kind kind = Entry.Kind.values()[in.readUnsignedByte()];
            entries.add(new Entry(term, index, kind, bytes()));
        }
        return entries;
    }

    private byte[] bytes() throws IOException {
        byte[] b = new byte[in.readInt()];
        in.readFully(b);
        return b;
    }
}
