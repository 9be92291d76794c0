package dev.linden.kvnode.client;

import dev.linden.kvnode.service.ClientResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What the latest attempts of one request met, for the message of a request that gives up: a ring of
 * {@link #ENTRIES} packed (what, node, hint) entries, created on the first note.
 */
final class AttemptHistory {
    /** Outcomes of attempts kept per request. */
    static final int ENTRIES = 6;

    static final int NO_ANSWER = 1000;
    static final int UNREACHABLE = 1001;
    static final int QUEUE_FULL = 1002;

    private long[] ring;
    private int notes;

    /** Notes what an attempt met: {@code what} is a response status's ordinal or one of the codes above. */
    void note(int what, int node, int hint) {
        if (ring == null) {
            ring = new long[ENTRIES];
        }
        ring[notes++ % ENTRIES] = ((long) what << 48) | ((long) (node & 0xFFFF) << 32) | (hint & 0xFFFFFFFFL);
    }

    /** The notes, as the end of a message ("" if none): {@code attempts} attempts in all. */
    String describe(int attempts) {
        if (notes == 0) {
            return "";
        }
        List<String> last = new ArrayList<>();
        for (int i = Math.max(0, notes - ENTRIES); i < notes; i++) {
            long h = ring[i % ENTRIES];
            int what = (int) (h >>> 48);
            int node = (int) ((h >>> 32) & 0xFFFF);
            int hint = (int) h;
            last.add(
                    switch (what) {
                        case NO_ANSWER -> "no answer from " + node;
                        case UNREACHABLE -> "unreachable " + node;
                        case QUEUE_FULL -> "queue full at " + node;
                        default -> {
                            ClientResponse.Status st = ClientResponse.Status.values()[what];
                            yield st.name().toLowerCase(Locale.ROOT) + " from " + node
                                    + (st == ClientResponse.Status.NOT_LEADER ? " (leader " + hint + ")" : "");
                        }
                    });
        }
        return " (" + attempts + " attempts; last: " + String.join(", ", last) + ")";
    }
}
