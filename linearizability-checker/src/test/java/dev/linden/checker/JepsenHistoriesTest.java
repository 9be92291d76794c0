package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.Edn;
import dev.linden.checker.history.Event;
import dev.linden.checker.history.History;
import dev.linden.checker.history.HistoryReader;
import dev.linden.checker.history.HistoryWriter;
import dev.linden.checker.history.MalformedHistoryException;
import dev.linden.checker.history.OpType;
import dev.linden.checker.history.Operation;
import dev.linden.checker.model.Models;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Histories as Jepsen, Knossos and Elle write them in their different eras, written by hand with known
 * verdicts, and round trips through the EDN writer.
 */
class JepsenHistoriesTest {
    @TempDir
    Path dir;

    private History read(String name, String text) throws Exception {
        Path f = dir.resolve(name);
        Files.writeString(f, text);
        return HistoryReader.read(f, null);
    }

    private static Verdict verdict(History h) throws Exception {
        return Checker.check(h, null, Checker.Options.defaults()).verdict();
    }

    /** A CAS register in today's history.edn style, with every EDN form Jepsen users hand-write. */
    private static final String MODERN = """
            ; a Jepsen 0.3 history: tagged ops, nemesis ops, comments, discards
            #jepsen.history.Op{:index 0, :time 100, :type :invoke, :process 0, :f :write, :value 1}
            #jepsen.history.Op{:index 1, :time 200, :type :ok, :process 0, :f :write, :value 1}
            {:index 2, :time 250, :type :info, :process :nemesis, :f :start-partition, \
            :value [:isolated {"n1" #{"n2"}}]}
            #_ {:index 99, :type :ok, :process 0, :f :read, :value 42}
            {:index 3, :time 300, :type :invoke, :process 1, :f :cas, :value [1 2]}   ; trailing comment
            {:index 4, :time 400, :type :ok, :process 1, :f :cas, :value [1 2]}
            {:index 5, :time 500, :type :invoke, :process 0, :f :read, :value nil}
            {:index 6, :time 600, :type :ok, :process 0, :f :read, :value 2}
            {:index 7, :time 650, :type :info, :process :nemesis, :f :stop-partition, :value :network-healed}
            {:index 8, :time 700, :type :invoke, :process 2, :f :read}
            {:index 9, :time 800, :type :fail, :process 2, :f :read, :error [:timeout "no leader"]}
            """;

    @Test
    void aModernHistoryWithTaggedOpsNemesisCommentsAndDiscardsIsRead() throws Exception {
        History h = read("modern.edn", MODERN);
        assertEquals(8, h.events().size(), "nemesis ops skipped, the discarded op gone");
        assertEquals(Verdict.LINEARIZABLE, verdict(h));
        // The same, with the read seeing the overwritten value: not linearizable.
        History bad = read("modern-bad.edn", MODERN.replace(":f :read, :value 2}", ":f :read, :value 1}"));
        assertEquals(Verdict.NOT_LINEARIZABLE, verdict(bad));
    }

    @Test
    void aWholeHistoryAsAListOrAVectorWithoutTimesIsRead() throws Exception {
        String ops = """
                {:type :invoke, :process 0, :f :write, :value 1}

                {:type :ok, :process 0, :f :write, :value 1}
                {:type :invoke, :process "nemesis", :f :kill, :value nil}
                {:type :invoke, :process 1, :f :read, :value nil}
                {:type :ok, :process 1, :f :read, :value 1}
                """;
        History list = read("list.edn", "(\n" + ops + ")\n");
        History vector = read("vector.edn", "[\n" + ops + "]\n");
        assertEquals(4, list.events().size());
        assertEquals(list.operations(), vector.operations());
        assertEquals(Verdict.LINEARIZABLE, verdict(list));
        // Real-time order comes from the order of the history when :time is missing.
        List<Operation> o = list.operations();
        assertTrue(o.get(0).precedes(o.get(1)), o.toString());
    }

    @Test
    void mixedTimeUnitsFallBackToTheHistorysOrder() throws Exception {
        // Times that go backwards (ms in one op, ns in the next): the history's own order is the real-time order.
        History h = read("units.edn", """
                {:type :invoke, :process 0, :f :write, :value 1, :time 5000000}
                {:type :ok, :process 0, :f :write, :value 1, :time 6}
                {:type :invoke, :process 1, :f :read, :value nil, :time 7}
                {:type :ok, :process 1, :f :read, :value 0, :time 8}
                """);
        assertEquals(Verdict.NOT_LINEARIZABLE, verdict(h), "the read began after the write ended");
    }

