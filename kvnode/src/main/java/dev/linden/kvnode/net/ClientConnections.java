package dev.linden.kvnode.net;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client port's open connections and who gives way when it is full. A full port first evicts an idle
 * connection (nothing in flight, no request half-received), the least recently active one, so
 * connections that merely sit on a slot (an attacker's, or a pool's spares) cannot keep a new client
 * out; only when every connection is busy is the new one refused. At most {@code maxConnections} are
 * kept, plus one per eviction whose close is still under way.
 */
final class ClientConnections {
    /** One client connection as eviction sees it. */
    interface Connection {
        /** Nothing in flight and no request half-received. */
        boolean idle();

        /** When it last received a request or sent an answer (System.nanoTime). */
        long lastActiveNanos();

        /** Closes it to make room. */
        void evict();
    }

    private final int maxConnections;
    private final AtomicInteger count = new AtomicInteger();
    private final Set<Connection> open = ConcurrentHashMap.newKeySet();
    /** Evicted connections whose close is under way: never chosen twice. */
    private final Set<Connection> evicting = ConcurrentHashMap.newKeySet();

    ClientConnections(int maxConnections) {
        if (maxConnections < 1) {
            throw new IllegalArgumentException("max client connections must be >= 1");
        }
        this.maxConnections = maxConnections;
    }

    /** The outcome of {@link #tryOpen}: admitted, admitted by evicting {@code evicted}, or refused. */
    record Admission(boolean admitted, Connection evicted) {}

    /**
     * Room for a new connection: free, or made by evicting the least recently active idle one (evicted here).
     * A refused connection was not counted.
     */
    Admission tryOpen() {
        if (count.incrementAndGet() <= maxConnections + evicting.size()) {
            return new Admission(true, null);
        }
        Connection victim = null;
        for (Connection c : open) {
            if (!evicting.contains(c)
                    && c.idle()
                    && (victim == null || c.lastActiveNanos() < victim.lastActiveNanos())) {
                victim = c;
            }
        }
        if (victim == null) {
            count.decrementAndGet();
            return new Admission(false, null);
        }
        evicting.add(victim);
        victim.evict();
        return new Admission(true, victim);
    }

    /** An admitted connection's handler is in place: it may be evicted from now on. */
    void opened(Connection c) {
        open.add(c);
    }

    /** An admitted connection closed (evicted or not). */
    void closed(Connection c) {
        if (c != null) {
            open.remove(c);
            evicting.remove(c);
        }
        count.decrementAndGet();
    }

    int count() {
        return count.get();
    }

    int maxConnections() {
        return maxConnections;
    }
}
