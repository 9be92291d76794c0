package dev.linden.nemesis;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * Where {@code lose-tail} cuts a WAL segment, planned once for both worlds from the segment's records: the
 * last {@code k} acknowledged records go, cut exactly at the first one's start (recovery then cannot tell
 * the log ever went further) or somewhere inside it (recovery sees a torn write, as after a crash). Every
 * record after the cut goes with them, acknowledged or not.
 *
 * @param cutAtByte      the segment's new end of data
 * @param recordsLost    acknowledged records lost (the k asked for, or fewer if the segment held fewer)
 * @param insideRecord   whether the cut falls inside a record (at {@code cutAtByte}) rather than at its start
 * @param firstIndexLost log index of the first record lost
 * @param lastIndexLost  log index of the last acknowledged record lost
 * @param logEndsAtIndex log index of the last record kept in this segment, or -1 if none is kept
 */
public record TailCut(
        int cutAtByte,
        int recordsLost,
        boolean insideRecord,
        long firstIndexLost,
        long lastIndexLost,
        long logEndsAtIndex) {
    /** One record of a segment, as the binding read it: start, size, log index. */
    public record Rec(int offset, int bytes, long index) {
        public Rec {
            if (offset < 0 || bytes < 2 || index < 1) {
                throw new IllegalArgumentException(
                        "bad record: offset " + offset + ", " + bytes + " bytes, index " + index);
            }
        }
    }

    public TailCut {
        if (cutAtByte < 0 || recordsLost < 1 || firstIndexLost < 1 || lastIndexLost < 1) {
            throw new IllegalArgumentException("a tail cut loses at least one record at a real offset");
        }
    }

    /**
     * The cut that loses the last {@code k} of {@code acknowledged} (records in file order), or null if there
     * is none to lose.
     */
    public static TailCut plan(List<Rec> acknowledged, int k, boolean insideRecord, SplittableRandom r) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be at least 1, not " + k);
        }
        int n = acknowledged.size();
        if (n == 0) {
            return null;
        }
        int lost = Math.min(k, n);
        Rec first = acknowledged.get(n - lost);
        // Inside: past its first byte and before its last, so at least one byte of it stays and one goes.
        int cut = insideRecord ? first.offset() + 1 + r.nextInt(first.bytes() - 1) : first.offset();
        return new TailCut(
                cut,
                lost,
                insideRecord,
                first.index(),
                acknowledged.get(n - 1).index(),
                n > lost ? acknowledged.get(n - lost - 1).index() : -1);
    }

    /** The cut as evidence, keys in the history's style and in a fixed order (histories are compared). */
    public Map<String, Object> evidence() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("records-lost", (long) recordsLost);
        m.put("cut", insideRecord ? "inside-record" : "boundary");
        m.put("cut-at-byte", (long) cutAtByte);
        m.put("indexes-lost", firstIndexLost + ".." + lastIndexLost);
        m.put("log-ends-at-index", logEndsAtIndex);
        return m;
    }
}
