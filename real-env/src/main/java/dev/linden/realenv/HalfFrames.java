package dev.linden.realenv;

import dev.linden.kvnode.net.Wire;
import dev.linden.nemesis.FaultOps;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The {@code half-frames} fault: on each target's peer or client port, {@code frames} connections each send
 * a frame header announcing {@code frameBytes}, then the body but for its last {@link #TAIL_BYTES}, which
 * trickle one byte a second and never finish it within a run. A node that buffers a frame until it is whole
 * holds nearly {@code frames * frameBytes} for as long as the attacker likes. A connection the node closes
 * (a read timeout, say) is opened again, at most {@link #REOPENS_PER_FRAME_MAX} times per frame, while the
 * fault holds.
 */
final class HalfFrames {
    static final int TAIL_BYTES = 1_024;
    static final long TRICKLE_EVERY_MILLIS = 1_000;
    static final int FRAMES_PER_NODE_MAX = 64;
    static final int REOPENS_PER_FRAME_MAX = 5;
    static final int CHUNK_BYTES = 64 << 10;
    private static final ByteBuf ZEROS = Unpooled.unreleasableBuffer(Unpooled.wrappedBuffer(new byte[CHUNK_BYTES]));

    private final HostileAttacks h;
    private final boolean peerPort;
    private final List<Integer> targets;
    private final int frames;
    private final long frameBytes;
    private final AttackChannels.Tally tally = new AttackChannels.Tally();
    private final AtomicBoolean stopped = new AtomicBoolean();
    private final AtomicLong reopened = new AtomicLong();
    private final AtomicLong bodiesSent = new AtomicLong();

    HalfFrames(HostileAttacks h, boolean peerPort, List<Integer> targets, int frames, long frameBytes) {
        this.h = h;
        this.peerPort = peerPort;
        this.targets = targets;
        this.frames = Math.max(1, Math.min(frames, FRAMES_PER_NODE_MAX));
        // Within what a length field says, and more than the tail.
        this.frameBytes = Math.max(TAIL_BYTES + 64, Math.min(frameBytes, (long) Wire.DEFAULT_MAX_FRAME_BYTES));
    }

    HostileAttacks.Result start() {
        long spare = AttackChannels.spareHandles();
        if (spare < (long) frames * targets.size()) {
            return new HostileAttacks.Result(
                    FaultOps.noEffect("the harness has no file handles to spare", "spare-handles", spare), null);
        }
        for (int id : targets) {
            for (int i = 0; i < frames; i++) {
                open(id, REOPENS_PER_FRAME_MAX);
            }
        }
        long expected = (long) targets.size() * frames;
        long deadline = System.currentTimeMillis() + HostileAttacks.START_WAIT_MILLIS_MAX;
        while (bodiesSent.get() + tally.failed.get() < expected && System.currentTimeMillis() < deadline) {
            HostileAttacks.sleep(100);
        }
        HostileAttacks.sleep(1_000);
        if (tally.opened.get() == 0) {
            stop();
            return new HostileAttacks.Result(
                    FaultOps.noEffect(
                            "no connection opened: " + tally.lastFailure,
                            "targets",
                            targets,
                            "failed",
                            tally.failed.get()),
                    null);
        }
        Object evidence = FaultOps.effect(
                "frames announcing " + frameBytes + " bytes, all but the last " + TAIL_BYTES
                        + " sent, the rest trickling",
                "port",
                peerPort ? "peer" : "client",
                "targets",
                targets,
                "frames-per-node",
                frames,
                "bodies-sent",
                bodiesSent.get(),
                "bytes-sent",
                tally.bytesSent.get(),
                "opened",
                tally.opened.get(),
                "failed",
                tally.failed.get(),
                "closed-by-node",
                tally.closedByNode.get(),
                "held",
                tally.open.size());
        return new HostileAttacks.Result(evidence, this::stop);
    }

    private Object stop() {
        stopped.set(true);
        long held = tally.open.size();
        long closed = tally.closeAll();
        return FaultOps.effect(
                "half-sent frames abandoned, connections closed",
                "held-until-stop",
                held,
                "closed",
                closed,
                "closed-by-node",
                tally.closedByNode.get(),
                "reopened",
                reopened.get(),
                "bytes-sent",
                tally.bytesSent.get());
    }

    private void open(int id, int reopensLeft) {
        InetSocketAddress to = peerPort ? new InetSocketAddress("127.0.0.1", h.c.peerPort(id)) : h.c.clientAddress(id);
        // The peer port's attacker is a stranger; the client port's an ordinary client of the cluster.
        ChannelFuture f = h.channels.connect(
                to, peerPort ? AttackChannels.Credentials.NONE : AttackChannels.Credentials.CLIENT, tally, p -> {});
        f.addListener(x -> {
            if (!x.isSuccess()) {
                return;
            }
            Channel ch = f.channel();
            ByteBuf header = ch.alloc().buffer(Wire.HEADER_BYTES + 8);
            // magic, version, type, length (Wire's header); a client request starts with its request id
            header.writeShort(Wire.MAGIC)
                    .writeByte(Wire.VERSION)
                    .writeByte(peerPort ? 4 : 10)
                    .writeInt((int) frameBytes);
            long body = frameBytes - TAIL_BYTES;
            if (!peerPort) {
                header.writeLong(0x4C4E_0000_0000_0000L | id);
                body -= 8;
            }
            tally.bytesSent.addAndGet(header.readableBytes());
            ch.writeAndFlush(header);
            sendBody(ch, body);
            ch.closeFuture().addListener(c -> {
                if (!stopped.get() && reopensLeft > 0) {
                    reopened.incrementAndGet();
                    h.channels.schedule(() -> open(id, reopensLeft - 1), 200);
                }
            });
        });
    }

    /** Sends {@code left} zero bytes a chunk at a time (each after the last is written), then trickles. */
    private void sendBody(Channel ch, long left) {
        if (left <= 0) {
            bodiesSent.incrementAndGet();
            trickle(ch, TAIL_BYTES - 1);
            return;
        }
        int n = (int) Math.min(CHUNK_BYTES, left);
        ch.writeAndFlush(ZEROS.retainedSlice(0, n)).addListener(w -> {
            if (w.isSuccess() && !stopped.get()) {
                tally.bytesSent.addAndGet(n);
                sendBody(ch, left - n);
            }
        });
    }

    /** One byte a second, never the last: the frame stays incomplete until the fault stops. */
    private void trickle(Channel ch, int left) {
        if (left <= 0 || stopped.get() || !ch.isActive()) {
            return;
        }
        h.channels.schedule(
                () -> {
                    if (ch.isActive() && !stopped.get()) {
                        ch.writeAndFlush(ZEROS.retainedSlice(0, 1)).addListener(w -> {
                            if (w.isSuccess()) {
                                tally.bytesSent.incrementAndGet();
                            }
                        });
                        trickle(ch, left - 1);
                    }
                },
                TRICKLE_EVERY_MILLIS);
    }
}