    @Test
    void independentTuplesAreSplitIntoKeysAndEachKeyJudged() throws Exception {
        History h = read("independent.edn", """
                {:type :invoke, :process 0, :f :write, :value [0 1]}
                {:type :ok, :process 0, :f :write, :value [0 1]}
                {:type :invoke, :process 1, :f :write, :value [1 5]}
                {:type :ok, :process 1, :f :write, :value [1 5]}
                {:type :invoke, :process 0, :f :read, :value [0 nil]}
                {:type :ok, :process 0, :f :read, :value [0 1]}
                {:type :invoke, :process 1, :f :cas, :value [1 [5 6]]}
                {:type :ok, :process 1, :f :cas, :value [1 [5 6]]}
                {:type :invoke, :process 2, :f :read, :value [1 nil]}
                {:type :ok, :process 2, :f :read, :value [1 5]}
                """);
        assertEquals("0", h.events().get(0).key());
        assertEquals(1L, h.events().get(0).value());
        CheckResult r = Checker.check(h, null, Checker.Options.defaults());
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
        assertEquals(
                List.of(Verdict.LINEARIZABLE, Verdict.NOT_LINEARIZABLE),
                r.keys().stream().map(KeyResult::verdict).toList(),
                "key 1 read a value its CAS had replaced");
    }

    @Test
    void aPlainCasRegisterIsNotMistakenForIndependentTuples() throws Exception {
        History h = read("cas.edn", """
                {:type :invoke, :process 0, :f :cas, :value [1 2]}
                {:type :fail, :process 0, :f :cas, :value [1 2]}
                {:type :invoke, :process 1, :f :cas, :value [0 3]}
                {:type :info, :process 1, :f :cas, :value [0 3]}
                """);
        assertEquals(null, h.events().get(0).key());
        assertEquals(List.of(1L, 2L), h.events().get(0).value());
    }

    @Test
    void aHistoryWithOnlyNemesisOperationsIsLinearizableWithZeroOperations() throws Exception {
        History h = read("nemesis.edn", """
                {:type :info, :process :nemesis, :f :start-partition, :value :majority}
                {:type :info, :process :nemesis, :f :stop-partition, :value nil}
                """);
        assertEquals(0, h.events().size());
        CheckResult r = Checker.check(h, null, Checker.Options.defaults());
        assertEquals(Verdict.LINEARIZABLE, r.verdict());
        assertEquals(0, r.operations());
        assertEquals(Verdict.LINEARIZABLE, verdict(read("empty.edn", "; nothing happened\n")));
        assertEquals(Verdict.LINEARIZABLE, verdict(read("empty.json", "[]")));
    }

    @Test
    void everyEdnFormReadsToTheHistorysVocabulary() {
        List<Object> v = Edn.parseAll("""
                \\c "tab\\tquote\\"newline\\n" 12345678901234567890 -7 22/7 -1/2 1.5M 2.5 sym ns/sym :ns/kw
                #inst "2020-01-01T00:00:00Z" #uuid "f81d4fae-7dec-11d0-a765-00a0c91e6bf6" #{1 2} {1 :a, "b" [nil]}
                #my.ns/Point {:x 1} true nil "a 1/2 in a string" ; 3/4 in a comment
                """);
        assertEquals("c", v.get(0));
        assertEquals("tab\tquote\"newline\n", v.get(1));
        assertEquals(new BigInteger("12345678901234567890"), v.get(2));
        assertEquals(-7L, v.get(3));
        assertEquals(22.0 / 7, (Double) v.get(4), 1e-12);
        assertEquals(-0.5, v.get(5));
        assertEquals(1.5, v.get(6));
        assertEquals(2.5, v.get(7));
        assertEquals("sym", v.get(8));
        assertEquals("ns/sym", v.get(9));
        assertEquals(new Edn.Keyword("ns/kw"), v.get(10));
        assertEquals("2020-01-01T00:00:00Z", v.get(11));
        assertEquals("f81d4fae-7dec-11d0-a765-00a0c91e6bf6", v.get(12));
        assertEquals(Set.of(1L, 2L), v.get(13));
        assertEquals(Map.of(1L, new Edn.Keyword("a"), "b", Arrays.asList((Object) null)), v.get(14));
        assertEquals(Map.of(new Edn.Keyword("x"), 1L), v.get(15));
        assertEquals(true, v.get(16));
        assertEquals(null, v.get(17));
        assertEquals("a 1/2 in a string", v.get(18));
        assertEquals(19, v.size());
    }

