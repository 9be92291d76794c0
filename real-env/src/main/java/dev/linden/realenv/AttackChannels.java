package dev.linden.realenv;

import dev.linden.kvnode.tls.ClientSecurity;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * The one place the harness's attacks ({@link HostileAttacks}) open connections to a node: loopback ports of
 * nodes this run started, on an event loop of their own, every channel remembered so that a fault's stop,
 * the heal and the end of the run close them all.
 *
 * <p>{@link Credentials} says what an attacker presents: {@code NONE} is plain TCP, the stranger;
 * {@code CLIENT} is TLS with an ordinary client's certificate of the cluster (the harness made the CA), an
 * {@code SslHandler} first in the pipeline; nothing else in the attacks changes. The peer connection flood
 * stays plain TCP on purpose: an accepted connection that never finishes its handshake costs the node a
 * file handle all the same; the client port's attacks come from an ordinary client.
 */
final class AttackChannels implements AutoCloseable {
    /** What an attacking connection presents. */
    enum Credentials {
        /** Plain TCP: no certificate, no token (on a TLS port the handshake must fail and the node close it). */
        NONE,
        /**
         * TLS with an ordinary client's certificate of the cluster: what any client of the cluster holds. On the
         * peer port the node must refuse it at the hello, whatever node the hello claims to be.
         */
        CLIENT;

        /** As operations name it ({@code "credentials" "none"}). */
        String cliName() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        /** The credentials an operation names, or null if this binding has no such credentials (yet). */
        static Credentials parse(Object name) {
            for (Credentials c : values()) {
                if (c.cliName().equals(String.valueOf(name))) {
                    return c;
                }
            }
            return null;
        }
    }

    /** Handles the harness keeps for itself, whatever an attack asks: its own clients, proxies, logs. */
    static final int RESERVED_HANDLES = 2_000;

    /** Counts of one attack's connections, for its evidence. */
    static final class Tally {
        final AtomicLong opened = new AtomicLong();
        final AtomicLong failed = new AtomicLong();
        final AtomicLong closedByNode = new AtomicLong();
        final AtomicLong closedByUs = new AtomicLong();
        final AtomicLong bytesSent = new AtomicLong();
        final Set<Channel> open = ConcurrentHashMap.newKeySet();
        volatile String lastFailure = "";

        /** Closes every channel still open; returns how many. */
        long closeAll() {
            long n = 0;
            for (Channel ch : open.toArray(Channel[]::new)) {
                if (open.remove(ch)) {
                    closedByUs.incrementAndGet();
                    n++;
                }
                ch.close();
            }
            return n;
        }
    }

    /** How a credential secures a connection (plain for {@code NONE}, the cluster's client certificate for CLIENT). */
    private final Function<Credentials, ClientSecurity> security;

    AttackChannels(Function<Credentials, ClientSecurity> security) {
        this.security = security;
    }

    private final NioEventLoopGroup group = new NioEventLoopGroup(1, r -> {
        Thread t = new Thread(r, "linden-hostile-io");
        t.setDaemon(true);
        return t;
    });

    /**
     * Connects to {@code to}; {@code handlers} adds the attack's handlers to the pipeline (after the
     * credentials' own, none for {@code NONE}). The channel counts in {@code tally} while open.
     */
    ChannelFuture connect(
            InetSocketAddress to, Credentials credentials, Tally tally, Consumer<ChannelPipeline> handlers) {
        if (!to.getAddress().isLoopbackAddress()) {
            throw new IllegalArgumentException("attacks go to the run's own nodes on loopback only, not " + to);
        }
        ClientSecurity tls = security.apply(credentials);
        ChannelFuture f = new Bootstrap()
                .group(group)
                .channel(NioSocketChannel.class)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 2_000)
                .option(ChannelOption.TCP_NODELAY, true)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        handlers.accept(ch.pipeline());
                        tls.secure(ch); // first in the pipeline, before the attack's handlers
                    }
                })
                .connect(to);
        f.addListener(x -> {
            if (!x.isSuccess()) {
                tally.failed.incrementAndGet();
                tally.lastFailure = String.valueOf(x.cause());
                return;
            }
            Channel ch = f.channel();
            tally.opened.incrementAndGet();
            tally.open.add(ch);
            ch.closeFuture().addListener(c -> {
                if (tally.open.remove(ch)) {
                    tally.closedByNode.incrementAndGet();
                }
            });
        });
        return f;
    }

    /**
     * Handles this process may still open for an attack: its limit less what it has open and
     * {@link #RESERVED_HANDLES}, never below 0 (unknown limit: 0, the attack then opens nothing here).
     */
    static long spareHandles() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.UnixOperatingSystemMXBean unix) {
            return Math.max(0, unix.getMaxFileDescriptorCount() - unix.getOpenFileDescriptorCount() - RESERVED_HANDLES);
        }
        return 0;
    }

    /** Runs {@code task} on the attack event loop after {@code delayMillis}. */
    void schedule(Runnable task, long delayMillis) {
        if (!group.isShuttingDown()) {
            group.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }
    }

    @Override
    public void close() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
}
