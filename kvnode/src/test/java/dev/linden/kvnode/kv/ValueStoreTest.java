package dev.linden.kvnode.kv;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ValueStoreTest {
    @Test
    void behavesLikeAMapUnderRandomOverwritesOfEverySize() {
        ValueStore store = new ValueStore();
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
        store.forEach((k, v) -> assertArrayEquals(model.get(k), v));
        store.clear();
        assertNull(store.get("k1"));
        assertEquals(0, store.size());
    }

    @Test
    void directSlabsStayWithinTheirBudgetAndMoreValuesGoOnTheHeap() {
        ValueStore store = new ValueStore(ValueStore.SLAB_BYTES); // one direct slab
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
}
