package dev.linden.kvnode.wal;

import java.io.IOException;
import java.util.List;

/**
 * The file API the WAL is written against: one flat directory. Production binds it to FileChannel
 * ({@link NioVfs}); the simulator to an in-memory disk with latencies and faults. Same WAL code on both.
 */
public interface Vfs {
    /** Names of the files in the directory, in no particular order. */
    List<String> list() throws IOException;

    VfsFile open(String name, boolean create) throws IOException;

    /** Atomically replaces {@code to} with {@code from}. Durable only after {@link #syncDirectory()}. */
    void rename(String from, String to) throws IOException;

    void delete(String name) throws IOException;

    /** Makes creations, renames and deletions durable. */
    void syncDirectory() throws IOException;
}
