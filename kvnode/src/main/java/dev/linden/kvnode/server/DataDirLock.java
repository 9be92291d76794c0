package dev.linden.kvnode.server;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive lock on a node's data dir ({@code DIR/lock}), held for the life of the process and taken
 * before any recovery step: a second process started on a live node's directory must fail before it
 * reads, let alone truncates, anything there. The lock is the OS's ({@code fcntl}), so it goes away with
 * the process however it ends (kill -9 included); the file keeps the holder's pid for the message.
 */
public final class DataDirLock implements AutoCloseable {
    public static final String FILE = "lock";
    private final FileChannel channel;
    private final FileLock lock;

    private DataDirLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /** Takes the lock or throws with the holder's pid; never waits. */
    public static DataDirLock acquire(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE);
        FileChannel ch =
                FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this very process
        }
        if (l == null) {
            String holder;
            try {
                holder = Files.readString(file, StandardCharsets.UTF_8).trim();
            } catch (IOException e) {
                holder = "?";
            }
            ch.close();
            throw new IOException("data dir " + dataDir + " is in use by another node process (pid "
                    + (holder.isEmpty() ? "?" : holder) + "); two processes on one data dir would corrupt its WAL. "
                    + "Stop that process first, or use another --data-dir.");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        ch.force(false);
        return new DataDirLock(ch, l);
    }

    @Override
    public void close() {
        try {
            lock.release();
            channel.close();
        } catch (IOException e) {
            // the OS drops the lock with the process anyway
        }
    }
}
