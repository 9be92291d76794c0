package dev.linden.checker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.linden.checker.history.History;
import dev.linden.checker.history.HistoryReader;
import dev.linden.checker.history.OpType;
import dev.linden.checker.model.Models;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/** Every file of the reference corpus gets exactly its published verdict. */
class CorpusConformanceTest {

    @TestFactory
    Stream<DynamicTest> everyCorpusFileGetsItsVerdict() throws Exception {
        Path corpus = Corpus.require();
        List<String> lines = Files.readAllLines(corpus.resolve("verdicts.tsv"));
        List<DynamicTest> tests = new ArrayList<>();
        for (String line : lines.subList(1, lines.size())) {
            String[] cols = line.split("\t");
            String file = cols[0];
            int ops = Integer.parseInt(cols[1]);
            int infoOps = Integer.parseInt(cols[2]);
            String expected = cols[3];
            tests.add(DynamicTest.dynamicTest(file, () -> {
                History h = HistoryReader.read(corpus.resolve(file), null);
                String model = file.startsWith("jepsen/") ? "cas-register" : "append";
                assertEquals(
                        ops,
                        h.operations().size()
                                + (int) h.events().stream()
                                        .filter(e -> e.type() == OpType.FAIL)
                                        .count(),
                        "operation count");
                assertEquals(
                        infoOps,
                        h.operations().stream().filter(o -> o.indeterminate()).count(),
                        "info count");
                CheckResult r = Checker.check(
                        h, Models.byName(model), Checker.Options.defaults().withTimeLimit(Duration.ofSeconds(60)));
                assertEquals(expected, r.verdict().text(), file);
                if (r.verdict() == Verdict.NOT_LINEARIZABLE) {
                    for (KeyResult k : r.keysWith(Verdict.NOT_LINEARIZABLE)) {
                        assertNotNull(k.counterexample());
                        assertTrue(k.counterexample().explanation().length() > 20);
                    }
                }
            }));
        }
        // 102 etcd histories and 6 kv histories; every file on disk must be listed.
        long onDisk;
        try (Stream<Path> a = Files.list(corpus.resolve("jepsen"));
                Stream<Path> b = Files.list(corpus.resolve("kv"))) {
            onDisk = a.count() + b.count();
        }
        assertEquals(onDisk, tests.size());
        assertEquals(108, tests.size());
        return tests.stream();
    }

    @Test
    void everyKeyOfC50BadIsDecidedWithACounterexample() throws Exception {
        Path corpus = Corpus.require();
        History h = HistoryReader.read(corpus.resolve("kv/c50-bad.txt"), null);
        CheckResult r = Checker.check(
                h, Models.byName("append"), Checker.Options.defaults().withTimeLimit(Duration.ofSeconds(60)));
        assertEquals(Verdict.NOT_LINEARIZABLE, r.verdict());
        assertTrue(r.keysWith(Verdict.UNKNOWN).isEmpty(), "undecided keys: " + r.keysWith(Verdict.UNKNOWN));
        for (KeyResult k : r.keysWith(Verdict.NOT_LINEARIZABLE)) {
            assertNotNull(k.counterexample(), k.key());
        }
    }
}
