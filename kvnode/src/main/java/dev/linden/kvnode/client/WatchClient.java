package dev.linden.kvnode.client;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvEvent;
import dev.linden.kvnode.kv.KvRange;
import dev.linden.kvnode.kv.KvWatch;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;

/**
 * Watches through a {@link KvClient}: every put and delete in a range from a revision on, each once, in revision
 * order, with no gap, delivered to a {@link Listener}. A watch reads the node's history (a linearizable read, like
 * a range) from where its last read ended and asks again at once while there is more, else every
 * {@link #POLL_MILLIS}; a failed read is asked again from the same place (on whichever node leads), so a watch
 * resumes by itself across reconnects and leader changes. When its place is no longer held (compacted), it ends.
 * A slow listener is never buffered for: the watch reads on only when the listener has returned.
 */
public final class WatchClient {
    /** How long an idle watch waits before it reads again. */
    public static final long POLL_MILLIS = 50;
    /** How long it waits after a failed read. */
    static final long RETRY_MILLIS = 200;

    /** What a watch tells. Called on one thread at a time, in order. */
    public interface Listener {
        /** Events in revision order; {@code storeRevision}: every change up to it has been told. */
        void onEvents(List<KvEvent> events, long storeRevision);

        /** No new event: every change up to {@code storeRevision} has been told (a progress notification). */
        default void onProgress(long storeRevision) {}

        /** The watch ended: the events from its place are gone ({@code compactRevision}), or it was cancelled. */
        void onEnded(String reason, long compactRevision);
    }

    /** A running watch. */
    public interface Watch {
        void cancel();
    }

    private final KvClient client;

    public WatchClient(KvClient client) {
        this.client = client;
    }

    /** Watches {@code range} from {@code fromRevision} on (0: from now on), with previous values if {@code prevKv}. */
    public Watch watch(KvRange range, long fromRevision, boolean prevKv, Listener listener) {
        Poller p = new Poller(range, prevKv, listener);
        p.read(fromRevision, 0);
        return p;
    }

    private final class Poller implements Watch {
        private final KvRange range;
        private final boolean prevKv;
        private final Listener listener;
        private volatile boolean cancelled;
        /** Reads failed in a row (logged now and then: a watch that keeps failing says why). */
        private int failures;

        Poller(KvRange range, boolean prevKv, Listener listener) {
            this.range = range;
            this.prevKv = prevKv;
            this.listener = listener;
        }

        void read(long revision, int skip) {
            if (cancelled) {
                return;
            }
            client.submit(KvCommand.watch(new KvWatch(range, revision, skip, prevKv)))
                    .thenApply(r -> KvWatch.Result.decode(LeaseClient.okBody(r)))
                    .whenComplete((page, error) -> {
                        if (cancelled) {
                            return;
                        }
                        if (error != null) {
                            if (failures++ % 50 == 0) {
                                Logger.getLogger(WatchClient.class.getName())
                                        .warning("watch of " + range + " from revision " + revision + ": read failed ("
                                                + failures + " in a row so far), asking again: " + error);
                            }
                            later(RETRY_MILLIS, revision, skip);
                        } else if (page.compacted()) {
                            failures = 0;
                            cancelled = true;
                            listener.onEnded(
                                    "compacted: events after revision " + page.compactRevision() + " only are held",
                                    page.compactRevision());
                        } else if (!page.events().isEmpty()) {
                            failures = 0;
                            listener.onEvents(page.events(), page.storeRevision());
                            read(page.nextRevision(), page.nextSkip());
                        } else {
                            listener.onProgress(page.storeRevision());
                            later(POLL_MILLIS, page.nextRevision(), page.nextSkip());
                        }
                    });
        }

        private void later(long millis, long revision, int skip) {
            CompletableFuture.delayedExecutor(millis, TimeUnit.MILLISECONDS).execute(() -> read(revision, skip));
        }

        @Override
        public void cancel() {
            if (!cancelled) {
                cancelled = true;
                listener.onEnded("cancelled", 0);
            }
        }
    }
}
