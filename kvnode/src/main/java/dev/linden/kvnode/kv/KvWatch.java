package dev.linden.kvnode.kv;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A watch's read of the history (a {@link KvOp#WATCH} query): the events of {@code range} from the
 * {@code skip}-th event of {@code fromRevision} on, with the previous values if {@code prevKv}. Watches are pulled:
 * a client asks again from where the last answer said ({@link Result#nextRevision}, {@link Result#nextSkip}), on any
 * node, so every event comes once, in revision order, with no gap, across reconnects and leader changes, and a slow
 * watcher is never buffered for: it only reads further behind, until what it asks for is compacted.
 */
public record KvWatch(KvRange range, long fromRevision, int skip, boolean prevKv) {
    /** Revision 0 asks for no event, only where the events from now on start. */
    public KvWatch {
        if (range == null || fromRevision < 0 || skip < 0) {
            throw new IllegalArgumentException("a watch reads a range from a revision >= 1 (0: from now on)");
        }
    }

    /**
     * A page: {@code compacted} if events from the revision asked are no longer held on this node (the oldest it
     * holds come after {@code compactRevision}); else the events, the store's revision (all events up to it are
     * in this page or before it: a progress mark), and where the next read starts.
     */
    public record Result(
            boolean compacted,
            long compactRevision,
            long storeRevision,
            long nextRevision,
            int nextSkip,
            List<KvEvent> events,
            boolean prevKv) {
        public Result {
            events = List.copyOf(events);
        }

        public byte[] encode() {
            int n = 1 + 8 + 8 + 8 + 4 + 4 + 1;
            for (KvEvent e : events) {
                n += e.encodedBytes(prevKv);
            }
            ByteBuffer b = ByteBuffer.allocate(n);
            b.put((byte) (compacted ? 1 : 0))
                    .putLong(compactRevision)
                    .putLong(storeRevision)
                    .putLong(nextRevision);
            b.putInt(nextSkip).put((byte) (prevKv ? 1 : 0)).putInt(events.size());
            for (KvEvent e : events) {
                e.writeTo(b, prevKv);
            }
            return b.array();
        }

        public static Result decode(byte[] bytes) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            try {
                boolean compacted = b.get() != 0;
                long compactRevision = b.getLong();
                long storeRevision = b.getLong();
                long nextRevision = b.getLong();
                int nextSkip = b.getInt();
                boolean prevKv = b.get() != 0;
                int n = b.getInt();
                if (n < 0 || n > b.remaining() / 30) {
                    throw new IllegalArgumentException("a watch result with a bad event count " + n);
                }
                List<KvEvent> events = new ArrayList<>(n);
                for (int i = 0; i < n; i++) {
                    events.add(KvEvent.read(b));
                }
                if (b.hasRemaining()) {
                    throw new IllegalArgumentException("trailing bytes after a watch result");
                }
                return new Result(compacted, compactRevision, storeRevision, nextRevision, nextSkip, events, prevKv);
            } catch (BufferUnderflowException e) {
                throw new IllegalArgumentException("a watch result is truncated", e);
            }
        }
    }

    public byte[] encode() {
        byte[] r = range.encode();
        ByteBuffer b = ByteBuffer.allocate(4 + r.length + 8 + 4 + 1);
        KvCommand.putBytes(b, r);
        b.putLong(fromRevision).putInt(skip).put((byte) (prevKv ? 1 : 0));
        return b.array();
    }

    public static KvWatch decode(byte[] bytes) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            KvRange range = KvRange.decode(KvCommand.getBytes(b, KvCommand.MAX_VALUE_BYTES));
            KvWatch w = new KvWatch(range, b.getLong(), b.getInt(), b.get() != 0);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("trailing bytes after a watch");
            }
            return w;
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("a watch is truncated", e);
        }
    }
}
