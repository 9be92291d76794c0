package dev.linden.cli;

import dev.linden.kvnode.client.KvClient;
import dev.linden.kvnode.node.NodeConfig;
import dev.linden.kvnode.server.KvNodeServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.logging.ConsoleHandler;
import java.util.logging.FileHandler;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./linden node}: runs one kvnode process until SIGTERM. Exit codes: 0 clean shutdown, 2 the
 * WAL or the configuration is unusable (the message says why), 70 a stage or the storage failed.
 */
@Command(name = "node", mixinStandardHelpOptions = true, description = "Run one Linden KV node process.")
public final class NodeCommand implements Callable<Integer> {
    @Option(names = "--id", description = "this node's id (>= 1)")
    Integer id;

    @Option(names = "--peers", description = "every node's peer address: 1=host:port,2=host:port,...")
    String peers;

    @Option(names = "--client-port", description = "port for clients")
    Integer clientPort;

    @Option(names = "--client-host", description = "address to bind for clients (default 127.0.0.1)")
    String clientHost = "127.0.0.1";

    @Option(names = "--data-dir", description = "where the WAL and logs live")
    Path dataDir;

    @Option(names = "--fsync", description = "on (default) or off (benchmarks only: acknowledged writes may be lost)")
    String fsync = "on";

    @Option(names = "--snapshot-every", description = "snapshot the state and compact the log after this many "
            + "entries (default 500000)")
    Long snapshotEvery;

    @Option(names = "--config", description = "properties file with id, peers, client-port, data-dir, fsync, "
            + "snapshot-every")
    Path config;

    /** The node configuration for a snapshot interval (null: the default). */
    static NodeConfig nodeConfig(Long snapshotEvery) {
        NodeConfig nodeConfig = NodeConfig.defaults();
        if (snapshotEvery == null) {
            return nodeConfig;
        }
        // Entries kept behind a snapshot for followers a little behind: a fifth of the interval.
        int trailing = (int) Math.min(nodeConfig.raft().snapshotTrailingEntries(), snapshotEvery / 5);
        return nodeConfig.withSnapshotEveryEntries(snapshotEvery)
                .withRaft(nodeConfig.raft().withSnapshots(nodeConfig.raft().maxSnapshotChunkBytes(), trailing));
    }

    @Override
    public Integer call() throws Exception {
        if (config != null) {
            Properties p = new Properties();
            try (InputStream in = Files.newInputStream(config)) {
                p.load(in);
            }
            id = id != null ? id : Integer.valueOf(p.getProperty("id"));
            peers = peers != null ? peers : p.getProperty("peers");
            clientPort = clientPort != null ? clientPort : Integer.valueOf(p.getProperty("client-port"));
            dataDir = dataDir != null ? dataDir : Path.of(p.getProperty("data-dir"));
            fsync = p.getProperty("fsync", fsync);
            if (snapshotEvery == null && p.getProperty("snapshot-every") != null) {
                snapshotEvery = Long.valueOf(p.getProperty("snapshot-every"));
            }
        }
        if (snapshotEvery != null && snapshotEvery < 1) {
            System.err.println("linden node: --snapshot-every must be >= 1");
            return 2;
        }
        NodeConfig nodeConfig = nodeConfig(snapshotEvery);
        if (id == null || peers == null || clientPort == null || dataDir == null) {
            System.err.println("linden node: --id, --peers, --client-port and --data-dir are required (or --config)");
            return 2;
        }
        Map<Integer, InetSocketAddress> peerMap = KvClient.parseEndpoints(peers);
        if (!peerMap.containsKey(id)) {
            System.err.println("linden node: --peers must include this node's id " + id);
            return 2;
        }
        Files.createDirectories(dataDir);
        setUpLogging(dataDir.resolve("node.log"));
        Logger log = Logger.getLogger("linden.node");
        KvNodeServer server = new KvNodeServer(new KvNodeServer.Options(id, peerMap,
                new InetSocketAddress(clientHost, clientPort), dataDir, !"off".equals(fsync), nodeConfig));
        try {
            server.start();
        } catch (IOException e) {
            log.severe("node " + id + " cannot start: " + e.getMessage());
            System.err.println("linden node: cannot start: " + e.getMessage());
            server.close();
            return 2;
        }
        Thread shutdown = new Thread(() -> {
            log.info("node " + id + " shutting down (SIGTERM)");
            server.close();
        }, "shutdown");
        Runtime.getRuntime().addShutdownHook(shutdown);
        Throwable fatal = server.awaitFatal();
        log.severe("node " + id + " stopping after a fatal error: " + fatal);
        Runtime.getRuntime().halt(70);
        return 70;
    }

    static void setUpLogging(Path file) throws IOException {
        Logger root = Logger.getLogger("");
        for (Handler h : root.getHandlers()) {
            root.removeHandler(h);
        }
        Formatter oneLine = new Formatter() {
            @Override
            public String format(LogRecord r) {
                String msg = java.time.Instant.ofEpochMilli(r.getMillis()) + " " + r.getLevel() + " "
                        + r.getLoggerName().replaceAll(".*\\.", "") + ": " + formatMessage(r) + "\n";
                if (r.getThrown() != null) {
                    java.io.StringWriter w = new java.io.StringWriter();
                    r.getThrown().printStackTrace(new java.io.PrintWriter(w));
                    msg += w;
                }
                return msg;
            }
        };
        ConsoleHandler console = new ConsoleHandler() {
            {
                setOutputStream(System.out);
            }
        };
        console.setFormatter(oneLine);
        FileHandler fileHandler = new FileHandler(file.toString(), 50 << 20, 2, true);
        fileHandler.setFormatter(oneLine);
        root.addHandler(console);
        root.addHandler(fileHandler);
        root.setLevel(Level.INFO);
        Logger.getLogger("io.netty").setLevel(Level.WARNING);
    }
}
