package dev.linden.checker.history;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** The fast path for flat op lines decides exactly what the general EDN parser decides, or steps aside. */
class FastEdnLineTest {
    private static void sameAsGeneral(String text) throws Exception {
        History fast = HistoryReader.parse("t.edn", text, HistoryFormat.EDN);
        History general = HistoryReader.parseEdnGeneral("t.edn", text);
        assertEquals(general.events(), fast.events(), text);
    }

    @Test
    void flatLinesReadAsTheGeneralParserReadsThem() throws Exception {
        sameAsGeneral("""
                {:index 0, :time 5, :type :invoke, :process 0, :f :cas, :key "k1", :value [-1 2]}
                {:index 1, :time 6, :type :info, :process :nemesis, :f :start, :value [:a "b"]}

                ; a comment line
                {:index 2, :time 7, :type :ok, :process 0, :f :cas, :key "k1", :value [-1 2]}
                {:time 8 :type :invoke :process 1 :f "read" :key 7 :value nil}
                {:time 9 :type :ok :process 1 :f "read" :key 7 :value [7 [true false :x]]}  ; trailing
                {:type :invoke, :process 2, :f :write, :key :kw, :value :v, :error nil}
                {:type :fail, :process 2, :f :write, :key :kw, :value :v, :error [:timeout "t"]}
                """);
        sameAsGeneral("""
                {:type :invoke, :process 0, :f :write, :value [0 1]}
                {:type :ok, :process 0, :f :write, :value [0 1]}
                {:type :invoke, :process 0, :f :read, :value [0 nil]}
                {:type :ok, :process 0, :f :read, :value [0 1]}
                """);
    }

    @Test
    void anythingElseStepsAside() {
        for (String line : List.of(
                "#jepsen.history.Op{:type :ok, :process 0, :f :read}",
                "[{:type :ok}]",
                "{:type :ok, :process 0, :f :read, :value \"a\\\"b\"}",
                "{:type :ok, :process 0, :f :read, :value 1.5}",
                "{:type :ok, :process 0, :f :read, :value 1/2}",
                "{:type :ok, :process 0, :f :read, :value 12345678901234567890}",
                "{:type :ok, :process 0, :f :read, :value {:a 1}}",
                "{:type :ok, :process 0, :f :read, :value #{1}}",
                "{:type :ok, :process 0,",
                "{:type :ok, :process 0, :f :read} {:type :ok}",
                "{:type :ok, :f :read}",
                "{:type :ok, :process nil, :f :read}",
                "{:type :ok, :process 0, :f :read, :value sym}",
                "{:type :ok, :process 0, :f :read, :value #_ 1 2}")) {
            assertNull(FastEdnLine.parse(line), line);
        }
        assertNotNull(FastEdnLine.parse("   "));
    }

    @Test
    void writtenHistoriesTakeTheFastPathAndReadBackTheSame() throws Exception {
        SplittableRandom r = new SplittableRandom(3);
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2000; i++) {
            Object value = switch (r.nextInt(5)) {
                case 0 -> null;
                case 1 -> (long) r.nextInt(1000) - 500;
                case 2 -> List.of((long) r.nextInt(9), (long) r.nextInt(9));
                case 3 -> "s" + r.nextInt(50);
                default -> ":kw" + r.nextInt(3);
            };
            Event e = new Event(
                    i,
                    i % 7,
                    i % 2 == 0 ? OpType.INVOKE : OpType.OK,
                    r.nextBoolean() ? "read" : "cas",
                    r.nextBoolean() ? "k" + r.nextInt(5) : String.valueOf(r.nextInt(5)),
                    value,
                    10L * i);
            text.append(HistoryWriter.ednLine(e, false)).append('\n');
            assertNotNull(FastEdnLine.parse(HistoryWriter.ednLine(e, false)));
            assertNotNull(FastEdnLine.parse(HistoryWriter.ednLine(e, true)));
        }
        sameAsGeneral(text.toString());
    }
}
