package dev.linden.kvnode.net;

import io.netty.channel.Channel;
import io.netty.channel.VoidChannelPromise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Coalesces writes from other threads: messages queue here and one task on the channel's event loop
 * writes them all and flushes once. Without it every write from a stage thread is its own event-loop
 * task and wake-up. Bounded: past {@code maxQueued} messages, {@link #offer} refuses.
 */
public final class ChannelOutbox {
    private final Channel channel;
    private final int maxQueued;
    private final ConcurrentLinkedQueue<Object> queue = new ConcurrentLinkedQueue<>();
    private final AtomicInteger queued = new AtomicInteger();
    private final AtomicBoolean scheduled = new AtomicBoolean();
    /** For writes whose outcome is told by a later write's promise: no exception fired, nothing allocated. */
    private final VoidChannelPromise silent;

    public ChannelOutbox(Channel channel, int maxQueued) {
        this.channel = channel;
        this.maxQueued = maxQueued;
        this.silent = new VoidChannelPromise(channel, false);
    }

    public Channel channel() {
        return channel;
    }

    /** Queues a message; false (dropped) if the bound is reached. */
    public boolean offer(Object msg) {
        return offer(msg, null);
    }

    /**
     * Queues a message, and calls {@code whenDone} once it is written to the socket or has failed for good
     * (on the channel's event loop); false (dropped, {@code whenDone} never called) if the bound is reached.
     */
    public boolean offer(Object msg, Runnable whenDone) {
        if (queued.incrementAndGet() > maxQueued) {
            queued.decrementAndGet();
            return false;
        }
        queue.add(whenDone == null ? msg : new Tracked(msg, whenDone));
        if (scheduled.compareAndSet(false, true)) {
            channel.eventLoop().execute(this::drain);
        }
        return true;
    }

    private void drain() {
        scheduled.set(false);
        int n = 0;
        List<Runnable> whenDone = null;
        Object m;
        while ((m = queue.poll()) != null) {
            queued.decrementAndGet();
            Object next = queue.peek();
            boolean tracked = m instanceof Tracked;
            if (m instanceof Tracked t) {
                if (whenDone == null) {
                    whenDone = new ArrayList<>();
                }
                whenDone.add(t.whenDone);
                m = t.msg;
            }
            if (whenDone != null && next == null) {
                // One promise for the whole drain, on its last write: writes complete in order, so when it is
                // done every earlier one is too (a promise and a listener per answer cost the event loop).
                List<Runnable> done = whenDone;
                whenDone = null;
                channel.write(m, channel.newPromise().addListener(f -> done.forEach(Runnable::run)));
            } else {
                // A tracked message's failure is silent, as with its own promise before; its callback runs with
                // the drain's last write.
                channel.write(m, tracked ? silent : channel.voidPromise());
            }
            n++;
        }
        if (n > 0) {
            channel.flush();
        }
    }

    private record Tracked(Object msg, Runnable whenDone) {}
}
