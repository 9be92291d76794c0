package dev.linden.kvnode.net;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.util.List;

/**
 * The client port's frame decoder in a Netty pipeline: the bytes a connection receives go through its
 * {@link ClientFrameReader} (budgets, refusals by header, strict decoding), which the simulator runs too.
 */
final class ClientFrameDecoder extends ByteToMessageDecoder {
    private final ClientFrameReader reader;

    ClientFrameDecoder(ClientFrameReader reader) {
        this.reader = reader;
    }

    ClientFrameDecoder(int maxFrameBytes, ClientFrameReader.Budget budget) {
        this(new ClientFrameReader(maxFrameBytes, budget, System::nanoTime));
    }

    /** Nanoseconds since the first byte of an incomplete frame arrived, or 0 between frames. */
    long partialFrameAgeNanos(long nowNanos) {
        return reader.partialFrameAgeNanos(nowNanos);
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        reader.read(in, out);
    }

    @Override
    protected void handlerRemoved0(ChannelHandlerContext ctx) {
        reader.close();
    }
}
