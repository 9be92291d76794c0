package dev.linden.realenv;

import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.tls.NodeSecurity;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import java.net.InetSocketAddress;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.IntFunction;

/**
 * The link between two nodes, through a proxy the harness owns: node {@code low} dials it, it dials node
 * {@code high}'s peer port. It reads whole frames of the peer protocol in each direction and forwards,
 * drops, duplicates or delays each one as told, so a cut never corrupts a stream: a partition (in one
 * direction or both), message loss, duplication, reordering delays and clogging, all without root. The
 * first frame each way (the Hello that identifies the cluster) always passes. With mutual TLS between the
 * nodes, the proxy ends a TLS session with each (the harness made their certificates): as node high toward
 * low, and as node low toward high.
 */
final class LinkProxy implements AutoCloseable {
    /** What one direction does to its frames. Volatile fields: the nemesis sets them from its thread. */
    static final class Direction {
        volatile boolean cut;
        volatile double lossRate;
        volatile double duplicateRate;
        /** Share of frames with one bit flipped past the header (a corrupting NIC, memory or middlebox). */
        volatile double corruptRate;

        volatile long jitterMicros;
        volatile long delayMillis;
        final AtomicLong forwarded = new AtomicLong();
        final AtomicLong dropped = new AtomicLong();
        final AtomicLong lost = new AtomicLong();
        final AtomicLong duplicated = new AtomicLong();
        final AtomicLong corrupted = new AtomicLong();
        final AtomicLong delayed = new AtomicLong();

        void reset() {
            cut = false;
            lossRate = 0;
            duplicateRate = 0;
            corruptRate = 0;
            jitterMicros = 0;
            delayMillis = 0;
        }
    }

    final int low;
    final int high;
    /** Frames from low to high. */
    final Direction up = new Direction();
    /** Frames from high to low. */
    final Direction down = new Direction();

    private final EventLoopGroup group;
    private final InetSocketAddress target;
    private final Channel server;
    private final Set<Channel> open = ConcurrentHashMap.newKeySet();
    private final SplittableRandom random;

    /**
     * Each node's credentials: with TLS the proxy ends both sessions, as node high toward low and as low toward high.
     */
    private final IntFunction<NodeSecurity> security;

    LinkProxy(int low, int high, int listenPort, InetSocketAddress target, EventLoopGroup group, long seed)
            throws InterruptedException {
        this(low, high, listenPort, target, group, seed, id -> NodeSecurity.insecure());
    }

    /**
     * @param security each node's credentials (the harness made the cluster's CA): with mutual TLS between
     *                 the nodes, the proxy holds a TLS session with each end, so it still sees whole frames
     */
    LinkProxy(
            int low,
            int high,
            int listenPort,
            InetSocketAddress target,
            EventLoopGroup group,
            long seed,
            IntFunction<NodeSecurity> security)
            throws InterruptedException {
        this.security = security;
        this.low = low;
        this.high = high;
        this.group = group;
        this.target = target;
        this.random = new SplittableRandom(seed);
        this.server = new ServerBootstrap()
                .group(group)
                .channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.AUTO_READ, false)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        accept(ch);
                    }
                })
                .bind("127.0.0.1", listenPort)
                .sync()
                .channel();
    }

    int port() {
        return ((InetSocketAddress) server.localAddress()).getPort();
    }

    /** The direction of frames from node {@code from}. */
    Direction from(int from) {
        return from == low ? up : down;
    }

    /** Closes every connection through the proxy (nodes redial). */
    void resetConnections() {
        open.forEach(Channel::close);
    }

    private void accept(SocketChannel inbound) {
        open.add(inbound);
        inbound.closeFuture().addListener(f -> open.remove(inbound));
        new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel outbound) {
                        open.add(outbound);
                        outbound.closeFuture().addListener(f -> {
                            open.remove(outbound);
                            inbound.close();
                        });
                        inbound.closeFuture().addListener(f -> outbound.close());
                        outbound.pipeline().addLast(frames(), new Relay(inbound, down));
                        inbound.pipeline().addLast(frames(), new Relay(outbound, up));
                        security.apply(low).securePeer(outbound, true);
                        security.apply(high).securePeer(inbound, false);
                    }
                })
                .connect(target)
                .addListener(f -> {
                    if (f.isSuccess()) {
                        inbound.config().setAutoRead(true);
                        inbound.read();
                    } else {
                        inbound.close();
                    }
                });
    }

    private static LengthFieldBasedFrameDecoder frames() {
        return new LengthFieldBasedFrameDecoder(
                64 << 20, Wire.LENGTH_OFFSET, 4, Wire.HEADER_BYTES - Wire.LENGTH_OFFSET - 4, 0);
    }

    /** Forwards whole frames to {@code to}, as {@code dir} says. */
    private final class Relay extends ChannelInboundHandlerAdapter {
        private final Channel to;
        private final Direction dir;
        private boolean first = true;

        Relay(Channel to, Direction dir) {
            this.to = to;
            this.dir = dir;
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf frame = (ByteBuf) msg;
            if (first) {
                first = false; // the Hello
                to.writeAndFlush(frame);
                return;
            }
            if (dir.cut) {
                dir.dropped.incrementAndGet();
                frame.release();
                return;
            }
            double r;
            synchronized (random) {
                r = random.nextDouble();
            }
            if (dir.lossRate > 0 && r < dir.lossRate) {
                dir.lost.incrementAndGet();
                frame.release();
                return;
            }
            if (dir.corruptRate > 0) {
                flipABit(frame);
            }
            boolean dup = dir.duplicateRate > 0 && r > 1 - dir.duplicateRate;
            long delayMicros = dir.delayMillis * 1000;
            if (dir.jitterMicros > 0) {
                synchronized (random) {
                    delayMicros += random.nextLong(dir.jitterMicros);
                }
            }
            if (dup) {
                dir.duplicated.incrementAndGet();
                send(frame.retainedDuplicate(), delayMicros);
            }
            send(frame, delayMicros);
        }

        /** With the direction's corrupt rate, one bit of the frame past its header is flipped. */
        private void flipABit(ByteBuf frame) {
            int at;
            int bit;
            synchronized (random) {
                if (random.nextDouble() >= dir.corruptRate || frame.readableBytes() <= Wire.HEADER_BYTES) {
                    return;
                }
                at = Wire.HEADER_BYTES + random.nextInt(frame.readableBytes() - Wire.HEADER_BYTES);
                bit = random.nextInt(8);
            }
            int index = frame.readerIndex() + at;
            frame.setByte(index, frame.getByte(index) ^ (1 << bit));
            dir.corrupted.incrementAndGet();
        }

        private void send(ByteBuf frame, long delayMicros) {
            dir.forwarded.incrementAndGet();
            if (delayMicros <= 0) {
                to.writeAndFlush(frame);
            } else {
                // Delayed frames may overtake each other: that is the reordering. Bounded by the peers'
                // own outbound limits (they stop sending when the connection stops draining).
                dir.delayed.incrementAndGet();
                to.eventLoop().schedule(() -> to.writeAndFlush(frame), delayMicros, TimeUnit.MICROSECONDS);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            to.close();
        }
    }

    @Override
    public void close() {
        server.close().syncUninterruptibly();
        resetConnections();
    }
}
