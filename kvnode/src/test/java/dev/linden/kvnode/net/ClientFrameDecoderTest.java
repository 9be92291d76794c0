package dev.linden.kvnode.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The client port's frame decoder: what it buffers, answers and reserves. */
class ClientFrameDecoderTest {
    private final AtomicLong total = new AtomicLong();

    private EmbeddedChannel channel(int maxFrame, long perConnection, long all) {
        return new EmbeddedChannel(
                new ClientFrameDecoder(maxFrame, new ClientFrameReader.Budget(total, perConnection, all)));
    }

    private static ByteBuf frame(Object msg) {
        ByteBuf b = Unpooled.buffer();
        Wire.encode(msg, b);
        return b;
    }

    private static ByteBuf header(long length, long requestId) {
        return Unpooled.buffer()
                .writeShort(Wire.MAGIC)
                .writeByte(Wire.VERSION)
                .writeByte(10)
                .writeInt((int) length)
                .writeLong(requestId);
    }

    @Test
    void aRequestIsDecodedWithItsBytesReservedUntilReleased() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 20, 1 << 20);
        ByteBuf f = frame(new ClientRequest(7, KvCommand.put("k", "v")));
        int bytes = f.readableBytes();
        ch.writeInbound(f);
        ClientFrameReader.Received r = ch.readInbound();
        assertEquals(7, ((ClientRequest) r.message).requestId());
        assertEquals(bytes, total.get());
        r.release();
        r.release(); // idempotent
        assertEquals(0, total.get());
    }

    @Test
    void anOversizeRequestIsAnsweredByIdAndItsBodyDiscardedUnbuffered() {
        EmbeddedChannel ch = channel(1000, 1 << 20, 1 << 20);
        ch.writeInbound(header(8 + 5000, 42));
        ClientFrameReader.Refused refused = ch.readInbound();
        assertEquals(42, refused.requestId());
        assertEquals(ClientResponse.Status.INVALID, refused.status());
        assertTrue(refused.reason().contains("exceeds"), refused.reason());
        for (int i = 0; i < 5; i++) {
            ch.writeInbound(Unpooled.wrappedBuffer(new byte[1000])); // the body, as it trickles in
            assertNull(ch.readInbound());
        }
        assertEquals(0, total.get(), "nothing reserved for a refused request");
        // The connection goes on: the next request decodes.
        ch.writeInbound(frame(new Wire.StatusRequest(43)));
        ClientFrameReader.Received next = ch.readInbound();
        assertEquals(43, ((Wire.StatusRequest) next.message).requestId());
    }

    @Test
    void requestsBeyondTheConnectionsBudgetAreOverloadedAndAClosedConnectionReturnsItsReservation() {
        EmbeddedChannel ch = channel(1 << 20, 300, 1 << 20);
        ch.writeInbound(frame(new Wire.StatusRequest(1)));
        ClientFrameReader.Received held = ch.readInbound(); // not answered yet: its 16 bytes stay reserved
        ch.writeInbound(header(300, 5));
        ClientFrameReader.Refused refused = ch.readInbound();
        assertEquals(5, refused.requestId());
        assertEquals(ClientResponse.Status.OVERLOADED, refused.status());
        held.release();
        assertEquals(0, total.get());
        EmbeddedChannel partial = channel(1 << 20, 300, 1 << 20);
        partial.writeInbound(header(200, 1));
        assertEquals(208, total.get(), "a partial frame reserves its announced size");
        partial.close();
        assertEquals(0, total.get(), "a closed connection gives back what its partial frame reserved");
    }

    @Test
    void theTotalBudgetIsSharedAcrossConnections() {
        EmbeddedChannel a = channel(1 << 20, 1 << 20, 500);
        EmbeddedChannel b = channel(1 << 20, 1 << 20, 500);
        a.writeInbound(header(400, 1)); // partial: holds 408 of the 500
        b.writeInbound(header(400, 2));
        ClientFrameReader.Refused refused = b.readInbound();
        assertEquals(2, refused.requestId());
        assertEquals(ClientResponse.Status.OVERLOADED, refused.status());
        a.close();
        assertEquals(0, total.get());
        b.writeInbound(Unpooled.wrappedBuffer(new byte[392])); // b discards the refused body
        b.writeInbound(header(400, 3));
        assertNull(b.readInbound(), "now reserved and waiting for its body, not refused");
        assertEquals(408, total.get());
        b.close();
        assertEquals(0, total.get());
    }

    @Test
    void aPartialFrameHasAnAgeAndACompleteOneNone() {
        EmbeddedChannel ch = channel(1 << 20, 1 << 20, 1 << 20);
        ClientFrameDecoder d = (ClientFrameDecoder) ch.pipeline().first();
        assertEquals(0, d.partialFrameAgeNanos(System.nanoTime()));
        ch.writeInbound(Unpooled.wrappedBuffer(new byte[] {0x4C}));
        assertTrue(d.partialFrameAgeNanos(System.nanoTime() + 5) > 0);
    }
}
