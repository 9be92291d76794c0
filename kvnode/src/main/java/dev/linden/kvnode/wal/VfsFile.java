package dev.linden.kvnode.wal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.function.Consumer;

/** A file of a {@link Vfs}. Writes are volatile until a sync covering them completes. */
public interface VfsFile extends AutoCloseable {
    long size() throws IOException;

    /** Reads up to dst.remaining() bytes at {@code position}; returns bytes read, -1 at end. */
    int read(long position, ByteBuffer dst) throws IOException;

    /**
     * Writes all of {@code src} at {@code position}. A failure (for example, a full disk) leaves the file's size
     * as it was, but the bytes of the range that lie inside the file may hold part of {@code src}, as a torn
     * write does: callers write only where nothing they need lies.
     */
    void write(long position, ByteBuffer src) throws IOException;

    void truncate(long size) throws IOException;

    /**
     * Starts making every write issued so far durable. Exactly one of the callbacks runs, possibly on
     * another thread, possibly later: the WAL overlaps new writes with a sync in flight.
     */
    void sync(Runnable onDurable, Consumer<IOException> onFailure);

    /** Makes every write issued so far durable before returning. */
    void syncNow() throws IOException;

    @Override
    void close() throws IOException;
}
