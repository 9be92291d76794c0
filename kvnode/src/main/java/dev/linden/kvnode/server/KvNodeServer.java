package dev.linden.kvnode.server;

import dev.linden.kvnode.kv.KvStateMachine;
import dev.linden.kvnode.net.ClientServer;
import dev.linden.kvnode.net.PeerTransport;
import dev.linden.kvnode.net.Wire;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.node.RaftNode;
import dev.linden.kvnode.raft.RandomSource;
import dev.linden.kvnode.service.KvService;
import dev.linden.kvnode.wal.NioVfs;
import dev.linden.kvnode.wal.WalConfig;
import dev.linden.kvnode.wal.WalLogStore;
import io.netty.channel.nio.NioEventLoopGroup;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.logging.Logger;

/**
 * One kvnode process: the Raft node on its stages (raft, apply, WAL writer, fsync thread), the WAL on
 * real files, the peer transport and the client port.
 */
public final class KvNodeServer implements AutoCloseable {
    private static final Logger LOG = Logger.getLogger(KvNodeServer.class.getName());
    /** Inputs queued on the raft stage beyond which network input is refused (back-pressure). */
    public static final int MAX_QUEUED_INPUTS = 200_000;

    /**
     * @param peers        every node's peer address by id, this node's included
     * @param fsync        false only for benchmarks that want to see the cost of durability
     */
    public record Options(int id, Map<Integer, InetSocketAddress> peers, InetSocketAddress clientAddress, Path dataDir,
                          boolean fsync, NodeConfig nodeConfig) {}

    private final Options options;
    private final ScheduledExecutorService timers;
    private final ThreadStage raftStage;
    private final ThreadStage applyStage;
    private final ThreadStage walStage;
    private final ThreadStage snapshotStage;
    private final java.util.concurrent.ExecutorService fsyncThread;
    private final NioEventLoopGroup group = new NioEventLoopGroup(1);
    private WalLogStore wal;
    private RaftNode node;
    private PeerTransport transport;
    private ClientServer clientServer;
    private final java.util.concurrent.CountDownLatch fatal = new java.util.concurrent.CountDownLatch(1);
    private volatile Throwable fatalCause;

    public KvNodeServer(Options options) {
        this.options = options;
        this.timers = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "timers-" + options.id()));
        java.util.function.Consumer<Throwable> die = t -> {
            fatalCause = t;
            fatal.countDown();
        };
        this.raftStage = new ThreadStage("raft-" + options.id(), timers, die);
        this.applyStage = new ThreadStage("apply-" + options.id(), timers, die);
        // The WAL writer shares the raft thread: a write() into the page cache is short, and each stage
        // hand-off is a thread wake-up that several node processes on few cores pay dearly for. The fsync
        // keeps its own thread, so writes still overlap the previous fsync; apply keeps its own stage.
        this.walStage = raftStage;
        // Writing a snapshot file (and forcing it) takes long: it gets its own thread, off the write path.
        this.snapshotStage = new ThreadStage("snapshot-" + options.id(), timers, die);
        this.fsyncThread = Executors.newSingleThreadExecutor(r -> daemon(r, "fsync-" + options.id()));
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Recovers the WAL and starts serving. Throws IOException with a clear message if the WAL is corrupt. */
    public void start() throws IOException, InterruptedException {
        NioVfs vfs = new NioVfs(options.dataDir().resolve("wal"), options.fsync() ? fsyncThread : Runnable::run,
                options.fsync());
        wal = new WalLogStore(vfs, walStage, snapshotStage, WalConfig.defaults());
        transport = new PeerTransport(options.id(), options.peers(), group, msgs -> node.receiveAll(msgs),
                () -> raftStage.queued() > MAX_QUEUED_INPUTS, Wire.DEFAULT_MAX_FRAME_BYTES, 8 << 20);
        node = new RaftNode(options.id(), new ArrayList<>(options.peers().keySet()), options.nodeConfig(),
                RandomSource.seeded(System.nanoTime() ^ ((long) options.id() << 32)), raftStage, applyStage, wal,
                transport, new KvStateMachine());
        node.setListener(new RaftNode.NodeListener() {
            @Override
            public void onFatal(int nodeId, String reason) {
                fatalCause = new IOException(reason);
                fatal.countDown();
            }
        });
        node.start();
        transport.start();
        clientServer = new ClientServer(options.clientAddress(), group, new KvService(node), node,
                () -> raftStage.queued() > MAX_QUEUED_INPUTS, Wire.DEFAULT_MAX_FRAME_BYTES);
        clientServer.start();
        LOG.info("node " + options.id() + " serving clients on " + options.clientAddress() + ", peers on "
                + options.peers().get(options.id()) + ", data in " + options.dataDir() + (options.fsync() ? ""
                : " (fsync OFF)"));
    }

    /** Blocks until a stage dies or storage fails; returns the cause. */
    public Throwable awaitFatal() throws InterruptedException {
        fatal.await();
        return fatalCause;
    }

    public RaftNode node() {
        return node;
    }

    @Override
    public void close() {
        if (transport != null && node != null) {
            // stdout, not the logger: JUL resets its handlers in its own shutdown hook.
            System.out.println("node " + options.id() + " at shutdown: " + transport.stats() + "; commit "
                    + node.softState().commitIndex());
        }
        if (clientServer != null) {
            clientServer.close();
        }
        if (transport != null) {
            transport.close();
        }
        if (node != null) {
            node.stop();
        }
        if (wal != null) {
            wal.close();
        }
        try {
            Thread.sleep(50); // let the stop and close tasks run
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        raftStage.close();
        applyStage.close();
        snapshotStage.close();
        fsyncThread.shutdown();
        timers.shutdownNow();
        group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS);
    }
}
