package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ValueStoreTest {
    @Test
    void behavesLikeAMapUnderRandomOverwritesOfEverySize() {
        ValueStore store = new ValueStore();
        store.beginEntry(); // every write of this test in one entry
        Map<String, byte[]> model = new HashMap<>();
        SplittableRandom r = new SplittableRandom(7);
        int[] sizes = {0, 1, 59, 60, 61, 256, 4092, 4093, 5000, 70_000, KvCommand.MAX_VALUE_BYTES};
        for (int i = 0; i < 20_000; i++) {
            String key = "k" + r.nextInt(300);
            int op = r.nextInt(10);
            if (op == 0) {
                store.remove(key);
                model.remove(key);
            } else if (op == 1) {
                store.put(key, null);
                model.put(key, null);
            } else {
                int size = r.nextInt(8) == 0 ? sizes[r.nextInt(sizes.length)] : r.nextInt(300);
                byte[] v = new byte[size];
                r.nextBytes(v);
                store.put(key, v);
                model.put(key, v);
            }
            String probe = "k" + r.nextInt(300);
            assertArrayEquals(model.get(probe), store.get(probe), "after step " + i + " at " + probe);
        }
        assertEquals(model.size(), store.size());
        store.range("", null).forEach((k, slot) -> assertArrayEquals(model.get(k), store.value(slot)));
        assertEquals(model.size(), store.range("", null).size(), "the ordered index holds every key");
        store.clear();
        assertNull(store.get("k1"));
        assertEquals(0, store.size());
    }

    @Test
    void directSlabsStayWithinTheirBudgetAndMoreValuesGoOnTheHeap() {
        ValueStore store = new ValueStore(ValueStore.SLAB_BYTES); // one direct slab
        store.beginEntry();
        byte[] v = new byte[KvCommand.MAX_VALUE_BYTES];
        int values = 3 * 8; // a 1 MiB value takes a 2 MiB slot: 8 to a slab
        for (int i = 0; i < values; i++) {
            v[0] = (byte) i;
            store.put("k" + i, v);
        }
        assertEquals(ValueStore.SLAB_BYTES, store.directBytes());
        assertEquals(3, store.slabCount());
        for (int i = 0; i < values; i++) {
            assertEquals((byte) i, store.get("k" + i)[0]);
        }
        store.clear();
        assertEquals(0, store.directBytes());
    }

    @Test
    void theDigestIsTheSameWhateverTheWriteOrderAndTellsStatesApart() {
        ValueStore a = new ValueStore();
        ValueStore b = new ValueStore();
        a.beginEntry();
        a.put("x", bytes("1"));
        a.put("y", bytes("2"));
        a.put("z", null);
        a.endEntry();
        b.beginEntry();
        b.put("gone", bytes("3"));
        b.put("z", null);
        b.put("y", bytes("2"));
        b.remove("gone");
        b.put("x", bytes("1"));
        b.endEntry();
        assertEquals(a.digest(), b.digest(), "the same keys, values and revisions, written in another order");
        ValueStore c = new ValueStore();
        c.beginEntry();
        c.put("x", bytes("1"));
        c.put("y", bytes("2"));
        c.put("z", new byte[0]);
        c.endEntry();
        assertNotEquals(a.digest(), c.digest(), "a null value and an empty one differ");
        b.beginEntry();
        b.put("x", bytes("2"));
        b.put("y", bytes("1"));
        b.endEntry();
        b.beginEntry();
        b.put("x", bytes("1"));
        b.put("y", bytes("2"));
        b.endEntry();
        assertNotEquals(a.digest(), b.digest(), "the same values at other revisions differ");
        b.clear();
        assertEquals(new ValueStore().digest(), b.digest());
    }

    @Test
    void aFrozenViewEncodesTheDataOfItsMomentWhileTheStoreGoesOnChanging() {
        ValueStore store = new ValueStore();
        store.beginEntry(); // every write of this test in one entry
        Map<String, byte[]> model = new HashMap<>();
        SplittableRandom r = new SplittableRandom(11);
        for (int i = 0; i < 5_000; i++) {
            randomWrite(store, model, r);
        }
        FrozenValues view = store.freeze();
        Map<String, byte[]> atFreeze = new HashMap<>(model);
        int slabsAtFreeze = store.slabCount();
        for (int i = 0; i < 20_000; i++) {
            randomWrite(store, model, r);
        }
        ByteBuffer out = ByteBuffer.allocate((int) view.encodedBytes());
        view.encodeTo(out);
        assertEquals(0, out.remaining(), "encodedBytes is what encodeTo writes");
        assertEquals(atFreeze.size(), view.size());
        Map<String, byte[]> decoded = decode(out.flip(), view.size());
        assertEquals(atFreeze.keySet(), decoded.keySet());
        atFreeze.forEach((k, v) -> assertArrayEquals(v, decoded.get(k), k));
        model.forEach((k, v) -> assertArrayEquals(v, store.get(k), "the live store at " + k));
        assertTrue(store.slabCount() > slabsAtFreeze, "no slot the view reads was reused meanwhile");

        store.release(view);
        int slabsAfter = store.slabCount();
        for (int i = 0; i < 20_000; i++) {
            randomWrite(store, model, r);
        }
        assertEquals(slabsAfter, store.slabCount(), "once released, the slots set aside are reused");
        model.forEach((k, v) -> assertArrayEquals(v, store.get(k), k));
    }

    private static void randomWrite(ValueStore store, Map<String, byte[]> model, SplittableRandom r) {
        String key = "k" + r.nextInt(500);
        int op = r.nextInt(20);
        byte[] v = op == 0 ? null : new byte[r.nextInt(20_000)];
        if (v != null) {
            r.nextBytes(v);
        }
        if (op == 1) {
            store.remove(key);
            model.remove(key);
        } else {
            store.put(key, v);
            model.put(key, v);
        }
    }

    private static Map<String, byte[]> decode(ByteBuffer in, int count) {
        Map<String, byte[]> out = new HashMap<>();
        for (int i = 0; i < count; i++) {
            byte[] k = new byte[in.getInt()];
            in.get(k);
            int len = in.getInt();
            byte[] v = len < 0 ? null : new byte[len];
            if (v != null) {
                in.get(v);
            }
            assertTrue(in.getLong() > 0 && in.getLong() > 0 && in.getLong() > 0, "create, mod revision and version");
            assertEquals(0, in.getLong(), "no lease");
            out.put(new String(k, StandardCharsets.UTF_8), v);
        }
        assertEquals(0, in.remaining());
        return out;
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
