package dev.linden.kvnode.net;

import dev.linden.kvnode.service.ClientResponse;
import io.netty.buffer.ByteBuf;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The client port's frame reader, without a channel (Netty's {@link ClientFrameDecoder} and the
 * simulator's client port both run it). Unlike a plain length-field decoder it never buffers a frame it will
 * not serve: when a frame's header arrives, its bytes are reserved against the connection's and the
 * node's in-flight budgets ({@link ClientPortLimits}); a frame over the size limit, or one the budgets
 * cannot hold, is answered at once by request id ({@link Refused}) and its body discarded as it arrives.
 * A reservation is held until the request is answered ({@link Received#release()}).
 *
 * <p>Every request payload starts with its 8-byte request id (CLIENT_REQ and STATUS_REQ alike), which
 * is what makes an answer without the body possible.
 */
final class ClientFrameReader {
    /** A decoded message with the bytes reserved for it; release once it is answered. */
    static final class Received {
        final Object message;
        private final long bytes;
        private final Budget budget;
        private boolean released;

        Received(Object message, long bytes, Budget budget) {
            this.message = message;
            this.bytes = bytes;
            this.budget = budget;
        }

        synchronized void release() {
            if (!released) {
                released = true;
                budget.release(bytes);
            }
        }
    }

    /** A request refused from its header alone. */
    record Refused(long requestId, ClientResponse.Status status, String reason) {}

    /** In-flight request bytes of one connection, drawn from the node's total. */
    static final class Budget {
        private final AtomicLong connection = new AtomicLong();
        private final AtomicLong total;
        private final long maxConnection;
        private final long maxTotal;

        Budget(AtomicLong total, long maxConnection, long maxTotal) {
            this.total = total;
            this.maxConnection = maxConnection;
            this.maxTotal = maxTotal;
        }

        boolean tryReserve(long bytes) {
            if (connection.addAndGet(bytes) > maxConnection) {
                connection.addAndGet(-bytes);
                return false;
            }
            if (total.addAndGet(bytes) > maxTotal) {
                total.addAndGet(-bytes);
                connection.addAndGet(-bytes);
                return false;
            }
            return true;
        }

        void release(long bytes) {
            connection.addAndGet(-bytes);
            total.addAndGet(-bytes);
        }

        long connectionBytes() {
            return connection.get();
        }
    }

    private final int maxFrameBytes;
    private final Budget budget;
    /** Body bytes of a refused frame still to discard. */
    private long skipRemaining;
    /** Bytes reserved for the frame being received (0 between frames). */
    private long reserved;
    /** When the first byte of the frame being received arrived (by {@link #nanoClock}; 0: between frames). */
    private volatile long frameStartNanos;
    /** The connection's clock (System.nanoTime on a real port, the node's clock in the simulator). */
    private final LongSupplier nanoClock;

    ClientFrameReader(int maxFrameBytes, Budget budget, LongSupplier nanoClock) {
        this.maxFrameBytes = maxFrameBytes;
        this.budget = budget;
        this.nanoClock = nanoClock;
    }

    /** Nanoseconds since the first byte of an incomplete frame arrived, or 0 between frames. */
    long partialFrameAgeNanos(long nowNanos) {
        long start = frameStartNanos;
        return start == 0 ? 0 : nowNanos - start;
    }

    /**
     * Reads what of {@code in} has arrived: whole frames become {@link Received} (bytes reserved) or
     * {@link Refused}; a partial frame stays in {@code in}. A broken framing throws {@link Wire.BadFrameException}.
     */
    void read(ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            if (skipRemaining > 0) {
                int n = (int) Math.min(skipRemaining, in.readableBytes());
                in.skipBytes(n);
                skipRemaining -= n;
                if (skipRemaining > 0) {
                    return;
                }
                frameStartNanos = 0;
                continue;
            }
            if (frameStartNanos == 0) {
                frameStartNanos = nanoClock.getAsLong();
            }
            FrameHeader header = FrameHeader.peek(in);
            if (header == null) {
                return;
            }
            int at = in.readerIndex();
            long length = header.length();
            if (header.magic() != Wire.MAGIC || header.version() != Wire.VERSION) {
                throw new Wire.BadFrameException(
                        String.format("bad magic 0x%04x or version %d", header.magic(), header.version()));
            }
            if (reserved == 0) {
                String refusal = null;
                ClientResponse.Status status = null;
                if (length > maxFrameBytes) {
                    status = ClientResponse.Status.INVALID;
                    refusal = "request of " + length + " bytes exceeds the node's limit of " + maxFrameBytes + " bytes";
                } else if (!budget.tryReserve(Wire.HEADER_BYTES + length)) {
                    status = ClientResponse.Status.OVERLOADED;
                    refusal = "the node holds too many request bytes in flight; retry";
                }
                if (refusal != null) {
                    if (length < 8) {
                        throw new Wire.BadFrameException("frame of " + length + " bytes has no request id");
                    }
                    if (in.readableBytes() < Wire.HEADER_BYTES + 8) {
                        return;
                    }
                    long requestId = in.getLong(at + Wire.HEADER_BYTES);
                    in.skipBytes(Wire.HEADER_BYTES + 8);
                    skipRemaining = length - 8;
                    if (skipRemaining == 0) {
                        frameStartNanos = 0;
                    }
                    out.add(new Refused(requestId, status, refusal));
                    continue;
                }
                reserved = Wire.HEADER_BYTES + length;
            }
            if (in.readableBytes() < reserved) {
                return;
            }
            ByteBuf frame = in.readRetainedSlice((int) reserved);
            long bytes = reserved;
            reserved = 0;
            frameStartNanos = 0;
            Object msg;
            try {
                msg = Wire.decode(frame);
            } catch (RuntimeException e) {
                budget.release(bytes);
                throw e;
            } finally {
                frame.release();
            }
            out.add(new Received(msg, bytes, budget));
        }
    }

    /** The connection is gone: a frame that never completed gives its reservation back. */
    void close() {
        if (reserved > 0) {
            budget.release(reserved); // a frame that never completed
            reserved = 0;
        }
    }
}