    @Test
    void malformedEdnNamesItsFileAndLine() throws Exception {
        MalformedHistoryException e = assertThrows(MalformedHistoryException.class, () -> read("bad.edn", """
                {:type :invoke, :process 0, :f :write, :value 1}
                {:type :ok, :process 0, :f :write, :value 1}
                ; a comment
                {:type :invoke, :process 0, :f :read :value [1 2}
                {:type :ok, :process 0, :f :read, :value 1}
                """));
        assertEquals(4, e.line(), e.getMessage());
        assertTrue(e.getMessage().contains("bad.edn"), e.getMessage());
        MalformedHistoryException notMap = assertThrows(
                MalformedHistoryException.class,
                () -> read("notmap.edn", "{:type :invoke, :process 0, :f :write, :value 1}\n[1 2 3]\n"));
        assertEquals(2, notMap.line(), notMap.getMessage());
        MalformedHistoryException noProcess = assertThrows(
                MalformedHistoryException.class,
                () -> read("noproc.edn", "\n\n{:type :invoke, :f :write, :value 1}\n"));
        assertEquals(3, noProcess.line(), noProcess.getMessage());
    }

    @Test
    void roundTripsThroughEdnKeepOperationsAndVerdicts() throws Exception {
        for (long seed = 1; seed <= 20; seed++) {
            RandomHistories.Kind kind = seed % 3 == 0 ? RandomHistories.Kind.APPEND : RandomHistories.Kind.CAS_REGISTER;
            History h = RandomHistories.generate(seed, kind, 60, 4, 3, 0.1);
            if (seed % 2 == 0) {
                h = RandomHistories.corruptOneRead(h, seed);
            }
            for (boolean tuples : new boolean[] {false, true}) {
                Path f = dir.resolve("rt-" + seed + "-" + tuples + ".edn");
                HistoryWriter.writeEdn(h, f, tuples);
                History back = HistoryReader.read(f, null);
                assertEquals(h.operations(), back.operations(), "seed " + seed + " tuples " + tuples);
                assertEquals(verdict(h), verdict(back), "seed " + seed);
            }
        }
    }

    @Test
    void theCorpusRoundTripsThroughEdnWithTheSameVerdicts() throws Exception {
        Path corpus = Corpus.require();
        try (Stream<Path> files = Files.list(corpus.resolve("jepsen"))) {
            for (Path file : files.sorted().limit(20).toList()) {
                History h = HistoryReader.read(file, null);
                Path out = dir.resolve(file.getFileName() + ".edn");
                HistoryWriter.writeEdn(h, out);
                History back = HistoryReader.read(out, null);
                assertEquals(h.operations(), back.operations(), file.toString());
                assertEquals(
                        Checker.check(h, Models.byName("cas-register"), Checker.Options.defaults())
                                .verdict(),
                        Checker.check(back, Models.byName("cas-register"), Checker.Options.defaults())
                                .verdict(),
                        file.toString());
            }
        }
    }

    @Test
    void writtenLinesAreJepsensFormat() {
        Event e = new Event(3, 1, OpType.OK, "cas", "7", List.of(1L, 2L), 1_500);
        assertEquals(
                "{:index 3, :time 1500, :type :ok, :process 1, :f :cas, :value [7 [1 2]]}",
                HistoryWriter.ednLine(e, true));
        assertEquals(
                "{:index 3, :time 1500, :type :ok, :process 1, :f :cas, :key 7, :value [1 2]}",
                HistoryWriter.ednLine(e, false));
    }

    @Test
    void jsonArraysAndJsonLinesStreamToTheSameOperations() throws Exception {
        String[] ops = {
            "{\"type\": \"invoke\", \"process\": 0, \"f\": \"write\", \"value\": 1}",
            "{\"type\": \"info\", \"process\": \"nemesis\", \"f\": \"kill\"}",
            "{\"type\": \"ok\", \"process\": 0, \"f\": \"write\", \"value\": 1}",
            "{\"type\": \"invoke\", \"process\": 1, \"f\": \"read\", \"value\": null}",
            "{\"type\": \"ok\", \"process\": 1, \"f\": \"read\", \"value\": 0}"
        };
        History lines = read("h.jsonl", String.join("\n", ops) + "\n");
        History array = read("h.json", "[" + String.join(", ", ops) + "]");
        assertEquals(4, lines.events().size());
        assertEquals(lines.operations(), array.operations());
        assertEquals(Verdict.NOT_LINEARIZABLE, verdict(array), "one-line array: order still comes from the history");
        MalformedHistoryException e = assertThrows(
                MalformedHistoryException.class,
                () -> read("bad.jsonl", ops[0] + "\n" + ops[2] + "\n{\"type\": \"ok\",, }\n"));
        assertEquals(3, e.line(), e.getMessage());
    }
}
