package dev.linden.kvnode.wal;

import dev.linden.kvnode.node.Stage;
import dev.linden.kvnode.raft.HardState;
import java.io.IOException;
import java.util.function.Consumer;

/** The operator's {@code --accept-lost-log}: apart from the WAL's write path, run once before a node starts. */
public final class LostLogAcceptance {
    private LostLogAcceptance() {}

    /**
     * The operator's way out when a node lost log and no leader of a later term can repair it (a single
     * voter, two voters, or a majority damaged at once): recovers the WAL (recording and repairing damage as a
     * start would), then clears {@link HardState#lostThroughTerm()}, so the node votes with the log it has.
     * Writes it acknowledged and lost may then be lost for good; the event says so. Returns the term through
     * which log had been lost (0: nothing to accept). Call on a locked data dir, before the node starts.
     */
    public static long accept(Vfs vfs, WalConfig config, Consumer<String> events) throws IOException {
        Stage inline = new Stage() {
            @Override
            public void execute(Runnable task) {
                task.run();
            }

            @Override
            public Cancellable schedule(long delayMillis, Runnable task) {
                throw new UnsupportedOperationException("recovery schedules nothing");
            }
        };
        WalLogStore wal = new WalLogStore(vfs, inline, config);
        wal.setEventSink(events);
        HardState hs = wal.load().hardState();
        wal.close();
        if (hs.lostThroughTerm() > 0) {
            HardStateFile.save(vfs, new HardState(hs.term(), hs.votedFor(), 0));
            events.accept("event=lost-log-accepted lost-through-term=" + hs.lostThroughTerm() + " term=" + hs.term()
                    + " detail=\"by the operator (--accept-lost-log): this node votes again with the log it has; "
                    + "writes it acknowledged and lost may be lost for good\"");
        }
        return hs.lostThroughTerm();
    }
}
