package dev.linden.kvnode.net;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;

/**
 * Cuts whole frames out of the bytes a connection receives, refusing from its header alone a frame of a
 * wrong magic or one longer than {@link #maxFrameBytes()} (before its body is buffered). Transport-free:
 * the peer port's and the client's Netty decoders use it, and so does the simulator's wire, so the strict
 * decoding ({@link Wire#decode}) of every frame runs in every seed.
 */
public final class FrameReader {
    private int maxFrameBytes;

    public FrameReader(int maxFrameBytes) {
        if (maxFrameBytes < 1) {
            throw new IllegalArgumentException("frames: max >= 1 B, not " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /** Frames up to {@code bytes} are accepted from now on (a peer's Hello accepted). */
    public void raiseMax(int bytes) {
        maxFrameBytes = Math.max(maxFrameBytes, bytes);
    }

    public int maxFrameBytes() {
        return maxFrameBytes;
    }

    /**
     * The next whole frame of {@code in} (a retained slice the caller releases), or null while it is not
     * whole. A header that is wrong, or announces more than the maximum, throws {@link Wire.BadFrameException}.
     */
    ByteBuf next(ByteBuf in) {
        FrameHeader h = FrameHeader.peek(in);
        if (h == null) {
            return null;
        }
        if (h.magic() != Wire.MAGIC) {
            throw new Wire.BadFrameException(String.format("bad magic 0x%04x", h.magic()));
        }
        if (h.length() > maxFrameBytes) {
            throw new Wire.BadFrameException("frame of " + h.length() + " bytes exceeds the limit of " + maxFrameBytes
                    + " bytes" + (maxFrameBytes < Wire.DEFAULT_MAX_FRAME_BYTES ? " before a Hello" : ""));
        }
        if (in.readableBytes() < h.frameBytes()) {
            return null;
        }
        return in.readRetainedSlice((int) h.frameBytes());
    }

    /**
     * The message of {@code bytes}, which must be exactly one whole frame (a simulated delivery): cut as
     * {@link #next} does and decoded strictly. Any fault throws {@link Wire.BadFrameException}, on which a
     * real connection is closed.
     */
    public Object decodeFrame(byte[] bytes) {
        ByteBuf in = Unpooled.wrappedBuffer(bytes);
        ByteBuf frame = next(in);
        if (frame == null || in.isReadable()) {
            if (frame != null) {
                frame.release();
            }
            throw new Wire.BadFrameException("a delivery of " + bytes.length + " bytes is not one whole frame");
        }
        try {
            return Wire.decode(frame);
        } finally {
            frame.release();
        }
    }

    /** A message as one frame's bytes: the production encoder, for a wire without a channel. */
    public static byte[] encode(Object msg) {
        ByteBuf out = Unpooled.buffer(64);
        Wire.encode(msg, out);
        byte[] bytes = new byte[out.readableBytes()];
        out.readBytes(bytes);
        return bytes;
    }
}
