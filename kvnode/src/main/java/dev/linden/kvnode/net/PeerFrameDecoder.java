package dev.linden.kvnode.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The peer port's frame decoder: a length-field decoder whose maximum can be raised once the peer is
 * known. Until {@link #raiseMax} (the peer's Hello accepted) a frame may be at most a few KiB, so a
 * stranger can make Netty hold only that much per connection; after it, the normal maximum applies.
 * A frame whose length exceeds the maximum fails from its header, before its body is buffered.
 *
 * <p>A frame started and not finished within {@code frameReadTimeoutMillis} closes the connection: a
 * half-sent frame never pins its buffer for long. One timer per connection, armed only while a frame is
 * partial.
 *
 * <p>One frame per {@code decode} call, so a message is handled (a Hello raising the limit) before the
 * next frame's header is read.
 */
final class PeerFrameDecoder extends ByteToMessageDecoder {
    /** Where frames are cut and checked, as on the simulated wire. */
    private final FrameReader frames;

    private final long frameReadTimeoutMillis;
    /** When the first byte of the frame being received arrived (System.nanoTime; 0: between frames). */
    private long frameStartNanos;

    private ScheduledFuture<?> stallTimer;

    PeerFrameDecoder(int maxFrameBytes, long frameReadTimeoutMillis) {
        if (maxFrameBytes < 64 || frameReadTimeoutMillis < 1) {
            throw new IllegalArgumentException("peer frames: max >= 64 B, read timeout >= 1 ms");
        }
        this.frames = new FrameReader(maxFrameBytes);
        this.frameReadTimeoutMillis = frameReadTimeoutMillis;
    }

    /** Frames up to {@code bytes} are accepted from now on (event loop only). */
    void raiseMax(int bytes) {
        frames.raiseMax(bytes);
    }

    int maxFrameBytes() {
        return frames.maxFrameBytes();
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (!in.isReadable()) {
            return;
        }
        if (frameStartNanos == 0) {
            frameStartNanos = System.nanoTime();
        }
        ByteBuf frame = frames.next(in);
        if (frame != null) {
            out.add(frame);
            frameStartNanos = in.isReadable() ? System.nanoTime() : 0;
            return;
        }
        armStallTimer(ctx);
    }

    private void armStallTimer(ChannelHandlerContext ctx) {
        if (stallTimer != null) {
            return;
        }
        long leftNanos = TimeUnit.MILLISECONDS.toNanos(frameReadTimeoutMillis) - (System.nanoTime() - frameStartNanos);
        stallTimer = ctx.executor()
                .schedule(
                        () -> {
                            stallTimer = null;
                            if (frameStartNanos == 0 || !ctx.channel().isActive()) {
                                return;
                            }
                            long ageNanos = System.nanoTime() - frameStartNanos;
                            if (ageNanos >= TimeUnit.MILLISECONDS.toNanos(frameReadTimeoutMillis)) {
                                ctx.fireExceptionCaught(new Wire.BadFrameException(
                                        "a frame started " + ageNanos / 1_000_000 + " ms ago is still not whole (limit "
                                                + frameReadTimeoutMillis + " ms)"));
                            } else {
                                armStallTimer(ctx);
                            }
                        },
                        Math.max(1, leftNanos),
                        TimeUnit.NANOSECONDS);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        if (stallTimer != null) {
            stallTimer.cancel(false);
            stallTimer = null;
        }
    }
}
