package dev.linden.kvnode.net;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.linden.kvnode.kv.KvCommand;
import dev.linden.kvnode.kv.KvResult;
import dev.linden.kvnode.raft.Entry;
import dev.linden.kvnode.raft.Message;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class WireTest {
    private static Object roundTrip(Object m) {
        ByteBuf b = Unpooled.buffer();
        Wire.encode(m, b);
        return Wire.decode(b);
    }

    @Test
    void aFrameWithAnyBitFlippedPastItsHeaderIsRefusedNeverReadAsAnotherMessage() {
        ByteBuf good = Unpooled.buffer();
        Wire.encode(
                new Message.AppendRequest(
                        1, 3, 4, 9, 3, List.of(new Entry(4, 10, Entry.Kind.COMMAND, "value-179".getBytes())), 9),
                good);
        byte[] bytes = new byte[good.readableBytes()];
        good.getBytes(0, bytes);
        for (int at = Wire.HEADER_BYTES; at < bytes.length; at++) {
            for (int bit = 0; bit < 8; bit++) {
                byte[] bad = bytes.clone();
                bad[at] ^= (byte) (1 << bit);
                assertThrows(Wire.BadFrameException.class, () -> Wire.decode(Unpooled.wrappedBuffer(bad)));
            }
        }
        assertEquals(
                Message.AppendRequest.class,
                Wire.decode(Unpooled.wrappedBuffer(bytes)).getClass());
    }

    @Test
    void everyMessageTypeRoundTrips() {
        List<Object> all = List.of(
                new Message.VoteRequest(1, 2, 3, true, 10, 2),
                new Message.VoteRequest(1, 2, 3, false, 10, 2, true),
                new Message.TimeoutNow(1, 2, 3),
                new Wire.TransferRequest(9, 3),
                new Wire.TransferResponse(9, false, 1, "node 3 is not another voter"),
                new Message.VoteResponse(2, 1, 3, false, true),
                new Message.AppendRequest(
                        1,
                        3,
                        4,
                        9,
                        3,
                        List.of(new Entry(4, 10, Entry.Kind.COMMAND, new byte[] {1, 2}), Entry.noop(4, 11)),
                        8),
                new Message.AppendResponse(3, 1, 4, false, 0, 9, 5, 2),
                new Message.HeartbeatRequest(1, 2, 4, 7, 12),
                new Message.HeartbeatResponse(2, 1, 4, 12, 30),
                new Message.InstallSnapshot(1, 2, 4, 100, 3, 10, 4, 3, new byte[] {7, 8, 9}),
                new Message.SnapshotResponse(2, 1, 4, 100, 7),
                new Wire.Hello(2, "cluster-a"),
                new Wire.Hello(2, "cluster-a", 0x5eedL),
                new Wire.Hello(2, "cluster-a", 0x5eedL, "node 3 was a member with another incarnation"),
                new ClientRequest(77, KvCommand.cas("k", "a", "b").withSession(5, 6, 4)),
                new ClientResponse(77, ClientResponse.Status.OK, 1, KvResult.ok("v")),
                new ClientResponse(78, ClientResponse.Status.NOT_LEADER, 2, (byte[]) null),
                new Wire.StatusRequest(9),
                new Wire.StatusResponse(9, 1, "LEADER", 4, 1, 10, 9));
        for (Object m : all) {
            Object back = roundTrip(m);
            if (m instanceof Message.InstallSnapshot s) {
                Message.InstallSnapshot got = (Message.InstallSnapshot) back;
                assertEquals(s.withData(null), got.withData(null));
                org.junit.jupiter.api.Assertions.assertArrayEquals(s.data(), got.data());
            } else if (m instanceof Message.AppendRequest a) {
                assertEquals(a.entries(), ((Message.AppendRequest) back).entries());
                assertEquals(a.prevLogIndex(), ((Message.AppendRequest) back).prevLogIndex());
            } else {
                assertEquals(m, back);
            }
        }
    }

    @Test
    void randomBytesOnlyEverFailAsBadFrames() {
        Random r = new Random(11);
        for (int i = 0; i < 20_000; i++) {
            byte[] junk = new byte[r.nextInt(64)];
            r.nextBytes(junk);
            if (junk.length >= 8 && r.nextBoolean()) {
                junk[0] = 0x4C;
                junk[1] = 0x4E;
                junk[2] = 1;
                junk[3] = (byte) (1 + r.nextInt(13));
                int len = junk.length - 8;
                junk[4] = 0;
                junk[5] = 0;
                junk[6] = (byte) (len >> 8);
                junk[7] = (byte) len;
            }
            ByteBuf b = Unpooled.wrappedBuffer(junk);
            try {
                Wire.decode(b);
            } catch (Wire.BadFrameException expected) {
                // the only acceptable failure
            }
        }
    }

    @Test
    void hostileCountsAreRejectedWithoutAllocating() {
        ByteBuf b = Unpooled.buffer();
        Wire.encode(new Message.AppendRequest(1, 2, 1, 0, 0, List.of(), 0), b);
        b.setInt(Wire.HEADER_BYTES + 4 + 4 + 8 + 8 + 8 + 8, Integer.MAX_VALUE); // the entry count
        assertThrows(Wire.BadFrameException.class, () -> Wire.decode(b));
    }
}
