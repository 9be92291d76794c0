package dev.linden.kvnode.net;

import io.netty.buffer.ByteBuf;

/**
 * The 8-byte header every frame opens with (its layout is drawn in {@link Wire}), read without consuming
 * it. Transport-free: the Netty frame decoders and the simulator's wire read frames through it.
 *
 * @param length the payload's length in bytes (the header excluded), as sent: unchecked
 */
record FrameHeader(int magic, int version, int type, long length) {
    /** The header at the reader index of {@code in}, or null while fewer than its bytes have arrived. */
    static FrameHeader peek(ByteBuf in) {
        if (in.readableBytes() < Wire.HEADER_BYTES) {
            return null;
        }
        int at = in.readerIndex();
        return new FrameHeader(
                in.getUnsignedShort(at),
                in.getUnsignedByte(at + 2),
                in.getUnsignedByte(at + 3),
                in.getUnsignedInt(at + Wire.LENGTH_OFFSET));
    }

    /** The whole frame's size: header and payload. */
    long frameBytes() {
        return Wire.HEADER_BYTES + length;
    }
}
