package dev.linden.realenv;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GcPausesTest {
    @Test
    void readsThePausesOfAUnifiedGcLog(@TempDir Path dir) throws Exception {
        Path log = dir.resolve("gc.log");
        Files.writeString(
                log,
                String.join(
                        "\n",
                        "[0.010s][info][gc] Using Parallel",
                        "[1.234s][info][gc] GC(0) Pause Young (Allocation Failure) 400M->12M(1024M) 3.456ms",
                        "[2.000s][info][gc] GC(1) Pause Young (Allocation Failure) 410M->13M(1024M) 12.5ms",
                        "[9.000s][info][gc] GC(2) Pause Full (Ergonomics) 900M->100M(1024M) 150.000ms",
                        ""));
        assertEquals(List.of(3.456, 12.5, 150.0), GcPauses.read(log));
        assertEquals("gc pauses n=3 p50=12.500 p99=150.000 max=150.000 total=165.956 ms", GcPauses.summary(log));
        assertEquals("gc pauses n=0", GcPauses.summary(Files.writeString(dir.resolve("empty.log"), "")));
    }
}
