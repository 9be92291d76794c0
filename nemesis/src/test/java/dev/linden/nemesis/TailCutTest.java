package dev.linden.nemesis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class TailCutTest {
    /** Ten records of 30 bytes from offset 8, indexes 41..50. */
    private static List<TailCut.Rec> ten() {
        List<TailCut.Rec> rs = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            rs.add(new TailCut.Rec(8 + 30 * i, 30, 41 + i));
        }
        return rs;
    }

    @Test
    void aBoundaryCutStartsAtTheFirstRecordLost() {
        TailCut c = TailCut.plan(ten(), 3, false, new SplittableRandom(1));
        assertEquals(8 + 30 * 7, c.cutAtByte());
        assertEquals(3, c.recordsLost());
        assertEquals(48, c.firstIndexLost());
        assertEquals(50, c.lastIndexLost());
        assertEquals(47, c.logEndsAtIndex());
        assertEquals("48..50", c.evidence().get("indexes-lost"));
        assertEquals("boundary", c.evidence().get("cut"));
    }

    @Test
    void anInsideCutLeavesAPartOfTheFirstRecordLost() {
        SplittableRandom r = new SplittableRandom(2);
        for (int i = 0; i < 200; i++) {
            TailCut c = TailCut.plan(ten(), 1, true, r);
            assertTrue(c.cutAtByte() > 8 + 30 * 9 && c.cutAtByte() < 8 + 30 * 10, "inside the last record: " + c);
            assertEquals(49, c.logEndsAtIndex());
        }
    }

    @Test
    void neverMoreThanTheSegmentHolds() {
        TailCut c = TailCut.plan(ten(), 100, false, new SplittableRandom(3));
        assertEquals(10, c.recordsLost());
        assertEquals(8, c.cutAtByte());
        assertEquals(-1, c.logEndsAtIndex());
        assertNull(TailCut.plan(List.of(), 5, true, new SplittableRandom(3)));
        assertThrows(IllegalArgumentException.class, () -> TailCut.plan(ten(), 0, false, new SplittableRandom(3)));
    }
}
