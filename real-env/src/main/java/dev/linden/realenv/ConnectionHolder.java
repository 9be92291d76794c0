package dev.linden.realenv;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * A helper process of the {@code peer-conn-flood} fault: opens idle TCP connections to loopback ports and
 * holds them until told to stop. It exists because a node and the harness have the same file handle limit:
 * the harness alone cannot hold as many connections as a node can accept, so the flood is spread over a few
 * of these, each spending its own handles (less a reserve).
 *
 * <p>Usage: {@code ConnectionHolder PORT:COUNT...}. It prints {@code opened N failed M last-failure ...}
 * when done opening, then waits on standard input: a line {@code stop} or the end of input (the harness
 * gone) closes everything, prints {@code closed N closed-by-node M}, and exits. Bounded: at most
 * {@link #MAX_CONNECTIONS} connections, {@link #MAX_PENDING} connecting at once, each connect given
 * {@link #CONNECT_TIMEOUT_MILLIS}, and opening gives up after {@link #MAX_FAILURES_IN_A_ROW} failures in a row.
 */
public final class ConnectionHolder {
    static final int MAX_CONNECTIONS = 30_000;
    static final int MAX_PENDING = 256;
    static final long CONNECT_TIMEOUT_MILLIS = 2_000;
    static final int MAX_FAILURES_IN_A_ROW = 500;

    private ConnectionHolder() {}

    public static void main(String[] args) throws IOException {
        List<SocketChannel> open = new ArrayList<>();
        long failed = 0;
        String lastFailure = "";
        long budget = Math.min(MAX_CONNECTIONS, AttackChannels.spareHandles());
        try (Selector selector = Selector.open()) {
            for (String arg : args) {
                String[] portCount = arg.split(":");
                InetSocketAddress to = new InetSocketAddress("127.0.0.1", Integer.parseInt(portCount[0]));
                long wanted = Math.min(Long.parseLong(portCount[1]), budget - open.size());
                long asked = 0;
                int pending = 0;
                int failuresInARow = 0;
                while ((asked < wanted || pending > 0) && failuresInARow < MAX_FAILURES_IN_A_ROW) {
                    while (asked < wanted && pending < MAX_PENDING) {
                        SocketChannel ch = SocketChannel.open();
                        ch.configureBlocking(false);
                        asked++;
                        try {
                            if (ch.connect(to)) {
                                open.add(ch);
                                continue;
                            }
                        } catch (IOException e) {
                            ch.close();
                            failed++;
                            failuresInARow++;
                            lastFailure = String.valueOf(e);
                            continue;
                        }
                        ch.register(selector, SelectionKey.OP_CONNECT, System.nanoTime());
                        pending++;
                    }
                    selector.select(100);
                    long now = System.nanoTime();
                    for (SelectionKey k : new ArrayList<>(selector.keys())) {
                        SocketChannel ch = (SocketChannel) k.channel();
                        boolean timedOut = now - (Long) k.attachment() > CONNECT_TIMEOUT_MILLIS * 1_000_000L;
                        try {
                            if (k.isValid() && k.isConnectable() && ch.finishConnect()) {
                                k.cancel();
                                open.add(ch);
                                pending--;
                                failuresInARow = 0;
                            } else if (timedOut) {
                                throw new IOException("connect timed out after " + CONNECT_TIMEOUT_MILLIS + " ms");
                            }
                        } catch (IOException e) {
                            k.cancel();
                            ch.close();
                            pending--;
                            failed++;
                            failuresInARow++;
                            lastFailure = String.valueOf(e);
                        }
                    }
                    selector.selectedKeys().clear();
                }
            }
            selector.selectNow(); // deregisters the cancelled keys so the channels can block again
        }
        System.out.println("opened " + open.size() + " failed " + failed + " last-failure " + lastFailure);
        System.out.flush();
        holdUntilStopThenClose(open);
    }

    /** Holds the connections until "stop" (or the end) on stdin, then closes them and says how many the node closed. */
    private static void holdUntilStopThenClose(List<SocketChannel> open) throws IOException {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        do {
            line = in.readLine();
        } while (line != null && !line.equals("stop"));
        long closedByNode = 0;
        ByteBuffer one = ByteBuffer.allocate(1);
        for (SocketChannel ch : open) {
            try {
                ch.configureBlocking(false);
                one.clear();
                if (ch.read(one) < 0) {
                    closedByNode++;
                }
            } catch (IOException e) {
                closedByNode++;
            }
            ch.close();
        }
        System.out.println("closed " + open.size() + " closed-by-node " + closedByNode);
        System.out.flush();
    }
}
