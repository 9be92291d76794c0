package dev.linden.kvnode.net;

import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.Ready;
import dev.linden.kvnode.service.ClientRequest;
import dev.linden.kvnode.service.ClientResponse;
import dev.linden.kvnode.service.KvService;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.logging.Logger;

/**
 * The client port: decodes requests, hands them to {@link KvService} (which queues them on the raft
 * stage) and writes answers back. Requests in flight per connection are bounded; past the bound, or
 * while the node is overloaded, the answer is OVERLOADED at once. A bad frame closes that connection.
 */
public final class ClientServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(ClientServer.class.getName());
    public static final int MAX_INFLIGHT_PER_CONNECTION = 16_384;

    private final InetSocketAddress address;
    private final EventLoopGroup group;
    private final KvService service;
    private final RaftNode node;
    private final BooleanSupplier overloaded;
    private final int maxFrameBytes;
    private Channel server;

    public ClientServer(InetSocketAddress address, EventLoopGroup group, KvService service, RaftNode node,
                        BooleanSupplier overloaded, int maxFrameBytes) {
        this.address = address;
        this.group = group;
        this.service = service;
        this.node = node;
        this.overloaded = overloaded;
        this.maxFrameBytes = maxFrameBytes;
    }

    public void start() throws InterruptedException {
        server = new ServerBootstrap().group(group).channel(NioServerSocketChannel.class)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(1 << 20, 8 << 20))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        FrameCodec.install(ch.pipeline(), maxFrameBytes, new Handler());
                    }
                })
                .bind(address).sync().channel();
    }

    private final class Handler extends SimpleChannelInboundHandler<Object> {
        private final AtomicInteger inflight = new AtomicInteger();
        private final java.util.ArrayList<ClientRequest> burst = new java.util.ArrayList<>();
        private ChannelOutbox outbox;

        @Override
        public void channelActive(ChannelHandlerContext ctx) throws Exception {
            outbox = new ChannelOutbox(ctx.channel(), 2 * MAX_INFLIGHT_PER_CONNECTION);
            super.channelActive(ctx);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) throws Exception {
            if (!burst.isEmpty()) {
                java.util.List<ClientRequest> batch = new java.util.ArrayList<>(burst);
                burst.clear();
                service.handleAll(batch, resp -> {
                    inflight.decrementAndGet();
                    outbox.offer(resp);
                });
            }
            super.channelReadComplete(ctx);
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, Object msg) {
            Channel ch = ctx.channel();
            if (msg instanceof ClientRequest req) {
                if (inflight.get() >= MAX_INFLIGHT_PER_CONNECTION || overloaded.getAsBoolean()) {
                    ch.writeAndFlush(new ClientResponse(req.requestId(), ClientResponse.Status.OVERLOADED,
                            node.leaderHint(), (byte[]) null), ch.voidPromise());
                    return;
                }
                inflight.incrementAndGet();
                burst.add(req);
            } else if (msg instanceof Wire.StatusRequest req) {
                Ready.SoftState s = node.softState();
                ch.writeAndFlush(new Wire.StatusResponse(req.requestId(), node.id(), s.role().name(), s.term(),
                        s.leaderId(), s.commitIndex(), s.appliedIndex()), ch.voidPromise());
            } else {
                throw new Wire.BadFrameException("unexpected " + msg.getClass().getSimpleName() + " on the client port");
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            LOG.warning("closing client connection " + ctx.channel().remoteAddress() + ": "
                    + PeerTransport.reason(cause));
            ctx.close();
        }
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
    }
}
