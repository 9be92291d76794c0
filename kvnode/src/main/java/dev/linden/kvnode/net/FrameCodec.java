package dev.linden.kvnode.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelPipeline;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.MessageToByteEncoder;
import io.netty.handler.codec.MessageToMessageDecoder;
import io.netty.handler.flush.FlushConsolidationHandler;
import io.netty.handler.timeout.IdleStateHandler;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** The named, ordered pipeline both peer and client connections use. */
public final class FrameCodec {
    private FrameCodec() {}

    /**
     * frame decoder (bounded) -> message decoder -> encoder -> flush consolidation; {@code handler} last.
     * A frame whose length field exceeds {@code maxFrameBytes} fails before any allocation.
     */
    public static void install(ChannelPipeline p, int maxFrameBytes, ChannelHandler handler) {
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        FrameReader reader = new FrameReader(maxFrameBytes);
        p.addLast("frames", new ByteToMessageDecoder() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
                for (ByteBuf frame = reader.next(in); frame != null; frame = reader.next(in)) {
                    out.add(frame);
                }
            }
        });
        p.addLast("decoder", new MessageToMessageDecoder<ByteBuf>() {
            @Override
            protected void decode(ChannelHandlerContext ctx, ByteBuf frame, List<Object> out) {
                out.add(Wire.decode(frame));
            }
        });
        p.addLast("encoder", new MessageToByteEncoder<Object>() {
            @Override
            protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
                Wire.encode(msg, out);
            }
        });
        p.addLast("handler", handler);
    }

    /**
     * The client port's pipeline: idle detection -> budgeted frame decoder ({@link ClientFrameDecoder})
     * -> encoder -> flush consolidation; {@code handler} last.
     */
    static void installClientPort(
            ChannelPipeline p, long idleTimeoutMillis, ClientFrameDecoder decoder, ChannelHandler handler) {
        p.addLast("idle", new IdleStateHandler(0, 0, idleTimeoutMillis, TimeUnit.MILLISECONDS));
        p.addLast("flush", new FlushConsolidationHandler(256, true));
        p.addLast("frames", decoder);
        p.addLast("encoder", new MessageToByteEncoder<Object>() {
            @Override
            protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
                Wire.encode(msg, out);
            }
        });
        p.addLast("handler", handler);
    }
}
