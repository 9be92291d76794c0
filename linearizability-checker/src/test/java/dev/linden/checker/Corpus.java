package dev.linden.checker;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Optional;
import org.junit.jupiter.api.Assumptions;

/** Finds the shared reference corpus (../shared/corpus/porcupine next to the repository). */
final class Corpus {
    private Corpus() {}

    static Optional<Path> find() {
        String prop = System.getProperty("linden.corpus");
        if (prop != null) {
            return Optional.of(Path.of(prop));
        }
        Path dir = Path.of("").toAbsolutePath();
        for (int up = 0; up < 4 && dir != null; up++, dir = dir.getParent()) {
            Path p = dir.resolve("shared/corpus/porcupine");
            if (Files.isDirectory(p)) {
                return Optional.of(p);
            }
            p = dir.resolveSibling("shared").resolve("corpus/porcupine");
            if (Files.isDirectory(p)) {
                return Optional.of(p);
            }
        }
        return Optional.empty();
    }

    /** The corpus, required in CI; elsewhere a missing corpus skips with a message. */
    static Path require() {
        Optional<Path> p = find();
        if (p.isEmpty() && System.getenv("CI") != null) {
            throw new AssertionError("reference corpus ../shared/corpus/porcupine not found");
        }
        Assumptions.assumeTrue(p.isPresent(), "reference corpus ../shared/corpus/porcupine not found; skipping");
        return p.get();
    }
}
