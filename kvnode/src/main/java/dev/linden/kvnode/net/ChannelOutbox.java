package dev.linden.kvnode.net;

import io.netty.channel.Channel;
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

    public ChannelOutbox(Channel channel, int maxQueued) {
        this.channel = channel;
        this.maxQueued = maxQueued;
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
        Object m;
        while ((m = queue.poll()) != null) {
            queued.decrementAndGet();
            if (m instanceof Tracked t) {
                channel.write(t.msg, channel.newPromise().addListener(f -> t.whenDone.run()));
            } else {
                channel.write(m, channel.voidPromise());
            }
            n++;
        }
        if (n > 0) {
            channel.flush();
        }
    }

    private record Tracked(Object msg, Runnable whenDone) {}
}
