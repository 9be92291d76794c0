package dev.linden.kvnode.server;

import dev.linden.kvnode.events.EventCodec;
import dev.linden.kvnode.events.EventFiles;
import dev.linden.kvnode.events.EventSource;
import dev.linden.kvnode.events.NodeEvent;
import dev.linden.kvnode.node.NodeListener;
import dev.linden.kvnode.node.TeeListener;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes a node's {@link NodeEvent}s to {@code events.jsonl}, one JSON object a line, off the raft and
 * apply threads: they only offer an event to a bounded queue, and when it is full the event is dropped and
 * counted (the gap shows in the sequence numbers, and the count in {@code node.log}), never waited for.
 * The file is appended across restarts and rotated to {@code events.1.jsonl} at {@code maxFileBytes}, so
 * the stream takes at most twice that on disk. The writer wakes for the first event of a batch, lets more
 * gather for {@link #BATCH_MILLIS}, then writes and flushes them all: a node killed outright loses at most
 * that much of its stream, and a torn last line is skipped by the reader. Nothing is fsynced: the stream is
 * evidence for monitors, not state.
 */
public final class EventStreamWriter implements Consumer<NodeEvent>, AutoCloseable {
    private static final Logger LOG = Logger.getLogger("linden.events");
    /** Events queued at most: about 100 bytes each in memory beyond an applied batch's arrays. */
    public static final int DEFAULT_MAX_QUEUED_EVENTS = 65_536;

    public static final long DEFAULT_MAX_FILE_BYTES = 64L << 20;

    /**
     * How long events gather before a write. Woken and flushing for every event, the writer cost the bench a
     * fifth of its throughput (65,900 writes/s against 80,400 with events off, 27.0 against 22.1 us of CPU a
     * write): a thread wake-up and a write(2) for each of thousands of events a second, on two cores.
     */
    static final long BATCH_MILLIS = 20;

    private final Path dir;
    private final long maxFileBytes;
    private final ArrayBlockingQueue<NodeEvent> queue;
    private final AtomicLong dropped = new AtomicLong();
    private final Thread thread;
    private volatile boolean closed;
    /** The first event of the batch gathering now, taken off the queue by the writer thread (guarded by this). */
    private NodeEvent taken;

    private Writer out;
    private long fileBytes;
    private long droppedLogged;

    public EventStreamWriter(Path dir, int maxQueuedEvents, long maxFileBytes) throws IOException {
        this.dir = dir;
        this.maxFileBytes = maxFileBytes;
        this.queue = new ArrayBlockingQueue<>(maxQueuedEvents);
        open();
        this.thread = new Thread(this::loop, "events-writer");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void open() throws IOException {
        Path file = dir.resolve(EventFiles.FILE_NAME);
        fileBytes = Files.exists(file) ? Files.size(file) : 0;
        boolean torn = fileBytes > 0 && !endsWithNewline(file);
        out = new BufferedWriter(
                Files.newBufferedWriter(
                        file, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND),
                1 << 16);
        if (torn) {
            // The last life was killed in the middle of a line: this one starts on a line of its own.
            out.write('\n');
            fileBytes++;
        }
    }

    private static boolean endsWithNewline(Path file) throws IOException {
        try (SeekableByteChannel ch = Files.newByteChannel(file, StandardOpenOption.READ)) {
            ByteBuffer last = ByteBuffer.allocate(1);
            ch.position(ch.size() - 1);
            ch.read(last);
            return last.get(0) == '\n';
        }
    }

    /** A writer into {@code dir} with the default bounds. */
    public static EventStreamWriter inDir(Path dir) throws IOException {
        return new EventStreamWriter(dir, DEFAULT_MAX_QUEUED_EVENTS, DEFAULT_MAX_FILE_BYTES);
    }

    /**
     * A listener that tells {@code base} everything and writes the node's events here, stamped with the wall
     * clock; {@code stateDigest} is asked on the apply stage at each snapshot.
     */
    public NodeListener listener(NodeListener base, LongSupplier stateDigest) {
        return new TeeListener(base, new EventSource(System::currentTimeMillis, id -> stateDigest.getAsLong(), this));
    }

    /** Queues the event, or drops and counts it if the queue is full (never blocks). */
    @Override
    public void accept(NodeEvent event) {
        if (!queue.offer(event)) {
            dropped.incrementAndGet();
        }
    }

    /** Events dropped so far because the queue was full. */
    public long dropped() {
        return dropped.get();
    }

    private void loop() {
        List<NodeEvent> batch = new ArrayList<>();
        try {
            while (!closed || !queue.isEmpty()) {
                NodeEvent first = queue.poll(100, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                synchronized (this) {
                    taken = first;
                }
                if (!closed) {
                    Thread.sleep(BATCH_MILLIS);
                }
                synchronized (this) {
                    if (taken != null) { // else written meanwhile by writeQueued
                        batch.add(taken);
                        taken = null;
                    }
                    queue.drainTo(batch, 4096);
                    for (NodeEvent ev : batch) {
                        write(EventCodec.encode(ev));
                    }
                    batch.clear();
                    if (queue.isEmpty()) {
                        out.flush();
                        noteDrops();
                    }
                }
            }
            synchronized (this) {
                out.flush();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            // Evidence, not state: a full disk stops the stream, not the node. Monitors see it end.
            LOG.log(Level.WARNING, "event=events-stopped detail=\"" + e.getMessage() + "\"", e);
        }
    }

    private void write(String line) throws IOException {
        if (fileBytes + line.length() + 1 > maxFileBytes && fileBytes > 0) {
            out.close();
            Files.move(
                    dir.resolve(EventFiles.FILE_NAME),
                    dir.resolve(EventFiles.ROTATED_FILE_NAME),
                    StandardCopyOption.REPLACE_EXISTING);
            open();
        }
        out.write(line);
        out.write('\n');
        fileBytes += line.length() + 1;
    }

    private void noteDrops() {
        long d = dropped.get();
        if (d != droppedLogged) {
            LOG.warning("event=events-dropped count=" + (d - droppedLogged) + " total=" + d
                    + " detail=\"the event queue was full: monitors see a gap in the sequence numbers\"");
            droppedLogged = d;
        }
    }

    /**
     * Writes every event queued now and flushes, on the caller's thread (TEST-ONLY: just before an aimed power
     * cut halts the process), the event the writer thread took and holds while more gather first.
     */
    public synchronized void writeQueued() {
        try {
            List<NodeEvent> batch = new ArrayList<>();
            if (taken != null) {
                batch.add(taken);
                taken = null;
            }
            queue.drainTo(batch);
            for (NodeEvent ev : batch) {
                write(EventCodec.encode(ev));
            }
            out.flush();
        } catch (IOException e) {
            LOG.warning("event=events-write-failed detail=\"" + e.getMessage() + "\"");
        }
    }

    /** Writes what is queued (waiting at most a second) and closes the file. */
    @Override
    public void close() {
        closed = true;
        try {
            thread.join(1_000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        try {
            out.close();
        } catch (IOException e) {
            LOG.warning("event=events-close-failed detail=\"" + e.getMessage() + "\"");
        }
    }
}
